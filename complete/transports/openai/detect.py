"""Which kind of OpenAI-compatible server is at an address, asked of the server itself.

``OpenAICompletions`` asks once, before its first request, when no ``server=`` was
given: the answer picks the dialect (``complete.transports.openai.wire``). This module
only asks: it does not remember answers (the transport does) or retry.
"""

from __future__ import annotations

from collections.abc import Mapping

import requests

from complete.transports.http import edge as http

__all__ = ["detect_server"]

_PROBES: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    # route, dialect, keys its JSON answer has (any of them)
    ("props", "llama.cpp", ("default_generation_settings", "total_slots")),
    ("version", "vllm", ("version",)),
    ("api/version", "ollama", ("version",)),
    ("info", "tgi", ("model_id",)),
)


def detect_server(
    session: requests.Session, root: str, headers: Mapping[str, str], timeout: float | tuple[float, float]
) -> str:
    """The dialect of the server at ``root`` (its address without ``/v1``), asked of it.

    llama-server answers ``GET /props``, vLLM ``GET /version``, Ollama ``GET
    /api/version`` and TGI ``GET /info``, each with a JSON object that names what it
    is; the routes are asked in that order and the first that answers so wins. A
    server that answers none of them (OpenAI itself, llama-cpp-python's server, a
    proxy) is "openai": the standard fields only. A server that cannot be reached
    raises a ``TransportError``.
    """
    for route, name, keys in _PROBES:
        response = http.post(session, f"{root}/{route}", {}, headers=headers, timeout=timeout, method="GET")
        body = http.read_error_body(response)
        data = http.json_or_none(body) if response.status_code == 200 else None
        if isinstance(data, dict) and any(key in data for key in keys):
            return name
    return "openai"
