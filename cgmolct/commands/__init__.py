"""Sub-commands of the ``cgmolct`` command line, one module each.

Each module defines ``add_parser(subparsers)`` and ``run(args) -> int`` and imports
MindSpore only inside ``run`` (``cgmolct graph ...`` must work without it).
"""
