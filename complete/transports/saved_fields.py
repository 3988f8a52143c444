"""Checks for the fields of a saved backend description, which come from a file.

Each check takes the field's place (``backend.model``) and its value, and returns the
value, or raises a ``StoryFormatError`` naming the place and what was expected; a
bad value is shown cut short. The entries of the table of backends
(``complete.transports.entry.Backend.saved``) pick theirs from here or write their own.

What this module deliberately does not do: decide which fields a backend saves
(its entry does), or build anything.
"""

from __future__ import annotations

from complete.errors import StoryFormatError, _shown

__all__ = ["address", "flag", "kind", "optional_text", "text"]


def text(place: str, value: object) -> object:
    """A non-empty string of at most 2,000 characters."""
    if not isinstance(value, str) or not value or len(value) > 2000:
        raise StoryFormatError(f"{place}: expected a non-empty string, found {kind(value)}")
    return value


def optional_text(place: str, value: object) -> object:
    """None, or what ``text`` takes."""
    return None if value is None else text(place, value)


def address(place: str, value: object) -> object:
    """None, or an http:// or https:// address of at most 2,000 characters."""
    if value is None:
        return None
    if not isinstance(value, str) or not value.startswith(("http://", "https://")) or len(value) > 2000:
        raise StoryFormatError(f"{place}: expected an http:// or https:// address, found {kind(value)}")
    return value


def flag(place: str, value: object) -> object:
    """True or False."""
    if not isinstance(value, bool):
        raise StoryFormatError(f"{place}: expected true or false, found {kind(value)}")
    return value


def kind(value: object) -> str:
    """``value`` as an error shows it: its repr, or "a long str" when that is long.

    >>> kind("x" * 500)
    'a long str'
    """
    shown = _shown(value, limit=81)
    return shown if len(shown) <= 80 else f"a long {type(value).__name__}"
