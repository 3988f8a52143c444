"""The whole branch tree, drawn: an SVG in a notebook, a text tree in a terminal.

``bloom.tree()`` returns a ``TreeView`` of the session at that moment. The drawing
is static: a click in it reaches no kernel (``complete.display.tree_panel`` lays
buttons over it in the widget), and it does not lay the tree out
(``complete.display.tree_layout`` does).
"""

from __future__ import annotations

from html import escape

import attrs

from complete.display.tree_layout import Box, Layout, session_layout
from complete.writing.session import Session

__all__ = [
    "BOX_HEIGHT",
    "BOX_WIDTH",
    "INDENT",
    "PADDING",
    "ROW_HEIGHT",
    "TreeView",
    "box_origin",
    "drawing_size",
    "tree_svg",
    "tree_text",
]

BOX_WIDTH, BOX_HEIGHT = 400, 26
INDENT, ROW_HEIGHT = 24, 32
"""A box, how far a child box is indented and how far apart rows are, in pixels."""
PADDING = 8
FLAG_ROOM = 140
"""Room right of the deepest box for bookmark names."""

_EDGES = {"prompt": "#555b66", "model": "#8a63d2", "writer": "#2e9d5b", "edit": "#d9822b"}
_OTHER_EDGE = "#9aa0a6"
_LINE, _PATH = "#b4bac4", "#3b6fd8"
_FRAME_STYLE = "overflow: auto; max-height: 60em; max-width: 100%; border: 1px solid #dde1e6; border-radius: 4px"
_BOOKMARK_CHARACTERS = 14


@attrs.frozen
class TreeView:
    """The tree of a session at one moment; see the module docstring.

    A notebook shows its ``_repr_html_``: an SVG of the ``complete.display.tree_layout`` boxes, one
    a row: the story's main line down the left, each side branch a step right of where
    it branches, joined to it by an elbow line; in a frame that scrolls when the tree is
    taller than 60em. Each box is one ``<g>`` element with ``data-node``, its node's
    index in ``bloom.nodes`` (``bloom.checkout(i)`` goes there); boxes on the current
    path carry ``data-current`` ("path", or "node" for the current node) and are drawn
    in blue, the current one filled; a folded chain carries ``data-folded`` (how many
    nodes it holds) and is drawn as a stack of cards. Each box shows the first words of
    its segment, its author (a coloured edge and the name: model, writer, edit, prompt;
    any other origin by its own name) and, right of it, its bookmarks; its tooltip holds
    the beginning of its text and its index.

    ``print(view)`` and ``repr(view)`` are the same tree as text, one line per box.
    Every piece of story text is HTML-escaped.
    """

    layout: Layout

    @classmethod
    def of(cls, session: Session) -> TreeView:
        return cls(session_layout(session))

    def _repr_html_(self) -> str:
        return f'<div class="complete-tree" style="{_FRAME_STYLE}">{tree_svg(self.layout)}</div>'

    def __str__(self) -> str:
        return tree_text(self.layout)

    __repr__ = __str__


def box_origin(box: Box) -> tuple[int, int]:
    """The top left corner of ``box`` in the drawing, in pixels."""
    return PADDING + box.column * INDENT, PADDING + box.row * ROW_HEIGHT


def drawing_size(layout: Layout) -> tuple[int, int]:
    """The drawing's width and height in pixels."""
    width = 2 * PADDING + max(layout.columns - 1, 0) * INDENT + BOX_WIDTH + FLAG_ROOM
    height = 2 * PADDING + max(layout.rows - 1, 0) * ROW_HEIGHT + BOX_HEIGHT + 4
    return width, height


def tree_svg(layout: Layout) -> str:
    """The SVG of ``layout``: lines first (the current path's last, on top), then boxes."""
    width, height = drawing_size(layout)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="complete-tree-svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="system-ui, -apple-system, Segoe UI, sans-serif" '
        'style="display: block">',
        f'<rect width="{width}" height="{height}" fill="#ffffff"/>',
    ]
    joined = [(layout.boxes[box.parent], box) for box in layout.boxes if box.parent is not None]
    parts.extend(_line(parent, child) for parent, child in sorted(joined, key=lambda pair: pair[1].on_path))
    parts.extend(_box(box) for box in layout.boxes)
    parts.append("</svg>")
    return "".join(parts)


def _line(parent: Box, child: Box) -> str:
    """From under the parent's left end: straight down to its main line's next box,
    or down to a side branch's row and across to it."""
    px, py = box_origin(parent)
    cx, cy = box_origin(child)
    colour, width = (_PATH, 2.5) if child.on_path else (_LINE, 1.2)
    stem = px + INDENT // 2
    route = f"V{cy}" if child.column == parent.column else f"V{cy + BOX_HEIGHT // 2}H{cx}"
    return f'<path d="M{stem} {py + BOX_HEIGHT}{route}" fill="none" stroke="{colour}" stroke-width="{width}"/>'


def _box(box: Box) -> str:
    x, y = box_origin(box)
    current = ' data-current="node"' if box.here else ' data-current="path"' if box.on_path else ""
    folded = f' data-folded="{len(box.nodes)}"' if box.folded else ""
    fill, stroke, ink, stroke_width = (
        ("#3b6fd8", "#1d4fb8", "#ffffff", 2)
        if box.here
        else ("#e8f0fe", _PATH, "#1a2a4a", 1.5)
        if box.on_path
        else ("#ffffff", "#b4bac4", "#2b2f36", 1)
    )
    weight = ' font-weight="600"' if box.here else ""
    edge = _EDGES.get(box.authors[-1], _OTHER_EDGE)
    numbers = f"#{box.nodes[0]}…#{box.node}" if box.folded else f"#{box.node}"
    title = escape(f"{numbers} · {', '.join(box.authors)} · {box.summary}", quote=False)
    meta = ", ".join(box.authors)
    if box.folded:
        meta = f"{len(box.nodes)} nodes · {meta}"
    flag = ""
    if box.bookmarks:
        names = ", ".join(box.bookmarks)
        cut = names if len(names) <= _BOOKMARK_CHARACTERS else names[: _BOOKMARK_CHARACTERS - 1] + "…"
        flag = (
            f'<text x="{x + BOX_WIDTH + 8}" y="{y + 17}" font-size="12" font-weight="600" fill="#b26a00">'
            f"★ {escape(cut, quote=False)}</text>"
        )
    stack = (
        f'<rect x="{x + 3}" y="{y + 3}" width="{BOX_WIDTH}" height="{BOX_HEIGHT}" rx="4" fill="{fill}" '
        f'stroke="{stroke}" stroke-dasharray="4 3"/>'
        if box.folded
        else ""
    )
    return (
        f'<g class="complete-tree-node" data-node="{box.node}"{current}{folded} style="cursor: pointer">'
        f"<title>{title}</title>{stack}"
        f'<rect x="{x}" y="{y}" width="{BOX_WIDTH}" height="{BOX_HEIGHT}" rx="4" fill="{fill}" '
        f'stroke="{stroke}" stroke-width="{stroke_width}"/>'
        f'<rect x="{x}" y="{y}" width="5" height="{BOX_HEIGHT}" rx="2" fill="{edge}"/>'
        f'<text x="{x + 11}" y="{y + 17}" font-size="12" fill="{ink}"{weight}>{escape(box.label, quote=False)}</text>'
        f'<text x="{x + BOX_WIDTH - 8}" y="{y + 17}" font-size="10.5" text-anchor="end" fill="{ink}" '
        f'fill-opacity="0.72">{escape(meta, quote=False)}</text>{flag}</g>'
    )


def tree_text(layout: Layout) -> str:
    """``layout`` as text, one line a box: a side branch starts with "↳" one step
    right of the box it branches from, the main line goes on straight down; ``*``
    in the margin marks the current path, and the current node ends with "← here".

    A line in the same column as the line above continues it; "↳" branches from
    the nearest line above that is one column to the left.
    """
    lines = []
    for box in layout.boxes:
        side = box.parent is not None and layout.boxes[box.parent].column != box.column
        indent = "    " * box.column
        prefix = indent[:-2] + "↳ " if side else indent
        lines.append(("* " if box.on_path else "  ") + prefix + _text_line(box))
    return "\n".join(lines)


def _text_line(box: Box) -> str:
    if box.folded:
        line = f"#{box.nodes[0]}…#{box.node} ({len(box.nodes)} nodes) {box.label} · {', '.join(box.authors)}"
    else:
        line = f"#{box.node} {box.label} · {', '.join(box.authors)}"
    if box.bookmarks:
        line += " ★ " + ", ".join(box.bookmarks)
    return line + ("  ← here" if box.here else "")
