"""The branch tree in the widget, where a click on a node goes there (ipywidgets).

``TreePanel`` lays one transparent button over each box of the
``complete.display.tree_view`` drawing. It deliberately does not draw (``tree_view``
does) and knows the rest of the panel only through the ``run`` callback that
``complete.widget`` gives it.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any, Protocol

from complete.display.tree_layout import Box, session_layout
from complete.display.tree_view import BOX_HEIGHT, BOX_WIDTH, box_origin, tree_svg
from complete.values.story import Story
from complete.writing.session import Session


class Steered(Protocol):
    """What the tree panel asks of the ``Completer``: its session, and to go to a node
    (this module does not import ``complete.completer``, which imports the widget)."""

    @property
    def session(self) -> Session: ...

    def checkout(self, node: Story | str | int) -> None: ...


__all__ = ["HIT_CLASS", "TreePanel"]

HIT_CLASS = "complete-tree-hit"
"""The class of the ``ToggleButtons`` whose transparent buttons lie over the boxes."""

_PANELS = itertools.count()
_HIT_STYLE = (
    f"position: absolute; width: {BOX_WIDTH}px; height: {BOX_HEIGHT}px; margin: 0; padding: 0; "
    "background: transparent; color: transparent; border: none; box-shadow: none; cursor: pointer"
)


class TreePanel:
    """The tree area of one widget panel; ``box`` is the widget to show, ``refresh()``
    redraws it from the Completer's session.

    ``bloom.widget()`` shows the tree under the story: the SVG of ``complete.display.tree_view``
    in an ``ipywidgets.HTML``, and over each of its boxes a transparent button of the
    same size: the buttons of one ``ipywidgets.ToggleButtons``, one option a box. A
    click on a box is a click on its button, which selects that option; the kernel
    sees the selection change and checks the Completer out at that box's node; the
    panel then shows the story there, redraws the tree and selects the current node's
    option again (so a click on the current node does nothing, as it should).

    Why buttons over a picture: an ``HTML`` widget sends nothing back to the kernel, and
    a widget with its own JavaScript needs a front-end extension (or anywidget), which
    plain JupyterLab with ipywidgets 8 does not have. Buttons are ipywidgets' own
    clickable element, work in every front end that shows widgets, and need no script
    in the page. One ``ToggleButtons`` rather than a ``Button`` per box because each
    ``Button`` is three widget models (with its layout and style): 300 of them took a
    second to create, 300 options take 10 ms. The buttons are placed with CSS
    (``position: absolute`` at each box's place from ``tree_view.box_origin``, found by
    their ``value`` attribute, the option's index), in rules scoped to this panel's own
    class, so that two panels in one notebook do not move each other's buttons.
    """

    def __init__(self, completer: Steered, widgets: Any, run: Callable[[Callable[[], None]], None]) -> None:
        self.completer = completer
        self._run = run
        self._scope = f"complete-tree-area-{next(_PANELS)}"
        self._boxes: tuple[Box, ...] = ()
        self._syncing = False
        self.drawing = widgets.HTML(value="", layout=widgets.Layout(margin="0"))
        self.buttons = widgets.ToggleButtons(options=[("#0", 0)], layout=widgets.Layout(margin="0"))
        self.buttons.add_class(HIT_CLASS)
        self.buttons.observe(self._clicked, names="index")
        self.box = widgets.Box([self.drawing, self.buttons], layout=widgets.Layout(overflow="auto", max_height="30em"))
        self.box.add_class("complete-tree-area")
        self.box.add_class(self._scope)
        self.refresh()

    def refresh(self) -> None:
        layout = session_layout(self.completer.session)
        self._boxes = layout.boxes
        self._syncing = True
        try:
            self.buttons.options = [(f"#{box.node}", slot) for slot, box in enumerate(layout.boxes)]
            self.buttons.tooltips = [f"#{box.node} · {', '.join(box.authors)} · {box.summary}" for box in layout.boxes]
            self.buttons.index = next((slot for slot, box in enumerate(layout.boxes) if box.here), None)
        finally:
            self._syncing = False
        self.drawing.value = self._style() + tree_svg(layout)

    def _style(self) -> str:
        scope = f".{self._scope}"
        hit = f"{scope} .{HIT_CLASS} .widget-toggle-button"
        rules = [
            f"{scope} {{ position: relative; }}",
            # The buttons are placed from the top left of the drawing, whatever the flow.
            f"{scope} .{HIT_CLASS} {{ position: absolute; left: 0; top: 0; margin: 0; }}",
            f"{scope} .{HIT_CLASS} > div {{ position: static; }}",
            f"{hit}, {hit}.mod-active {{ {_HIT_STYLE} }}",
            f"{hit}:hover {{ outline: 2px solid rgba(59, 111, 216, 0.55); border-radius: 4px; }}",
        ]
        for slot, box in enumerate(self._boxes):
            x, y = box_origin(box)
            rules.append(f'{hit}[value="{slot}"] {{ left: {x}px; top: {y}px; }}')
        return f"<style>{''.join(rules)}</style>"

    def _clicked(self, change: dict[str, Any]) -> None:
        slot = change["new"]
        if self._syncing or slot is None:
            return
        node = self._boxes[slot].node
        self._run(lambda: self.completer.checkout(node))
