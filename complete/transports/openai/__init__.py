"""Any OpenAI-compatible ``/v1/completions`` server (vLLM, llama.cpp, TGI, Ollama, OpenAI).

``completions`` is the transport, ``wire`` each server's dialect of the format, ``detect``
asks a server which it is.
"""

from complete.transports.openai.completions import OpenAICompletions

__all__ = ["OpenAICompletions"]
