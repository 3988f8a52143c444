"""The embedded model: llama.cpp's own server in this process, on a GGUF file.

``engine`` is the transport, ``server`` the process-wide engines, ``gguf`` finds and checks the
model file, ``memory`` what it will need, ``hub`` fetches one from the Hugging Face Hub by name.
"""

from complete.transports.local.engine import LocalModel

__all__ = ["LocalModel"]
