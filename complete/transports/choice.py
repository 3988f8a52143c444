"""Choosing a backend by name, or rebuilding one from a saved description.

``choose(backend, model=..., url=..., token=..., provider=..., server=...)`` takes the
keyword set of ``complete.transports.entry.Keywords`` and builds the named backend
from the table (``complete.transports.backends``), after refusing any keyword it
does not take. With no backend named, the entries that offer themselves are asked
in table order; with the built-in table that is the original project's convention:
Hugging Face when a token is found (explicit, ``.hf_token`` in the working
directory, ``HF_TOKEN``, huggingface_hub's file) or a provider is named, otherwise
the embedded local model, which needs no account and no network. The choice comes
back with one sentence saying which backend and model is used and why, for the
``Completer`` and the command line to show.

What this module deliberately does not do: know any backend by name (the entries
do), or contact a server (a hosted model's provider is looked up on its first
request; only a token file may be read here).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from complete.errors import ParamsError
from complete.transports import backends
from complete.transports.base import Transport
from complete.transports.entry import Backend, Choice, Keywords, refused
from complete.transports.saved import rebuild

__all__ = ["Choice", "choose", "from_description", "saved_transport"]


def choose(backend: str | None = None, **keywords: Any) -> Choice:
    """The transport for ``backend`` (or the default choice when it is None).

    The keywords are those of ``Keywords``: ``model``, ``url``, ``token``
    (``token=False`` sends no token, and so chooses the local model when no backend is
    named), ``provider``, ``server``, and ``model_argument``, how the caller's writer
    names the model (``model=`` for a Completer, ``--model`` on the command line), for
    the advice when a GGUF path is wrong.

    >>> choose("bloom")
    Traceback (most recent call last):
    complete.errors.ParamsError: backend='bloom' is not allowed: expected one of 'hf', 'tgi', 'openai', 'local'
    """
    wanted = Keywords(backend=backend, **keywords)
    if backend is None:
        offering = [entry for entry in backends.entries() if entry.offer is not None]
        _refuse_untaken(wanted, offering)
        for entry in offering:
            offered = entry.offer(wanted) if entry.offer is not None else None
            if offered is not None:
                return offered
    named = backends.entry(backend)
    if named is None:
        raise ParamsError(field="backend", value=backend, allowed="one of " + ", ".join(map(repr, backends.names())))
    _refuse_untaken(wanted, [named])
    return named.build(wanted)


def _refuse_untaken(wanted: Keywords, chosen: list[Backend]) -> None:
    """A ``ParamsError`` for the first keyword given that none of ``chosen`` takes; the
    keyword fewest backends take is named first, as it says best what was meant."""
    table = backends.entries()
    given = wanted.given()
    for name in sorted(given, key=lambda name: sum(name in entry.takes for entry in table)):
        if not any(name in entry.takes for entry in chosen):
            raise refused(name, given[name], [entry.name for entry in table if name in entry.takes])


def from_description(description: dict[str, Any]) -> Transport:
    """Rebuild a transport from ``describe()`` output (as saved in a session file).

    Only what ``describe()`` writes is taken, each field checked
    (``complete.transports.saved``); secrets are never saved, and none in the
    description is used. An unknown backend name is a ``ParamsError``.
    """
    rebuilt = rebuild(description)
    if rebuilt is None:
        saved = [entry.name for entry in backends.entries() if entry.rebuild is not None]
        allowed = "a saved backend: " + ", ".join(map(repr, saved[:-1])) + f" or {saved[-1]!r}"
        raise ParamsError(field="backend", value=description.get("backend"), allowed=allowed)
    return rebuilt.transport


def saved_transport(description: Mapping[str, Any], *, token: str | None = None) -> Choice | None:
    """The transport a saved session's description names, with the sentence saying
    where it sends requests (to show before the first), or None when it names none
    this version can rebuild (then the default choice is made, and said). ``token``
    is the writer's own credential for it; a bad description is a ``StoryFormatError``."""
    return rebuild(description, token=token)
