"""The node codec: one way to write a story node as JSON and to read it back.

Three formats hold story nodes: a story's path (``complete.values.story``), a writing
session (``complete.writing.session``) and JSON lines (``complete.nodes``). Each lays its
file out in its own way (ids or none, what the parent link is called, whether the
provenance sits in an object of its own) and has its own version number, but a
node's fields are written by ``encode_node`` and read by ``decode_node`` in all
three, so a field means the same thing everywhere and a bad one fails with the same
words. The fields are::

    segment       the text the node adds (a string)
    origin        "prompt" for the root, and only the root; "model", "user" or "edit" after
    params        Params.to_dict(), for a model node (absent: none recorded)
    generation    Generation.to_dict(), for a model node (absent: none recorded)
    interrupted   true when a stream was stopped (absent: false)
    replaces      [start, end], for an edit node: the span of its parent's text
                  that its segment replaces (only edit nodes have it)

A file with an edit node is written with a version one above the format's previous
one, so that an older ``complete`` says to upgrade instead of failing on a field;
a file without one keeps the previous version (``version_for``), which any older
reader still reads.

``TreeReader`` rebuilds a tree from entries that name their parent by id (sessions
and JSON lines): ids are unique, a parent comes before its children, and, where the
format says so, there is one root. ``numbered`` gives the writers their ids: 0, 1, 2,
... parents first. ``check_header`` reads the ``format`` and ``version`` fields that
open every file.

Every error is a ``StoryFormatError`` that names the place (a ``Where`` function
turns a field name into the words for its place in the file). This module does no
file I/O.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, cast

from complete.errors import ParamsError, StoryFormatError, _shown
from complete.values.generation import Generation
from complete.values.params import Params
from complete.values.story import Origin, Story, parents_first
from complete.values.surrogates import first_lone_surrogate

__all__ = [
    "NODE_FIELDS",
    "TreeReader",
    "Where",
    "check_fields",
    "check_header",
    "decode_node",
    "dotted",
    "encode_node",
    "mapping",
    "numbered",
    "version_for",
]

NODE_FIELDS = ("segment", "origin", "params", "generation", "interrupted", "replaces")

Where = Callable[[str], str]
"""Turns a field name into the words that place it in the file, for errors."""


def dotted(place: str) -> Where:
    """A ``Where`` for fields written ``place.field``, such as ``nodes[3].segment``."""
    return lambda name: f"{place}.{name}"


def encode_node(node: Story) -> dict[str, Any]:
    """The node's own fields, JSON-ready (no parent link: each format writes its own).

    >>> encode_node(Story.from_prompt("Once").extend(" more", origin="user"))
    {'segment': ' more', 'origin': 'user'}
    """
    out: dict[str, Any] = {"segment": node.segment, "origin": node.origin}
    if node.params is not None:
        out["params"] = node.params.to_dict()
    if node.generation is not None:
        out["generation"] = node.generation.to_dict()
    if node.interrupted:
        out["interrupted"] = True
    if node.replaces is not None:
        out["replaces"] = list(node.replaces)
    return out


def version_for(nodes: Iterable[Story], *, edits: int, before: int) -> int:
    """The version to write: ``edits`` when a node is an edit, else ``before``."""
    return edits if any(node.origin == "edit" for node in nodes) else before


def decode_node(parent: Story | None, fields: Mapping[str, object], where: Where) -> Story:
    """The node under ``parent`` that ``fields`` describe (the names of ``NODE_FIELDS``)."""
    segment = fields.get("segment")
    if not isinstance(segment, str):
        raise StoryFormatError(f"{where('segment')}: expected a string, found {_shown(segment, limit=80)}")
    if first_lone_surrogate(segment) is not None:
        raise StoryFormatError(f"{where('segment')}: a lone surrogate, which no file or terminal takes")
    origin = fields.get("origin")
    allowed = ("prompt",) if parent is None else ("model", "user", "edit")
    if origin not in allowed:
        role = "the root" if parent is None else "a node with a parent"
        raise StoryFormatError(
            f"{where('origin')}: {role} has origin {', '.join(allowed[:-1]) + ' or ' if allowed[1:] else ''}"
            f"{allowed[-1]}, found {_shown(origin, limit=80)}"
        )
    interrupted = fields.get("interrupted", False)
    if not isinstance(interrupted, bool):
        raise StoryFormatError(f"{where('interrupted')}: expected true or false, found {_shown(interrupted, limit=80)}")
    params = _part(Params.from_dict, fields.get("params"), where("params"))
    generation = _part(Generation.from_dict, fields.get("generation"), where("generation"))
    replaces = fields.get("replaces")
    if origin == "edit" and replaces is None:
        raise StoryFormatError(f"{where('replaces')}: an edit node needs [start, end], the span it replaces")
    try:
        return Story(
            parent,
            segment,
            origin=cast(Origin, origin),
            params=params,
            generation=generation,
            interrupted=interrupted,
            replaces=cast("tuple[int, int] | None", replaces),
        )
    except ParamsError as exc:
        raise StoryFormatError(f"{where('replaces')}: {exc}") from exc


def _part(build: Callable[[Mapping[str, Any]], Any], value: object, where: str) -> Any:
    if value is None:
        return None
    try:
        return build(mapping(value, where))
    except ParamsError as exc:
        raise StoryFormatError(f"{where}: {exc}") from exc


def mapping(value: object, where: str) -> Mapping[str, Any]:
    """``value`` when it is a JSON object."""
    if not isinstance(value, Mapping):
        raise StoryFormatError(f"{where}: expected an object, found {type(value).__name__}")
    return value


def check_fields(data: Mapping[str, Any], allowed: Sequence[str], where: str, what: str) -> None:
    """Refuse fields other than ``allowed``, so that a misspelt one is not silently lost."""
    unknown = sorted(str(key) for key in data if key not in allowed)
    if unknown:
        raise StoryFormatError(f"{where}: unknown field(s) {unknown}; {what} has {', '.join(allowed)}")


def check_header(data: Mapping[str, Any], expected: str, newest: int) -> int:
    """The file's version; another format, or a version newer than ``newest``, is refused."""
    found = data.get("format")
    if found != expected:
        raise StoryFormatError(f"format: expected {expected!r}, found {_shown(found, limit=80)}")
    version = data.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise StoryFormatError(f"version: expected a positive integer, found {_shown(version, limit=80)}")
    if version > newest:
        raise StoryFormatError(
            f"version: this file is format version {version}, but this version of complete reads "
            f"version {newest} at most; upgrade complete to read it"
        )
    return version


def numbered(nodes: Iterable[Story]) -> tuple[list[Story], dict[int, int]]:
    """``nodes`` and their ancestors, parents first, and each node's id (keyed by ``id(node)``)."""
    ordered = parents_first(nodes)
    return ordered, {id(node): index for index, node in enumerate(ordered)}


class TreeReader:
    """Rebuilds a tree from entries that name their parent by id, one entry at a time.

    ``entry`` is what the format calls an entry in errors ("line", "node");
    ``parent_key`` the name of its parent link; ``one_root`` whether a second root
    is an error; ``string_ids`` whether ids may be strings as well as integers.
    """

    def __init__(self, *, entry: str, parent_key: str, one_root: bool, string_ids: bool) -> None:
        self.entry = entry
        self.parent_key = parent_key
        self.one_root = one_root
        self.string_ids = string_ids
        self.nodes: list[Story] = []
        self._by_id: dict[int | str, tuple[Story, str]] = {}
        self._root: str | None = None

    def read(
        self, node_id: object, parent_id: object, fields: Mapping[str, object], *, label: str, where: Where
    ) -> Story:
        """Add the entry at ``label`` (such as "line 3") and return its node."""
        key = self._id(node_id, where("id"))
        if key in self._by_id:
            raise StoryFormatError(f"{where('id')}: {key!r} appears twice (first on {self._by_id[key][1]})")
        parent: Story | None = None
        if parent_id is None:
            if self.one_root and self._root is not None:
                raise StoryFormatError(
                    f"{where(self.parent_key)}: null, but {self._root} is already the root; a file holds one story tree"
                )
            self._root = label
        else:
            found = self._by_id.get(self._id(parent_id, where(self.parent_key)))
            if found is None:
                raise StoryFormatError(
                    f"{where(self.parent_key)}: no earlier {self.entry} has id {_shown(parent_id, limit=80)} "
                    "(parents come before children)"
                )
            parent = found[0]
        node = decode_node(parent, fields, where)
        self._by_id[key] = (node, label)
        self.nodes.append(node)
        return node

    def find(self, node_id: object, where: str) -> Story:
        """The node read with id ``node_id`` (for "current", "redo" and the like)."""
        found = self._by_id.get(self._id(node_id, where))
        if found is None:
            raise StoryFormatError(f"{where}: no {self.entry} has id {_shown(node_id, limit=80)}")
        return found[0]

    def _id(self, value: object, where: str) -> int | str:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if self.string_ids and isinstance(value, str):
            return value
        kind = "an integer or a string" if self.string_ids else "an integer"
        raise StoryFormatError(f"{where}: expected {kind}, found {_shown(value, limit=80)}")
