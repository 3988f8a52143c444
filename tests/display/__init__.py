"""Tests of ``complete.display``."""
