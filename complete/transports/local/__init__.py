"""The embedded model: llama.cpp's own server in this process, on a GGUF file.

``engine`` is the transport, ``server`` the process-wide engines, ``gguf`` finds and checks the
model file, ``memory`` what it will need, ``hub`` fetches one from the Hugging Face Hub by name.
``entry`` is its entry in the table of backends. ``LocalModel`` is imported on first use, so
that the table can read ``entry`` without loading the transport (and ``requests``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from complete.transports.local.engine import LocalModel

__all__ = ["LocalModel"]


def __getattr__(name: str) -> Any:
    """``LocalModel``, imported on first use (PEP 562)."""
    if name != "LocalModel":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from complete.transports.local.engine import LocalModel

    return LocalModel
