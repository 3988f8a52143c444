"""Tests of ``complete.values``."""
