"""The HTTP edge the server transports share: requests, typed errors, answers, SSE.

Nothing here knows one server's wire format; that is in ``hf/`` and ``openai/``.
"""
