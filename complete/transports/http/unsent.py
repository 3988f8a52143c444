"""Telling the writer, once, that a parameter was not sent.

A backend that has no field for a parameter (``top_k`` on OpenAI's own API, DRY on
TGI) leaves it out rather than failing the story: the writer's other settings still
apply and the story goes on. The writer is told with a ``UserWarning``, once per
transport and parameter, so that a story continued a hundred times does not warn a
hundred times. This module only keeps count; each transport says why.
"""

from __future__ import annotations

import threading
import warnings

__all__ = ["Unsent"]


class Unsent:
    """The parameters one transport has already warned about.

    >>> import warnings
    >>> unsent = Unsent()
    >>> with warnings.catch_warnings(record=True) as told:
    ...     warnings.simplefilter("always")
    ...     for _ in range(3):
    ...         unsent.tell("top_k", 30, "this server has no top_k.", stacklevel=1)
    >>> [str(warning.message) for warning in told]
    ['top_k=30 is not sent: this server has no top_k.']
    """

    def __init__(self) -> None:
        self._told: set[str] = set()
        self._lock = threading.Lock()

    def tell(self, name: str, value: object, why: str, *, stacklevel: int) -> None:
        """Warn that ``name=value`` is not sent, and ``why``, unless already told;
        ``stacklevel`` counts from the caller, as for ``warnings.warn``."""
        with self._lock:
            if name in self._told:
                return
            self._told.add(name)
        warnings.warn(f"{name}={value!r} is not sent: {why}", UserWarning, stacklevel=stacklevel + 1)
