"""``requests.Response`` objects made in memory, for tests that read an answer with no server.

The body is unread, as a streamed answer's is: ``iter_content`` and the HTTP edge read
it from ``raw``. For the wire itself (status lines, chunks, connections) use
``tests.helpers.fault_server``.
"""

from __future__ import annotations

import io
from collections.abc import Mapping

import requests
import urllib3

URL = "http://127.0.0.1:9/generate"
"""Where a made answer says it came from, unless told: a port nothing listens on."""


def response(
    body: bytes | io.IOBase = b"",
    *,
    status: int = 200,
    headers: Mapping[str, str] | None = None,
    reason: str = "",
    url: str = URL,
) -> requests.Response:
    """An answer with ``status``, ``headers`` and ``body`` (bytes, or a file to read it from)."""
    made = requests.Response()
    made.status_code = status
    made.reason = reason
    made.url = url
    made.headers = requests.structures.CaseInsensitiveDict(headers or {})
    raw = io.BytesIO(body) if isinstance(body, bytes) else body
    made.raw = urllib3.HTTPResponse(body=raw, headers=dict(made.headers), status=status, preload_content=False)
    return made
