"""Test doubles and recording helpers, for your tests as much as ours.

- ``ScriptedTransport(replies)`` answers each request with the next reply: a
  ``str`` is returned as the model's text, an exception is raised, a ``Cut``
  streams some text and then fails (or is interrupted, with
  ``KeyboardInterrupt()``), a ``Generation`` is returned as is. ``.calls`` records
  every ``(prompt, params)`` it received, so a test can assert exactly what was
  asked.
- ``ReplayTransport.from_story(story)`` answers each prompt with the model segment
  a (saved) story recorded for it, so a saved session replays exactly with no
  network and no model.
- ``recording(path)`` is vcrpy with this project's settings: every credential
  sent (the ``Authorization`` header's content, API keys) dropped and scrubbed by
  value from bodies, headers and vcrpy's log, cookies and account headers dropped,
  anything that looks like a Hugging Face token scrubbed too, requests matched
  on their body too, and record mode "once" (or "none" when the ``CI``
  environment variable is set, so a missing recording fails instead of reaching
  the network). Record a real notebook session once, replay it in pytest for ever.

Nothing here is imported by the rest of the package; vcrpy is needed only by
``recording`` (install the ``test`` extra).
"""

from __future__ import annotations

import logging
import os
import re
import threading
from collections.abc import Generator, Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs

from complete.values.generation import Generation
from complete.values.params import Params

if TYPE_CHECKING:
    from complete.values.story import Story

__all__ = ["Cut", "ReplayTransport", "ScriptedTransport", "recording"]

_PIECES = re.compile(r"\s*\S+|\s+$")
TOKEN_PATTERN = re.compile(r"hf_[A-Za-z0-9]{30,}")
"""What a Hugging Face access token looks like (used to scrub and to audit cassettes)."""


def split_pieces(text: str) -> list[str]:
    """Cut text the way a server streams it: each word with the space before it."""
    return _PIECES.findall(text)


@attrs.frozen
class Cut:
    """A scripted reply that streams ``text`` and then raises ``error``."""

    text: str
    error: BaseException


Reply = str | BaseException | Cut | Generation


class ScriptedTransport:
    """A transport that plays back scripted replies, in order.

    >>> transport = ScriptedTransport([" and then", ValueError("no")])
    >>> transport.generate("Once", Params()).text
    ' and then'
    >>> transport.calls[0][0]
    'Once'
    """

    def __init__(self, replies: Iterable[Reply], *, model: str = "scripted") -> None:
        self._replies = list(replies)
        self._lock = threading.Lock()
        self.model = model
        self.calls: list[tuple[str, Params]] = []

    def __repr__(self) -> str:
        return f"ScriptedTransport({len(self._replies)} replies left, {len(self.calls)} calls)"

    def _next(self, prompt: str, params: Params) -> Reply:
        with self._lock:
            self.calls.append((prompt, params))
            if not self._replies:
                raise LookupError(f"ScriptedTransport has no reply left for call {len(self.calls)}")
            return self._replies.pop(0)

    def _generation(self, text: str, params: Params) -> Generation:
        return Generation(text=text, finish_reason="length", backend="scripted", model=self.model, seed=params.seed)

    def generate(self, prompt: str, params: Params) -> Generation:
        reply = self._next(prompt, params)
        if isinstance(reply, Generation):
            return reply
        if isinstance(reply, Cut):
            raise reply.error
        if isinstance(reply, BaseException):
            raise reply
        return self._generation(reply, params)

    def stream(self, prompt: str, params: Params) -> Generator[str, None, Generation]:
        reply = self._next(prompt, params)
        if isinstance(reply, BaseException):
            raise reply
        text = reply if isinstance(reply, str) else reply.text
        yield from split_pieces(text)
        if isinstance(reply, Cut):
            raise reply.error
        return reply if isinstance(reply, Generation) else self._generation(text, params)

    def describe(self) -> dict[str, Any]:
        return {"backend": "scripted", "model": self.model}


class ReplayTransport:
    """Answers each prompt with the model text a story recorded for it.

    Built from a story (or several, for a whole tree), it knows, for every model
    node, the text before it (the prompt that was sent, when no memory or note
    shaped it) and the segment the model wrote. Asking for a prompt it never saw is
    a ``LookupError`` naming the prompt's end.
    """

    def __init__(self, answers: Mapping[str, list[Generation]]) -> None:
        self._answers = {prompt: list(items) for prompt, items in answers.items()}
        self._lock = threading.Lock()
        self.calls: list[tuple[str, Params]] = []

    @classmethod
    def from_story(cls, *stories: Story) -> ReplayTransport:
        """Replay the model segments of ``stories`` (each node once, oldest first)."""
        answers: dict[str, list[Generation]] = {}
        seen: set[int] = set()
        for story in stories:
            for node in story.path:
                if id(node) in seen or node.origin != "model" or node.parent is None:
                    continue
                seen.add(id(node))
                generation = node.generation or Generation(text=node.segment)
                answers.setdefault(node.parent.text, []).append(attrs.evolve(generation, text=node.segment))
        return cls(answers)

    def generate(self, prompt: str, params: Params) -> Generation:
        with self._lock:
            self.calls.append((prompt, params))
            queue = self._answers.get(prompt)
            if not queue:
                raise LookupError(f"ReplayTransport has no recorded answer for a prompt ending {prompt[-60:]!r}")
            return queue.pop(0) if len(queue) > 1 else queue[0]

    def stream(self, prompt: str, params: Params) -> Generator[str, None, Generation]:
        generation = self.generate(prompt, params)
        yield from split_pieces(generation.text)
        return generation

    def describe(self) -> dict[str, Any]:
        return {"backend": "replay"}


_DROPPED_HEADER = re.compile(r"cookie|organization|project|account|user|request-id|trace|x-amz", re.IGNORECASE)
_CREDENTIAL_HEADER = re.compile(r"^(proxy-)?authorization$|api-key$|-token$", re.IGNORECASE)
_SCHEMED = re.compile(r"\b(Bearer|Basic|Token)\s+[^\s'\",;]+", re.IGNORECASE)


class _Credentials:
    """Every credential a recording has seen sent, to scrub by value wherever it shows.

    Learnt from each request's credential headers (``Authorization``'s content, with
    or without its scheme, ``x-api-key``, ``api-key``...) before anything of it is
    recorded or logged, plus the ``secrets`` given; anything shaped like a Hugging
    Face token or an ``Authorization`` value is scrubbed too.
    """

    def __init__(self, secrets: Iterable[str]) -> None:
        self._known = {secret for secret in secrets if secret}
        self._lock = threading.Lock()

    def learn(self, headers: Any) -> None:
        for name in list(headers or ()):
            if not _CREDENTIAL_HEADER.search(str(name)):
                continue
            values = headers[name] if isinstance(headers[name], list) else [headers[name]]
            for value in values:
                text = value.decode("latin-1") if isinstance(value, bytes) else str(value)
                with self._lock:
                    self._known.update(part for part in (text.strip(), text.strip().partition(" ")[2].strip()) if part)
            del headers[name]

    def text(self, text: str) -> str:
        with self._lock:
            known = sorted(self._known, key=len, reverse=True)
        for secret in known:
            text = text.replace(secret, "***")
        return _SCHEMED.sub(r"\1 ***", TOKEN_PATTERN.sub("hf_***", text))

    def body(self, body: Any) -> Any:
        if isinstance(body, bytes):
            return self.text(body.decode("utf-8", "surrogateescape")).encode("utf-8", "surrogateescape")
        return self.text(body) if isinstance(body, str) else body


class _ScrubbedLog(logging.Filter):
    """Scrubs vcrpy's own log lines (it logs each response before it is recorded)."""

    def __init__(self, credentials: _Credentials) -> None:
        super().__init__()
        self._credentials = credentials

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg, record.args = self._credentials.text(record.getMessage()), None
        return True


@contextmanager
def recording(
    path: str | os.PathLike[str], *, record_mode: str | None = None, secrets: Iterable[str] = ()
) -> Iterator[Any]:
    """Record HTTP traffic to the cassette at ``path`` once, then replay it.

    ``record_mode`` defaults to "once", or "none" when ``CI`` is set. Every
    credential a request sends (``Authorization``, API-key headers) is dropped from
    the recorded request and scrubbed by value from every recorded body and header,
    and from vcrpy's own log lines; ``secrets`` are more strings to scrub.

    >>> # with recording("cassettes/my-session.yaml"):
    >>> #     bloom()
    """
    import vcr  # the test extra; imported here so the package does not need it

    credentials = _Credentials(secrets)

    def before_record_request(request: Any) -> Any:
        credentials.learn(request.headers)
        request.body = credentials.body(request.body)
        return request

    def before_record_response(response: dict[str, Any]) -> dict[str, Any]:
        headers = response.get("headers", {})
        for name in list(headers):
            if _DROPPED_HEADER.search(name):
                del headers[name]
            elif isinstance(headers[name], list):  # a server may echo a token in any header
                headers[name] = [credentials.body(value) for value in headers[name]]
        body = response.get("body", {})
        if "string" in body:
            body["string"] = credentials.body(body["string"])
        return response

    mode = record_mode or ("none" if os.environ.get("CI") else "once")
    recorder = vcr.VCR(
        record_mode=mode,
        filter_headers=["cookie"],
        before_record_request=before_record_request,
        before_record_response=before_record_response,
        match_on=["method", "scheme", "host", "port", "path", "query", "body"],
        decode_compressed_response=True,
    )
    scrubbed = _ScrubbedLog(credentials)
    loggers = [logging.getLogger(name) for name in list(logging.Logger.manager.loggerDict) if name.startswith("vcr")]
    for logger in loggers:
        logger.addFilter(scrubbed)
    try:
        with recorder.use_cassette(str(Path(path))) as cassette:
            yield cassette
    finally:
        for logger in loggers:
            logger.removeFilter(scrubbed)
