"""Reading a completion answer, whole or streamed: the part every HTTP protocol shares.

The Hugging Face wire and OpenAI's completions wire differ in their bodies and
events, not in how an answer is read. What is the same lives here, once:

- an answer whose status is not 2xx is the protocol's typed error, from the start
  of its body (``http.read_error_body``);
- a streamed request answered with anything but an event stream is read whole as
  JSON and passed on as one piece: a server that ignores ``stream``, or a proxy's
  HTML page, which then fails as the ``ResponseError`` it is rather than as a stream
  cut short;
- each event's data goes to the protocol's ``Reader``, which returns the text it
  carries (or raises the typed error an error event means) and says when the final
  event has come; a stream that ends before it is a ``TransportError``;
- after the final event the rest of the body is read, so that the connection goes
  back to the pool (a failure there costs nothing: the answer is complete);
- a stream that goes on past ``max_new_tokens`` (each piece is at most one token)
  is cut, a ``TransportError``;
- any error raised on the way carries the text received so far in ``.partial``, and
  the response is closed whatever happens, also when the caller abandons the stream.

What a body or an event means is each protocol's ``Reader``; this module never
looks inside one.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Mapping
from typing import Any

from complete.errors import CompleteError, TransportError
from complete.transports.http import edge as http
from complete.transports.http.sse import iter_events
from complete.values.generation import Generation
from complete.values.params import Params

__all__ = ["EXTRA_PIECES", "Reader", "read_side_route", "read_stream", "read_whole"]

EXTRA_PIECES = 8
"""Pieces a stream may send beyond ``max_new_tokens`` (one token each, at most)
before it is cut: room for a server's closing pieces, none for an endless stream."""


class Reader:
    """What one protocol says about one answer; each protocol's reader extends it.

    ``final_event`` names the event that ends a stream, for the error when it never
    comes; ``finished`` is true once ``event`` has seen it. The transport says how
    its errors map: ``refused`` for an answer whose status is not 2xx, ``failed``
    for an error carried in a 2xx body or an event (its message and the decoded
    error object).
    """

    final_event = "event"

    def __init__(
        self,
        params: Params,
        *,
        model: str | None,
        url: str,
        refused: Callable[[http.Response, bytes], CompleteError],
        failed: Callable[[str, Mapping[str, Any]], CompleteError],
    ) -> None:
        self.params = params
        self.model = model
        self.url = url
        self._refused = refused
        self._failed = failed

    @property
    def finished(self) -> bool:
        raise NotImplementedError

    def refused(self, response: http.Response, body: bytes) -> CompleteError:
        """The typed error for a non-2xx answer whose body starts with ``body``."""
        return self._refused(response, body)

    def whole(self, data: Any, body: bytes, response: http.Response) -> Generation:
        """The generation in a JSON answer: ``data`` decoded from ``body``."""
        raise NotImplementedError

    def event(self, data: str) -> str:
        """The text one event's data carries ("" for none); raises for an error event."""
        raise NotImplementedError

    def ended_early(self, events: int) -> None:
        """Called when a stream ends before its final event, after ``events`` events;
        may raise a better error than the cut stream."""

    def final(self, text: str) -> Generation:
        """The generation of a finished stream whose pieces joined are ``text``."""
        raise NotImplementedError


def read_side_route(
    response: http.Response, *, url: str, refused: Callable[[http.Response, bytes], CompleteError]
) -> Any:
    """The decoded JSON answer of a side route (tokenize, info, props), or None when
    the server has no such route (404, 405)."""
    body = http.read_body(response)
    if response.status_code in (404, 405):
        return None
    if not 200 <= response.status_code < 300:
        raise refused(response, body)
    return http.parse_json(body, url=url)


def read_whole(response: http.Response, reader: Reader, *, url: str) -> Generation:
    """The generation in a whole (not streamed) answer."""
    if not 200 <= response.status_code < 300:
        raise reader.refused(response, http.read_error_body(response))
    body = http.read_body(response)
    return reader.whole(http.parse_json(body, url=url), body, response)


def read_stream(response: http.Response, reader: Reader, *, url: str) -> Generator[str, None, Generation]:
    """Yield the text of a streamed answer as it arrives; return its ``Generation``.

    When the final generation's text goes on beyond the pieces (a protocol whose
    token texts do not add up to its decoded text), the rest is yielded too.
    """
    pieces: list[str] = []
    try:
        content_type = response.headers.get("Content-Type", "")
        if not 200 <= response.status_code < 300 or (content_type and "event-stream" not in content_type):
            generation = read_whole(response, reader, url=url)
            pieces.append(generation.text)
            if generation.text:
                yield generation.text
            return generation
        events = iter_events(http.iter_body(response))
        count = 0
        for event in events:
            count += 1
            piece = reader.event(event.data)
            if piece:
                if len(pieces) >= reader.params.max_new_tokens + EXTRA_PIECES:
                    raise TransportError(
                        f"the stream from {url} went on past max_new_tokens={reader.params.max_new_tokens} "
                        f"({len(pieces)} pieces arrived); it was cut there"
                    )
                pieces.append(piece)
                yield piece
            if reader.finished:
                break
        if not reader.finished:
            reader.ended_early(count)
            received = "" if count else " (no event at all was received)"
            raise TransportError(f"the stream from {url} ended before its final {reader.final_event}{received}")
        try:
            for _ in events:
                pass
        except CompleteError:
            pass
        text = "".join(pieces)
        generation = reader.final(text)
        if generation.text.startswith(text) and len(generation.text) > len(text):
            rest = generation.text[len(text) :]
            pieces.append(rest)
            yield rest
        return generation
    except CompleteError as error:
        error.partial = "".join(pieces)
        raise
    finally:
        response.close()
