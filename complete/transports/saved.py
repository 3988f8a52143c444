"""A transport rebuilt from a saved session's ``backend`` block, trusting nothing in it.

A session file can come from anyone (a story shared by a friend, a download), so its
``backend`` block is read as untrusted input: only the fields the library itself
writes (each transport's ``describe()``) are taken, each checked for its type and
range, and anything else, credentials (``token``, ``api_key``), extra request bodies
(``extra_body``), timeouts, unknown names, is a ``StoryFormatError`` naming the field
(``backend.api_key: ...``). Nothing from the file decides what credential is sent:
a token found in the environment goes only to Hugging Face's own hosts
(``credentials.hugging_face_host``), an API key only when the writer passes one now,
and ``rebuild`` says where the rebuilt transport will send its requests before the
first of them, with the sentence it returns beside the transport.

A block naming a backend this version does not rebuild (a test double's class
name, a newer backend) is checked only for being a JSON object; ``rebuild`` returns
None for it and the caller makes the default choice, and says so.

What this module deliberately does not do: contact any server, or read a token.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from complete.errors import ParamsError, StoryFormatError, _shown
from complete.transports.base import Transport

__all__ = ["MAX_N_CTX", "SAVED_FIELDS", "check_backend", "rebuild"]

MAX_N_CTX = 1 << 20
"""The largest window a saved local model may ask for, in tokens (a million)."""

Check = Callable[[str, object], object]


def _text(place: str, value: object) -> object:
    if not isinstance(value, str) or not value or len(value) > 2000:
        raise StoryFormatError(f"{place}: expected a non-empty string, found {_kind(value)}")
    return value


def _optional_text(place: str, value: object) -> object:
    return None if value is None else _text(place, value)


def _address(place: str, value: object) -> object:
    if value is None:
        return None
    if not isinstance(value, str) or not value.startswith(("http://", "https://")) or len(value) > 2000:
        raise StoryFormatError(f"{place}: expected an http:// or https:// address, found {_kind(value)}")
    return value


def _server(place: str, value: object) -> object:
    from complete.transports.openai.wire import DIALECTS

    if value is not None and value not in DIALECTS:
        raise StoryFormatError(
            f"{place}: expected one of {', '.join(map(repr, DIALECTS))} or null, found {_kind(value)}"
        )
    return value


def _n_ctx(place: str, value: object) -> object:
    if value is not None and (not isinstance(value, int) or isinstance(value, bool) or not 16 <= value <= MAX_N_CTX):
        raise StoryFormatError(f"{place}: expected an integer from 16 to {MAX_N_CTX} or null, found {_kind(value)}")
    return value


def _flag(place: str, value: object) -> object:
    if not isinstance(value, bool):
        raise StoryFormatError(f"{place}: expected true or false, found {_kind(value)}")
    return value


SAVED_FIELDS: dict[str, dict[str, Check]] = {
    "hf": {
        "model": _text,
        "endpoint": _address,
        "base_url": _address,
        "provider": _optional_text,
        "hub_url": _address,
        "router_url": _address,
    },
    "openai": {"base_url": _address, "model": _optional_text, "server": _server},
    "local": {"path": _optional_text, "n_ctx": _n_ctx, "allow_eos": _flag},
}
"""Per backend, the fields its ``describe()`` writes, and their checks."""


def check_backend(block: object) -> dict[str, Any]:
    """``block`` when it holds only what the library writes, each field valid.

    >>> check_backend({"backend": "openai", "base_url": "http://127.0.0.1:8080/v1", "api_key": "sk-x"})
    Traceback (most recent call last):
    complete.errors.StoryFormatError: backend.api_key: a saved backend holds no credentials and no request \
settings; 'openai' has base_url, model, server
    """
    if not isinstance(block, Mapping):
        raise StoryFormatError(f"backend: expected an object, found {type(block).__name__}")
    name = block.get("backend")
    if name not in SAVED_FIELDS:
        return dict(block)  # not rebuilt: kept for what it says
    fields = SAVED_FIELDS[name]
    out: dict[str, Any] = {"backend": name}
    for key, value in block.items():
        if key == "backend":
            continue
        if key not in fields:
            raise StoryFormatError(
                f"backend.{str(key)[:80]}: a saved backend holds no credentials and no request settings; "
                f"{name!r} has {', '.join(fields)}"
            )
        out[key] = fields[key](f"backend.{key}", value)
    return out


def rebuild(block: Mapping[str, Any], *, token: str | None = None) -> tuple[Transport, str] | None:
    """The transport ``block`` describes (checked by ``check_backend``), and the sentence
    saying where it sends requests; None for a backend this version does not rebuild.

    ``token`` is the writer's own credential for it (a Hugging Face token, or an
    OpenAI-compatible server's API key); none from the file is ever used.
    """
    from complete.transports.retrying import RetryingTransport

    settings = check_backend(block)
    name = settings.pop("backend", None)
    try:
        if name == "hf":
            from complete.transports.hf.inference import HFInference

            hf = HFInference(token=token, **settings)
            where = hf.endpoint or hf.base_url or f"Hugging Face Inference Providers ({hf.hub_url or 'the Hub'})"
            sent = f"token from {hf.token_source}" if hf.token_source else "no token is sent"
            return RetryingTransport(hf), f"complete: the saved session's backend is {where} ({sent})."
        if name == "openai":
            from complete.transports.openai.completions import OpenAICompletions

            openai = OpenAICompletions(api_key=token, **settings)
            sent = "with the API key given" if token else "no API key is sent"
            reason = f"complete: the saved session's backend is the server at {openai.base_url} ({sent})."
            return RetryingTransport(openai), reason
        if name == "local":
            from complete.transports.local.engine import LocalModel

            local = LocalModel(**settings)
            model = f"the local model {Path(local.path).name}" if local.path else "the embedded model"
            return local, f"complete: the saved session's backend is {model}."
    except ParamsError as exc:
        raise StoryFormatError(f"backend.{exc.field}: {exc}") from exc
    return None


def _kind(value: object) -> str:
    shown = _shown(value, limit=81)
    return shown if len(shown) <= 80 else f"a long {type(value).__name__}"
