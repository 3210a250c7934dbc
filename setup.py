"""Installation of the two packages ``cgmolct`` (MindSpore models) and ``topologies``."""
from pathlib import Path

from setuptools import find_packages, setup

HERE = Path(__file__).parent
version = {}
exec((HERE / "cgmolct" / "_version.py").read_text(), version)

INSTALL_REQUIRES = [
    "mindspore>=2.10,<2.11",
    "numpy>=1.24,<2",
    "scipy>=1.10",
    "MDAnalysis>=2.7",
    "biopython>=1.80",
    "networkx>=3.0",
    "scikit-learn>=1.3",
    "matplotlib>=3.7",
    "tqdm>=4.60",
    "PyYAML>=6.0",
]

EXTRAS = {
    "md": ["openmm>=8.0"],
    "test": ["pytest>=7.4", "MDAnalysisTests>=2.7", "hypothesis>=6.80", "psutil>=5.9"],
    "bench": ["MDAnalysisTests>=2.7", "psutil>=5.9", "deeptime>=0.5,<0.6"],
    "contacts": ["MDAnalysisTests>=2.7"],  # training / benchmark structures of cgmolct.contacts
}

setup(
    name="cgmolct",
    version=version["__version__"],
    description="MolCT representation learning for molecules from atoms to coarse-grained "
    "proteins and nucleic acids (MindSpore)",
    long_description=(HERE / "README.md").read_text(),
    long_description_content_type="text/markdown",
    license="MIT",
    python_requires=">=3.9,<3.12",
    packages=find_packages(include=["cgmolct", "cgmolct.*", "topologies", "topologies.*"]),
    package_data={"cgmolct.reference": ["shipped/*.pdb", "shipped/*.npz", "shipped/*.json"],
                  "cgmolct.contacts": ["shipped/*.md", "shipped/model/*.json", "shipped/model/*.ckpt"],
                  "cgmolct.pipeline": ["shipped/*/*.md", "shipped/*/*.json", "shipped/*/*.ckpt"]},
    install_requires=INSTALL_REQUIRES,
    extras_require=EXTRAS,
    entry_points={"console_scripts": ["cgmolct = cgmolct.cli:main"]},
    classifiers=[
        "Programming Language :: Python :: 3",
        "License :: OSI Approved :: MIT License",
        "Topic :: Scientific/Engineering :: Chemistry",
    ],
)
