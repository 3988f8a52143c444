"""What a backend is to the rest of the library: one entry in the table of backends.

``Keywords`` is the keyword set a backend is chosen with (``backend``, ``model``, ``url``,
``token``, ``provider``, ``server``), written here once with each one's type and help:
``choose()`` takes it, the command line makes its options from it, and a test checks
the ``Completer``'s typed signature against it. ``Backend`` is one entry: its name,
the keywords it takes, how it is built from them, which fields of a saved
description it is rebuilt from (each with its check), how it is rebuilt, and its
label. ``Choice`` is what building one gives: a transport and the sentence saying why.

This module holds shapes only; the entries are in each backend's folder
(``hf/entry.py``, ...), the table in ``complete.transports.backends``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import attrs

from complete.errors import ParamsError
from complete.transports.base import Transport

__all__ = ["KEYWORDS", "Backend", "Check", "Choice", "Keywords", "plain_label", "refused"]

Check = Callable[[str, object], object]
"""A saved field's check: given its place (``backend.model``) and value, the value
kept, or a ``StoryFormatError`` naming the place."""


@attrs.frozen
class Choice:
    """A transport and the sentence that explains why it was chosen."""

    transport: Transport
    reason: str


def _keyword(help: str, *, allowed: str = "", hint: str = "", secret: bool = False, validator: Any = None) -> Any:
    """A backend keyword, None (not given) by default: ``help`` is its one line on the
    command line, ``allowed`` and ``hint`` say why a backend that does not take it
    refuses it; a ``secret`` one shows in no repr and is no command-line option (a
    process list would show it)."""
    meta = {"help": help, "allowed": allowed, "hint": hint, "command_line": not secret}
    return attrs.field(default=None, kw_only=True, metadata=meta, repr=not secret, validator=validator)


def _check_token(keywords: object, field: object, token: object) -> None:
    if token is not None and token is not False and not isinstance(token, str):
        raise ParamsError(
            field="token",
            value=type(token).__name__,
            allowed="a non-empty access token string, None to look for one, or False to send none",
        )


@attrs.frozen
class Keywords:
    """The backend keywords as given (None: not given), and how the writer spells ``model``.

    The ``Completer`` writes them out again in its signature, for typing and ``help()``;
    a test (``tests/transports/test_toy_backend.py``) checks that signature, and the
    command line's options, against this class.
    """

    backend: str | None = _keyword("default: hf when a token is found, else local")
    model: str | None = _keyword("model id (hf/openai); GGUF path or Hub user/repo[:quant] (local)")
    url: str | None = _keyword("server address (tgi/openai, or an HF Inference Endpoint)")
    token: str | bool | None = _keyword(
        "an access token or API key; False sends none", secret=True, validator=_check_token
    )
    provider: str | None = _keyword(
        "a hosted model's Inference Provider: auto (default) or a name",
        allowed="None unless the model is hosted (backend='hf' without url=)",
        hint="Providers serve hosted models; url= names your own server.",
    )
    server: str | None = _keyword(
        "the kind of OpenAI-compatible server (default: ask it)",
        hint="server= names the kind of OpenAI-compatible server at url=, for backend='openai'.",
    )
    model_argument: str = attrs.field(default="model=", kw_only=True)
    """How the writer names the model (``model=``, ``--model``), for advice about it."""

    def given(self) -> dict[str, Any]:
        """The keywords given (not None), ``backend`` aside, in the order written here."""
        return {name: value for name in KEYWORDS[1:] if (value := getattr(self, name)) is not None}


KEYWORDS: tuple[str, ...] = tuple(field.name for field in attrs.fields(Keywords) if "help" in field.metadata)
"""The names of the backend keywords, in order: ``backend``, ``model``, ..."""


def refused(name: str, value: object, takers: Sequence[str]) -> ParamsError:
    """The error for keyword ``name`` given to a backend that does not take it;
    ``takers`` names the backends that do. A secret is named by its type only.

    >>> str(refused("server", "vllm", ["openai"])).split(". ")[0]
    "server='vllm' is not allowed: expected None unless backend='openai'"
    """
    meta = attrs.fields_dict(Keywords)[name].metadata
    unless = f"backend={takers[0]!r}" if len(takers) == 1 else "backend is one of " + ", ".join(map(repr, takers))
    allowed = meta["allowed"] or f"None unless {unless}"
    shown = value if meta["command_line"] else type(value).__name__
    return ParamsError(field=name, value=shown, allowed=allowed, hint=meta["hint"])


def plain_label(description: Mapping[str, Any]) -> str:
    """A backend's name and what it serves (an endpoint, model, path or address).

    >>> plain_label({"backend": "hf", "model": "bigscience/bloom"})
    'hf bigscience/bloom'
    """
    name = str(description.get("backend", "?"))
    target = next((description[key] for key in ("endpoint", "model", "path", "base_url") if description.get(key)), None)
    return f"{name} {target}" if target else name


def _names(names: Iterable[str]) -> frozenset[str]:
    return frozenset(names)


@attrs.frozen
class Backend:
    """One backend's entry in the table.

    ``takes`` names the keywords it takes besides ``backend`` (any other given is
    refused, before anything is built); ``build`` makes the transport from them.
    ``saved`` maps each field its transports' ``describe()`` writes to that field's
    check, and ``rebuild`` makes the transport from the checked fields and the
    writer's own credential (or None: none); a backend without ``rebuild`` (another
    name for one that has it, such as "tgi") is chosen by name only. ``offer``, when
    it is given, is asked in table order when no backend is named: it returns a
    choice, or None to let the next one offer. ``choices`` lists a keyword's allowed
    values where there are few (for the command line's ``choices=``).
    """

    name: str
    takes: frozenset[str] = attrs.field(converter=_names)
    build: Callable[[Keywords], Choice]
    saved: Mapping[str, Check] = attrs.field(factory=dict)
    rebuild: Callable[[dict[str, Any], str | None], Choice] | None = None
    label: Callable[[Mapping[str, Any]], str] = plain_label
    offer: Callable[[Keywords], Choice | None] | None = None
    choices: Mapping[str, Callable[[], Sequence[str]]] = attrs.field(factory=dict)

    @takes.validator
    def _known(self, attribute: object, takes: frozenset[str]) -> None:
        unknown = sorted(takes - set(KEYWORDS[1:]))
        if unknown:
            raise ParamsError(field="takes", value=unknown, allowed="names from " + ", ".join(KEYWORDS[1:]))
