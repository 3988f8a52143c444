"""The story on screen while a request waits and its answer streams in.

``LiveView`` shows what a request waits for (``complete.transports.status``) until
text arrives, then grows the story as it streams. It does not render (``render``)
or send anything.
"""

from __future__ import annotations

import contextlib
import contextvars
import re
import sys
import threading
import time
from typing import TextIO

from complete.display import cells
from complete.display.cells import CellOutput, Surface
from complete.display.render import (
    _BOLD,
    _DIM,
    _RESET,
    Style,
    footer_text,
    is_terminal,
    render_text,
    story,
    style_for,
    terminal_width,
)
from complete.display.terminal_text import visible
from complete.transports import status
from complete.transports.status import Status

__all__ = ["REFRESH_SECONDS", "STATUS_GRACE_SECONDS", "LiveView"]

REFRESH_SECONDS = 0.05
STATUS_GRACE_SECONDS = 1.0
"""How long a request may wait before a counting status line appears."""


class LiveView:
    """What a request's story looks like on screen, from before it is sent until
    its answer is in: status lines while it waits, streamed pieces, the final story.

    What a request waits for is shown
    from the moment the request starts being built (the embedded engine starts when
    the prompt is first counted) until text arrives, streamed or not: under the story
    in a notebook, and on stderr in a terminal when stderr is a terminal. A status
    that counts seconds appears only after ``STATUS_GRACE_SECONDS``, so a quick answer
    shows no flicker. Streamed text grows the story's one output in a notebook (the
    first piece at once, then at most ``REFRESH_SECONDS`` apart) and is wrapped as it
    arrives in a terminal.

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
        with self._lock:
            self.listen(text, footer, new_from=new_from)
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
            self.out.write(self._wrap_piece(visible(text)))
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
                    cells.flush_to_front_end()  # the caller may now block with the GIL held
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
        line_break = _RESET + "\n" + _BOLD if self.style == "ansi" else "\n"
        for part in re.findall(r"\n|[^\S\n]+|\S+", text):
            if part == "\n":
                out.append(line_break)
                self._column, self._in_word, self._space = 0, False, ""
            elif part.isspace():
                self._space += part
                self._in_word = False
            else:
                if not self._in_word and self._column and self._column + len(self._space) + len(part) > self.width:
                    out.append(line_break)
                    self._column, self._space = 0, ""
                out.append(self._space + part)
                self._column += len(self._space) + len(part)
                self._space = ""
                self._in_word = True
        return "".join(out)
