"""Suites that cross layers: the README, the notebook, the browser, bad input, secrets, fuzzing."""
