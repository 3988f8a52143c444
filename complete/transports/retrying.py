"""Retries as policy around any transport: bounded, patient with servers, honest.

``RetryingTransport(inner)`` makes the same request again only when the failure can
pass on its own (a connection failure, a rate limit, a model still loading), and
gives up with the original typed error. Deliberately not done: changing the request
between tries, retrying other errors, or retrying anything outside a call.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Generator, Iterator
from typing import Any, TypeVar

import tenacity

from complete.errors import CompleteError, ModelLoadingError, ParamsError, RateLimitError, TransportError
from complete.transports import status
from complete.transports.base import BansTokens, Tokenizes, Transport, describe
from complete.transports.deadline import DEFAULT_DEADLINE, Deadline, check_seconds, stream_within, within
from complete.transports.status import Status
from complete.values.generation import Generation
from complete.values.params import Params

__all__ = ["RETRIED", "RetryingTransport"]

RETRIED: tuple[type[CompleteError], ...] = (TransportError, RateLimitError, ModelLoadingError)
"""The errors worth another try; nothing else is retried."""

_log = logging.getLogger(__name__)
T = TypeVar("T")


class RetryingTransport:
    """Wrap ``inner`` so transient failures are retried within bounds.

    Retried: ``TransportError`` (refused, DNS, timeout, a stream cut before its first
    piece), ``RateLimitError`` (429, or an overloaded TGI) and ``ModelLoadingError``
    (503 while the model loads). Everything else fails at once: trying again would
    give the same answer.

    - Bounded by ``attempts`` (tries in all, the first included) and ``max_seconds``
      (from the first try): no try starts and no wait runs past them, nor past
      ``deadline`` (``complete.transports.deadline``), which bounds the whole call.
    - A wait honours the server (``retry_after``, a loading model's
      ``estimated_time``), else backs off exponentially, ``initial_wait * 2**(n-1)``
      capped at ``max_wait``, plus up to ``jitter`` seconds so clients do not return
      in step.
    - Giving up re-raises the original error (never tenacity's ``RetryError``), its
      message ending with the tries made and the time waited.
    - ``stream`` retries only while nothing has been yielded: text already shown
      would show twice. The error then carries the text so far in ``.partial``.
    - ``describe`` is the inner transport's; ``count_tokens``, ``context_window`` and
      ``token_ids`` pass through with the same retries, None when it cannot tell.
    - ``sleep`` and ``clock`` can be injected, so tests never sleep for real.

    >>> from complete.testing import ScriptedTransport
    >>> inner = ScriptedTransport([RateLimitError(message="slow down", retry_after=2.0), " at last"])
    >>> waits = []
    >>> RetryingTransport(inner, sleep=waits.append).generate("Once", Params()).text
    ' at last'
    >>> waits
    [2.0]
    """

    def __init__(
        self,
        inner: Transport,
        *,
        attempts: int = 4,
        max_seconds: float = 60.0,
        initial_wait: float = 1.0,
        max_wait: float = 30.0,
        jitter: float = 1.0,
        deadline: float = DEFAULT_DEADLINE,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if isinstance(attempts, bool) or not isinstance(attempts, int) or attempts < 1:
            raise ParamsError(field="attempts", value=attempts, allowed="an integer >= 1 (tries in all)")
        for name, value in (
            ("max_seconds", max_seconds),
            ("initial_wait", initial_wait),
            ("max_wait", max_wait),
            ("jitter", jitter),
        ):
            if isinstance(value, bool) or not isinstance(value, int | float) or not value >= 0:
                raise ParamsError(field=name, value=value, allowed="a number of seconds >= 0")
        self.inner = inner
        self.attempts = attempts
        self.max_seconds = float(max_seconds)
        self.initial_wait = float(initial_wait)
        self.max_wait = float(max_wait)
        self.jitter = float(jitter)
        self.deadline = check_seconds(deadline)
        self._sleep = sleep
        self._clock = clock

    def __repr__(self) -> str:
        return f"RetryingTransport({self.inner!r}, attempts={self.attempts}, max_seconds={self.max_seconds:g})"

    def generate(self, prompt: str, params: Params) -> Generation:
        """``inner.generate``, retried as the module docstring says."""
        return self._call(lambda: self.inner.generate(prompt, params))

    def stream(self, prompt: str, params: Params) -> Generator[str, None, Any]:
        """``inner.stream``, retried until its first piece arrives, not after; returns
        what the inner stream returns (the ``Generation``, for this project's ones)."""
        return stream_within(self.deadline, self._streaming(prompt, params))

    def _streaming(self, prompt: str, params: Params) -> Generator[str, None, Any]:

        def start() -> tuple[Iterator[str], str | None, Any]:
            pieces = self.inner.stream(prompt, params)
            try:
                return pieces, next(pieces), None
            except StopIteration as stop:
                return pieces, None, stop.value

        pieces, first, value = self._call(start)
        if first is None:
            return value
        received = [first]
        try:
            yield first
            while True:
                try:
                    piece = next(pieces)
                except StopIteration as stop:
                    return stop.value
                received.append(piece)
                yield piece
        except CompleteError as error:
            if not error.partial:
                error.partial = "".join(received)
            raise
        finally:
            close = getattr(pieces, "close", None)
            if close is not None:
                close()  # a caller who stops reading ends the inner stream (and its response) now

    def describe(self) -> dict[str, Any]:
        """The inner transport's description (retries are not saved; they are policy)."""
        return describe(self.inner)

    def count_tokens(self, text: str) -> int | None:
        """``inner.count_tokens`` (retried), or None when it has none."""
        inner = self.inner
        if not isinstance(inner, Tokenizes):
            return None
        return self._call(lambda: inner.count_tokens(text))

    def token_ids(self, text: str) -> list[int] | None:
        """``inner.token_ids`` (retried), or None when it has none (``BansTokens``)."""
        inner = self.inner
        if not isinstance(inner, BansTokens):
            return None
        return self._call(lambda: inner.token_ids(text))

    def context_window(self) -> int | None:
        """``inner.context_window`` (retried), or None when it has none."""
        inner = self.inner
        if not isinstance(inner, Tokenizes):
            return None
        return self._call(inner.context_window)

    def _call(self, attempt: Callable[[], T]) -> T:
        with within(self.deadline) as limit:
            return self._retrying(attempt, limit)

    def _retrying(self, attempt: Callable[[], T], limit: Deadline) -> T:
        started = self._clock()

        def time_left() -> float:
            return min(self.max_seconds - (self._clock() - started), limit.left())

        def stop(state: tenacity.RetryCallState) -> bool:
            return state.attempt_number >= self.attempts or time_left() <= 0

        def wait(state: tenacity.RetryCallState) -> float:
            error = state.outcome.exception() if state.outcome is not None else None
            hint = getattr(error, "retry_after", None)
            if hint is None:
                hint = getattr(error, "estimated_time", None)
            if hint is None:
                backoff = self.initial_wait * 2 ** (state.attempt_number - 1)
                hint = min(self.max_wait, backoff) + random.uniform(0, self.jitter)
            return max(0.0, min(float(hint), time_left()))

        waits: list[float] = []

        def log(state: tenacity.RetryCallState) -> None:
            waits.append(state.upcoming_sleep)
            error = state.outcome.exception() if state.outcome is not None else None
            _log.info("try %d failed (%s); next try in %.1fs", state.attempt_number, error, state.upcoming_sleep)
            status.report(_waiting_status(error, state.upcoming_sleep, state.attempt_number + 1, self.attempts))

        retrying = tenacity.Retrying(
            retry=tenacity.retry_if_exception_type(RETRIED),
            stop=stop,
            wait=wait,
            sleep=self._sleep,
            before_sleep=log,
            reraise=True,
        )
        try:
            return retrying(attempt)
        except RETRIED as error:
            if waits:
                _gave_up(error, tries=len(waits) + 1, waited=sum(waits))
            raise


def _gave_up(error: CompleteError, *, tries: int, waited: float) -> None:
    """Say on ``error`` how long was waited over how many tries before giving up."""
    error.message = f"{error.message}\nGave up after {tries} tries, having waited {waited:.1f} s between them."
    error.args = (error.message, *error.args[1:])


def _waiting_status(error: BaseException | None, wait: float, attempt: int, attempts: int) -> Status:
    """What the writer is told while a retry waits: "server busy (429): retrying in 2 s,
    attempt 2 of 3", or "model loading, about 20 s"."""
    if isinstance(error, ModelLoadingError) and error.estimated_time is not None:
        return Status.loading(error.estimated_time)
    if isinstance(error, RateLimitError):
        reason = f"server busy ({error.status})" if error.status is not None else "server busy"
    elif isinstance(error, ModelLoadingError):
        reason = "model loading"
    else:
        first = str(error).split("\n", 1)[0]
        reason = first if len(first) <= 100 else first[:99] + "…"
    return Status.retrying(reason, wait=wait, attempt=attempt, attempts=attempts)
