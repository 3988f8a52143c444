"""What a server says when it says no: its own words, and the error class they mean.

Every HTTP transport reads refusals the same way, so this module holds what they
share:

- ``server_message`` pulls the server's own words out of any error body shape
  seen in the wild (JSON ``error`` as string, list or object; ``message``;
  FastAPI's ``detail``; ``X-Error-Message``; plain text; a proxy's HTML page),
  with secrets scrubbed; ``scrubbing`` does the same, on the way out, to every
  error a block raises (a server may echo a token anywhere: a body excerpt, a
  ``Location`` header).
- ``status_error`` maps what is common to every server (401/403, 404, 410, 429,
  503, 3xx) to the error tree; transports refine what is theirs first.
- ``context_limit_error`` recognises a prompt over the model's window in every
  wording and error shape the supported servers use (one table below), with the
  window and the prompt's length when the server says them.

It deliberately knows nothing about any protocol's request or success bodies.
"""

from __future__ import annotations

import contextlib
import email.utils
import html
import json
import re
import time
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from complete.errors import (
    APIError,
    AuthError,
    CompleteError,
    ContextLimitError,
    ModelLoadingError,
    ModelNotFoundError,
    RateLimitError,
    ResponseError,
)
from complete.transports.http.edge import EXCERPT_CHARS, MAX_BODY_BYTES, Response

__all__ = [
    "context_limit_error",
    "json_message",
    "retry_after",
    "scrub",
    "scrub_error",
    "scrubbing",
    "server_message",
    "status_error",
]

# A prompt over the model's window, as each server says it. A message is about the
# window when it holds one of the phrases, or its error object one of the codes;
# the window and the prompt's length are read from the first pattern that matches
# (or from llama-server's n_ctx / n_prompt_tokens fields).
_OVERFLOW_CODES = ("context_length_exceeded", "context_window_exceeded", "exceed_context_size_error")
_OVERFLOW_PHRASES = (
    "maximum context length",  # OpenAI, vLLM, llama-cpp-python
    "exceeds the available context size",  # llama-server
    "exceed context window",  # llama-cpp-python
    "`inputs` tokens + `max_new_tokens` must be",  # TGI, prompt and new tokens together
    "`inputs` must have less than",  # TGI, the prompt alone
)


def _patterns(*texts: str) -> tuple[re.Pattern[str], ...]:
    return tuple(re.compile(text, re.IGNORECASE) for text in texts)


_WINDOW = _patterns(
    r"maximum context length is (\d+)",
    r"available context size \((\d+) tokens\)",
    r"exceed context window of (\d+)",
    r"`max_new_tokens` must be <= (\d+)",
    r"`inputs` must have less than (\d+) tokens",
)
_PROMPT = _patterns(
    r"\((\d+) in your prompt",
    r"\((\d+) in the messages",
    r"your request has (\d+) input tokens",
    r"request \((\d+) tokens\) exceeds",
    r"Requested tokens \((\d+)\)",
    r"Given: (\d+) `inputs` tokens",
    r"must have less than \d+ tokens\. Given: (\d+)",
)


def context_limit_error(
    status: int | None, message: str, fields: Mapping[str, Any] | None = None, *, hint: str
) -> ContextLimitError | None:
    """A ``ContextLimitError`` when ``message`` (or the error object's ``fields``:
    ``code``, ``type``, ``n_ctx``, ``n_prompt_tokens``) says the prompt does not fit
    the model's window; None when it says something else.

    >>> context_limit_error(400, "This model's maximum context length is 1024 tokens (1125 in your prompt)",
    ...                     hint="").limit
    1024
    """
    found = fields or {}
    said = {found.get("code"), found.get("type")}
    lowered = message.lower()
    if not (said & set(_OVERFLOW_CODES) or any(phrase.lower() in lowered for phrase in _OVERFLOW_PHRASES)):
        return None
    return ContextLimitError(
        status=status,
        message=message,
        limit=_positive(found.get("n_ctx")) or _search(_WINDOW, message),
        prompt_tokens=_positive(found.get("n_prompt_tokens")) or _search(_PROMPT, message),
        hint=hint,
    )


def _positive(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None


def _search(patterns: tuple[re.Pattern[str], ...], message: str) -> int | None:
    for pattern in patterns:
        found = pattern.search(message)
        if found:
            return int(found.group(1))
    return None


def scrub(text: str, secrets: Iterable[str | None]) -> str:
    """``text`` with every secret replaced by ``***``, and the start of one cut off by
    an excerpt too (six characters or more, then no more token characters).

    >>> scrub("token hf_abcdefghij and 'hf_abcdef…'", ["hf_abcdefghij"])
    "token *** and '***…'"
    """
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
            if len(secret) > 6:
                starts = "|".join(re.escape(secret[:size]) for size in range(len(secret) - 1, 5, -1))
                text = re.sub(f"(?:{starts})(?![A-Za-z0-9_-])", "***", text)
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


def server_message(response: Response, body: bytes, secrets: Iterable[str | None] = ()) -> str:
    """The server's own explanation of an error, whatever shape it came in."""
    message = _message_from_body(body, response.headers.get("Content-Type", ""))
    header = response.headers.get("X-Error-Message", "")
    if header and header not in message:
        message = f"{header} ({message})" if message else header
    if not message:
        message = response.reason or "no explanation given"
    message = " ".join(message.split()) if "\n" not in message.strip() else message.strip()
    message = scrub(message, secrets)  # before the cut, which could leave the start of a secret
    if len(message) > EXCERPT_CHARS:
        message = message[:EXCERPT_CHARS] + "…"
    return message


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


def estimated_time(data: object) -> float | None:
    """A loading model's ``estimated_time`` (seconds) in a decoded error body, if any
    (Hugging Face's servers and its router say it, on either wire).

    >>> estimated_time({"error": "Model is loading", "estimated_time": 20.5}), estimated_time([1])
    (20.5, None)
    """
    value = data.get("estimated_time") if isinstance(data, dict) else None
    if isinstance(value, int | float) and not isinstance(value, bool) and 0 <= value <= 86400:
        return float(value)
    return None


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
