"""Continuing a ``Session``: the only writing operations that ask a transport.

Each function takes a session and returns the session after the model answered (or
a ``Continuation`` that also says what came back); the session passed in is
unchanged, and on any error it is all the caller has. Nothing here builds requests
(``Session.request`` and its siblings do) or displays anything.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import attrs

from complete.errors import CompleteError
from complete.transports.base import Transport
from complete.values.story import Story
from complete.writing.core import ManyInterrupted, complete, complete_many, complete_stream
from complete.writing.session import Request, Session

__all__ = [
    "ALTERNATIVES_AT_ONCE",
    "Continuation",
    "alternatives",
    "continued",
    "retried",
    "send",
    "send_many",
    "stream",
    "swapped",
]

ALTERNATIVES_AT_ONCE = 8
"""How many alternatives are asked for at the same time."""


@attrs.frozen
class Continuation:
    """The session after one request, and what came back: ``story`` is the model's
    node (its segment possibly empty, which the session did not add), or None when
    a stream was interrupted before any text arrived."""

    session: Session
    story: Story | None
    interrupted: bool = False


def send(session: Session, request: Request, transport: Transport) -> Continuation:
    """Ask for the whole continuation at once."""
    story = complete(request.story, request.params, transport, prompt=request.prompt.text)
    return Continuation(session.add(request, story), story)


def stream(session: Session, request: Request, transport: Transport, show: Callable[[str], None]) -> Continuation:
    """Ask for the continuation as a stream, passing each piece to ``show`` as it arrives.

    Ctrl-C raises ``KeyboardInterrupt`` wherever the program is: the text received
    becomes a node flagged ``interrupted`` and the ``Continuation`` says so, instead of
    the interrupt propagating; a shell that should stop (the command line) stops after
    keeping it.

    An error other than an interrupt leaves nothing behind but the error (with the
    text received in ``.partial``).
    """
    pieces: list[str] = []
    try:
        for item in complete_stream(request.story, request.params, transport, prompt=request.prompt.text):
            if isinstance(item, Story):
                return Continuation(session.add(request, item), item)
            pieces.append(item)
            show(item)
    except KeyboardInterrupt:
        if not pieces:
            return Continuation(session, None, interrupted=True)
        kept = session.add_interrupted(request, "".join(pieces))
        return Continuation(kept, kept.current, interrupted=True)
    raise AssertionError("complete_stream ends with the new story")


def continued(session: Session, transport: Transport, **overrides: Any) -> Session:
    """The current story continued (``overrides``: parameters for this request only)."""
    return send(session, session.request(transport, **overrides), transport).session


def retried(session: Session, transport: Transport, **overrides: Any) -> Session:
    """A new sample in place of the current model segment (unchanged when it is not the model's)."""
    request = session.retry_request(transport, **overrides)
    return session if request is None else send(session, request, transport).session


def swapped(session: Session, transport: Transport, position: int, alternative: str, **overrides: Any) -> Session:
    """A branch with ``alternative`` in place of the token at ``position``, continued."""
    request = session.swap_request(transport, position, alternative, **overrides)
    return session if request is None else send(session, request, transport).session


def send_many(
    session: Session, requests: Sequence[Request], transport: Transport
) -> tuple[Session, tuple[CompleteError, ...]]:
    """Ask for the continuations of ``requests`` (from ``Session.alternative_requests``) at
    once and put them on offer; the errors of those that failed come back beside the
    session, and when all fail the first error is raised. Ctrl-C keeps the ones that
    arrived (the others fail as interrupted); with none, it propagates."""
    try:
        results = complete_many(
            [request.story for request in requests],
            [request.params for request in requests],
            transport,
            concurrency=ALTERNATIVES_AT_ONCE,
            prompt=requests[0].prompt.text,
        )
    except ManyInterrupted as interrupted:
        results = interrupted.results
        if not any(isinstance(result, Story) for result in results):
            raise
    made = [result for result in results if isinstance(result, Story)]
    failures = tuple(result for result in results if not isinstance(result, Story))
    if not made:
        raise failures[0]
    return session.offer(requests[0], made), failures


def alternatives(
    session: Session, transport: Transport, n: int = 3, **overrides: Any
) -> tuple[Session, tuple[CompleteError, ...]]:
    """``n`` continuations put on offer (``Session.choose`` keeps one), and the errors of
    those that failed (see ``send_many``).

    ::

        session = continued(session, transport)             # one more segment
        session = retried(session, transport)               # a new sample in place of it
        session, failed = alternatives(session, transport, 3)
        session = session.choose(1)
    """
    return send_many(session, session.alternative_requests(transport, n, **overrides), transport)
