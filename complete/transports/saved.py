"""A transport rebuilt from a saved session's ``backend`` block, trusting nothing in it.

A session file can come from anyone (a story shared by a friend, a download), so its
``backend`` block is read as untrusted input: only the fields the library itself
writes (each transport's ``describe()``, as its entry in the table of backends
lists them: ``Backend.saved``) are taken, each checked for its type and
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

from collections.abc import Mapping
from typing import Any

from complete.errors import ParamsError, StoryFormatError
from complete.transports import backends
from complete.transports.entry import Choice

__all__ = ["check_backend", "rebuild"]


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
    entry = backends.entry(name)
    if entry is None or entry.rebuild is None:
        return dict(block)  # not rebuilt: kept for what it says
    out: dict[str, Any] = {"backend": name}
    for key, value in block.items():
        if key == "backend":
            continue
        if key not in entry.saved:
            raise StoryFormatError(
                f"backend.{str(key)[:80]}: a saved backend holds no credentials and no request settings; "
                f"{name!r} has {', '.join(entry.saved)}"
            )
        out[key] = entry.saved[key](f"backend.{key}", value)
    return out


def rebuild(block: Mapping[str, Any], *, token: str | None = None) -> Choice | None:
    """The transport ``block`` describes (checked by ``check_backend``), with the sentence
    saying where it sends requests; None for a backend this version does not rebuild.

    ``token`` is the writer's own credential for it (a Hugging Face token, or an
    OpenAI-compatible server's API key); none from the file is ever used.
    """
    settings = check_backend(block)
    entry = backends.entry(settings.pop("backend", None))
    if entry is None or entry.rebuild is None:
        return None
    try:
        return entry.rebuild(settings, token)
    except ParamsError as exc:
        raise StoryFormatError(f"backend.{exc.field}: {exc}") from exc
