"""A story's path as JSON: what ``Story.to_dict()`` writes and ``Story.from_dict()`` reads.

The form is stable and versioned::

    {"format": "complete.story", "version": 1,
     "nodes": [{"segment": "Once upon a time", "origin": "prompt"},
               {"segment": " there was", "origin": "model", "params": {...}, "generation": {...}}]}

``nodes`` runs from the root to the story, each node written by the shared node
codec (``complete.interchange.nodes``); a node's parent is the one before it, so
there are no ids. A path with an edit node is version 2 (version 1 has none, and
a path without one is still written as version 1). Only the path is kept: for a
whole tree, see the session and JSON lines formats. Nothing here recurses along parent links, so stories thousands of
nodes deep are written and read in a loop.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from complete.errors import StoryFormatError
from complete.interchange.nodes import (
    NODE_FIELDS,
    check_fields,
    check_header,
    decode_node,
    dotted,
    encode_node,
    mapping,
    version_for,
)
from complete.values.story import Story

__all__ = ["STORY_FORMAT", "STORY_VERSION", "story_from_dict", "story_to_dict"]

STORY_FORMAT = "complete.story"
STORY_VERSION = 2
_BEFORE_EDITS = 1


def story_to_dict(story: Story) -> dict[str, Any]:
    """The path from the root to ``story`` (see the module docstring)."""
    path = story.path
    version = version_for(path, edits=STORY_VERSION, before=_BEFORE_EDITS)
    return {"format": STORY_FORMAT, "version": version, "nodes": [encode_node(node) for node in path]}


def story_from_dict(data: object) -> Story:
    """The story ``story_to_dict`` wrote; anything else is a ``StoryFormatError`` naming the field."""
    if not isinstance(data, Mapping):
        raise StoryFormatError(f"expected a story object, found {type(data).__name__}")
    check_header(data, STORY_FORMAT, STORY_VERSION)
    nodes = data.get("nodes")
    if not isinstance(nodes, list) or not nodes:
        raise StoryFormatError("nodes: expected a non-empty list of story nodes")
    story: Story | None = None
    for index, item in enumerate(nodes):
        place = f"nodes[{index}]"
        fields = mapping(item, place)
        check_fields(fields, NODE_FIELDS, place, "a node")
        story = decode_node(story, fields, dotted(place))
    assert story is not None
    return story
