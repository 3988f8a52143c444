"""Showing a story to a reader: wrapped text in a terminal, HTML in a notebook.

Three renderings of the whole story with its newest part marked: HTML, ANSI for a
terminal, and plain text for a file or pipe. This module does not decide where a
rendering goes (``complete.display.cells``, ``complete.display.live``), knows
nothing about transports or the story tree, and imports no IPython.
"""

from __future__ import annotations

import html
import os
import shutil
import sys
import textwrap
from collections.abc import Sequence
from typing import Any, Literal, TextIO

import attrs

from complete.display.terminal_text import visible

__all__ = [
    "Rendering",
    "alternatives",
    "in_notebook",
    "prompt",
    "prompt_text",
    "render_alternatives_html",
    "render_alternatives_text",
    "render_html",
    "render_text",
    "running_shell",
    "story",
    "terminal_width",
]

Style = Literal["ansi", "none"]

_BOLD, _DIM, _RESET = "\x1b[1m", "\x1b[2m", "\x1b[0m"
# Private-use characters stand in for the bold marks while wrapping, so that the
# wrap never separates a mark from the word it belongs to.
_OPEN, _CLOSE = "\ue000", "\ue001"

_HIGHLIGHT = "background: rgba(255, 196, 0, 0.28); border-radius: 3px; padding: 0 1px"
_STORY_STYLE = "font-family: Georgia, 'Times New Roman', serif; font-size: 1.05em; line-height: 1.55; max-width: 46em"
_FOOTER_STYLE = "font-family: ui-monospace, monospace; font-size: 0.78em; opacity: 0.65; margin-top: 0.4em"
_STATUS_STYLE = "font-family: ui-monospace, monospace; font-size: 0.85em; font-style: italic; opacity: 0.8"
_PROMPT_STYLE = "white-space: pre-wrap; word-break: normal; overflow-wrap: anywhere; margin: 0"


def running_shell() -> Any:
    """The running IPython shell (None outside IPython), without importing IPython
    when it is not loaded."""
    ipython = sys.modules.get("IPython")
    get = getattr(ipython, "get_ipython", None)
    return get() if callable(get) else None


def in_notebook() -> bool:
    """True inside a Jupyter kernel (where rich HTML output is shown)."""
    shell = running_shell()
    return shell is not None and hasattr(shell, "kernel")


def terminal_width() -> int:
    """Columns to wrap at: the terminal's width, or 80 when there is no terminal."""
    columns = shutil.get_terminal_size(fallback=(80, 24)).columns
    return max(20, columns - 1)


def is_terminal(stream: TextIO) -> bool:
    """True when ``stream`` is an interactive terminal."""
    isatty = getattr(stream, "isatty", None)
    return bool(callable(isatty) and isatty())


def style_for(stream: TextIO) -> Style:
    """ANSI for a terminal (unless NO_COLOR is set); plain text for a file or pipe."""
    return "ansi" if is_terminal(stream) and not os.environ.get("NO_COLOR") else "none"


def render_text(text: str, new_from: int | None, *, width: int, style: Style) -> str:
    r"""The story wrapped to ``width``, paragraphs kept, the part from ``new_from`` in
    bold for a terminal (``style="ansi"``); plain text otherwise.

    >>> print(render_text("Once upon a time there was a fox.", 17, width=20, style="none"))
    Once upon a time
    there was a fox.
    >>> render_text("Once upon a time there was a fox.", 17, width=20, style="ansi")
    'Once upon a time\n\x1b[1mthere was a fox.\x1b[0m'
    """
    marked = visible(text)  # control characters shown, never obeyed (complete.display.terminal_text)
    if new_from is not None and new_from < len(text) and style == "ansi":
        marked = visible(text[:new_from]) + _OPEN + visible(text[new_from:]) + _CLOSE
    lines = []
    for paragraph in marked.split("\n"):
        lines.append(textwrap.fill(paragraph, width=width, break_long_words=False, break_on_hyphens=False))
    out = "\n".join(lines)
    return _ansi_marks(out) if style == "ansi" else out


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


def render_html(text: str, new_from: int | None, footer: str = "", status_line: str = "") -> str:
    """The story as HTML paragraphs with the part from ``new_from`` highlighted,
    then the status line (what a request waits for), then the parameter line.
    An empty ``text`` has no paragraph: the status line alone is a wait's output."""
    parts = []
    start = 0
    for paragraph in text.split("\n") if text else ():
        end = start + len(paragraph)
        if new_from is None or new_from >= end or not paragraph:
            body = html.escape(paragraph)
        else:
            cut = max(new_from - start, 0)
            body = (
                html.escape(paragraph[:cut])
                + f'<span class="complete-new" style="{_HIGHLIGHT}">{html.escape(paragraph[cut:])}</span>'
            )
        parts.append(f'<p style="margin: 0 0 0.7em 0">{body}</p>')
        start = end + 1
    waiting = ""
    if status_line:
        waiting = f'<div class="complete-status" style="{_STATUS_STYLE}">{html.escape(status_line)}</div>'
    note = f'<div class="complete-params" style="{_FOOTER_STYLE}">{html.escape(footer)}</div>' if footer else ""
    return f'<div class="complete-story" style="{_STORY_STYLE}">{"".join(parts)}{waiting}{note}</div>'


def _lead_in(context: str, size: int) -> str:
    """The last words of ``context`` that alternatives are shown after: its last
    non-blank line, at most ``size`` characters, with the line break that follows
    it when the story ends with one (the alternatives then start a paragraph)."""
    line = context[-size:].rstrip("\n").split("\n")[-1]
    return line + ("\n" if context.endswith("\n") and line else "")


def render_alternatives_text(context: str, texts: Sequence[str], *, width: int, style: Style) -> str:
    """Alternatives numbered from 0. In a terminal (``style="ansi"``) each follows the
    last words of the story (dimmed), itself in bold; as plain text, each stands alone."""
    lead = _lead_in(context, 60)
    blocks = []
    for number, text in enumerate(texts):
        if style == "ansi":
            wrapped = render_text(f"…{lead}{text}", len(lead) + 1, width=width - 5, style="ansi")
            body = _DIM + wrapped.replace(_BOLD, _RESET + _BOLD, 1)
        else:
            body = render_text(text.strip(), None, width=width - 5, style="none")
        blocks.append(textwrap.indent(body, "     ").replace("     ", f"[{number}]  ", 1))
    return "\n\n".join(blocks) + "\n\nChoose one with .choose(i)."


def render_alternatives_html(context: str, texts: Sequence[str]) -> str:
    """Alternatives side by side, numbered from 0 as ``choose(i)`` counts them."""
    lead = html.escape(_lead_in(context, 80)).replace("\n", "<br>")
    cells = []
    for number, text in enumerate(texts):
        body = html.escape(text).replace("\n", "<br>")
        cells.append(
            f'<div style="border: 1px solid rgba(128,128,128,0.35); border-radius: 6px; padding: 0.6em">'
            f'<div style="{_FOOTER_STYLE}; margin: 0 0 0.4em 0">{number}</div>'
            f'<span style="opacity: 0.6">…{lead}</span><span style="{_HIGHLIGHT}">{body}</span></div>'
        )
    columns = min(len(texts), 3) or 1
    grid = f"display: grid; grid-template-columns: repeat({columns}, minmax(0, 1fr)); gap: 0.8em"
    return (
        f'<div class="complete-alternatives" style="{_STORY_STYLE}; max-width: none; {grid}">{"".join(cells)}</div>'
        f'<div style="{_FOOTER_STYLE}">choose one with .choose(i)</div>'
    )


@attrs.frozen
class Rendering:
    """One thing to show in a notebook: its HTML, and the plain text that a front end
    without HTML shows instead (``jupyter console``, a notebook exported as text)."""

    html: str
    text: str

    def bundle(self) -> dict[str, str]:
        """The MIME bundle IPython displays."""
        return {"text/html": self.html, "text/plain": self.text}


def story(text: str, new_from: int | None, footer: str = "", status_line: str = "") -> Rendering:
    """The story for a notebook: ``render_html``, and as plain text the story, the
    status line and the footer, unmarked and unwrapped (a text front end wraps
    to its own width; wrapping here would cost more than the HTML, at every
    refresh of a stream).

    A story has three renderings (``story`` gives the HTML and its plain twin):

    - HTML (Jupyter, VS Code, anything with a kernel): paragraphs, the new part
      highlighted with a translucent background that works on light and dark themes,
      and the parameters in one small line underneath. Each carries a plain-text
      twin (``Rendering``), which front ends without HTML show instead.
    - ANSI (a terminal): text wrapped to the terminal's width, the new part in bold;
      streamed pieces are wrapped as they arrive. Control characters in the text are
      shown as escapes, never obeyed (``complete.display.terminal_text``), in every plain
      rendering too.
    - plain (output redirected to a file or pipe): wrapped text and nothing else, so
      that what lands in a file is the story, not markup.
    """
    plain = "\n".join(line for line in (visible(text), status_line, footer) if line)
    return Rendering(render_html(text, new_from, footer, status_line), plain)


def alternatives(context: str, texts: Sequence[str]) -> Rendering:
    """Alternatives for a notebook: side by side, or numbered plain text."""
    plain = render_alternatives_text(context, texts, width=terminal_width(), style="none")
    return Rendering(render_alternatives_html(context, texts), plain)


def prompt_text(report: str, text: str, *, width: int | None) -> str:
    """What ``Completer.preview()`` prints: the report on the prompt's parts, a rule,
    and the prompt; wrapped between words to ``width`` (None: exactly as sent)."""
    shown = text if width is None else render_text(text, None, width=width, style="none")
    return f"{report}\n{'-' * 40}\n{shown}"


def prompt(report: str, text: str) -> Rendering:
    """``prompt_text`` for a notebook: the exact text in a block that wraps between
    words (a notebook's own text output breaks lines anywhere, even mid-word)."""
    exact = prompt_text(report, text, width=None)
    return Rendering(f'<pre class="complete-prompt" style="{_PROMPT_STYLE}">{html.escape(exact)}</pre>', exact)
