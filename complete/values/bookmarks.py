"""Bookmarks: names a writer gives to nodes of the tree, to go back to them by name.

A session keeps its bookmarks as an immutable mapping from name to node; this module
checks names and builds new mappings for the ``Session`` methods (``bookmark``,
``checkout``, ``unbookmark``). It does not move or delete nodes: forgetting a name
never forgets the node.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence
from types import MappingProxyType

from complete.errors import ParamsError
from complete.values import checks as arguments
from complete.values.story import Story

__all__ = ["MAX_NAME", "added", "bookmark_map", "check_name", "found", "removed"]

MAX_NAME = 40
"""The longest bookmark name, in characters."""

_NAME_RULE = f"a bookmark name: 1 to {MAX_NAME} characters, no line breaks or tabs, no spaces at either end"


def check_name(name: object) -> str:
    """``name`` when it is a valid bookmark name; else a ``ParamsError`` saying why.

    A name is 1 to 40 characters, with no line break, tab or other control character
    and no space at either end (a name is typed again to go back, and " end" and "end"
    would look alike).

    >>> check_name("the storm")
    'the storm'
    >>> check_name(" the storm")
    Traceback (most recent call last):
    complete.errors.ParamsError: name=' the storm' is not allowed: expected a bookmark name: 1 to 40 characters, no line breaks or tabs, no spaces at either end
    """  # noqa: E501 - a doctest's expected line
    text = arguments.text("name", name, _NAME_RULE, empty=False)
    if len(text) > MAX_NAME or text != text.strip() or not text.isprintable():
        raise ParamsError(field="name", value=name, allowed=_NAME_RULE)
    return text


def bookmark_map(value: Mapping[str, Story]) -> Mapping[str, Story]:
    """An immutable copy of ``value`` with every name and node checked."""
    if not isinstance(value, Mapping):
        raise ParamsError(field="bookmarks", value=value, allowed="a mapping from bookmark names to stories")
    checked: dict[str, Story] = {}
    for name, node in value.items():
        checked[check_name(name)] = arguments.typed(f"bookmarks[{name!r}]", node, Story, "a Story")
    return MappingProxyType(checked)


def added(bookmarks: Mapping[str, Story], name: object, node: Story, nodes: Sequence[Story]) -> Mapping[str, Story]:
    """``bookmarks`` with ``name`` naming ``node`` (``nodes``, the tree, numbers the
    node a name in use names, for the error).

    A name names one node; a node may have several names. Naming another node with a
    name in use is refused (the error says which node it names and how to free it):
    moving a bookmark silently would lose the place it marked. Naming the same node
    again changes nothing.
    """
    name = check_name(name)
    named = bookmarks.get(name)
    if named is node:
        return bookmarks
    if named is not None:
        where = next((f"node #{index}" for index, known in enumerate(nodes) if known is named), "another node")
        raise ParamsError(
            field="name",
            value=name,
            allowed=f"a name not in use ({name!r} names {where})",
            hint=f"Free it with unbookmark({name!r}) first, or choose another name",
        )
    return MappingProxyType({**bookmarks, name: node})


def removed(bookmarks: Mapping[str, Story], name: object) -> Mapping[str, Story]:
    """``bookmarks`` without ``name`` (which must be one of them)."""
    found(bookmarks, name)
    return MappingProxyType({key: node for key, node in bookmarks.items() if key != name})


def found(bookmarks: Mapping[str, Story], name: object) -> Story:
    """The node ``name`` names; an unknown name is a ``ParamsError`` listing the names.

    The error lists the bookmarks there are, with the closest one when the name looks
    like a misspelling.
    """
    node = bookmarks.get(name) if isinstance(name, str) else None
    if node is not None:
        return node
    if not bookmarks:
        raise ParamsError(
            field="name",
            value=name,
            allowed="a bookmark, and there is none yet",
            hint="bookmark(name) names the current node",
        )
    names = ", ".join(repr(key) for key in bookmarks)
    guess = difflib.get_close_matches(str(name), list(bookmarks), n=1)
    hint = f"Did you mean {guess[0]!r}?" if guess else ""
    raise ParamsError(field="name", value=name, allowed=f"one of the bookmarks: {names}", hint=hint)
