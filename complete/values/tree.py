"""Every node of a writing session, in the order met, with each node's children indexed.

A ``Story`` knows its parent but not its children, so a session keeps its nodes in
an immutable ``Tree``. It does not share its index between trees (no tree ever
changes under the sessions that hold it) and does not compare nodes by equality.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import overload

from complete.values.story import Story, parents_first

__all__ = ["Tree"]


class Tree(Sequence[Story]):
    """The nodes of a session, parents first.

    ``children(node)`` is one dictionary lookup however large the tree. ``adding``
    returns a new tree and leaves this one as it was: the new tree copies the node
    tuple and the set and dictionary that index it rather than sharing them; the copies
    run at C speed (``benchmarks/bench_session.py`` measures them). Nodes are told
    apart by identity, not equality: two equal stories written at different times are
    two nodes (a retry that happens to give the same words is still a new try). Equal
    trees hold equal nodes in the same order.

    >>> root = Story.from_prompt("Once")
    >>> tree = Tree([root.extend(" upon", origin="model")])
    >>> [node.segment for node in tree], [node.segment for node in tree.children(root)]
    (['Once', ' upon'], [' upon'])
    """

    __slots__ = ("_children", "_index", "_nodes")

    def __init__(self, stories: Iterable[Story] = ()) -> None:
        self._nodes: tuple[Story, ...] = ()
        self._index: set[int] = set()
        self._children: dict[int, tuple[Story, ...]] = {}
        self._take(parents_first(stories))

    def _take(self, new: list[Story]) -> None:
        self._nodes += tuple(new)
        for node in new:
            self._index.add(id(node))
            if node.parent is not None:
                key = id(node.parent)
                self._children[key] = (*self._children.get(key, ()), node)

    def knows(self, node: Story) -> bool:
        """Whether this very node (not merely an equal one) is in the tree. The tree
        holds every node it indexes, so no other object can have an indexed id."""
        return id(node) in self._index

    def adding(self, stories: Iterable[Story]) -> Tree:
        """A tree with ``stories`` and their ancestors added (this tree if none is new)."""
        new = parents_first(stories, self._index)
        if not new:
            return self
        grown = Tree()
        grown._nodes = self._nodes
        grown._index = set(self._index)
        grown._children = dict(self._children)
        grown._take(new)
        return grown

    def children(self, node: Story) -> tuple[Story, ...]:
        """The nodes made from ``node``, oldest first."""
        return self._children.get(id(node), ()) if self.knows(node) else ()

    def __len__(self) -> int:
        return len(self._nodes)

    @overload
    def __getitem__(self, index: int) -> Story: ...

    @overload
    def __getitem__(self, index: slice) -> tuple[Story, ...]: ...

    def __getitem__(self, index: int | slice) -> Story | tuple[Story, ...]:
        return self._nodes[index]

    def __iter__(self) -> Iterator[Story]:
        return iter(self._nodes)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Tree):
            return self._nodes == other._nodes
        if isinstance(other, tuple):
            return self._nodes == other
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]  # equal to a tuple, but not a key

    def __repr__(self) -> str:
        return f"Tree({len(self._nodes)} nodes)"
