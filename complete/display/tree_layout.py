"""Where each node of a session's tree goes in a drawing: a pure function of the tree.

``lay_out`` (or ``session_layout``) returns a ``Layout``: one ``Box`` per node to
draw, on a grid of columns and rows, long unbranched chains folded. It knows
nothing about pixels, SVG or HTML (``complete.display.tree_view`` draws a layout)
and never recurses: a story may be thousands of nodes deep.
"""

from __future__ import annotations

from collections.abc import Mapping

import attrs

from complete.values.story import Story
from complete.values.tree import Tree
from complete.writing.session import Session

__all__ = ["AUTHORS", "Box", "Layout", "author", "first_words", "lay_out", "session_layout"]

AUTHORS = {"prompt": "prompt", "model": "model", "user": "writer", "edit": "edit"}
"""How each origin is named on screen; an origin not listed is shown as it is."""

LABEL_CHARACTERS = 40
"""The longest label: the first words of a segment that fit, then "…"."""


SUMMARY_CHARACTERS = 160
"""The longest summary of a box's text (its tooltip)."""
SUMMARY_NODES = 12
"""How many of a folded chain's segments its summary reads at most."""


def author(origin: str) -> str:
    """Who wrote a node, in the writer's words.

    >>> author("user"), author("model"), author("translation")
    ('writer', 'model', 'translation')
    """
    return AUTHORS.get(origin, origin)


def first_words(segment: str, limit: int = LABEL_CHARACTERS) -> str:
    """The words ``segment`` starts with, at most ``limit`` characters ("…" when cut).

    >>> first_words("  Once upon\\na time, in a land far away, there lived a fox"), first_words("  ")
    ('Once upon a time, in a land far away,…', '(blank)')
    """
    words = segment.split()
    if not words:
        return "(blank)"
    if len(whole := " ".join(words)) <= limit:
        return whole
    label = ""
    for word in words:
        longer = f"{label} {word}" if label else word
        if len(longer) > limit - 1:
            return (label or word[: limit - 1]) + "…"
        label = longer
    return label


@attrs.frozen(kw_only=True)
class Box:
    """One box of the drawing.

    ``nodes``: the indices in the session's ``nodes`` it stands for, parents first
    (more than one: a folded chain). ``node``, the last of them, is where a click on
    the box goes. ``parent``: the index of the parent box in ``Layout.boxes``; a
    box in its parent's column is the main line going on, one column right a side
    branch.
    ``on_path``: on the path from the root to the current node; ``here``: it is the
    current node. ``authors``: who wrote its nodes, each name once, in order met.
    ``summary``: the beginning of its text (all its nodes' segments), for a tooltip.
    """

    nodes: tuple[int, ...]
    column: int
    row: int
    parent: int | None
    label: str
    authors: tuple[str, ...]
    summary: str = ""
    bookmarks: tuple[str, ...] = ()
    on_path: bool = False
    here: bool = False

    @property
    def node(self) -> int:
        return self.nodes[-1]

    @property
    def folded(self) -> bool:
        return len(self.nodes) > 1


@attrs.frozen(kw_only=True)
class Layout:
    """Every box, in preorder, and the size of the grid they fill."""

    boxes: tuple[Box, ...]
    columns: int
    rows: int


def session_layout(session: Session) -> Layout:
    """The layout of a ``Session``'s tree, its current node and bookmarks marked."""
    return lay_out(session.nodes, session.current, session.bookmarks)


def lay_out(nodes: Tree, current: Story, bookmarks: Mapping[str, Story] | None = None) -> Layout:
    """The boxes that draw ``nodes`` with ``current`` and ``bookmarks`` marked; see the
    module docstring.

    - a long unbranched chain is folded into one box holding all its nodes. A node keeps
      a box of its own when it is a root, a leaf, a branch point (two children or
      more), the first node of a branch, the current node or bookmarked: so folding
      never hides where the story forks, where it ends, or where the writer is;
    - at a branch point the story goes on, in the same column, with the child that holds
      the most nodes (the newest among equals): the main line of the story reads down
      one column. Its other children, oldest first, are side branches one column to the
      right, in the rows between the branch point and that main child. So the rows are
      the tree in preorder with the main child last, and a box is at most log2(N)
      columns in (each step right at least halves the nodes below): a notebook cell is
      narrow, and loom's canvas (depth across) would be thousands of pixels wide for a
      story retried a few dozen times.
    """
    index = {id(node): position for position, node in enumerate(nodes)}
    on_path = {id(node) for node in current.lineage()}
    names: dict[int, list[str]] = {}
    for name, node in (bookmarks or {}).items():
        names.setdefault(id(node), []).append(name)

    def own_box(node: Story) -> bool:
        parent = node.parent
        return (
            parent is None
            or len(nodes.children(node)) != 1
            or len(nodes.children(parent)) > 1
            or node is current
            or id(node) in names
        )

    size = dict.fromkeys(index, 1)  # nodes in each node's subtree; children come after parents
    for node in reversed(nodes):
        if node.parent is not None:
            size[id(node.parent)] += size[id(node)]
    boxes: list[Box] = []
    # Each entry: the node a box starts at, the parent box's index, its column.
    pending: list[tuple[Story, int | None, int]] = [(node, None, 0) for node in reversed(nodes) if node.parent is None]
    while pending:
        start, parent, column = pending.pop()
        chain = [start]
        if not own_box(start):
            while not own_box(nodes.children(chain[-1])[0]):
                chain.append(nodes.children(chain[-1])[0])
        last = chain[-1]
        children = nodes.children(last)
        authors = tuple(dict.fromkeys(author(node.origin) for node in chain))
        boxes.append(
            Box(
                nodes=tuple(index[id(node)] for node in chain),
                column=column,
                row=len(boxes),
                parent=parent,
                label=first_words(start.segment),
                authors=authors,
                summary=first_words("".join(node.segment for node in chain[:SUMMARY_NODES]), SUMMARY_CHARACTERS),
                bookmarks=tuple(names.get(id(last), ())),
                on_path=id(start) in on_path,
                here=last is current,
            )
        )
        mine = len(boxes) - 1
        if children:
            main = max(reversed(children), key=lambda child: size[id(child)])  # ties: the newest
            pending.append((main, mine, column))
            pending.extend((child, mine, column + 1) for child in reversed(children) if child is not main)
    columns = 1 + max((box.column for box in boxes), default=-1)
    return Layout(boxes=tuple(boxes), columns=columns, rows=len(boxes))
