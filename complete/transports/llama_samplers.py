"""How ``Params`` samplers are named in a request to llama.cpp's server (``llama-server``).

One table, read by the llama.cpp dialect of ``OpenAICompletions`` (a server over
HTTP) and meant for the embedded engine too (llama-server in process, through
xllamacpp), so that the two can never name a sampler differently.

``LLAMA_SERVER_NAMES`` maps every sampling field of ``Params`` beyond the ones all
OpenAI-compatible servers share (``temperature``, ``top_p``, ``seed``, ``stop``,
``max_new_tokens`` as ``max_tokens``) to its name in llama-server's completion
request; ``sampler_fields`` gives the fields that are set, under those names, as
JSON-ready values. ``logprobs`` is not a sampler and is not here: llama-server
takes OpenAI's ``logprobs`` on ``/v1/completions``.

Checked against llama.cpp's ``tools/server/README.md`` ("POST /completion"
options) and ``tools/server/server-schema.cpp`` (the request fields and their
limits), and live against the server in xllamacpp 2026.10.11549, whose ``/slots``
route reports each of these values back (``tests/test_sampler_wire.py``).

What this module deliberately does not do: decide defaults (a field left as None is
simply not sent, so the server's own default applies), translate greedy decoding
(``do_sample=False`` is the caller's ``temperature: 0``), or talk to any server.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from complete.params import Params

__all__ = ["LLAMA_SERVER_NAMES", "sampler_fields"]

LLAMA_SERVER_NAMES: Mapping[str, str] = MappingProxyType(
    {
        "top_k": "top_k",
        "min_p": "min_p",
        "typical_p": "typical_p",
        "repetition_penalty": "repeat_penalty",
        "repetition_window": "repeat_last_n",
        "presence_penalty": "presence_penalty",
        "frequency_penalty": "frequency_penalty",
        "dry_multiplier": "dry_multiplier",
        "dry_base": "dry_base",
        "dry_allowed_length": "dry_allowed_length",
        "dry_window": "dry_penalty_last_n",
        "dry_breakers": "dry_sequence_breakers",
        "xtc_probability": "xtc_probability",
        "xtc_threshold": "xtc_threshold",
        "mirostat": "mirostat",
        "mirostat_tau": "mirostat_tau",
        "mirostat_eta": "mirostat_eta",
    }
)
"""``Params`` field -> llama-server request field, for the samplers only it and a few others take."""


def sampler_fields(params: Params) -> dict[str, Any]:
    """The samplers set in ``params``, under llama-server's names, ready for JSON.

    >>> sampler_fields(Params(repetition_penalty=1.1, repetition_window=256, dry_breakers=["\\n"]))
    {'repeat_penalty': 1.1, 'repeat_last_n': 256, 'dry_sequence_breakers': ['\\n']}
    """
    fields: dict[str, Any] = {}
    for name, wire in LLAMA_SERVER_NAMES.items():
        value = getattr(params, name)
        if value is None or value == ():
            continue
        fields[wire] = list(value) if isinstance(value, tuple) else value
    return fields
