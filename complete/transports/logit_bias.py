"""``Params.logit_bias`` and token ids on the OpenAI-compatible wire.

``wire_value`` writes the bias in each server's form; ``ask_ids`` asks a server that
has a tokenizer route for a text's ids (what makes ``OpenAICompletions`` a
``BansTokens`` transport for ``complete.writing.banning``). Deliberately not done:
sending requests itself (the transport passes its own JSON call in), or biasing
anything on TGI's native API.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

__all__ = ["BAN", "TOKENIZERS", "ask_ids", "tokenize_request", "wire_value"]

BAN = -100.0
"""The bias that bans a token; llama-server is sent ``false`` for it."""

TOKENIZERS = ("llama.cpp", "vllm")
"""The dialects whose servers turn text into token ids here."""


def tokenize_request(dialect: str, root: str, text: str, model: str | None) -> tuple[str, dict[str, Any]]:
    """The URL and body that ask ``dialect``'s server for the ids of ``text``.

    >>> tokenize_request("llama.cpp", "http://127.0.0.1:8080", "Hi", None)
    ('http://127.0.0.1:8080/tokenize', {'content': 'Hi', 'add_special': False})
    """
    if dialect == "llama.cpp":
        return f"{root}/tokenize", {"content": text, "add_special": False}
    body: dict[str, Any] = {"prompt": text, "add_special_tokens": False}
    if model is not None:
        body["model"] = model
    return f"{root}/tokenize", body


def ask_ids(
    dialect: str, root: str, model: str | None, text: str, ask: Callable[[str, dict[str, Any]], dict[str, Any] | None]
) -> list[int] | None:
    """The ids of ``text`` from the server at ``root``, through ``ask(url, body)``
    (a JSON request, None when the route is missing); None for a dialect without
    a tokenizer route, or an answer without ids (llama-server and vLLM say ``tokens``)."""
    if dialect not in TOKENIZERS:
        return None
    data = ask(*tokenize_request(dialect, root, text, model))
    tokens = data.get("tokens") if data else None
    if not isinstance(tokens, list):
        return None
    ids = [token["id"] if isinstance(token, dict) else token for token in tokens]
    return ids if all(isinstance(i, int) and not isinstance(i, bool) for i in ids) else None


def wire_value(
    pairs: tuple[tuple[int | str, float], ...],
    dialect: str,
    token_ids: Callable[[str], list[int] | None],
    left_out: Callable[[str, object], None],
) -> Any:
    """``logit_bias`` as ``dialect`` takes it; ``left_out`` hears of strings that
    could not be turned into ids.

    llama-server (the embedded engine too) takes ``[[token, bias], ...]``, a token
    being an id or a string it tokenizes itself, and ``false`` for "never" (-100 is
    sent so). vLLM and OpenAI take ``{"<id>": bias}``, ids only, -100 .. 100: strings
    become ids through vLLM's ``/tokenize``; OpenAI has no tokenizer route, so they
    are left out there with a one-time warning. TGI and Ollama take no logit bias on
    ``/v1/completions`` (left out, as every sampler a dialect lacks).

    >>> wire_value(((15, -100.0), ("Hi", 2.0)), "llama.cpp", lambda text: None, print)
    [[15, False], ['Hi', 2.0]]
    >>> wire_value(((15, -100.0), ("Hi", 2.0)), "openai", lambda text: None, lambda name, value: print(value))
    ['Hi']
    {'15': -100.0}
    """
    if dialect == "llama.cpp":
        return [[token, False if bias <= BAN else bias] for token, bias in pairs]
    out: dict[str, float] = {}
    lost: list[str] = []
    for token, bias in pairs:
        ids = [token] if isinstance(token, int) else token_ids(token)
        if ids is None:
            lost.append(str(token))
        for number in ids or ():
            out[str(number)] = bias
    if lost:
        left_out("logit_bias", lost)
    return out
