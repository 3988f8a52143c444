"""Every error ``complete`` raises on purpose, in one shallow tree.

Each class means one thing a caller may want to handle differently::

    CompleteError
     +-- ParamsError            bad parameter, raised before any I/O (also a ValueError)
     +-- AuthError              no token found, or 401/403; says where tokens are looked for
     +-- APIError               the server said no; .status, .message (the server's own words)
     |    +-- ModelNotFoundError      404 / model not served
     |    +-- ModelLoadingError       503 while the model loads; .estimated_time
     |    +-- RateLimitError          429; .retry_after
     |    +-- ContextLimitError       prompt + max_new_tokens over the model's window
     +-- ResponseError          a body that is not what the protocol promises (kept in .body)
     +-- TransportError         connection refused, DNS, timeout, stream cut short
     +-- LocalModelError        the engine missing (with the install command), bad GGUF
     +-- StoryFormatError       a saved story or import file that cannot be read (also a
                                ValueError); names the file and the field

Two names of the original project stay, as aliases (the same classes, so that
``except CompletionError`` catches exactly what it caught there and no second tree
exists): ``CompletionError`` is ``APIError`` (an error the server reported) and
``UnexpectedResponseError`` is ``ResponseError`` (a response not understood).

``StoryFormatError`` is for files: loading a corrupt or future-version file is
neither a parameter nor a server problem, and a caller who loads files wants to
catch exactly that.

Low-level exceptions (``requests``, ``xllamacpp``, ``json``) are translated once, at
the transport edge, and chained with ``raise ... from exc``; nothing above the
transports sees them, and in IPython they stay behind a short block
(``_render_traceback_``) while remaining reachable as ``__cause__``. Every error
carries ``partial``: the text a stream delivered before it failed, so nothing the
user paid for is lost (empty when there was none).

This module deliberately holds no logic beyond building messages: which status maps
to which class is each transport's business.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "APIError",
    "AuthError",
    "CompleteError",
    "CompletionError",
    "ContextLimitError",
    "LocalModelError",
    "ModelLoadingError",
    "ModelNotFoundError",
    "ParamsError",
    "RateLimitError",
    "ResponseError",
    "StoryFormatError",
    "TransportError",
    "UnexpectedResponseError",
]


class CompleteError(Exception):
    """Base class of every error raised by ``complete``.

    ``partial`` holds text a streamed call received before the failure.
    """

    partial: str = ""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        if self.partial:
            return f"{self.message} (kept {len(self.partial)} characters received before the failure in .partial)"
        return self.message

    def _render_traceback_(self) -> list[str]:
        """IPython's hook for custom traceback rendering: in a notebook an error is a
        short block (class, message, what to do, how to see more), not pages of
        library frames; see ``complete.display.tracebacks``."""
        from complete.display.tracebacks import rendered

        return rendered(self)


class ParamsError(CompleteError, ValueError):
    """A parameter was wrong; raised before any network call or model load.

    >>> str(ParamsError(field="top_p", value=1.5, allowed="a number with 0 < top_p <= 1"))
    'top_p=1.5 is not allowed: expected a number with 0 < top_p <= 1'
    """

    def __init__(self, *, field: str, value: Any, allowed: str, hint: str = "") -> None:
        self.field = field
        self.value = value
        self.allowed = allowed
        text = f"{field}={_shown(value)} is not allowed: expected {allowed}"
        if hint:
            text = f"{text}. {hint}"
        super().__init__(text)


def _shown(value: Any, limit: int = 200) -> str:
    """``repr(value)``, cut at ``limit`` characters: a bad value may be a 5 MB string
    or a 5,000-digit int."""
    try:
        text = repr(value)
    except ValueError:  # an int too long for str() (sys.set_int_max_str_digits)
        return f"<an int of {value.bit_length()} bits>"
    return text if len(text) <= limit else text[:limit] + "…"


class AuthError(CompleteError):
    """No usable credentials, or the server answered 401/403.

    ``status`` is None when no request was made (for example, an unreadable token file).
    """

    def __init__(self, message: str, *, status: int | None = None) -> None:
        self.status = status
        super().__init__(message)


class APIError(CompleteError):
    """The server answered with an error; ``message`` is the server's own words."""

    def __init__(self, *, status: int | None, message: str, hint: str = "") -> None:
        self.status = status
        self.server_message = message
        self.hint = hint
        prefix = f"HTTP {status}: " if status is not None else ""
        text = f"{prefix}{message}"
        if hint:
            text = f"{text}\n{hint}"
        super().__init__(text)


class ModelNotFoundError(APIError):
    """The model does not exist there, or that server does not serve it."""


class ModelLoadingError(APIError):
    """The model is still loading (HTTP 503); try again after ``estimated_time`` seconds."""

    def __init__(
        self, *, status: int | None = 503, message: str, estimated_time: float | None = None, hint: str = ""
    ) -> None:
        self.estimated_time = estimated_time
        super().__init__(status=status, message=message, hint=hint)


class RateLimitError(APIError):
    """Too many requests (HTTP 429, or an overloaded server); wait ``retry_after`` seconds."""

    def __init__(
        self, *, status: int | None = 429, message: str, retry_after: float | None = None, hint: str = ""
    ) -> None:
        self.retry_after = retry_after
        super().__init__(status=status, message=message, hint=hint)


class ContextLimitError(APIError):
    """The prompt plus ``max_new_tokens`` does not fit the model's window.

    ``limit`` is the window size in tokens and ``prompt_tokens`` the prompt's length,
    when the server or model says them.
    """

    def __init__(
        self,
        *,
        status: int | None = None,
        message: str,
        limit: int | None = None,
        prompt_tokens: int | None = None,
        hint: str = "",
    ) -> None:
        self.limit = limit
        self.prompt_tokens = prompt_tokens
        super().__init__(status=status, message=message, hint=hint)


class ResponseError(CompleteError):
    """The server answered, but not in the shape its protocol promises; ``body`` keeps it."""

    def __init__(self, message: str, *, body: str | bytes = "") -> None:
        self.body = body
        super().__init__(message)


CompletionError = APIError
"""The original project's name for an error the server reported: ``APIError`` itself."""

UnexpectedResponseError = ResponseError
"""The original project's name for a response it did not understand: ``ResponseError`` itself."""


class TransportError(CompleteError):
    """The request did not complete: refused, DNS, timeout, or a stream cut short."""


class LocalModelError(CompleteError):
    """The local model cannot run: the engine missing, model file missing or bad."""


class StoryFormatError(CompleteError, ValueError):
    """A story file or dictionary cannot be read; says which file and which field."""
