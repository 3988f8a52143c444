"""complete: write stories (or any text) with a language model from a notebook.

>>> from complete import Completer                                  # doctest: +SKIP
>>> bloom = Completer("Once upon a time", temperature=1.0, top_k=30)  # doctest: +SKIP
>>> bloom()                                                          # doctest: +SKIP

The public names are listed here and nothing else happens on import: transports
(and with them ``requests``, ``xllamacpp`` and IPython) load when first used.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from complete.errors import (
    APIError,
    AuthError,
    CompleteError,
    CompletionError,
    ContextLimitError,
    LocalModelError,
    ModelLoadingError,
    ModelNotFoundError,
    ParamsError,
    RateLimitError,
    ResponseError,
    StoryFormatError,
    TransportError,
    UnexpectedResponseError,
)
from complete.interchange import lorebooks as _lorebook_formats  # noqa: F401  (Lorebook.load, save)
from complete.transports.base import Transport
from complete.values.generation import Generation, TokenLogprob
from complete.values.lorebook import Lorebook, LoreEntry
from complete.values.params import Params
from complete.values.reformat import reformat
from complete.values.story import Story
from complete.values.supplier import Supplier
from complete.writing.core import complete, complete_many, complete_stream
from complete.writing.session import Session
from complete.writing.window import Prompt, Window

if TYPE_CHECKING:
    from complete.completer import Completer
    from complete.transports.hf.inference import HFInference
    from complete.transports.local.engine import LocalModel
    from complete.transports.openai.completions import OpenAICompletions
    from complete.transports.retrying import RetryingTransport

__all__ = [
    "APIError",
    "AuthError",
    "CompleteError",
    "Completer",
    "CompletionError",
    "ContextLimitError",
    "Generation",
    "HFInference",
    "LocalModel",
    "LocalModelError",
    "LoreEntry",
    "Lorebook",
    "ModelLoadingError",
    "ModelNotFoundError",
    "OpenAICompletions",
    "Params",
    "ParamsError",
    "Prompt",
    "RateLimitError",
    "ResponseError",
    "RetryingTransport",
    "Session",
    "Story",
    "StoryFormatError",
    "Supplier",
    "TokenLogprob",
    "Transport",
    "TransportError",
    "UnexpectedResponseError",
    "Window",
    "complete",
    "complete_many",
    "complete_stream",
    "reformat",
]

_LAZY = {
    "Completer": "complete.completer",
    "HFInference": "complete.transports.hf.inference",
    "LocalModel": "complete.transports.local.engine",
    "OpenAICompletions": "complete.transports.openai.completions",
    "RetryingTransport": "complete.transports.retrying",
}


def __getattr__(name: str) -> Any:
    """Import the heavier public names on first use (PEP 562)."""
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'complete' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
