"""Benchmarks of cgmolct: accuracy, speed and peer comparisons, with committed results."""
