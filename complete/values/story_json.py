"""The node codec every file format shares, and a story's path as JSON.

A story's path (``Story.to_dict``), a session and JSON lines write a node's fields
with ``encode_node`` and check them with ``read_node``, so a field means the same
everywhere and a bad one fails with the same words (a ``StoryFormatError`` naming
its place). It does not import ``Story`` (which imports it: nodes are read through
``NodeData`` and built by the class given), and does no file I/O.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Protocol, TypeVar

from complete.errors import ParamsError, StoryFormatError, _shown
from complete.values.generation import Generation
from complete.values.params import Params
from complete.values.surrogates import first_lone_surrogate

__all__ = [
    "NODE_FIELDS",
    "STORY_FORMAT",
    "STORY_VERSION",
    "NodeData",
    "Where",
    "check_fields",
    "check_header",
    "decode",
    "dotted",
    "encode_node",
    "mapping",
    "read_node",
    "story_from_dict",
    "story_to_dict",
    "version_for",
]

STORY_FORMAT = "complete.story"
STORY_VERSION = 2
_BEFORE_EDITS = 1

NODE_FIELDS = ("segment", "origin", "params", "generation", "interrupted", "replaces")

Where = Callable[[str], str]
"""Turns a field name into the words that place it in the file, for errors."""

N = TypeVar("N")


class NodeData(Protocol):
    """What the codec reads of a story node (a ``Story``)."""

    @property
    def segment(self) -> str: ...

    @property
    def origin(self) -> str: ...

    @property
    def params(self) -> Params | None: ...

    @property
    def generation(self) -> Generation | None: ...

    @property
    def interrupted(self) -> bool: ...

    @property
    def replaces(self) -> tuple[int, int] | None: ...


def dotted(place: str) -> Where:
    """A ``Where`` for fields written ``place.field``, such as ``nodes[3].segment``."""
    return lambda name: f"{place}.{name}"


def encode_node(node: NodeData) -> dict[str, Any]:
    """The node's own fields, JSON-ready (no parent link: each format writes its own).

    >>> from complete.values.story import Story
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


def version_for(nodes: Iterable[NodeData], *, edits: int, before: int) -> int:
    """The version to write: ``edits`` when a node is an edit, else ``before``.

    A file with an edit node is written with a version one above the format's
    previous one, so that an older ``complete`` says to upgrade instead of failing on a
    field; a file without one keeps the previous version, which older readers read.
    """
    return edits if any(node.origin == "edit" for node in nodes) else before


def read_node(fields: Mapping[str, object], where: Where, *, root: bool) -> dict[str, Any]:
    """The checked fields of a node (the names of ``NODE_FIELDS``), as the keyword
    arguments of ``Story(parent, **fields)``; ``root`` says it has no parent.

    The fields::

        segment       the text the node adds (a string)
        origin        "prompt" for the root, and only the root; "model", "user" or "edit" after
        params        Params.to_dict(), for a model node (absent: none recorded)
        generation    Generation.to_dict(), for a model node (absent: none recorded)
        interrupted   true when a stream was stopped (absent: false)
        replaces      [start, end], for an edit node: the span of its parent's text
                      that its segment replaces (only edit nodes have it)
    """
    segment = fields.get("segment")
    if not isinstance(segment, str):
        raise StoryFormatError(f"{where('segment')}: expected a string, found {_shown(segment, limit=80)}")
    if first_lone_surrogate(segment) is not None:
        raise StoryFormatError(f"{where('segment')}: a lone surrogate, which no file or terminal takes")
    origin = fields.get("origin")
    allowed = ("prompt",) if root else ("model", "user", "edit")
    if origin not in allowed:
        role = "the root" if root else "a node with a parent"
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
    return {
        "segment": segment,
        "origin": origin,
        "params": params,
        "generation": generation,
        "interrupted": interrupted,
        "replaces": replaces,
    }


def decode(make: Callable[..., N], parent: N | None, fields: Mapping[str, object], where: Where) -> N:
    """The node ``make(parent, **read_node(...))`` (``make`` is ``Story``); a span the
    node refuses (outside its parent's text) is a ``StoryFormatError`` too."""
    checked = read_node(fields, where, root=parent is None)
    try:
        return make(parent, **checked)
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


def story_to_dict(path: Sequence[NodeData]) -> dict[str, Any]:
    """A story's path, root first, in its stable, versioned form::

        {"format": "complete.story", "version": 1,
         "nodes": [{"segment": "Once upon a time", "origin": "prompt"},
                   {"segment": " there was", "origin": "model", "params": {...}, "generation": {...}}]}

    A node's parent is the one before it, so there are no ids (for a whole tree, see
    the session and JSON lines formats). A path with an edit node is version 2.
    """
    version = version_for(path, edits=STORY_VERSION, before=_BEFORE_EDITS)
    return {"format": STORY_FORMAT, "version": version, "nodes": [encode_node(node) for node in path]}


def story_from_dict(data: object, make: Callable[..., N]) -> N:
    """The last node of the path ``story_to_dict`` wrote, each built by ``make``
    (``Story``); anything else is a ``StoryFormatError`` naming the field."""
    if not isinstance(data, Mapping):
        raise StoryFormatError(f"expected a story object, found {type(data).__name__}")
    check_header(data, STORY_FORMAT, STORY_VERSION)
    nodes = data.get("nodes")
    if not isinstance(nodes, list) or not nodes:
        raise StoryFormatError("nodes: expected a non-empty list of story nodes")
    story: N | None = None
    for index, item in enumerate(nodes):
        place = f"nodes[{index}]"
        fields = mapping(item, place)
        check_fields(fields, NODE_FIELDS, place, "a node")
        story = decode(make, story, fields, dotted(place))
    assert story is not None
    return story
