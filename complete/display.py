"""Showing a story to a reader: wrapped text in a terminal, HTML in a notebook.

The ``Completer`` shows the *whole* story after every call, with the newest part
marked, the way the original README promised. Three renderings:

- HTML (Jupyter, VS Code, anything with a kernel): paragraphs, the new part
  highlighted with a translucent background that works on light and dark themes,
  and the parameters in one small line underneath. While text streams in, one
  display handle is updated in place (the first piece at once, then at most
  ``REFRESH_SECONDS`` apart), not a new output per token.
- ANSI (a terminal): text wrapped to the terminal's width, the new part in bold;
  streamed pieces are wrapped as they arrive.
- plain (output redirected to a file or pipe): wrapped, the new part between
  ``⟦`` and ``⟧``, characters that prose does not use.

IPython is imported only when a notebook kernel is already running, never at
import time. This module knows nothing about transports or the story tree: it
renders text given where the new part starts.
"""

from __future__ import annotations

import html
import os
import re
import shutil
import sys
import textwrap
import time
from collections.abc import Sequence
from typing import Any, Literal, TextIO

__all__ = [
    "LiveView",
    "in_notebook",
    "render_alternatives_html",
    "render_alternatives_text",
    "render_html",
    "render_text",
    "terminal_width",
]

Style = Literal["ansi", "plain", "none"]

REFRESH_SECONDS = 0.05
OPEN_MARK, CLOSE_MARK = "⟦", "⟧"
_BOLD, _DIM, _RESET = "\x1b[1m", "\x1b[2m", "\x1b[0m"
# Private-use characters stand in for the marks while wrapping, so that the wrap
# never separates a mark from the word it belongs to.
_OPEN, _CLOSE = "\ue000", "\ue001"

_HIGHLIGHT = "background: rgba(255, 196, 0, 0.28); border-radius: 3px; padding: 0 1px"
_STORY_STYLE = "font-family: Georgia, 'Times New Roman', serif; font-size: 1.05em; line-height: 1.55; max-width: 46em"
_FOOTER_STYLE = "font-family: ui-monospace, monospace; font-size: 0.78em; opacity: 0.65; margin-top: 0.4em"


def in_notebook() -> bool:
    """True inside a Jupyter kernel (where rich HTML output is shown)."""
    ipython = sys.modules.get("IPython")
    if ipython is None:
        return False
    shell = ipython.get_ipython()
    return shell is not None and hasattr(shell, "kernel")


def terminal_width() -> int:
    """Columns to wrap at: the terminal's width, or 80 when there is no terminal."""
    columns = shutil.get_terminal_size(fallback=(80, 24)).columns
    return max(20, columns - 1)


def style_for(stream: TextIO) -> Style:
    """ANSI for a terminal (unless NO_COLOR is set), plain marks otherwise."""
    isatty = getattr(stream, "isatty", None)
    if callable(isatty) and isatty() and not os.environ.get("NO_COLOR"):
        return "ansi"
    return "plain"


def render_text(text: str, new_from: int | None, *, width: int, style: Style) -> str:
    r"""The story wrapped to ``width``, paragraphs kept, the part from ``new_from`` marked.

    >>> print(render_text("Once upon a time there was a fox.", 17, width=20, style="plain"))
    Once upon a time
    ⟦there was a fox.⟧
    """
    marked = text
    if new_from is not None and new_from < len(text) and style != "none":
        marked = text[:new_from] + _OPEN + text[new_from:] + _CLOSE
    lines = []
    for paragraph in marked.split("\n"):
        lines.append(textwrap.fill(paragraph, width=width, break_long_words=False, break_on_hyphens=False))
    out = "\n".join(lines)
    if style == "ansi":
        return _ansi_marks(out)
    return out.replace(_OPEN, OPEN_MARK).replace(_CLOSE, CLOSE_MARK)


def _ansi_marks(wrapped: str) -> str:
    # Bold must be re-opened after each line break inside the marked part, so that
    # a terminal that resets attributes per line still shows it.
    out = []
    bold = False
    for char in wrapped:
        if char == _OPEN:
            bold = True
            out.append(_BOLD)
        elif char == _CLOSE:
            bold = False
            out.append(_RESET)
        elif char == "\n" and bold:
            out.append(_RESET + "\n" + _BOLD)
        else:
            out.append(char)
    return "".join(out)


def footer_text(footer: str, style: Style) -> str:
    """The parameter line, dimmed in a terminal."""
    return f"{_DIM}{footer}{_RESET}" if style == "ansi" and footer else footer


def render_html(text: str, new_from: int | None, footer: str = "") -> str:
    """The story as HTML paragraphs with the part from ``new_from`` highlighted."""
    parts = []
    start = 0
    for paragraph in text.split("\n"):
        end = start + len(paragraph)
        if new_from is None or new_from >= end or not paragraph:
            body = html.escape(paragraph)
        elif new_from <= start:
            body = f'<span class="complete-new" style="{_HIGHLIGHT}">{html.escape(paragraph)}</span>'
        else:
            cut = new_from - start
            body = (
                html.escape(paragraph[:cut])
                + f'<span class="complete-new" style="{_HIGHLIGHT}">{html.escape(paragraph[cut:])}</span>'
            )
        parts.append(f'<p style="margin: 0 0 0.7em 0">{body}</p>')
        start = end + 1
    note = f'<div class="complete-params" style="{_FOOTER_STYLE}">{html.escape(footer)}</div>' if footer else ""
    return f'<div class="complete-story" style="{_STORY_STYLE}">{"".join(parts)}{note}</div>'


def render_alternatives_text(context: str, texts: Sequence[str], *, width: int) -> str:
    """Alternatives numbered from 0, each after the last words of the story."""
    tail = context[-60:].split("\n")[-1]
    blocks = []
    for number, text in enumerate(texts):
        body = textwrap.fill(f"…{tail}{OPEN_MARK}{text}{CLOSE_MARK}", width=width - 5, break_long_words=False)
        blocks.append(textwrap.indent(body, "     ").replace("     ", f"[{number}]  ", 1))
    return "\n\n".join(blocks) + "\n\nChoose one with .choose(i)."


def render_alternatives_html(context: str, texts: Sequence[str]) -> str:
    """Alternatives side by side, numbered from 0 as ``choose(i)`` counts them."""
    tail = html.escape(context[-80:].split("\n")[-1])
    cells = []
    for number, text in enumerate(texts):
        body = html.escape(text).replace("\n", "<br>")
        cells.append(
            f'<div style="border: 1px solid rgba(128,128,128,0.35); border-radius: 6px; padding: 0.6em">'
            f'<div style="{_FOOTER_STYLE}; margin: 0 0 0.4em 0">{number}</div>'
            f'<span style="opacity: 0.6">…{tail}</span><span style="{_HIGHLIGHT}">{body}</span></div>'
        )
    columns = min(len(texts), 3) or 1
    grid = f"display: grid; grid-template-columns: repeat({columns}, minmax(0, 1fr)); gap: 0.8em"
    return (
        f'<div class="complete-alternatives" style="{_STORY_STYLE}; max-width: none; {grid}">{"".join(cells)}</div>'
        f'<div style="{_FOOTER_STYLE}">choose one with .choose(i)</div>'
    )


def _ipython_display() -> Any:
    """IPython's display module, imported only when a kernel is running."""
    import importlib

    return importlib.import_module("IPython.display")


def show_html(markup: str) -> None:
    """Display HTML in the running notebook."""
    ipython = _ipython_display()
    ipython.display(ipython.HTML(markup))


class LiveView:
    """The story on screen while new text streams in, updated in place.

    ``start`` shows the story so far; ``piece`` adds streamed text; ``finish``
    shows the final story (with an optional one-line note); ``abort`` leaves the
    screen as it is after an error.
    """

    def __init__(self, *, notebook: bool, out: TextIO | None = None, width: int | None = None) -> None:
        self.notebook = notebook
        self.out = out if out is not None else sys.stdout
        self.width = width or terminal_width()
        self.style: Style = style_for(self.out)
        self._text = ""
        self._new_from = 0
        self._footer = ""
        self._handle: Any = None
        self._last_refresh = 0.0
        self._column = 0
        self._in_word = False
        self._space = ""
        self._pieces = 0

    def start(self, text: str, footer: str, *, new_from: int | None = None) -> None:
        """Show ``text``; streamed pieces are marked as new, and in a notebook so is
        the part of ``text`` from ``new_from`` (default: nothing of it)."""
        self._text = text
        self._new_from = len(text) if new_from is None else new_from
        self._footer = footer
        if self.notebook:
            ipython = _ipython_display()
            shown = None if self._new_from >= len(text) else self._new_from
            self._handle = ipython.display(ipython.HTML(render_html(text, shown, footer)), display_id=True)
            return
        wrapped = render_text(text, None, width=self.width, style="none")
        self.out.write(wrapped)
        last_line = wrapped.rsplit("\n", 1)[-1]
        self._column = len(last_line)
        self._in_word = bool(last_line) and not last_line[-1].isspace()
        if self.style == "ansi":
            self.out.write(_BOLD)
        elif self.style == "plain":
            self.out.write(OPEN_MARK)
        self.out.flush()

    def piece(self, text: str) -> None:
        self._text += text
        self._pieces += 1
        if self.notebook:
            now = time.monotonic()
            if self._pieces == 1 or now - self._last_refresh >= REFRESH_SECONDS:
                self._refresh(self._text, self._new_from, self._footer)
                self._last_refresh = now
            return
        self.out.write(self._wrap_piece(text))
        self.out.flush()

    def finish(self, text: str, new_from: int | None, footer: str, note: str = "") -> None:
        if self.notebook:
            self._refresh(text, new_from, footer)
            if note:
                print(note, file=self.out)
            return
        if self.style == "ansi":
            self.out.write(_RESET)
        elif self.style == "plain":
            self.out.write(CLOSE_MARK)
        self.out.write("\n" + footer_text(footer, self.style) + "\n")
        if note:
            self.out.write(note + "\n")
        self.out.flush()

    def abort(self) -> None:
        if not self.notebook:
            self.out.write((_RESET if self.style == "ansi" else "") + "\n")
            self.out.flush()

    def _refresh(self, text: str, new_from: int | None, footer: str) -> None:
        self._handle.update(_ipython_display().HTML(render_html(text, new_from, footer)))

    def _wrap_piece(self, text: str) -> str:
        out = []
        for part in re.findall(r"\n|[^\S\n]+|\S+", text):
            if part == "\n":
                mark_break = _RESET + "\n" + _BOLD if self.style == "ansi" else "\n"
                out.append(mark_break)
                self._column, self._in_word, self._space = 0, False, ""
            elif part.isspace():
                self._space += part
                self._in_word = False
            else:
                if not self._in_word and self._column and self._column + len(self._space) + len(part) > self.width:
                    out.append(_RESET + "\n" + _BOLD if self.style == "ansi" else "\n")
                    self._column, self._space = 0, ""
                out.append(self._space + part)
                self._column += len(self._space) + len(part)
                self._space = ""
                self._in_word = True
        return "".join(out)
