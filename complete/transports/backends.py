"""The one table of backends: each name and its entry, in the order they are offered.

A backend is its folder (its transport, and its ``entry.py``: a
``complete.transports.entry.Backend``) plus one line in ``_BUILT_IN`` here;
``register`` adds one at run time (a plug-in, a test's toy backend). Everything that
names backends reads this table: ``choose()`` and the saved-session checks
(``complete.transports.choice``, ``complete.transports.saved``), the command line's
``--backend`` and its keyword options, and the backend line's label.

The entries import only their shapes at first; a transport's own modules (and
``requests``, ``xllamacpp``) load when it is built. This module builds nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from complete.errors import ParamsError
from complete.transports.entry import Backend, plain_label
from complete.transports.hf.entry import HF, TGI
from complete.transports.local.entry import LOCAL
from complete.transports.openai.entry import OPENAI

__all__ = ["choices", "entries", "entry", "label", "names", "register"]

_BUILT_IN = (HF, TGI, OPENAI, LOCAL)
_TABLE: dict[str, Backend] = {backend.name: backend for backend in _BUILT_IN}


def register(backend: Backend) -> Backend:
    """Add ``backend`` to the table (after those there), or put it in place of the
    entry of the same name; returns it. Every later choice, saved session, command
    line and label knows it."""
    if not isinstance(backend, Backend):
        raise ParamsError(field="backend", value=backend, allowed="a complete.transports.entry.Backend")
    _TABLE[backend.name] = backend
    return backend


def entries() -> tuple[Backend, ...]:
    """Every backend, in table order."""
    return tuple(_TABLE.values())


def names() -> tuple[str, ...]:
    """Every backend's name, in table order: ``("hf", "tgi", "openai", "local", ...)``."""
    return tuple(_TABLE)


def entry(name: object) -> Backend | None:
    """The backend named ``name``, or None."""
    return _TABLE.get(name) if isinstance(name, str) else None


def choices(keyword: str) -> tuple[str, ...] | None:
    """The values ``keyword`` may take, where the backends that take it list them (else None)."""
    if keyword == "backend":
        return names()
    listed = [
        value for backend in _TABLE.values() if keyword in backend.choices for value in backend.choices[keyword]()
    ]
    return tuple(dict.fromkeys(listed)) or None


def label(description: Mapping[str, Any]) -> str:
    """The backend line's name for a ``describe()`` description (see ``Backend.label``).

    >>> label({"backend": "local", "path": "/models/bloom-560m.gguf"})
    'local bloom-560m.gguf'
    """
    backend = entry(description.get("backend"))
    return (plain_label if backend is None else backend.label)(description)
