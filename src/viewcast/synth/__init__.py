"""Generators of synthetic data sets with known ground truth (tests, demos, benchmarks)."""
