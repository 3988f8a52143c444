"""Tests of ``complete.transports``."""
