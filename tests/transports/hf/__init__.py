"""Tests of ``complete.transports.hf``."""
