"""The heart of the library: extend a story by asking a transport for more text.

``complete`` (and its streaming twin ``complete_stream``, and ``complete_many`` for
pipelines) reads no globals, prints nothing and mutates nothing: on any failure the
caller's story is exactly as it was. What this module deliberately does not do:
display, retries (``complete.transports.retrying``), or choosing a backend
(``complete.transports.choice``).
"""

from __future__ import annotations

import contextvars
import queue
import threading
import time
from collections.abc import Callable, Iterator, Sequence

import attrs

from complete.errors import CompleteError, ParamsError, TransportError
from complete.transports.base import Transport
from complete.transports.deadline import DEFAULT_DEADLINE, within
from complete.transports.deadline import current as deadline_now
from complete.values import checks as arguments
from complete.values.generation import Generation
from complete.values.params import Params
from complete.values.story import Story
from complete.values.surrogates import replaced
from complete.writing import banning
from complete.writing.window import Window, build_prompt

__all__ = ["CANCEL_GRACE", "MAX_CONCURRENCY", "ManyInterrupted", "complete", "complete_many", "complete_stream"]

CANCEL_GRACE = 0.5
"""Seconds ``complete_many`` waits, after Ctrl-C, for the requests it cancelled to end."""

MAX_CONCURRENCY = 32
"""``complete_many`` never runs more requests at once than this: the HTTP
transports keep 32 connections per host, and more threads would only open and
discard extra connections (measured by benchmarks/bench_many.py)."""


def _prompt(story: Story, params: Params, transport: Transport, window: Window | None, prompt: str | None) -> str:
    if prompt is not None:
        return prompt
    if window is None:
        return story.prompt_text()
    return build_prompt(story, params, transport, window).text


def complete(
    story: Story, params: Params, transport: Transport, *, window: Window | None = None, prompt: str | None = None
) -> Story:
    """Ask ``transport`` for a continuation of ``story`` and return the longer story.

    The new ``Story`` shares every node of the old one. Given the same story, params
    and a deterministic transport (a cassette, a seeded local model, a scripted fake),
    it returns an equal story. With ``params.banned`` set, or else a ``banned`` in the
    transport's ``defaults`` (the embedded model's story preset), the call goes through
    ``complete.writing.banning``, which keeps those phrases out of the text; the story
    records the call's own params.

    ``window`` (memory, author's note, trimming to the model's window) shapes the
    prompt; the story itself always keeps everything. ``prompt`` overrides both
    with the exact text to send (a ``Session``'s request holds the prompt it built).

    >>> from complete.testing import ScriptedTransport
    >>> story = complete(Story.from_prompt("Once upon a time"), Params(), ScriptedTransport([" there was"]))
    >>> story.text
    'Once upon a time there was'
    """
    text = _prompt(story, params, transport, window, prompt)
    started = time.perf_counter()
    asked = banning.with_default_bans(params, transport)
    generation = _drain(banning.stream(text, asked, transport)) if asked.banned else transport.generate(text, params)
    generation = attrs.evolve(generation, elapsed=time.perf_counter() - started)
    return story.extend(generation.text, origin="model", params=params, generation=generation)


def complete_stream(
    story: Story, params: Params, transport: Transport, *, window: Window | None = None, prompt: str | None = None
) -> Iterator[str | Story]:
    """Yield the continuation's text pieces as they arrive, then the new ``Story``.

    If the stream fails part-way, the error is raised with the text received so far
    in ``error.partial``; the story passed in is unchanged.

    >>> from complete.testing import ScriptedTransport
    >>> items = list(complete_stream(Story.from_prompt("Hi"), Params(), ScriptedTransport([" there, you"])))
    >>> items[:-1], items[-1].text
    ([' there,', ' you'], 'Hi there, you')
    """
    text = _prompt(story, params, transport, window, prompt)
    started = time.perf_counter()
    pieces: list[str] = []
    final: object = None
    asked = banning.with_default_bans(params, transport)
    stream = banning.stream(text, asked, transport) if asked.banned else transport.stream(text, params)
    try:
        while True:
            try:
                piece = next(stream)
            except StopIteration as stop:
                final = stop.value
                break
            piece = replaced(piece)  # a model's lone surrogates become U+FFFD (complete.values.surrogates)
            pieces.append(piece)
            yield piece
    except CompleteError as error:
        error.partial = "".join(pieces)
        raise
    joined = "".join(pieces)
    if isinstance(final, Generation):
        generation = attrs.evolve(final, text=joined, elapsed=time.perf_counter() - started)
    else:
        generation = Generation(text=joined, elapsed=time.perf_counter() - started)
    yield story.extend(joined, origin="model", params=params, generation=generation)


def _drain(stream: Iterator[str]) -> Generation:
    while True:
        try:
            next(stream)
        except StopIteration as stop:
            generation: Generation = stop.value
            return generation


def complete_many(
    stories: Sequence[Story],
    params: Params | Sequence[Params],
    transport: Transport,
    *,
    concurrency: int = 8,
    window: Window | None = None,
    prompt: str | None = None,
) -> list[Story | CompleteError]:
    """Continue every story; results come back in input order.

    ``params`` is one ``Params`` for all, or one per story (a session's
    alternatives vary the seed that way); ``window`` and ``prompt`` are as
    for ``complete``.

    A story whose request fails gets its ``CompleteError`` in its place instead of
    a ``Story``, so one bad item does not cost the others. At most ``concurrency``
    requests (and never more than ``MAX_CONCURRENCY``) are in flight at once; HTTP
    transports share one connection pool.
    Other exceptions (bugs) are raised. Ctrl-C cancels the requests still out and
    raises ``ManyInterrupted`` (a ``KeyboardInterrupt``) at once, whose ``results``
    keep every story that finished.

    >>> from complete.testing import ScriptedTransport
    >>> from complete.errors import TransportError
    >>> results = complete_many(
    ...     [Story.from_prompt("A"), Story.from_prompt("B")], Params(),
    ...     ScriptedTransport([" ok", TransportError("refused")]), concurrency=1)
    >>> [getattr(r, "text", r) for r in results]
    ['A ok', TransportError('refused')]
    """
    arguments.integer("concurrency", concurrency, low=1)

    each = [params] * len(stories) if isinstance(params, Params) else list(params)
    if len(each) != len(stories):
        allowed = f"one Params, or {len(stories)} of them (one per story)"
        raise ParamsError(field="params", value=params, allowed=allowed)

    def one(story: Story, chosen: Params) -> Story | CompleteError:
        try:
            return complete(story, chosen, transport, window=window, prompt=prompt)
        except CompleteError as error:
            return error

    results: list[Story | CompleteError | None] = [None] * len(stories)
    with within(DEFAULT_DEADLINE) as scope:
        try:
            if concurrency == 1 or len(stories) <= 1:
                for index, (story, chosen) in enumerate(zip(stories, each, strict=True)):
                    results[index] = one(story, chosen)
            else:
                _in_threads(results, lambda index: one(stories[index], each[index]), concurrency)
        except KeyboardInterrupt as interrupt:
            scope.cancel.cancel()
            raise ManyInterrupted([_interrupted(result) for result in results]) from interrupt
    return [_interrupted(result) for result in results]


class ManyInterrupted(KeyboardInterrupt):
    """Ctrl-C during ``complete_many``: the requests still out were cancelled, and
    ``results`` holds every story in input order, each one finished (a ``Story`` or
    its error) or a ``TransportError`` saying it was interrupted."""

    def __init__(self, results: list[Story | CompleteError]) -> None:
        super().__init__("interrupted")
        self.results = results


def _interrupted(result: Story | CompleteError | None) -> Story | CompleteError:
    return TransportError("interrupted (Ctrl-C) before it arrived") if result is None else result


def _in_threads(
    results: list[Story | CompleteError | None], one: Callable[[int], Story | CompleteError], concurrency: int
) -> None:
    """Fill ``results`` by running ``one(index)`` for every index, at most ``concurrency``
    at a time, each in a copy of the caller's context (so that what is on the caller's
    screen hears what the requests wait for, ``complete.transports.status``, and they share its
    deadline).

    The threads are daemons and the caller waits for them in short steps, so Ctrl-C
    reaches it at once; then no new request starts, the ones out are cancelled through
    the shared deadline, and those that end within ``CANCEL_GRACE`` seconds keep their
    answer. A hung server can delay neither the interrupt nor the process's exit.
    """
    todo: queue.SimpleQueue[int] = queue.SimpleQueue()
    for index in range(len(results)):
        todo.put(index)
    failures: list[BaseException] = []

    def work(context: contextvars.Context) -> None:
        while True:
            try:
                index = todo.get_nowait()
            except queue.Empty:
                return
            try:
                results[index] = context.run(one, index)
            except BaseException as failure:  # a bug: raised in the caller's thread below
                failures.append(failure)
                return

    workers = [
        threading.Thread(target=work, args=(contextvars.copy_context(),), daemon=True, name="complete_many")
        for _ in range(min(concurrency, len(results), MAX_CONCURRENCY))
    ]
    for worker in workers:
        worker.start()
    try:
        for worker in workers:
            while worker.is_alive():
                worker.join(0.05)
    except KeyboardInterrupt:
        while not todo.empty():
            todo.get_nowait()
        current = deadline_now()
        if current is not None:
            current.cancel.cancel()
        ends = time.monotonic() + CANCEL_GRACE
        for worker in workers:
            worker.join(max(0.0, ends - time.monotonic()))
        raise
    if failures:
        raise failures[0]
