"""A clock for retry tests: time passes only when the code under test sleeps."""

from __future__ import annotations


class FakeClock:
    """``clock`` and ``sleep`` for a transport: ``now`` moves only by the waits it asks
    for, and ``waits`` lists them."""

    def __init__(self) -> None:
        self.now = 0.0
        self.waits: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.now += seconds
