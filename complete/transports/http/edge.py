"""The HTTP edge shared by the server transports: requests in, bytes or typed errors out.

Everything that touches ``requests``/``urllib3`` lives here (and in ``pools``, which
``post`` sends through for the sessions ``new_session`` makes), so that low-level
exceptions are translated in one place, bodies are read with a size cap, and
redirects are never followed (a token is not sent on). Deliberately not done:
cookies, a session's ``auth`` or a ``.netrc`` (the token goes in the header), or any
protocol's bodies (``server_errors`` and ``answers`` read those).
"""

from __future__ import annotations

import json
import socket
from collections.abc import Generator, Mapping
from typing import Any, Protocol
from urllib.parse import urlsplit

import requests
import urllib3.exceptions
from requests.adapters import HTTPAdapter

from complete.errors import ResponseError, TransportError
from complete.transports import deadline, status
from complete.transports.http import pools

__all__ = [
    "DEFAULT_TIMEOUT",
    "ERROR_BODY_BYTES",
    "EXCERPT_CHARS",
    "MAX_BODY_BYTES",
    "Response",
    "connection_advice",
    "headers",
    "iter_body",
    "json_or_none",
    "new_session",
    "parse_json",
    "post",
    "read_body",
    "read_error_body",
]

DEFAULT_TIMEOUT: tuple[float, float] = (10.0, 300.0)
"""Seconds to connect, and to wait for each read: a large model can think for minutes."""

MAX_BODY_BYTES = 16 * 1024 * 1024
ERROR_BODY_BYTES = 256 * 1024
"""How much of an error answer is read: far more than any server's message needs."""
EXCERPT_CHARS = 2000
"""How much of a body an error keeps, or quotes."""


def headers(accept: str, token: str | None) -> dict[str, str]:
    """Request headers: ``Accept``, and ``Authorization: Bearer`` when there is a token.

    >>> headers("application/json", None)
    {'Accept': 'application/json'}
    """
    out = {"Accept": accept}
    if token is not None:
        out["Authorization"] = f"Bearer {token}"
    return out


class Response(Protocol):
    """What the transports read of an answer: ``post`` returns requests' ``Response``
    for a session that is not from ``new_session``, and a lighter one otherwise."""

    @property
    def status_code(self) -> int: ...
    @property
    def reason(self) -> str | None: ...
    @property
    def url(self) -> str: ...
    @property
    def headers(self) -> Mapping[str, str]: ...
    @property
    def raw(self) -> Any: ...  # urllib3's response, or vcrpy's stand-in for it
    def close(self) -> None: ...


def new_session(pool_size: int = 32) -> requests.Session:
    """A session whose pool holds ``pool_size`` connections per host, which ``post``
    sends through directly (``complete.transports.http.pools``)."""
    session = pools.PooledSession()
    adapter = HTTPAdapter(pool_connections=4, pool_maxsize=pool_size)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


def post(
    session: requests.Session,
    url: str,
    body: Mapping[str, Any],
    *,
    headers: Mapping[str, str],
    timeout: float | tuple[float, float],
    method: str = "POST",
    name: str | None = None,
) -> Response:
    """Send ``body`` as JSON (``method`` GET sends none); the response is left unread.
    ``name`` says what answers at ``url``, for the waiting line.

    A request that fails on a kept-alive connection from the pool before any byte of
    an answer arrived is sent once more, on a fresh connection: servers close idle
    connections when they like (llama.cpp's server closes one after every streamed
    answer), and the client may reuse one in the instant before it notices. The
    request never reached the server's handler then, so sending it again is safe. A
    fresh connection that fails is reported, not retried.

    Reports that it waits for the host (``complete.transports.status``) to whatever display is
    listening, until the answer's first text reaches it.
    """
    status.report(status.Status.waiting_for(url, name))
    timeout = deadline.capped(timeout, url)
    try:
        way = pools.route(session, url)
    except (requests.RequestException, urllib3.exceptions.HTTPError, OSError, ValueError) as exc:
        raise TransportError(f"request to {url} failed: {_reason(exc)}") from exc
    pool = way.pool if way is not None else pools.pool_for(session, url)
    deadline.watch_pool(pool)
    reused = pools.next_connection_is_pooled(pool)
    try:
        return _send(session, way, url, body, headers=headers, timeout=timeout, method=method)
    except _ClosedBeforeAnswerError as closed:
        if not reused:
            raise closed.transport_error() from closed.cause
    pools.close_idle_connections(pool)
    timeout = deadline.capped(timeout, url)
    try:
        return _send(session, way, url, body, headers=headers, timeout=timeout, method=method)
    except _ClosedBeforeAnswerError as closed:
        raise closed.transport_error() from closed.cause


class _ClosedBeforeAnswerError(Exception):
    """Connected, but the server (or a proxy) hung up before its status line."""

    def __init__(self, url: str, cause: Exception) -> None:
        super().__init__(url)
        self.url = url
        self.cause = cause

    def transport_error(self) -> TransportError:
        return TransportError(f"the connection to {self.url} was closed before an answer: {_reason(self.cause)}")


def _send(
    session: requests.Session,
    way: pools.Route | None,
    url: str,
    body: Mapping[str, Any],
    *,
    headers: Mapping[str, str],
    timeout: float | tuple[float, float],
    method: str,
) -> Response:
    """One try: through the pool ``way`` names, or ``session.request`` without one."""
    try:
        if way is not None:
            return pools.urlopen(session, way, body, headers=headers, timeout=timeout, method=method)
        return session.request(
            method,
            url,
            json=body if method == "POST" else None,
            headers=dict(headers),
            timeout=timeout,
            stream=True,
            allow_redirects=False,
        )
    except (requests.RequestException, urllib3.exceptions.HTTPError, OSError, ValueError) as exc:
        raise _failure(exc, url, timeout) from exc


_UNCONNECTED = (
    urllib3.exceptions.NewConnectionError,  # refused, or a name that does not resolve
    urllib3.exceptions.SSLError,
    urllib3.exceptions.ProxyError,
    urllib3.exceptions.ClosedPoolError,
    OSError,
)
"""urllib3's errors (with retries off) for a request that found no connection."""


def _failure(exc: Exception, url: str, timeout: float | tuple[float, float]) -> Exception:
    """The error for a try that failed with ``exc``: requests' (``session.request``)
    or urllib3's (``pools.urlopen``). A failure to connect or to hear an answer once
    the call's deadline has passed is the deadline's error."""
    errors = urllib3.exceptions
    from_requests = isinstance(exc, requests.RequestException)
    no_answer = isinstance(exc, (requests.ReadTimeout, errors.ReadTimeoutError))
    slow_connect = isinstance(exc, requests.ConnectTimeout) or (
        isinstance(exc, errors.ConnectTimeoutError) and not isinstance(exc, errors.NewConnectionError)
    )
    closed = isinstance(exc, errors.ProtocolError) or (
        isinstance(exc, requests.ConnectionError) and isinstance(exc.__context__, errors.ProtocolError)
    )
    unconnected = isinstance(exc, requests.ConnectionError) or (not from_requests and isinstance(exc, _UNCONNECTED))
    limit = deadline.current()
    if (no_answer or slow_connect or closed or unconnected) and limit is not None and limit.left() <= 0.05:
        return limit.expired(url, 0)
    if no_answer:
        return TransportError(f"no answer from {url} within {_seconds(timeout, 1)}")
    if slow_connect:
        advice = connection_advice(exc, url)
        return TransportError(f"timed out after {_seconds(timeout, 0)} connecting to {url}\n{advice}")
    if closed:
        return _ClosedBeforeAnswerError(url, exc)
    if unconnected:
        return TransportError(f"could not connect to {url}: {_reason(exc)}\n{connection_advice(exc, url)}")
    return TransportError(f"request to {url} failed: {_reason(exc)}")


def iter_body(response: Response) -> Generator[bytes, None, None]:
    """The body's bytes as they arrive, decoded (gzip, deflate); failures become
    ``TransportError``, and a body that cannot be decoded a ``ResponseError``.

    Under a deadline (``complete.transports.deadline``), a body still arriving when
    it passes is cut: a watchdog hangs up the connection, and the error says how
    long the call waited and how many bytes had come."""
    yield from deadline.watched(response, _read_chunks(response))


def _read_chunks(response: Response) -> Generator[bytes, None, None]:
    """``iter_body`` without a deadline."""
    if isinstance(response, requests.Response) and getattr(response, "_content_consumed", False):
        # requests has read the body already: it does for every redirect, followed or not.
        try:
            if response.content:
                yield response.content
        finally:
            response.close()
        return
    raw = response.raw
    try:
        # vcrpy's replayed (and just-recorded) responses have no ``chunked``: read them plainly.
        if getattr(raw, "chunked", False) and raw.supports_chunked_reads():
            for chunk in raw.read_chunked(decode_content=True):
                if chunk:
                    yield chunk
        else:
            # requests asks servers for gzip and leaves decoding to the reader; vcrpy's
            # replayed responses are not urllib3's and were decoded when recorded.
            decoding = {"decode_content": True} if isinstance(raw, urllib3.HTTPResponse) else {}
            while True:
                chunk = raw.read1(65536, **decoding)
                if not chunk:
                    break
                yield chunk
    except (urllib3.exceptions.ReadTimeoutError, TimeoutError) as exc:
        raise TransportError(f"timed out waiting for more of the response from {response.url}") from exc
    except urllib3.exceptions.DecodeError as exc:
        encoding = response.headers.get("Content-Encoding", "")
        raise ResponseError(f"the response from {response.url} is not valid {encoding or 'encoded'} data") from exc
    except (urllib3.exceptions.HTTPError, OSError, ValueError) as exc:
        raise TransportError(f"the connection to {response.url} was cut while reading the response") from exc
    finally:
        response.close()


def read_body(response: Response, limit: int = MAX_BODY_BYTES) -> bytes:
    """The whole body, at most ``limit`` bytes (a larger one is a ``ResponseError``)."""
    chunks: list[bytes] = []
    size = 0
    for chunk in iter_body(response):
        size += len(chunk)
        if size > limit:
            response.close()
            raise ResponseError(
                f"the response from {response.url} is larger than {limit} bytes; refusing to read it all",
                body=b"".join(chunks)[:EXCERPT_CHARS],
            )
        chunks.append(chunk)
    return b"".join(chunks)


def read_error_body(response: Response, limit: int = ERROR_BODY_BYTES) -> bytes:
    """At most the first ``limit`` bytes of an error answer; the rest is never read
    (the connection is closed instead), so a huge error page keeps its status."""
    chunks: list[bytes] = []
    size = 0
    body = iter_body(response)
    try:
        for chunk in body:
            chunks.append(chunk)
            size += len(chunk)
            if size >= limit:
                break
    finally:
        body.close()  # closes the response
    return b"".join(chunks)[:limit]


def parse_json(body: bytes, *, url: str) -> Any:
    """Decode a UTF-8 JSON body; anything else is a ``ResponseError`` keeping the body."""
    try:
        return json.loads(body.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise ResponseError(f"the response from {url} is not valid UTF-8", body=body[:EXCERPT_CHARS]) from exc
    except ValueError as exc:
        excerpt = body[:200].decode("utf-8", "replace")
        raise ResponseError(
            f"the response from {url} is not valid JSON ({exc.args[0]}): {excerpt!r}", body=body[:EXCERPT_CHARS]
        ) from exc


def json_or_none(body: bytes) -> Any:
    """The decoded JSON of an error body, or None when it is not JSON (errors are
    described from whatever the server sent; see ``server_message``)."""
    try:
        return json.loads(body.decode("utf-8"))
    except (ValueError, RecursionError):
        return None


def connection_advice(exc: BaseException, url: str) -> str:
    """What to do when no connection could be made, from its root cause.

    >>> print(connection_advice(ConnectionRefusedError(111, "refused"), "http://127.0.0.1:8080/v1/completions"))
    Nothing is listening at http://127.0.0.1:8080: start the server, check url=, or write offline with backend="local".
    """
    parts = urlsplit(url)
    causes = _causes(exc)
    if any(isinstance(cause, socket.gaierror) for cause in causes):
        return f"The host name {parts.hostname} does not resolve: check the name in url= and the network connection."
    if any(isinstance(cause, ConnectionRefusedError) for cause in causes):
        return (
            f"Nothing is listening at {parts.scheme}://{parts.netloc}: start the server, check url=, "
            'or write offline with backend="local".'
        )
    return f"Check that {parts.scheme}://{parts.netloc} is reachable from here (the address in url=, the network)."


def _causes(exc: BaseException) -> list[BaseException]:
    """``exc`` and every exception behind it: chained, and urllib3's ``reason``."""
    found: list[BaseException] = []
    waiting: list[object] = [exc]
    while waiting and len(found) < 32:
        cause = waiting.pop()
        if not isinstance(cause, BaseException) or any(cause is seen for seen in found):
            continue
        found.append(cause)
        waiting.extend([cause.__cause__, cause.__context__, getattr(cause, "reason", None), *cause.args])
    return found


def _seconds(timeout: float | tuple[float, float], index: int) -> str:
    return f"{timeout[index]:g}s" if isinstance(timeout, tuple) else f"{timeout:g}s"


def _reason(exc: BaseException) -> str:
    """The root cause in a few words: "[Errno 111] Connection refused", not
    requests' and urllib3's wrappers around it."""
    cause: BaseException = exc
    for _ in range(8):
        inner = getattr(cause, "reason", None)
        if not isinstance(inner, BaseException) and cause.args and isinstance(cause.args[0], BaseException):
            inner = cause.args[0]
        if not isinstance(inner, BaseException) or inner is cause:
            break
        cause = inner
    text = str(cause) or type(cause).__name__
    text = text.split("Failed to establish a new connection: ", 1)[-1]
    if text.startswith(("HTTPConnection(", "HTTPSConnection(")) and "): " in text:
        text = text.split("): ", 1)[1]  # urllib3 names the connection object first
    return text if len(text) < 300 else text[:300] + "…"
