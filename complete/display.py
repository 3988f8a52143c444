"""Showing a story to a reader: wrapped text in a terminal, HTML in a notebook.

The ``Completer`` shows the *whole* story after every call, with the newest part
marked, the way the original README promised. Three renderings:

- HTML (Jupyter, VS Code, anything with a kernel): paragraphs, the new part
  highlighted with a translucent background that works on light and dark themes,
  and the parameters in one small line underneath. Each carries a plain-text
  twin (``Rendering``), which front ends without HTML show instead.
- ANSI (a terminal): text wrapped to the terminal's width, the new part in bold;
  streamed pieces are wrapped as they arrive.
- plain (output redirected to a file or pipe): wrapped text and nothing else, so
  that what lands in a file is the story, not markup.

Where a story goes in a notebook: one output per cell (``CellOutput``), made by
the cell's first rendering and replaced in place by every later one, so a cell
that calls several operations shows the final story once, and streamed text
grows that one output (the first piece at once, then at most
``REFRESH_SECONDS`` apart). Inside ``showing_in(show)`` every rendering goes to
``show`` instead; the widget panel uses it to put the story in its own HTML pane,
because ipywidgets' ``Output`` area drops display updates (ipywidgets#1844): a
story streamed into it would never change on screen.

A terminal (or a file, or a pipe) gets each operation's story as it happens, one
after the other: what was written there cannot be taken back once it has
scrolled, a script's output is a log read from the top, and at a prompt each
operation is usually its own line of input anyway.

While a request waits, ``LiveView`` shows what it waits for (``complete.status``),
from the moment the request starts being built (the embedded engine starts when
the prompt is first counted) until text arrives, streamed or not: under the story
in a notebook, and on stderr in a terminal when stderr is a terminal. A status
that counts seconds appears only after ``STATUS_GRACE_SECONDS``, so a quick answer
shows no flicker.

IPython is imported only when a notebook kernel is already running, never at
import time. This module knows nothing about transports or the story tree: it
renders text given where the new part starts.
"""

from __future__ import annotations

import contextlib
import contextvars
import html
import os
import re
import shutil
import sys
import textwrap
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextvars import ContextVar
from typing import Any, Literal, TextIO

import attrs

from complete import status
from complete.status import Status

__all__ = [
    "CellOutput",
    "LiveView",
    "Rendering",
    "alternatives",
    "in_notebook",
    "prompt",
    "prompt_text",
    "render_alternatives_html",
    "render_alternatives_text",
    "render_html",
    "render_text",
    "running_cell",
    "show",
    "showing_in",
    "story",
    "terminal_width",
]

Style = Literal["ansi", "none"]

REFRESH_SECONDS = 0.05
STATUS_GRACE_SECONDS = 1.0
"""How long a request may wait before a counting status line appears."""

_BOLD, _DIM, _RESET = "\x1b[1m", "\x1b[2m", "\x1b[0m"
# Private-use characters stand in for the bold marks while wrapping, so that the
# wrap never separates a mark from the word it belongs to.
_OPEN, _CLOSE = "\ue000", "\ue001"

_HIGHLIGHT = "background: rgba(255, 196, 0, 0.28); border-radius: 3px; padding: 0 1px"
_STORY_STYLE = "font-family: Georgia, 'Times New Roman', serif; font-size: 1.05em; line-height: 1.55; max-width: 46em"
_FOOTER_STYLE = "font-family: ui-monospace, monospace; font-size: 0.78em; opacity: 0.65; margin-top: 0.4em"
_STATUS_STYLE = "font-family: ui-monospace, monospace; font-size: 0.85em; font-style: italic; opacity: 0.8"
_PROMPT_STYLE = "white-space: pre-wrap; word-break: normal; overflow-wrap: anywhere; margin: 0"


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
    marked = text
    if new_from is not None and new_from < len(text) and style == "ansi":
        marked = text[:new_from] + _OPEN + text[new_from:] + _CLOSE
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


def render_alternatives_text(context: str, texts: Sequence[str], *, width: int, style: Style | None = None) -> str:
    """Alternatives numbered from 0. In a terminal each follows the last words of the
    story (dimmed), itself in bold; as plain text, each stands alone."""
    chosen: Style = style_for(sys.stdout) if style is None else style
    lead = _lead_in(context, 60)
    blocks = []
    for number, text in enumerate(texts):
        if chosen == "ansi":
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


Surface = Callable[[Rendering], None]
"""Where notebook renderings go: a cell output, or the widget's story pane."""

_SURFACE: ContextVar[Surface | None] = ContextVar("complete_surface", default=None)


def story(text: str, new_from: int | None, footer: str = "", status_line: str = "") -> Rendering:
    """The story for a notebook: ``render_html``, and as plain text the story, the
    status line and the footer, unmarked and unwrapped (a text front end wraps
    to its own width; wrapping here would cost more than the HTML, at every
    refresh of a stream)."""
    plain = "\n".join(line for line in (text, status_line, footer) if line)
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


def _ipython_display() -> Any:
    """IPython's display module, imported only when a kernel is running."""
    import importlib

    return importlib.import_module("IPython.display")


def running_cell() -> str | None:
    """The id of the request the kernel is running (one execution of a cell), or
    None when it cannot be told (no kernel, or a kernel that does not say)."""
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    header = getattr(shell, "parent_header", None)
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


def _flush_to_front_end() -> None:
    """Make sure what was just displayed has left the kernel.

    A kernel sends its outputs from a background thread; a caller about to block
    while holding the GIL (llama.cpp loading a model does) would keep a status line
    in the kernel until it is over. Flushing the kernel's stdout waits until that
    thread has sent everything queued before it.
    """
    sys.stdout.flush()


class CellOutput:
    """The one output a story has in the running cell, replaced by each new rendering.

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


class LiveView:
    """What a request's story looks like on screen, from before it is sent until
    its answer is in: status lines while it waits, streamed pieces, the final story.

    - ``listen(text, footer)``: take status reports from now on (building a request
      can wait too: the embedded engine starts when the prompt is first counted);
      until ``start``, a status is shown with ``text``, the story as it stands.
    - ``start(text, footer, new_from=...)``: the story the request continues. With
      ``streams`` it is shown at once and ``piece`` adds streamed text to it (and
      removes any status line); without, nothing more is shown until ``finish``.
    - ``finish`` shows the final story (in a terminal: the footer under the streamed
      text, or the whole story when nothing streamed); ``abort`` leaves the screen as
      it is after an error, without a status line. Both stop listening.

    In a notebook every rendering goes to ``output`` (the story's ``CellOutput``); in
    a terminal the story goes to ``out`` and status lines to ``err``, only when
    ``err`` is a terminal.
    """

    def __init__(
        self,
        *,
        notebook: bool,
        streams: bool = True,
        output: Surface | None = None,
        out: TextIO | None = None,
        err: TextIO | None = None,
        width: int | None = None,
    ) -> None:
        self.notebook = notebook
        self.streams = streams
        self.output: Surface = output if output is not None else CellOutput()
        self.out = out if out is not None else sys.stdout
        self.err = err if err is not None else sys.stderr
        self.width = width or terminal_width()
        self.style: Style = style_for(self.out)
        self._text = ""
        self._new_from = 0
        self._footer = ""
        self._written = False  # the story is on ``out`` (a terminal's streamed text)
        self._last_refresh = 0.0
        self._column = 0
        self._in_word = False
        self._space = ""
        self._pieces = 0
        self._lock = threading.RLock()
        self._status: Status | None = None
        self._status_since = 0.0
        self._status_shown = ""
        self._ticker: threading.Thread | None = None
        self._stop_ticking = threading.Event()
        self._listening: contextlib.ExitStack | None = None

    def listen(self, text: str, footer: str, *, new_from: int | None = None) -> None:
        """Take status reports; until ``start``, show them with ``text`` (its part
        from ``new_from`` marked, as it is on screen)."""
        self._text = text
        self._new_from = len(text) if new_from is None else new_from
        self._footer = footer
        if self._listening is None:
            self._listening = contextlib.ExitStack()
            self._listening.enter_context(status.reporting(self.show_status))

    def start(self, text: str, footer: str, *, new_from: int | None = None) -> None:
        """The story the request continues: streamed pieces are marked as new, and
        in a notebook so is the part of ``text`` from ``new_from`` (default: none)."""
        if self._listening is None:
            self.listen(text, footer, new_from=new_from)
        with self._lock:
            self._text = text
            self._new_from = len(text) if new_from is None else new_from
            self._footer = footer
            if self.notebook:
                if self.streams or self._status_shown:
                    self._draw(self._status_shown)
                return
            if not self.streams:
                return
            self._draw_status("")  # a line shown while the request was built
            wrapped = render_text(text, None, width=self.width, style="none")
            self.out.write(wrapped)
            self._written = True
            last_line = wrapped.rsplit("\n", 1)[-1]
            self._column = len(last_line)
            self._in_word = bool(last_line) and not last_line[-1].isspace()
            self.out.flush()

    def piece(self, text: str) -> None:
        with self._lock:
            self._status = None
            self._text += text
            self._pieces += 1
            if self.notebook:
                now = time.monotonic()
                if self._pieces == 1 or self._status_shown or now - self._last_refresh >= REFRESH_SECONDS:
                    self._draw("")
                    self._last_refresh = now
                return
            self._draw_status("")
            if self._pieces == 1 and self.style == "ansi":
                self.out.write(_BOLD)
            self.out.write(self._wrap_piece(text))
            self.out.flush()

    def finish(self, text: str, new_from: int | None, footer: str) -> None:
        self._stop_listening()
        with self._lock:
            if self.notebook:
                self.output(story(text, new_from, footer))
                self._status_shown = ""
                return
            if self._written:
                if self.style == "ansi" and self._pieces:
                    self.out.write(_RESET)
                self.out.write("\n" + footer_text(footer, self.style) + "\n")
            else:
                self.out.write(render_text(text, new_from, width=self.width, style=self.style) + "\n")
                self.out.write(footer_text(footer, self.style) + "\n")
            self.out.flush()

    def abort(self) -> None:
        self._stop_listening()
        with self._lock:
            if self.notebook:
                if self._status_shown:
                    self._draw("")
                return
            if self._written:
                self.out.write((_RESET if self.style == "ansi" and self._pieces else "") + "\n")
                self.out.flush()

    # --- the status line -------------------------------------------------------------

    def show_status(self, report: Status) -> None:
        """Show what the request waits for, until text arrives (a ``status`` listener)."""
        if not self.notebook and not is_terminal(self.err):
            return  # a status line goes to a terminal or nowhere
        with self._lock:
            self._status = report
            self._status_since = time.monotonic()
            if not report.ticking:
                self._draw_status(report.message)
                if self.notebook:
                    _flush_to_front_end()  # the caller may now block with the GIL held
                return
            self._draw_status("")  # an earlier line ("retrying in 2 s") is over now
            if self._ticker is None:
                context = contextvars.copy_context()  # the kernel's output routing goes along
                self._ticker = threading.Thread(target=context.run, args=(self._tick,), daemon=True)
                self._ticker.start()

    def _tick(self) -> None:
        while not self._stop_ticking.wait(self._next_tick()):
            with self._lock:
                current = self._status
                waited = time.monotonic() - self._status_since
                if current is not None and current.ticking and waited >= STATUS_GRACE_SECONDS:
                    self._draw_status(f"{current.message} ({int(waited)} s, interrupt to stop)")

    def _next_tick(self) -> float:
        """Seconds until the count shown should change (or the grace period ends)."""
        waited = time.monotonic() - self._status_since
        if waited < STATUS_GRACE_SECONDS:
            return STATUS_GRACE_SECONDS - waited + 0.01
        return 1.01 - waited % 1.0

    def _stop_listening(self) -> None:
        """Stop taking status reports; a terminal's status line is erased (a
        notebook's goes with the next rendering)."""
        if self._listening is not None:
            self._listening.close()
        self._stop_ticking.set()
        if self._ticker is not None:
            self._ticker.join()
        with self._lock:
            self._status = None
            if not self.notebook:
                self._draw_status("")

    def _draw_status(self, line: str) -> None:
        if line == self._status_shown:
            return
        if self.notebook:
            self._draw(line)
            return
        if not is_terminal(self.err):
            return
        self.out.flush()
        self.err.write(self._terminal_status(self._status_shown, line))
        self.err.flush()
        self._status_shown = line

    def _terminal_status(self, old: str, new: str) -> str:
        """Escape codes that replace the status line ``old`` by ``new``.

        When streamed text is on the same terminal, the status sits on the line
        under the story's last line and the cursor goes back to where the story
        stopped; otherwise (nothing written yet, or the story goes elsewhere) it
        is one line rewritten in place.
        """
        under_the_story = self._written and is_terminal(self.out)
        codes = ""
        if old:
            codes += "\r\x1b[K" + (f"\x1b[A\x1b[{self._column + 1}G" if under_the_story else "")
        if new:
            shown = new if len(new) < self.width else new[: self.width - 2] + "…"
            codes += ("\n" if under_the_story else "\r") + _DIM + shown + _RESET
        return codes

    def _draw(self, status_line: str) -> None:
        """Show the story as it is now in the notebook, with ``status_line`` under it."""
        marked = None if self._new_from >= len(self._text) else self._new_from
        self.output(story(self._text, marked, self._footer, status_line))
        self._status_shown = status_line

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
