"""Reading a transport's stream to its end, for tests: the pieces and the value it returns."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any


def drain(stream: Iterable[str]) -> tuple[list[str], Any]:
    """Every piece of ``stream`` and its return value (a transport's ``Generation``)."""
    pieces: list[str] = []
    iterator = iter(stream)
    while True:
        try:
            pieces.append(next(iterator))
        except StopIteration as stop:
            return pieces, stop.value
