"""A total deadline on every call: retries, waits and a trickling answer included.

A per-read timeout cannot end a call against a server that sends one byte every
few seconds, or an endless stream; a retry budget bounds only the retries. So every
call runs under a deadline, in seconds from its start: ``deadline=`` on the
``Completer``, the command line (``--deadline``) and each transport, default
``DEFAULT_DEADLINE`` (ten minutes: a long generation by the local model on a slow
machine fits). Nested calls take the earliest: a ``RetryingTransport`` and the
transport inside it, a ``Completer`` and its transport, share one end.

How it is kept: ``within(seconds)`` (a call that returns) and ``stream_within``
(a stream, made of many steps) put the end in a context variable, set only while
the call's own code runs, never between the pieces it yields; ``complete_many``
copies the context into its threads. The HTTP edge (``http.post``, ``iter_body``)
reads it: no connect or read waits past it, and a watchdog hangs up a connection
still open when it passes. The error is a ``TransportError`` that says how long
it waited and how much had arrived; a stream's text so far stays on ``.partial``.

What this module deliberately does not do: retry, or stop work that is not a
request (the local engine is stopped by closing its connection).
"""

from __future__ import annotations

import contextvars
import math
import socket
import threading
import time
from collections.abc import Generator, Iterator
from contextlib import contextmanager, suppress
from typing import TYPE_CHECKING, TypeVar

import attrs

from complete.errors import CompleteError, ParamsError, TransportError

if TYPE_CHECKING:
    import requests

__all__ = ["DEFAULT_DEADLINE", "Deadline", "capped", "check_seconds", "current", "stream_within", "watched", "within"]

DEFAULT_DEADLINE = 600.0
"""Seconds a call may take in all, unless ``deadline=`` says otherwise."""

T = TypeVar("T")
R = TypeVar("R")


@attrs.frozen
class Deadline:
    """When a call must end (``time.monotonic()`` seconds) and how long it was given."""

    at: float
    seconds: float
    started: float

    def left(self) -> float:
        """Seconds until the end (negative once passed)."""
        return self.at - time.monotonic()

    def expired(self, url: str, received: int | None = None) -> TransportError:
        """The error for a call to ``url`` that ran past the end, ``received`` bytes in."""
        waited = time.monotonic() - self.started
        got = "" if received is None else f"; {received} bytes of the answer had arrived"
        return TransportError(
            f"gave up on {url} after {waited:.1f}s: the call may take {self.seconds:g}s in all "
            f"(deadline=){got}. The server is too slow or never ends its answer; raise deadline= to wait longer."
        )


_CURRENT: contextvars.ContextVar[Deadline | None] = contextvars.ContextVar("complete_deadline", default=None)


def check_seconds(seconds: object, field: str = "deadline") -> float:
    """``seconds`` as a float when it is a finite number > 0, else a ``ParamsError``.

    >>> check_seconds("abc")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    complete.errors.ParamsError: deadline='abc' is not allowed: expected a number of seconds > 0 ...
    """
    if isinstance(seconds, bool) or not isinstance(seconds, int | float) or not 0 < seconds < math.inf:
        raise ParamsError(field=field, value=seconds, allowed="a number of seconds > 0 (the longest a call may take)")
    return float(seconds)


def current() -> Deadline | None:
    """The deadline of the call running in this context, if any."""
    return _CURRENT.get()


def _starting(seconds: float) -> Deadline:
    now = time.monotonic()
    outer = _CURRENT.get()
    mine = Deadline(at=now + seconds, seconds=seconds, started=now)
    return outer if outer is not None and outer.at <= mine.at else mine


@contextmanager
def within(seconds: float) -> Iterator[Deadline]:
    """Run the block under a deadline ``seconds`` from now (or the caller's, if earlier)."""
    token = _CURRENT.set(_starting(seconds))
    try:
        yield _CURRENT.get()  # type: ignore[misc]
    finally:
        _CURRENT.reset(token)


def stream_within(seconds: float, pieces: Generator[T, None, R]) -> Generator[T, None, R]:
    """``pieces``, each step of it run under one deadline that starts at the first step.

    The deadline is set only while ``pieces`` runs, so the caller's code between
    pieces never sees it; closing this generator closes ``pieces``.
    """
    deadline: Deadline | None = None
    try:
        while True:
            deadline = deadline or _starting(seconds)
            token = _CURRENT.set(deadline)
            try:
                piece = next(pieces)
            except StopIteration as stop:
                value: R = stop.value
                return value
            finally:
                _CURRENT.reset(token)
            yield piece
    finally:
        pieces.close()


def capped(timeout: float | tuple[float, float], url: str) -> float | tuple[float, float]:
    """``timeout``, each part no longer than the running call's deadline leaves; a
    deadline already passed is the error."""
    limit = _CURRENT.get()
    if limit is None:
        return timeout
    left = limit.left()
    if left <= 0:
        raise limit.expired(url, 0)
    connect, read = timeout if isinstance(timeout, tuple) else (timeout, timeout)
    return (min(connect, left), min(read, left))


def watched(response: requests.Response, chunks: Iterator[bytes]) -> Generator[bytes, None, None]:
    """``chunks`` of ``response``'s body, cut when the running call's deadline passes:
    a watchdog thread hangs up the connection then, so a read blocked on a server
    that trickles returns at once, and the error counts the bytes that came."""
    limit = _CURRENT.get()
    if limit is None:
        yield from chunks
        return
    watchdog = threading.Timer(max(0.0, limit.left()), _hang_up, args=(response,))
    watchdog.daemon = True
    watchdog.start()
    received = 0
    try:
        for chunk in chunks:
            received += len(chunk)
            if limit.left() <= 0:
                raise limit.expired(response.url, received)
            yield chunk
    except CompleteError as exc:
        if limit.left() <= 0 and exc.__cause__ is not None:
            raise limit.expired(response.url, received) from exc
        raise
    finally:
        watchdog.cancel()
        close = getattr(chunks, "close", None)
        if close is not None:
            close()
    if limit.left() <= 0:
        raise limit.expired(response.url, received)


def _hang_up(response: requests.Response) -> None:
    """Shut the socket under ``response`` (from the watchdog's thread)."""
    connection = getattr(response.raw, "connection", None) or getattr(response.raw, "_connection", None)
    sock = getattr(connection, "sock", None)
    if sock is not None:
        with suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)
