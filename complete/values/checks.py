"""Checks on the arguments a writer passes, each failing with a ``ParamsError``.

Every value built from what a writer typed checks its arguments with these, so a
wrong type or an out-of-range number fails before any request, naming the argument,
the value and what is allowed. Booleans are not integers here: a flag passed by
mistake should not quietly mean 1. Not here: ``Params``' fields, checked by their
own facts (``complete.values.samplers``), and what servers send (checked at the
HTTP edge).
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import Any, TypeVar
from urllib.parse import urlsplit

import attrs

from complete.errors import ParamsError
from complete.values.surrogates import first_lone_surrogate

__all__ = ["integer", "one_of", "optional", "text", "typed", "url", "validator"]

T = TypeVar("T")


def typed(field: str, value: object, kind: type[T], allowed: str) -> T:
    """``value`` when it is a ``kind`` (and, for ``int``, not a bool)."""
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise ParamsError(field=field, value=value, allowed=allowed)
    return value


def text(field: str, value: object, allowed: str = "a str", *, empty: bool = True, blank: bool = True) -> str:
    """``value`` when it is a ``str`` (without lone surrogates: ``complete.values.surrogates``);
    ``empty=False`` refuses "", ``blank=False`` also refuses whitespace alone.
    ``allowed`` is what the error says is expected.

    >>> text("note", 3)
    Traceback (most recent call last):
    complete.errors.ParamsError: note=3 is not allowed: expected a str
    """
    if not isinstance(value, str) or (not empty and not value) or (not blank and not value.strip()):
        raise ParamsError(field=field, value=value, allowed=allowed)
    lone = first_lone_surrogate(value)
    if lone is not None:
        raise ParamsError(
            field=field,
            value=value[max(0, lone - 20) : lone + 20],
            allowed="text without lone surrogates",
            hint=f"A lone surrogate ({value[lone]!r}) is at index {lone}: no file, terminal or server takes it. "
            "Text decoded with errors='surrogateescape' can be decoded with errors='replace' instead.",
        )
    return value


def integer(field: str, value: object, *, low: int | None = None, high: int | None = None) -> int:
    """``value`` when it is an integer from ``low`` to ``high`` (bounds included, None: open).

    >>> integer("n", 17, low=1, high=16)
    Traceback (most recent call last):
    complete.errors.ParamsError: n=17 is not allowed: expected an integer from 1 to 16
    """
    if low is not None and high is not None:
        allowed = f"an integer from {low} to {high}"
    elif low is not None:
        allowed = f"an integer >= {low}"
    elif high is not None:
        allowed = f"an integer <= {high}"
    else:
        allowed = "an integer"
    number = typed(field, value, int, allowed)
    if (low is not None and number < low) or (high is not None and number > high):
        raise ParamsError(field=field, value=value, allowed=allowed)
    return number


def url(field: str, value: object, allowed: str = "an http:// or https:// URL") -> str:
    """``value`` when it is a ``str`` starting with ``http://`` or ``https://``, naming a
    host (and a port, if any, from 0 to 65535), without spaces.

    >>> url("base_url", "localhost:8080")
    Traceback (most recent call last):
    complete.errors.ParamsError: base_url='localhost:8080' is not allowed: expected an http:// or https:// URL
    """
    if not isinstance(value, str) or not value.startswith(("http://", "https://")):
        raise ParamsError(field=field, value=value, allowed=allowed)
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - out of range or not a number: ValueError
    except ValueError:
        parts = None
    if parts is None or not parts.hostname or any(char.isspace() for char in value):
        raise ParamsError(field=field, value=value, allowed=f"{allowed}: this one names no host, or a bad port")
    return value


def one_of(field: str, value: object, choices: Collection[object]) -> Any:
    """``value`` when it is one of ``choices``."""
    if value not in choices:
        raise ParamsError(field=field, value=value, allowed="one of " + ", ".join(map(repr, choices)))
    return value


def optional(check: Callable[..., object]) -> Callable[..., object]:
    """``check``, except that None passes."""

    def maybe(field: str, value: object, *args: Any, **options: Any) -> object:
        return None if value is None else check(field, value, *args, **options)

    return maybe


def validator(check: Callable[..., object], *args: Any, **options: Any) -> Callable[[Any, Any, Any], None]:
    """An attrs validator that runs ``check(field name, value, *args, **options)``.

    >>> @attrs.frozen
    ... class Lines:
    ...     count: int = attrs.field(validator=validator(integer, low=0))
    >>> Lines(-1)
    Traceback (most recent call last):
    complete.errors.ParamsError: count=-1 is not allowed: expected an integer >= 0
    """

    def run(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
        check(attribute.name, value, *args, **options)

    return run
