"""Hugging Face: Inference Providers, Inference Endpoints and TGI.

``inference`` is the transport, ``wire`` its request and answer format,
``providers`` and ``routing`` the Hub's provider mapping and the route taken.
"""

from complete.transports.hf.inference import HFInference

__all__ = ["HFInference"]
