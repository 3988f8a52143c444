"""Transports: the backends that turn a prompt into model text.

Each module is imported only when its transport is used, so ``import complete``
never loads ``requests`` adapters it does not need, ``xllamacpp`` or IPython.
"""

from complete.transports.base import Describes, Tokenizes, Transport, describe

__all__ = ["Describes", "Tokenizes", "Transport", "describe"]
