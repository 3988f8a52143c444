"""Tests of ``complete.interchange``."""
