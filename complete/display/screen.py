"""Where a ``Completer`` shows its story: the notebook's output area, or the terminal.

A ``Screen`` is the one object a Completer calls to show anything. It decides
*where*, and remembers the little a display must; it deliberately does not decide
*how* a story looks (every rendering comes from ``complete.display.render``).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Protocol

from complete.display import cells
from complete.display import render as display
from complete.display.live import LiveView
from complete.display.terminal_text import visible

__all__ = ["Screen", "Viewable"]


class Viewable(Protocol):
    """Something with a rich (HTML) and a plain rendering."""

    def _repr_html_(self) -> str: ...


class Screen:
    """See the module docstring; ``streams``: show text as it arrives.

    It decides *where* (HTML in a running
    notebook kernel, text on standard output otherwise) and remembers the little a
    display must: whether text is streamed, which one-time notes were already given,
    and the story's output in the running notebook cell.

    One rendering per cell: in a notebook every story a Screen shows while one cell
    runs goes to the same output (``cells.CellOutput``), replaced in place, so
    ``bloom.append(...)`` then ``bloom()`` in one cell, or ``undo()`` then ``redo()``,
    leave the final story on screen once; a stream grows that output. Alternatives,
    probability views, prompts and notes are outputs of their own, as they are not
    the story. In a terminal each operation prints its story as it happens (see
    ``complete.display.render`` for why).

    The calls: ``show`` (the whole story, the new part marked, a footer under it),
    ``live`` (a request about to be built and sent: the ``LiveView`` that shows what
    it waits for, takes streamed pieces and finishes), ``wait_for_alternatives`` and
    ``show_alternatives``,
    ``show_view`` (any object with ``_repr_html_``, such as a probability view),
    ``show_prompt`` (what ``preview()`` prints), ``note`` (one line, optionally once
    only), and ``html`` / ``plain`` for the Completer's own ``_repr_html_`` and ``str``.
    """

    def __init__(self, *, streams: bool = True) -> None:
        self.streams = streams
        self._told: set[str] = set()
        self._story_output = cells.CellOutput()
        self._alternatives_output = cells.CellOutput()

    def show(self, text: str, new_from: int | None, footer: str) -> None:
        """The whole story, the part from ``new_from`` marked, and the footer."""
        if display.in_notebook():
            self._story_output(display.story(text, new_from, footer))
            return
        style = display.style_for(sys.stdout)
        print(display.render_text(text, new_from, width=display.terminal_width(), style=style))
        print(display.footer_text(footer, style))

    def live(self, text: str, footer: str, *, new_from: int | None = None) -> LiveView:
        """A view of a request about to be built: it shows what the request waits
        for (with ``text``, the story as it stands, until ``start`` gives the story
        the request continues), then streamed pieces when this Screen streams."""
        view = LiveView(notebook=display.in_notebook(), streams=self.streams, output=self._story_output)
        view.listen(text, footer, new_from=new_from)
        return view

    def wait_for_alternatives(self) -> LiveView:
        """A view of requests whose answers ``show_alternatives`` will show: in a
        notebook the wait is a status line alone in the output the alternatives
        then take (the story stays where it was, once)."""
        self._alternatives_output = cells.CellOutput()
        view = LiveView(notebook=display.in_notebook(), streams=False, output=self._alternatives_output)
        view.listen("", "")
        return view

    def show_alternatives(self, context: str, texts: Sequence[str]) -> None:
        """Continuations of ``context`` side by side, numbered from 0 (in a notebook,
        where ``wait_for_alternatives`` showed the wait)."""
        if display.in_notebook():
            self._alternatives_output(display.alternatives(context, texts))
            self._alternatives_output = cells.CellOutput()
        else:
            print(
                display.render_alternatives_text(
                    context, texts, width=display.terminal_width(), style=display.style_for(sys.stdout)
                )
            )

    def show_view(self, view: Viewable) -> None:
        """An object's HTML in a notebook, its ``str`` elsewhere."""
        if display.in_notebook():
            cells.show(display.Rendering(view._repr_html_(), str(view)))
        else:
            print(view)

    def show_prompt(self, report: str, text: str) -> None:
        """A prompt and the report on its parts. A notebook and a terminal wrap it
        between words; a file or pipe gets the prompt exactly as it is sent."""
        if display.in_notebook():
            cells.show(display.prompt(report, text))
            return
        width = display.terminal_width() if display.is_terminal(sys.stdout) else None
        print(display.prompt_text(report, text, width=width))

    def note(self, line: str, *, once: str | None = None) -> None:
        """One line for the writer; with ``once``, only the first time that key is given."""
        if once is not None:
            if once in self._told:
                return
            self._told.add(once)
        print(visible(line))  # a note can quote a server's words

    def html(self, text: str, new_from: int | None, footer: str) -> str:
        """The story as HTML, for a notebook's rich display of the Completer."""
        return display.render_html(text, new_from, footer)

    def plain(self, text: str) -> str:
        r"""The story wrapped for reading, unmarked, its paragraphs apart (a blank line
        between two, as the original's ``print(bloom)`` had), for ``print``.

        >>> print(Screen().plain("It rained.\nThen it stopped."))
        It rained.
        <BLANKLINE>
        Then it stopped.
        """
        width = display.terminal_width()
        return "\n\n".join(display.render_text(part, None, width=width, style="none") for part in text.split("\n"))
