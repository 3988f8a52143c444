"""Where a ``Completer`` shows its story: the notebook's output area, or the terminal.

A ``Screen`` is the one object a Completer calls to show anything, so that how a
story is shown can change in one place. It decides *where* (HTML in a running
notebook kernel, text on standard output otherwise) and remembers the little a
display must: whether text is streamed, and which one-time notes were already
given. *How* a story looks is ``complete.display``'s business: every rendering
comes from there.

The calls: ``show`` (the whole story, the new part marked, a footer under it),
``live`` (a story about to grow: the ``LiveView`` that takes streamed pieces and
finishes), ``show_alternatives``, ``show_view`` (any object with ``_repr_html_``,
such as a probability view), ``note`` (one line, optionally once only), and
``html`` / ``plain`` for the Completer's own ``_repr_html_`` and ``str``.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Protocol

from complete import display

__all__ = ["Screen", "Viewable"]


class Viewable(Protocol):
    """Something with a rich (HTML) and a plain rendering."""

    def _repr_html_(self) -> str: ...


class Screen:
    """See the module docstring; ``streams``: show text as it arrives."""

    def __init__(self, *, streams: bool = True) -> None:
        self.streams = streams
        self._told: set[str] = set()

    def show(self, text: str, new_from: int | None, footer: str) -> None:
        """The whole story, the part from ``new_from`` marked, and the footer."""
        if display.in_notebook():
            display.show_html(display.render_html(text, new_from, footer))
            return
        style = display.style_for(sys.stdout)
        print(display.render_text(text, new_from, width=display.terminal_width(), style=style))
        print(display.footer_text(footer, style))

    def live(self, text: str, footer: str, *, new_from: int) -> display.LiveView:
        """Start showing ``text`` that streamed pieces will extend."""
        view = display.LiveView(notebook=display.in_notebook())
        view.start(text, footer, new_from=new_from)
        return view

    def show_alternatives(self, context: str, texts: Sequence[str]) -> None:
        """Continuations of ``context`` side by side, numbered from 0."""
        if display.in_notebook():
            display.show_html(display.render_alternatives_html(context, texts))
        else:
            print(display.render_alternatives_text(context, texts, width=display.terminal_width()))

    def show_view(self, view: Viewable) -> None:
        """An object's HTML in a notebook, its ``str`` elsewhere."""
        if display.in_notebook():
            display.show_html(view._repr_html_())
        else:
            print(view)

    def note(self, line: str, *, once: str | None = None) -> None:
        """One line for the writer; with ``once``, only the first time that key is given."""
        if once is not None:
            if once in self._told:
                return
            self._told.add(once)
        print(line)

    def html(self, text: str, new_from: int | None, footer: str) -> str:
        """The story as HTML, for a notebook's rich display of the Completer."""
        return display.render_html(text, new_from, footer)

    def plain(self, text: str) -> str:
        """The story wrapped for reading, unmarked, for ``print``."""
        return display.render_text(text, None, width=display.terminal_width(), style="none")
