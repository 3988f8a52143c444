"""Any OpenAI-compatible ``/v1/completions`` server (vLLM, llama.cpp, TGI, Ollama, OpenAI).

``completions`` is the transport, ``wire`` each server's dialect of the format, ``detect``
asks a server which it is, ``entry`` its entry in the table of backends.
``OpenAICompletions`` is imported on first use, so that the table can read ``entry``
without loading the transport (and ``requests``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from complete.transports.openai.completions import OpenAICompletions

__all__ = ["OpenAICompletions"]


def __getattr__(name: str) -> Any:
    """``OpenAICompletions``, imported on first use (PEP 562)."""
    if name != "OpenAICompletions":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from complete.transports.openai.completions import OpenAICompletions

    return OpenAICompletions
