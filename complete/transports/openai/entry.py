"""The OpenAI-compatible servers' entry in the table of backends: "openai".

Any ``/v1/completions`` server at ``url=`` (default ``OpenAICompletions.DEFAULT_URL``).
``server=`` names its dialect ("vllm", "llama.cpp", "tgi", "ollama", "openai"), so
that the samplers it takes are sent (left out, the server is asked once);
``token=`` is its API key, when it wants one: never read from the environment, nor
from a saved session, so that a key is not sent to whatever server ``url=`` names.
Wrapped in ``RetryingTransport``. Nothing heavy is imported until it is built.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from complete.errors import StoryFormatError
from complete.transports import saved_fields as fields
from complete.transports.entry import Backend, Choice, Keywords

__all__ = ["OPENAI"]


def _dialects() -> Sequence[str]:
    from complete.transports.openai.wire import DIALECTS

    return tuple(DIALECTS)


def _server(place: str, value: object) -> object:
    dialects = _dialects()
    if value is not None and value not in dialects:
        raise StoryFormatError(
            f"{place}: expected one of {', '.join(map(repr, dialects))} or null, found {fields.kind(value)}"
        )
    return value


def _build(keywords: Keywords) -> Choice:
    from complete.transports.openai.completions import OpenAICompletions
    from complete.transports.retrying import RetryingTransport

    url, server, key = keywords.url or OpenAICompletions.DEFAULT_URL, keywords.server, keywords.token
    api_key = key if isinstance(key, str) and key else None  # False: none
    inner = OpenAICompletions(url, model=keywords.model, api_key=api_key, server=server)
    kind = f"the {server} server" if server else "the OpenAI-compatible server"
    return Choice(RetryingTransport(inner), f"complete: using {kind} at {inner.base_url}.")


def _rebuild(settings: dict[str, Any], token: str | None) -> Choice:
    from complete.transports.openai.completions import OpenAICompletions
    from complete.transports.retrying import RetryingTransport

    openai = OpenAICompletions(api_key=token, **settings)
    sent = "with the API key given" if token else "no API key is sent"
    reason = f"complete: the saved session's backend is the server at {openai.base_url} ({sent})."
    return Choice(RetryingTransport(openai), reason)


OPENAI = Backend(
    name="openai",
    takes={"model", "url", "token", "server"},
    build=_build,
    saved={"base_url": fields.address, "model": fields.optional_text, "server": _server},
    rebuild=_rebuild,
    choices={"server": _dialects},
)
