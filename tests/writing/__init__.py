"""Tests of ``complete.writing``."""
