"""How a Completer shows its session: the story and its footer, and a continuation live.

``OnScreen`` is the base of the ``Completer`` that holds the display glue between
the session it holds and its ``Screen``: ``print(bloom)`` and the notebook's rich
display show the story; a continuation shows what the request waits for from the
start, then the text as it arrives (``stream=False`` waits to show it all), then
the note after a continuation that was interrupted or came back empty, and once
the notice of a backend that ignores ``logprobs=``. Ctrl-C while text arrives keeps
what arrived, as ``complete.writing.continuing`` does; any other error leaves the
session as it was, the request recorded as sent.

What this module deliberately does not do: build requests (the subclass's
operations do) or render anything itself (``complete.display`` does).
"""

from __future__ import annotations

from collections.abc import Callable

from complete.attributes import SessionAttributes
from complete.display import captions
from complete.display.screen import Screen
from complete.transports.base import Transport
from complete.transports.deadline import within
from complete.values import checks as arguments
from complete.writing import continuing
from complete.writing import token_data as probabilities
from complete.writing.session import Request, Session

__all__ = ["OnScreen"]


def _unshown(piece: str) -> None:
    """What ``stream=False`` does with a piece as it arrives: nothing (all is shown at the end)."""


class OnScreen(SessionAttributes):
    """A session shown on a ``Screen`` (see the module docstring)."""

    __slots__ = ()

    transport: Transport
    screen: Screen
    deadline: float

    def __str__(self) -> str:
        return self.screen.plain(self.story.text)

    def _repr_html_(self) -> str:
        return self.screen.html(self.story.text, self.session.new_from, self._footer())

    @property
    def stream(self) -> bool:
        """Whether text is shown as it arrives."""
        return self.screen.streams

    @stream.setter
    def stream(self, value: bool) -> None:
        self.screen.streams = arguments.typed("stream", value, bool, "True or False")

    def _footer(self) -> str:
        return captions.footer(self.params, self.session.backend, self.story)

    def _move(self, session: Session) -> None:
        self.session = session
        self.screen.show(self.story.text, session.new_from, self._footer())

    def _continue(self, build: Callable[[Session], Request | None], *, nothing: str = "") -> None:
        """Build a request from the session (None: say ``nothing`` instead), send it,
        keep the answer, and show it (streamed or whole).

        The screen shows what the request waits for from the start, as building it
        can wait too (counting the prompt's tokens starts the embedded engine, or
        asks a server).
        """
        view = self.screen.live(self.story.text, self._footer(), new_from=self.session.new_from)
        try:
            with within(self.deadline):
                request = build(self.session)
                if request is None:
                    view.abort()
                    return self.screen.note(nothing)
                self.session = before = self.session.sent(request)
                footer = captions.footer(request.params, request.backend)
                view.start(request.story.text, footer, new_from=request.new_from)
                # Streamed either way, shown or not, so that Ctrl-C keeps the text that arrived.
                show = view.piece if self.stream else _unshown
                result = continuing.stream(before, request, self.transport, show)
        except BaseException:
            view.abort()
            raise
        self.session = result.session
        added = self.story is not before.current
        if added or self.stream:
            view.finish(self.story.text, self.session.new_from if added else None, self._footer())
        else:
            view.abort()  # nothing new to show: the note below says so
        note = captions.continuation_note(result)
        if note:
            self.screen.note(note)
        notice = probabilities.missing_logprobs(self.story) if added else None
        if notice is not None and self.story.generation is not None:
            self.screen.note(notice, once=f"logprobs from {self.story.generation.backend}")
