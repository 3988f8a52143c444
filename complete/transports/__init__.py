"""Transports: the backends that turn a prompt into model text.

The protocol (``base``), retries, the one table of backends (``backends``; each
entry's shape in ``entry``, choosing one in ``choice``), what a
request waits for (``status``), token discovery; one folder per kind of server.
Each transport is imported only when used, so ``import complete`` loads neither
``requests`` adapters it does not need, nor ``xllamacpp``, nor IPython.
"""

from complete.transports.base import Describes, Tokenizes, Transport, describe

__all__ = ["Describes", "Tokenizes", "Transport", "describe"]
