"""The HTTP edge the server transports share: requests, typed errors, answers, SSE.

``edge`` sends a request and maps every failure to a typed error, through ``pools``
(urllib3's connection pool, directly) for the sessions it made; ``answers`` reads a
completion whole or streamed (``sse``); ``server_errors`` says what a refusal means.
Nothing here knows one server's wire format; that is in ``hf/`` and ``openai/``.
"""
