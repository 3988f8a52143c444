"""Hugging Face: Inference Providers, Inference Endpoints and TGI.

``inference`` is the transport, ``wire`` its request and answer format,
``providers`` and ``routing`` the Hub's provider mapping and the route taken.
``entry`` is its entry in the table of backends. ``HFInference`` is imported on first use, so
that the table can read ``entry`` without loading the transport (and ``requests``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from complete.transports.hf.inference import HFInference

__all__ = ["HFInference"]


def __getattr__(name: str) -> Any:
    """``HFInference``, imported on first use (PEP 562)."""
    if name != "HFInference":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from complete.transports.hf.inference import HFInference

    return HFInference
