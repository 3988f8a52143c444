"""Where a rendering goes in a notebook: the story's one output in the running cell.

Each ``Completer`` keeps one output per cell (``CellOutput``), replaced in place by
every later rendering. It does not render anything (``complete.display.render``),
and imports IPython only when a notebook kernel is already running.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from typing import Any

from complete.display import render as display
from complete.display.render import Rendering

__all__ = ["CellOutput", "Surface", "flush_to_front_end", "running_cell", "show", "showing_in"]

Surface = Callable[[Rendering], None]
"""Where notebook renderings go: a cell output, or the widget's story pane."""

_SURFACE: ContextVar[Surface | None] = ContextVar("complete_surface", default=None)


def _ipython_display() -> Any:
    """IPython's display module, imported only when a kernel is running."""
    import importlib

    return importlib.import_module("IPython.display")


def running_cell() -> str | None:
    """The id of the request the kernel is running (one execution of a cell), or
    None when it cannot be told (no kernel, or a kernel that does not say)."""
    header = getattr(display.running_shell(), "parent_header", None)
    if not isinstance(header, dict):
        return None
    msg_id = header.get("msg_id") or (header.get("header") or {}).get("msg_id")
    return msg_id if isinstance(msg_id, str) and msg_id else None


@contextlib.contextmanager
def showing_in(show: Surface) -> Iterator[None]:
    """Send every notebook rendering made in this block to ``show`` instead of a
    cell output; the widget's story pane uses it."""
    token = _SURFACE.set(show)
    try:
        yield
    finally:
        _SURFACE.reset(token)


def show(rendering: Rendering) -> None:
    """Show ``rendering`` as a new output of the running cell (or where ``showing_in`` says)."""
    surface = _SURFACE.get()
    if surface is not None:
        surface(rendering)
        return
    ipython = _ipython_display()
    ipython.display(rendering.bundle(), raw=True)


def flush_to_front_end() -> None:
    """Make sure what was just displayed has left the kernel.

    A kernel sends its outputs from a background thread; a caller about to block
    while holding the GIL (llama.cpp loading a model does) would keep a status line
    in the kernel until it is over. Flushing the kernel's stdout waits until that
    thread has sent everything queued before it.
    """
    sys.stdout.flush()


class CellOutput:
    """The one output a story has in the running cell, replaced by each new rendering.

    A cell that calls
    several operations shows the final story once, and streamed text grows that one
    output. Inside ``showing_in(show)`` every rendering goes to ``show`` instead; the
    widget panel uses it to put the story in its own HTML pane, because ipywidgets'
    ``Output`` widget does not apply ``update_display_data`` (ipywidgets#1844).

    A terminal (or a file, or a pipe) gets each operation's story as it happens, one
    after the other (``complete.display.live``): what was written there cannot be taken back
    once it has scrolled, a script's output is a log read from the top, and at a
    prompt each operation is usually its own line of input anyway.

    The first rendering made while a cell runs creates an output (with an IPython
    display handle); every later one made while the same cell runs replaces it in
    place. So a cell that calls several operations (``bloom.append(...)`` then
    ``bloom()``, or ``undo()`` then ``redo()``) shows the final story once, where the
    first operation put it, and a stream grows that same output. A new cell starts a
    new output. When the running cell cannot be told, each rendering is a new
    output, as plain IPython would do. Inside ``showing_in`` renderings go there.
    """

    def __init__(self) -> None:
        self._cell: str | None = None
        self._handle: Any = None

    def __call__(self, rendering: Rendering) -> None:
        surface = _SURFACE.get()
        if surface is not None:
            surface(rendering)
            return
        cell = running_cell()
        if self._handle is not None and cell is not None and cell == self._cell:
            self._handle.update(rendering.bundle(), raw=True)
            return
        self._handle = _ipython_display().display(rendering.bundle(), raw=True, display_id=True)
        self._cell = cell
