"""The branch tree in the widget, where a click on a node goes there (ipywidgets).

``bloom.widget()`` shows the tree under the story: the SVG of ``complete.tree_view``
in an ``ipywidgets.HTML``, and over each of its boxes a transparent
``ipywidgets.Button`` of the same size. A click on a box is a click on its button,
whose handler (in the kernel) checks the Completer out at that box's node; the
panel then shows the story there and redraws the tree.

Why buttons over a picture: an ``HTML`` widget sends nothing back to the kernel, and
a widget with its own JavaScript needs a front-end extension (or anywidget), which
plain JupyterLab with ipywidgets 8 does not have. Buttons are ipywidgets' own
clickable element, work in every front end that shows widgets, and need no script
in the page. They are placed with CSS (``position: absolute`` at each box's
place, from ``tree_view.box_origin``), in rules scoped to this panel's own class, so
that two panels in one notebook do not move each other's buttons. Buttons are
created once and reused as the tree grows, so a redraw sends one new SVG and
little else.

This module deliberately does not draw (``complete.tree_view`` does) and knows the
rest of the panel only through the ``run`` callback that ``complete.widget`` gives
it: every click goes through the panel's own error handling and story updates.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from complete.tree_layout import Box, session_layout
from complete.tree_view import BOX_HEIGHT, BOX_WIDTH, box_origin, tree_svg

if TYPE_CHECKING:
    from complete.completer import Completer

__all__ = ["HIT_CLASS", "TreePanel"]

HIT_CLASS = "complete-tree-hit"
"""The class of the transparent button over each box."""

_PANELS = itertools.count()
_HIT_STYLE = (
    f"position: absolute; width: {BOX_WIDTH}px; height: {BOX_HEIGHT}px; margin: 0; padding: 0; "
    "background: transparent; border: none; box-shadow: none; cursor: pointer"
)


class TreePanel:
    """The tree area of one widget panel; ``box`` is the widget to show, ``refresh()``
    redraws it from the Completer's session."""

    def __init__(self, completer: Completer, widgets: Any, run: Callable[[Callable[[], None]], None]) -> None:
        self.completer = completer
        self._widgets = widgets
        self._run = run
        self._scope = f"complete-tree-area-{next(_PANELS)}"
        self._boxes: tuple[Box, ...] = ()
        self.buttons: list[Any] = []
        self.drawing = widgets.HTML(value="", layout=widgets.Layout(margin="0"))
        self.box = widgets.Box([self.drawing], layout=widgets.Layout(overflow="auto", max_height="30em"))
        self.box.add_class("complete-tree-area")
        self.box.add_class(self._scope)
        self.refresh()

    def refresh(self) -> None:
        layout = session_layout(self.completer.session)
        self._boxes = layout.boxes
        while len(self.buttons) < len(layout.boxes):
            button = self._widgets.Button(description="", layout=self._widgets.Layout(margin="0"))
            button.add_class(HIT_CLASS)
            button.add_class(f"complete-tree-slot-{len(self.buttons)}")
            button.on_click(self._clicked(len(self.buttons)))
            self.buttons.append(button)
        for button, box in zip(self.buttons, layout.boxes, strict=False):
            button.tooltip = f"#{box.node} · {', '.join(box.authors)} · {box.summary}"
        self.drawing.value = self._style() + tree_svg(layout)
        shown = (self.drawing, *self.buttons[: len(layout.boxes)])
        if tuple(self.box.children) != shown:
            self.box.children = shown

    def _style(self) -> str:
        scope = f".{self._scope}"
        rules = [
            f"{scope} {{ position: relative; }}",
            f"{scope} .{HIT_CLASS} {{ {_HIT_STYLE} }}",
            f"{scope} .{HIT_CLASS}:hover {{ outline: 2px solid rgba(59, 111, 216, 0.55); border-radius: 4px; }}",
        ]
        for slot, box in enumerate(self._boxes):
            x, y = box_origin(box)
            rules.append(f"{scope} .complete-tree-slot-{slot} {{ left: {x}px; top: {y}px; }}")
        return f"<style>{''.join(rules)}</style>"

    def _clicked(self, slot: int) -> Callable[[Any], None]:
        def clicked(button: Any) -> None:
            node = self._boxes[slot].node
            self._run(lambda: self.completer.checkout(node))

        return clicked
