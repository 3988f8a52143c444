"""Server-sent events, parsed by the specification rather than by string slicing.

Both TGI and OpenAI-compatible servers stream with SSE (the WHATWG "event stream"
format). The parts that naive parsers get wrong, and that this one handles:

- lines end in CRLF, LF or a lone CR, and a CRLF may be split across two reads;
- ``data:x`` and ``data: x`` are the same field (one leading space is dropped);
- a line starting with ``:`` is a comment (servers send them as keep-alives);
- an event is dispatched at a blank line, its ``data`` lines joined by newlines,
  and an event whose data is empty is not dispatched;
- an event may arrive split across any number of network reads, and a multi-byte
  UTF-8 character may be split too; bytes that are not UTF-8 are a
  ``ResponseError``;
- an event still incomplete when the stream ends is discarded, as the spec says
  (a UTF-8 character cut by the end of the stream included: the stream was cut,
  the bytes are not invalid); the caller decides whether the stream ended early
  (each protocol has its own final event);
- one byte-order mark at the very start of the stream is dropped, as the spec says.

A single line longer than ``MAX_LINE_CHARS`` is a ``ResponseError``, so a broken
server cannot make the reader hold an endless line in memory.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterable, Iterator

import attrs

from complete.errors import ResponseError

__all__ = ["MAX_LINE_CHARS", "Event", "iter_events"]

MAX_LINE_CHARS = 8 * 1024 * 1024
_END_OF_LINE = re.compile(r"\r\n|\r|\n")


@attrs.frozen
class Event:
    """One dispatched event."""

    data: str
    event: str = "message"
    id: str | None = None


def iter_events(chunks: Iterable[bytes]) -> Iterator[Event]:
    r"""Events from a byte stream, however it was cut into chunks.

    >>> [e.data for e in iter_events([b"data:{\"a\"", b": 1}\r", b"\n\r\n: ping\n\ndata: [DONE]\n\n"])]
    ['{"a": 1}', '[DONE]']
    """
    data: list[str] = []
    event = ""
    last_id: str | None = None
    for line in _lines(chunks):
        if not line:
            if data:
                yield Event("\n".join(data), event or "message", last_id)
            data, event = [], ""
            continue
        if line.startswith(":"):
            continue
        name, colon, value = line.partition(":")
        if colon and value.startswith(" "):
            value = value[1:]
        if name == "data":
            data.append(value)
        elif name == "event":
            event = value
        elif name == "id" and "\0" not in value:
            last_id = value


def _lines(chunks: Iterable[bytes]) -> Iterator[str]:
    decoder = codecs.getincrementaldecoder("utf-8")()
    pending = ""
    scanned = 0  # pending[:scanned] holds no line ending: a long line is searched once, not once per read
    started = False
    for chunk in chunks:
        pending += _decode(decoder, chunk, final=False)
        if not started and pending:
            started = True
            pending = pending.removeprefix("\ufeff")  # the spec drops one leading BOM
        start = 0
        while True:
            match = _END_OF_LINE.search(pending, max(start, scanned))
            # A CR at the very end may be the first half of a CRLF: wait for more.
            if match is None or (match.group() == "\r" and match.end() == len(pending)):
                break
            yield pending[start : match.start()]
            start = match.end()
        pending = pending[start:]
        scanned = len(pending) - 1 if pending.endswith("\r") else len(pending)
        if len(pending) > MAX_LINE_CHARS:
            raise ResponseError(f"an event-stream line is longer than {MAX_LINE_CHARS} characters")
    # Bytes the decoder still holds (a character cut by the end of the stream) belong
    # to an unterminated line, which is discarded like any incomplete event.
    if pending.endswith("\r"):
        yield pending[:-1]


def _decode(decoder: codecs.IncrementalDecoder, chunk: bytes, *, final: bool) -> str:
    try:
        return decoder.decode(chunk, final)
    except UnicodeDecodeError as exc:
        raise ResponseError("the event stream is not valid UTF-8", body=chunk[:2000]) from exc
