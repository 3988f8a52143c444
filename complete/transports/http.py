"""The HTTP edge shared by the server transports: requests in, typed errors out.

Everything that touches ``requests``/``urllib3`` for the Hugging Face and
OpenAI-compatible transports lives here, so that low-level exceptions are
translated in exactly one place:

- ``new_session`` makes the one ``requests.Session`` (one connection pool) a
  transport reuses for every request, with a pool large enough for
  ``complete_many``.
- ``post`` sends one JSON request with a timeout, never follows redirects (a
  token is not sent on to another address; the error names the new location), and
  maps connection failures and timeouts to ``TransportError``.
- ``iter_body`` yields the body as it arrives (chunk by chunk for chunked
  responses, as soon as bytes are readable otherwise), and ``read_body`` collects
  it with a size cap, so a gigantic or endless body cannot exhaust memory.
  ``read_error_body`` reads only the start of an error answer: the status and the
  server's first words are what matter, even when the page behind them is huge.
- ``server_message`` pulls the server's own words out of any error body shape
  seen in the wild (JSON ``error`` as string, list or object; ``message``;
  FastAPI's ``detail``; ``X-Error-Message``; plain text; a proxy's HTML page),
  with secrets scrubbed; ``scrubbing`` does the same, on the way out, to every
  error a block raises (a server may echo a token anywhere: a body excerpt, a
  ``Location`` header).
- ``status_error`` maps what is common to every server (401/403, 404, 410, 429,
  503, 3xx) to the error tree; transports refine what is theirs first.

It deliberately knows nothing about any protocol's request or success bodies.
"""

from __future__ import annotations

import contextlib
import email.utils
import html
import json
import re
import socket
import time
from collections.abc import Generator, Iterable, Iterator, Mapping
from typing import Any
from urllib.parse import urlsplit

import requests
import urllib3.exceptions
from requests.adapters import HTTPAdapter

from complete import status
from complete.errors import (
    APIError,
    AuthError,
    CompleteError,
    ModelLoadingError,
    ModelNotFoundError,
    RateLimitError,
    ResponseError,
    TransportError,
)

__all__ = [
    "DEFAULT_TIMEOUT",
    "ERROR_BODY_BYTES",
    "MAX_BODY_BYTES",
    "connection_advice",
    "iter_body",
    "json_or_none",
    "new_session",
    "parse_json",
    "post",
    "read_body",
    "read_error_body",
    "retry_after",
    "scrub",
    "scrub_error",
    "scrubbing",
    "server_message",
    "status_error",
]

DEFAULT_TIMEOUT: tuple[float, float] = (10.0, 300.0)
"""Seconds to connect, and to wait for each read: a large model can think for minutes."""

MAX_BODY_BYTES = 16 * 1024 * 1024
ERROR_BODY_BYTES = 256 * 1024
"""How much of an error answer is read: far more than any server's message needs."""
_MESSAGE_CHARS = 2000


def new_session(pool_size: int = 32) -> requests.Session:
    """A session whose pool holds ``pool_size`` connections per host."""
    session = requests.Session()
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
) -> requests.Response:
    """Send ``body`` as JSON; the response is left unread (``stream=True``).

    Reports that it waits for the host (``complete.status``) to whatever display
    is listening, until the answer's first text reaches it."""
    status.report(status.Status.waiting_for(url))
    try:
        return session.request(
            method,
            url,
            json=body if method == "POST" else None,
            headers=dict(headers),
            timeout=timeout,
            stream=True,
            allow_redirects=False,
        )
    except requests.ConnectTimeout as exc:
        raise TransportError(
            f"timed out after {_seconds(timeout, 0)} connecting to {url}\n{connection_advice(exc, url)}"
        ) from exc
    except requests.ReadTimeout as exc:
        raise TransportError(f"no answer from {url} within {_seconds(timeout, 1)}") from exc
    except requests.ConnectionError as exc:
        if isinstance(exc.__context__, urllib3.exceptions.ProtocolError):
            # Connected, but the server (or a proxy) hung up before its status line.
            raise TransportError(f"the connection to {url} was closed before an answer: {_reason(exc)}") from exc
        raise TransportError(f"could not connect to {url}: {_reason(exc)}\n{connection_advice(exc, url)}") from exc
    except requests.RequestException as exc:
        raise TransportError(f"request to {url} failed: {_reason(exc)}") from exc


def iter_body(response: requests.Response) -> Generator[bytes, None, None]:
    """The body's bytes as they arrive, decoded (gzip, deflate); failures become
    ``TransportError``, and a body that cannot be decoded a ``ResponseError``."""
    if getattr(response, "_content_consumed", False):
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


def read_body(response: requests.Response, limit: int = MAX_BODY_BYTES) -> bytes:
    """The whole body, at most ``limit`` bytes (a larger one is a ``ResponseError``)."""
    chunks: list[bytes] = []
    size = 0
    for chunk in iter_body(response):
        size += len(chunk)
        if size > limit:
            response.close()
            raise ResponseError(
                f"the response from {response.url} is larger than {limit} bytes; refusing to read it all",
                body=b"".join(chunks)[:_MESSAGE_CHARS],
            )
        chunks.append(chunk)
    return b"".join(chunks)


def read_error_body(response: requests.Response, limit: int = ERROR_BODY_BYTES) -> bytes:
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
        raise ResponseError(f"the response from {url} is not valid UTF-8", body=body[:_MESSAGE_CHARS]) from exc
    except ValueError as exc:
        excerpt = body[:200].decode("utf-8", "replace")
        raise ResponseError(
            f"the response from {url} is not valid JSON ({exc.args[0]}): {excerpt!r}", body=body[:_MESSAGE_CHARS]
        ) from exc


def json_or_none(body: bytes) -> Any:
    """The decoded JSON of an error body, or None when it is not JSON (errors are
    described from whatever the server sent; see ``server_message``)."""
    try:
        return json.loads(body.decode("utf-8"))
    except (ValueError, RecursionError):
        return None


def scrub(text: str, secrets: Iterable[str | None]) -> str:
    """``text`` with every secret replaced by ``***``."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text


def scrub_error(error: CompleteError, secrets: Iterable[str | None]) -> CompleteError:
    """``error`` with every secret replaced by ``***`` wherever it keeps text from the
    server: its message and args, an ``APIError``'s words and hint, a
    ``ResponseError``'s body."""
    hidden = [secret for secret in secrets if secret]
    if not hidden:
        return error
    error.message = scrub(error.message, hidden)
    error.args = tuple(scrub(arg, hidden) if isinstance(arg, str) else arg for arg in error.args)
    if isinstance(error, APIError):
        error.server_message = scrub(error.server_message, hidden)
        error.hint = scrub(error.hint, hidden)
    if isinstance(error, ResponseError):
        body = error.body
        if isinstance(body, str):
            error.body = scrub(body, hidden)
        else:
            for secret in hidden:
                body = body.replace(secret.encode("utf-8"), b"***")
            error.body = body
    return error


@contextlib.contextmanager
def scrubbing(*secrets: str | None) -> Iterator[None]:
    """Scrub ``secrets`` from any ``CompleteError`` the block raises (see ``scrub_error``).

    Works around a generator's body too: what the generator raises is scrubbed.
    """
    try:
        yield
    except CompleteError as error:
        scrub_error(error, secrets)
        raise


def server_message(response: requests.Response, body: bytes, secrets: Iterable[str | None] = ()) -> str:
    """The server's own explanation of an error, whatever shape it came in."""
    message = _message_from_body(body, response.headers.get("Content-Type", ""))
    header = response.headers.get("X-Error-Message", "")
    if header and header not in message:
        message = f"{header} ({message})" if message else header
    if not message:
        message = response.reason or "no explanation given"
    message = " ".join(message.split()) if "\n" not in message.strip() else message.strip()
    if len(message) > _MESSAGE_CHARS:
        message = message[:_MESSAGE_CHARS] + "…"
    return scrub(message, secrets)


def json_message(data: object) -> str:
    """The message inside a decoded JSON error body, or "" when there is none."""
    if isinstance(data, list) and data:
        return json_message(data[0]) if isinstance(data[0], dict) else "; ".join(map(str, data))
    if not isinstance(data, dict):
        return ""
    error = data.get("error")
    if isinstance(error, str):
        return error
    if isinstance(error, list):
        return "; ".join(str(item) for item in error)
    if isinstance(error, dict):
        inner = error.get("message")
        return inner if isinstance(inner, str) else json.dumps(error)
    if isinstance(data.get("message"), str):
        return str(data["message"])
    detail = data.get("detail")
    if isinstance(detail, str):
        return detail
    if isinstance(detail, list):
        return "; ".join(_detail_item(item) for item in detail)
    return ""


def _detail_item(item: object) -> str:
    if isinstance(item, dict):
        location = ".".join(str(part) for part in item.get("loc", ()) if part != "body")
        text = str(item.get("msg", item))
        return f"{location}: {text}" if location else text
    return str(item)


def _message_from_body(body: bytes, content_type: str) -> str:
    text = body[:MAX_BODY_BYTES].decode("utf-8", "replace").strip()
    if not text:
        return ""
    if "json" in content_type or text[:1] in "{[":
        try:
            found = json_message(json.loads(text))
        except ValueError:
            found = ""
        if found:
            return found
    if "html" in content_type or text[:1] == "<":
        title = re.search(r"<title[^>]*>(.*?)</title>", text, re.IGNORECASE | re.DOTALL)
        plain = title.group(1) if title else re.sub(r"<[^>]+>", " ", text)
        return "the server answered with an HTML page: " + " ".join(html.unescape(plain).split())[:300]
    return text


def retry_after(headers: Mapping[str, str]) -> float | None:
    """Seconds from a ``Retry-After`` header (seconds or an HTTP date), if any."""
    value = headers.get("Retry-After")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return max(0.0, when.timestamp() - time.time())


def status_error(
    status: int,
    message: str,
    headers: Mapping[str, str],
    *,
    auth_hint: str,
    not_found_hint: str = "",
    estimated_time: float | None = None,
) -> CompleteError:
    """The error-tree class for what every HTTP server means by ``status``."""
    if status in (401, 403):
        return AuthError(f"HTTP {status}: {message}\n{auth_hint}", status=status)
    if status == 404:
        return ModelNotFoundError(status=status, message=message, hint=not_found_hint)
    if status == 429:
        return RateLimitError(status=status, message=message, retry_after=retry_after(headers))
    if status == 503 and estimated_time is not None:
        return ModelLoadingError(status=status, message=message, estimated_time=estimated_time)
    if 300 <= status < 400:
        location = headers.get("Location", "an unnamed address")
        return APIError(
            status=status,
            message=message,
            hint=f"The server redirects to {location}; requests are not followed there. Use that address directly.",
        )
    return APIError(status=status, message=message)


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
