"""Tests of ``complete.transports.local``."""
