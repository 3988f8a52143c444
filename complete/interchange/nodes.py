"""Story trees from files: rebuilding one from entries that name their parent by id.

Sessions (``complete.interchange.session_json``) and JSON lines
(``complete.interchange.jsonl``) hold whole trees, each node's fields written and
checked by the node codec of ``complete.values.story_json``. ``TreeReader`` rebuilds
a tree: ids are unique, a parent comes before its children, and, where the format
says so, there is one root. ``numbered`` gives the writers their ids: 0, 1, 2, ...
parents first. Every error is a ``StoryFormatError`` naming the place. No file I/O.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from complete.errors import StoryFormatError, _shown
from complete.values.story import Story, parents_first
from complete.values.story_json import Where, decode

__all__ = ["TreeReader", "decode_node", "numbered"]


def decode_node(parent: Story | None, fields: Mapping[str, object], where: Where) -> Story:
    """The node under ``parent`` that ``fields`` describe (``complete.values.story_json.read_node``)."""
    return decode(Story, parent, fields, where)


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
