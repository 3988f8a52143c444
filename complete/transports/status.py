"""What a request is waiting for, passed from the transports to whatever is on screen.

A transport knows why a call is slow (no answer yet, a 429, a model loading) but not
how to show it; the display the reverse. A transport calls ``report(Status(...))``;
the display wraps the request in ``reporting(listener)``. With nobody listening,
``report`` does nothing. The listener is a ``ContextVar``, so threads see only their
own reports. Deliberately no timers, threads or rendering: those are the display's.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from urllib.parse import urlsplit

import attrs

__all__ = ["Listener", "Status", "report", "reporting"]


@attrs.frozen
class Status:
    """One line saying what a request waits for.

    ``ticking`` asks the display to add the seconds waited so far and how to stop
    ("(3 s, interrupt to stop)"); a status that already says how long it will
    take ("retrying in 2 s") does not tick.
    """

    message: str
    ticking: bool = False

    @classmethod
    def waiting_for(cls, url: str, name: str | None = None) -> Status:
        """A request sent to ``url`` that has not been answered yet; ``name`` says
        what answers there in the writer's words (the embedded model), else the host.

        >>> Status.waiting_for("http://127.0.0.1:8080/v1/completions").message
        'waiting for 127.0.0.1:8080'
        >>> Status.waiting_for("http://127.0.0.1:8080/v1/completions", "the model SmolLM2").message
        'waiting for the model SmolLM2'
        """
        return cls(f"waiting for {name or urlsplit(url).netloc or url}", ticking=True)

    @classmethod
    def retrying(cls, reason: str, *, wait: float, attempt: int, attempts: int) -> Status:
        """A failed try about to be made again: ``attempt`` is the try to come.

        >>> Status.retrying("server busy (429)", wait=2.2, attempt=2, attempts=3).message
        'server busy (429): retrying in 2 s, attempt 2 of 3'
        """
        return cls(f"{reason}: retrying in {wait:.0f} s, attempt {attempt} of {attempts}")

    @classmethod
    def starting(cls, model: str) -> Status:
        """The embedded engine loading ``model``, once per process. It does not
        tick: llama.cpp keeps Python's GIL while it loads, so nothing could count.

        >>> Status.starting("SmolLM2-135M-Instruct.Q4_1.gguf").message
        'loading the model SmolLM2-135M-Instruct.Q4_1.gguf (the first call only)'
        """
        return cls(f"loading the model {model} (the first call only)")

    @classmethod
    def loading(cls, seconds: float) -> Status:
        """A model being loaded, with the server's estimate.

        >>> Status.loading(19.6).message
        'model loading, about 20 s'
        """
        return cls(f"model loading, about {seconds:.0f} s")


Listener = Callable[[Status], None]

_LISTENER: ContextVar[Listener | None] = ContextVar("complete_status_listener", default=None)


def report(status: Status) -> None:
    """Tell the display on screen (if any) what the request is waiting for."""
    listener = _LISTENER.get()
    if listener is not None:
        listener(status)


@contextlib.contextmanager
def reporting(listener: Listener) -> Iterator[None]:
    """Send every ``report`` made in this block (in this context) to ``listener``."""
    token = _LISTENER.set(listener)
    try:
        yield
    finally:
        _LISTENER.reset(token)
