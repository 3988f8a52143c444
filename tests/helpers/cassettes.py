"""Replaying the repository's cassettes (``cassettes/``), with nothing left unplayed."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from complete.testing import recording
from tests.conftest import CASSETTES


@contextmanager
def replay(name: str) -> Iterator[Any]:
    """Replay the cassette ``name`` (no recording); every interaction in it must be used."""
    with recording(CASSETTES / name, record_mode="none") as cassette:
        yield cassette
    assert cassette.all_played, f"{name}: not every recorded request was made"
