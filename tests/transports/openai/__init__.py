"""Tests of ``complete.transports.openai``."""
