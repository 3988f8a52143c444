"""A total deadline on every call: retries, waits and a trickling answer included.

A per-read timeout cannot end a call against a server that sends one byte every few
seconds; so every call runs under a deadline (``deadline=`` on the ``Completer``,
``--deadline``, each transport; ``DEFAULT_DEADLINE``), nested calls sharing the
earliest end, and can be cancelled as one (``complete_many`` on Ctrl-C). The HTTP
edge reads it; one watchdog thread for all calls hangs up a connection still open
when its call's end passes. Deliberately not done: retrying, or stopping work that is not a request.
"""

from __future__ import annotations

import contextvars
import heapq
import itertools
import math
import socket
import threading
import time
import weakref
from collections.abc import Generator, Iterator
from contextlib import contextmanager, suppress
from typing import Any, Protocol, TypeVar

import attrs

from complete.errors import CompleteError, ParamsError, TransportError

__all__ = [
    "DEFAULT_DEADLINE",
    "Cancel",
    "Deadline",
    "capped",
    "check_seconds",
    "current",
    "stream_within",
    "watch_pool",
    "watched",
    "within",
]


class Response(Protocol):
    """What a deadline reads of an answer (``complete.transports.http.edge.Response``
    has it): its address, for the error, and the urllib3 response under it, whose
    socket the watchdog hangs up."""

    @property
    def url(self) -> str: ...
    @property
    def raw(self) -> Any: ...


DEFAULT_DEADLINE = 600.0
"""Seconds a call may take in all, unless ``deadline=`` says otherwise."""

T = TypeVar("T")
R = TypeVar("R")


class Cancel:
    """A switch shared by a call and every call inside it: ``cancel()`` ends them all
    now, as if their deadline had passed, hanging up every connection they hold."""

    def __init__(self) -> None:
        self.event = threading.Event()
        self._connections: weakref.WeakSet[Any] = weakref.WeakSet()
        self._lock = threading.Lock()

    @property
    def cancelled(self) -> bool:
        return self.event.is_set()

    def hold(self, connection: Any) -> None:
        """Remember a connection a call uses (urllib3's), to hang it up on ``cancel``."""
        with self._lock:
            self._connections.add(connection)
        if self.cancelled:
            _shut(connection)

    def cancel(self) -> None:
        """End every call under this switch (Ctrl-C does, in ``complete_many``)."""
        self.event.set()
        with self._lock:
            held = list(self._connections)
        for connection in held:
            _shut(connection)


@attrs.frozen
class Deadline:
    """When a call must end (``time.monotonic()`` seconds), how long it was given,
    and the switch that ends it sooner.

    The current one is kept in a context variable, set only while the call's own
    code runs (``within``, ``stream_within``), never between the pieces it yields;
    ``complete_many`` copies the context into its threads. ``cancel`` is one switch
    shared by a call and every call inside it; connections the call took from the
    pool (``watch_pool``) are hung up at once, before any answer too. The error is a
    ``TransportError`` saying how long it waited and how much had arrived.
    """

    at: float
    seconds: float
    started: float
    cancel: Cancel = attrs.field(factory=Cancel, eq=False, repr=False)

    def left(self) -> float:
        """Seconds until the end (negative once passed; 0 once cancelled)."""
        return 0.0 if self.cancel.cancelled else self.at - time.monotonic()

    def expired(self, url: str, received: int | None = None) -> TransportError:
        """The error for a call to ``url`` that ran past the end (or was cancelled), ``received`` bytes in."""
        waited = time.monotonic() - self.started
        got = "" if received is None else f"; {received} bytes of the answer had arrived"
        if self.cancel.cancelled:
            return TransportError(f"interrupted: the request to {url} was cancelled after {waited:.1f}s{got}")
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
    if outer is None:
        return Deadline(at=now + seconds, seconds=seconds, started=now)
    mine = Deadline(at=now + seconds, seconds=seconds, started=now, cancel=outer.cancel)
    return outer if outer.at <= mine.at else mine


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


def watched(response: Response, chunks: Iterator[bytes]) -> Generator[bytes, None, None]:
    """``chunks`` of ``response``'s body, cut when the running call's deadline passes:
    the watchdog hangs up the connection then, so a read blocked on a server that
    trickles returns at once, and the error counts the bytes that came."""
    limit = _CURRENT.get()
    if limit is None:
        yield from chunks
        return
    watch = _WATCHDOG.watch(time.monotonic() + max(0.0, limit.left()), response)
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
        _WATCHDOG.forget(watch)
        close = getattr(chunks, "close", None)
        if close is not None:
            close()
    if limit.left() <= 0:
        raise limit.expired(response.url, received)


class _Watchdog:
    """One daemon thread that hangs up the connection under each watched response
    whose deadline passed (a thread per response cost more than a short request).

    Responses wait in a heap by deadline. One forgotten leaves ``_live`` at once and
    the heap when its time comes, or when forgotten ones outnumber the rest: the
    thread sleeps until the earliest time in the heap, and is woken only when a new
    one comes before every other (not at each request).
    """

    def __init__(self) -> None:
        self._wake = threading.Condition()
        self._due: list[tuple[float, int]] = []
        self._live: dict[int, Response] = {}
        self._numbers = itertools.count()
        self._thread: threading.Thread | None = None

    def watch(self, at: float, response: Response) -> int:
        with self._wake:
            number = next(self._numbers)
            self._live[number] = response
            heapq.heappush(self._due, (at, number))
            if len(self._due) > 2 * len(self._live) + 64:
                self._due = [(when, kept) for when, kept in self._due if kept in self._live]
                heapq.heapify(self._due)
            if self._thread is None or not self._thread.is_alive():  # none yet, or lost in a fork
                self._thread = threading.Thread(target=self._run, name="complete-deadline-watchdog", daemon=True)
                self._thread.start()
            elif self._due[0][1] == number:
                self._wake.notify()
        return number

    def forget(self, number: int) -> None:
        with self._wake:
            self._live.pop(number, None)

    def _run(self) -> None:
        while True:
            passed: list[Response] = []
            with self._wake:
                while not passed:
                    now = time.monotonic()
                    while self._due and self._due[0][0] <= now:
                        response = self._live.pop(heapq.heappop(self._due)[1], None)
                        if response is not None:
                            passed.append(response)
                    if not passed:
                        self._wake.wait(self._due[0][0] - now if self._due else None)
            for response in passed:
                _hang_up(response)


_WATCHDOG = _Watchdog()


def watch_pool(pool: Any) -> None:
    """Make every connection ``pool`` (urllib3's) hands out held by the deadline of the
    call that takes it, so that cancelling the call hangs it up, also before any answer."""
    if pool is None or getattr(pool, "_complete_watched", False):
        return
    take = pool._get_conn

    def held(*args: Any, **kwargs: Any) -> Any:
        connection = take(*args, **kwargs)
        limit = _CURRENT.get()
        if limit is not None:
            limit.cancel.hold(connection)
        return connection

    pool._get_conn = held
    pool._complete_watched = True


def _hang_up(response: Response) -> None:
    """Shut the socket under ``response`` (from the watchdog's thread)."""
    _shut(getattr(response.raw, "connection", None) or getattr(response.raw, "_connection", None))


def _shut(connection: Any) -> None:
    sock = getattr(connection, "sock", None)
    if sock is not None:
        with suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)
