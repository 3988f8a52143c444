"""The test suite: one folder per package folder, cross-layer suites in ``across``."""
