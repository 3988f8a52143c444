"""Tests of ``complete.transports.http``."""
