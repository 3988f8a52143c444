"""A whole story tree as JSON lines, for ``grep``, ``jq`` and pandas.

``to_jsonl`` writes a header line and one line per node, parents first (the format
is documented there); ``from_jsonl`` reads it back node for node, refusing unknown
fields so that a typo is not silently lost. It does not keep a session's settings:
that is the session file's job.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

import attrs

from complete.errors import ParamsError, StoryFormatError
from complete.interchange.files import Source, read_file, write_atomic
from complete.interchange.nodes import TreeReader, numbered
from complete.values.story import Story
from complete.values.story_json import (
    Where,
    check_fields,
    check_header,
    encode_node,
    mapping,
    version_for,
)

__all__ = ["JSONL_FORMAT", "JSONL_VERSION", "StoryTree", "from_jsonl", "read_jsonl", "to_jsonl", "write_jsonl"]

JSONL_FORMAT = "complete.nodes"
JSONL_VERSION = 2
_BEFORE_EDITS = 1

_LINE_FIELDS = ("id", "parent_id", "text", "origin", "provenance")
_PROVENANCE_FIELDS = ("params", "generation", "interrupted", "replaces")
_NAMES = {"segment": "text", **{name: f"provenance.{name}" for name in _PROVENANCE_FIELDS}}


@attrs.frozen
class StoryTree:
    """Nodes read from a JSONL file (parents before children) and the current one."""

    nodes: tuple[Story, ...]
    current: Story


def to_jsonl(nodes: Story | Iterable[Story], *, current: Story | None = None) -> str:
    """The JSONL form of a tree.

    One JSON object per line, UTF-8. The first line is a header; then one line per
    node, parents before children::

        {"format": "complete.nodes", "version": 1, "current": 2}
        {"id": 0, "parent_id": null, "text": "Once upon a time", "origin": "prompt", "provenance": {}}
        {"id": 1, "parent_id": 0, "text": " there was", "origin": "model",
         "provenance": {"params": {...}, "generation": {...}}}
        {"id": 2, "parent_id": 0, "text": " a fox", "origin": "user", "provenance": {}}

    (each node on one line; wrapped here for reading). ``id`` is an integer or a string
    (this library writes 0, 1, 2, ...), unique in the file; ``parent_id`` the id of an
    *earlier* line, or null for the root, of which there is exactly one; ``text`` the
    segment the node adds; ``origin`` "prompt" (the root, and only the root), "model"
    or "user"; ``provenance`` what made the text: ``params`` (``Params.to_dict()``),
    ``generation`` (``Generation.to_dict()``: finish reason, token counts, backend,
    model, seed, elapsed seconds, per-token ``logprobs``) and ``interrupted`` (true
    when a stream was stopped; absent means false); empty for the writer's own text,
    except that an edit (origin "edit", the writer's change anywhere in the text) has
    ``replaces``, ``[start, end]``: the span of its parent's text its ``text`` replaces.
    A file with an edit is version 2; one without is still written as version 1.
    The header's ``current`` names the node the story is at (optional; the last
    line's node when absent). Unknown fields are errors, so a typo is not silently
    lost. Export then import gives equal stories, node for node, with the same shape.

    A node's fields are those of the shared node codec (``complete.values.story_json``)
    under the names above: ``text`` is the codec's ``segment``, and the provenance
    holds ``params``, ``generation`` and ``interrupted``.

    ``nodes`` is one story (its path is written) or any number of nodes (all of
    them and their ancestors); all must share one root. ``current`` (default: the
    last node given) is named in the header.

    >>> story = Story.from_prompt("Once").extend(" upon", origin="user")
    >>> print(to_jsonl(story), end="")
    {"format": "complete.nodes", "version": 1, "current": 1}
    {"id": 0, "parent_id": null, "text": "Once", "origin": "prompt", "provenance": {}}
    {"id": 1, "parent_id": 0, "text": " upon", "origin": "user", "provenance": {}}
    """
    given = [nodes] if isinstance(nodes, Story) else list(nodes)
    if current is not None:
        given.append(current)
    if not given:
        raise ParamsError(field="nodes", value=nodes, allowed="at least one Story")
    ordered, ids = numbered(given)
    roots = [node for node in ordered if node.parent is None]
    if len(roots) > 1:
        raise ParamsError(field="nodes", value=f"{len(roots)} roots", allowed="nodes of one story tree (one root)")
    at = current if current is not None else given[-1]
    version = version_for(ordered, edits=JSONL_VERSION, before=_BEFORE_EDITS)
    lines = [json.dumps({"format": JSONL_FORMAT, "version": version, "current": ids[id(at)]})]
    for index, node in enumerate(ordered):
        own = encode_node(node)
        entry = {
            "id": index,
            "parent_id": None if node.parent is None else ids[id(node.parent)],
            "text": own.pop("segment"),
            "origin": own.pop("origin"),
            "provenance": own,
        }
        lines.append(json.dumps(entry, ensure_ascii=False))
    return "\n".join(lines) + "\n"


def write_jsonl(path: Source, nodes: Story | Iterable[Story], *, current: Story | None = None) -> None:
    """Write ``to_jsonl(nodes, current=current)`` to ``path`` atomically."""
    write_atomic(path, to_jsonl(nodes, current=current))


def from_jsonl(text: str, *, source: str = "JSONL") -> StoryTree:
    """Read a tree written by ``to_jsonl``; ``source`` names it in errors.

    >>> tree = from_jsonl(to_jsonl(Story.from_prompt("Once").extend(" upon", origin="user")))
    >>> tree.current.text, len(tree.nodes)
    ('Once upon', 2)
    """
    header: Mapping[str, Any] | None = None
    header_place = ""
    tree = TreeReader(entry="line", parent_key="parent_id", one_root=True, string_ids=True)
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        place = f"{source}, line {number}"
        try:
            data = json.loads(line)
        except (ValueError, RecursionError) as exc:
            raise StoryFormatError(f"{place}: not valid JSON ({exc})") from exc
        if not isinstance(data, dict):
            raise StoryFormatError(f"{place}: expected a JSON object, found {type(data).__name__}")
        if header is None:
            header, header_place = data, place
            _check_header(data, place)
            continue
        check_fields(data, _LINE_FIELDS, place, "a node")
        provenance = mapping(data.get("provenance", {}), f"{place}: provenance")
        check_fields(provenance, _PROVENANCE_FIELDS, f"{place}: provenance", "provenance")
        fields = {"segment": data.get("text"), "origin": data.get("origin"), **provenance}
        tree.read(
            data.get("id"),
            data.get("parent_id"),
            fields,
            label=f"line {number}",
            where=_named_in(place),
        )
    if header is None:
        raise StoryFormatError(f"{source}: empty; expected a header line and story nodes")
    if not tree.nodes:
        raise StoryFormatError(f"{source}: no story nodes after the header")
    current = tree.nodes[-1]
    if header.get("current") is not None:
        current = tree.find(header["current"], f"{header_place}: current")
    return StoryTree(tuple(tree.nodes), current)


def _named_in(place: str) -> Where:
    return lambda name: f"{place}: {_NAMES.get(name, name)}"


def _check_header(data: Mapping[str, Any], place: str) -> None:
    try:
        check_header(data, JSONL_FORMAT, JSONL_VERSION)
    except StoryFormatError as exc:
        raise StoryFormatError(f"{place}: {exc.message} (the first line is the header)") from exc
    unknown = sorted(set(data) - {"format", "version", "current"})
    if unknown:
        raise StoryFormatError(f"{place}: unknown header field(s) {unknown}")


def read_jsonl(path: Source) -> StoryTree:
    """Read a JSONL tree file; errors name the file, the line and the field."""
    return from_jsonl(read_file(path), source=str(path))
