"""The ``Completer``: the notebook facade from the original README, and more.

``bloom = Completer("Once upon a time", temperature=1.0)``, then ``bloom()`` again and
again (the whole story is shown, the new part marked) and ``print(bloom)``.

It is the one mutable object in the library, and a thin one: it holds a
``Session`` (the whole writing state, an immutable value: ``bloom.session``), a
``Transport`` and a ``Screen``. Every operation computes a new session with the
functions of ``complete.session`` and ``complete.continuing``, keeps it, and shows it.

Decisions for interactive use: a call that cannot do anything (``undo()`` at the
prompt, ``redo()`` with nothing undone, ``retry()`` after the writer's own words)
prints one line instead of raising; Ctrl-C while text streams in keeps what arrived
(a node flagged ``interrupted``) and returns normally, while any other error leaves
the story as it was, the text received on the error's ``.partial``; either way
``last_request`` shows what was sent. A backend that ignores ``logprobs=`` is
reported once.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Generic, Self, TypeVar, overload

import attrs

from complete import captions, continuing, interchange, probabilities
from complete.backend import choose, saved_transport
from complete.errors import ParamsError
from complete.interchange.session_json import read_session, write_session
from complete.lorebook import Lorebook
from complete.screen import Screen
from complete.session import Request, Session
from complete.story import Story
from complete.transports.base import Transport, describe
from complete.window import Prompt

if TYPE_CHECKING:
    from complete.transports.inference_providers import ModelProviders

__all__ = ["Completer"]

T = TypeVar("T")


class _SessionView(Generic[T]):
    """An attribute of a Completer that reads its session (``bloom.children``) and,
    given ``write``, changes it (``bloom.memory = "..."``)."""

    def __init__(
        self, read: Callable[[Session], T], doc: str, write: Callable[[Session, T], Session] | None = None
    ) -> None:
        self._read = read
        self._write = write
        self.__doc__ = doc

    @overload
    def __get__(self, completer: None, owner: type[Any]) -> Self: ...

    @overload
    def __get__(self, completer: Completer, owner: type[Any]) -> T: ...

    def __get__(self, completer: Completer | None, owner: type[Any]) -> T | Self:
        return self if completer is None else self._read(completer.session)

    def __set__(self, completer: Completer, value: T) -> None:
        if self._write is None:
            raise AttributeError(f"{self.__doc__} It is read-only.")
        completer.session = self._write(completer.session, value)


def _lorebook(value: object) -> Lorebook:
    """A ``Lorebook``, or one read from a path (what it does not take is warned about)."""
    if isinstance(value, Lorebook):
        return value
    if isinstance(value, str | os.PathLike):
        return Lorebook.load(value)
    raise ParamsError(field="lorebook", value=value, allowed="a Lorebook or the path of a lorebook file")


@attrs.define(init=False, eq=False, repr=False)
class Completer:
    """A story you continue by calling it; see the module docstring.

    Keyword arguments are sampling parameters (``temperature``, ``top_k``,
    ``top_p``, ``max_new_tokens``, ``repetition_penalty``, ``seed``, ``stop``,
    ``do_sample``, ``logprobs``) or settings:

    - ``transport=`` any transport object, or ``backend=`` one of "hf", "tgi",
      "openai", "local" with ``model=`` / ``url=`` / ``token=``; with neither, the
      Hugging Face API is used when a token is found, else the embedded model, and
      one line says which and why; ``provider=`` picks a hosted model's Inference
      Provider ("auto", the default, or a name; see ``providers()``); ``server=``
      names an OpenAI-compatible server ("vllm", "llama.cpp", "tgi", "ollama",
      "openai") so that the samplers it takes are sent (left out, it is asked),
      and ``token=`` is then its API key;
    - ``stream=`` show text as it arrives (default: yes);
    - ``memory=``, ``note=``, ``note_depth=``, ``window_size=`` (the model's window
      in tokens) shape the prompt of long stories (see ``complete.window``);
    - ``lorebook=`` a ``Lorebook``, or the path of a lorebook file (SillyTavern,
      NovelAI or ours), whose entries enter the prompt when the story mentions them;
    - ``reformat=False`` keeps the prompt exactly as typed.

    ``prompt`` may also be a ``Story`` or a whole ``Session`` (the settings given
    then change it).
    """

    session: Session
    transport: Transport
    screen: Screen

    story = _SessionView(lambda session: session.current, "The current story: an immutable ``Story`` value.")
    text = _SessionView(lambda session: session.current.text, "The story's text, exactly (not wrapped).")
    params = _SessionView(lambda session: session.params, "The parameters every call uses (``set`` changes them).")
    window = _SessionView(lambda session: session.window, "The prompt window settings (memory, note, size).")
    last_request = _SessionView(lambda session: session.last_request, "The last request sent: prompt, params, backend.")
    offered = _SessionView(lambda session: session.offered, "The alternatives on offer, as numbered on screen.")
    children = _SessionView(lambda session: session.children, "The continuations of the current story, oldest first.")
    siblings = _SessionView(lambda session: session.siblings, "The other continuations of its parent (earlier tries).")
    history = _SessionView(lambda session: session.history, "The nodes from the prompt to the current story.")
    nodes = _SessionView(lambda session: tuple(session.nodes), "Every node met, in the order met.")
    memory = _SessionView(
        lambda session: session.window.memory,
        "Text always kept at the top of the prompt (characters, setting).",
        lambda session, text: session.set_window(memory=text),
    )
    note = _SessionView(
        lambda session: session.window.note,
        "An author's note inserted ``note_depth`` paragraphs before the end.",
        lambda session, text: session.set_window(note=text),
    )
    lorebook = _SessionView[Lorebook](
        lambda session: session.lorebook,
        "World info entering the prompt when the story mentions it: a ``Lorebook`` "
        "(set a Lorebook or a file's path; ``bloom.lorebook = bloom.lorebook.add(keys, text)``).",
        lambda session, value: session.set_lorebook(_lorebook(value)),
    )

    def __init__(
        self,
        prompt: str | Story | Session,
        *,
        transport: Transport | None = None,
        backend: str | None = None,
        model: str | None = None,
        url: str | None = None,
        token: str | None = None,
        provider: str | None = None,
        server: str | None = None,
        stream: bool = True,
        memory: str | None = None,
        note: str | None = None,
        note_depth: int | None = None,
        window_size: int | None = None,
        lorebook: Lorebook | str | os.PathLike[str] | None = None,
        reformat: bool = True,
        **params: Any,
    ) -> None:
        session = prompt if isinstance(prompt, Session) else Session.start(prompt, reformat=reformat)
        window = {"memory": memory, "note": note, "note_depth": note_depth, "size": window_size}
        session = session.set(**params).set_window(**{key: value for key, value in window.items() if value is not None})
        if lorebook is not None:
            session = session.set_lorebook(_lorebook(lorebook))
        if transport is None:
            choice = choose(backend, model=model, url=url, token=token, provider=provider, server=server)
            transport = choice.transport
            print(choice.reason)
        elif backend is not None:
            raise ParamsError(field="backend", value=backend, allowed="None when transport= is given")
        self.session = attrs.evolve(session, backend=describe(transport))
        self.transport = transport
        self.screen = Screen(streams=bool(stream))

    # --- the README API ---------------------------------------------------------

    def __call__(self, **overrides: Any) -> None:
        """Continue the story and show all of it; ``bloom(max_new_tokens=20)``: for this call only."""
        self._continue(lambda session: session.request(self.transport, **overrides))

    def __str__(self) -> str:
        return self.screen.plain(self.story.text)

    def __repr__(self) -> str:
        story = self.story
        return (
            f"<Completer: {story.length} characters in {story.depth + 1} segments, "
            f"{len(self.session.nodes)} nodes; {captions.backend_label(self.session.backend)}>"
        )

    def _repr_html_(self) -> str:
        return self.screen.html(self.story.text, self.session.new_from, self._footer())

    # --- parameters and prompt shaping -----------------------------------------

    def set(self, **changes: Any) -> None:
        """Change parameters for every later call: ``bloom.set(temperature=0.7)``."""
        self.session = self.session.set(**changes)

    @property
    def stream(self) -> bool:
        """Whether text is shown as it arrives."""
        return self.screen.streams

    @stream.setter
    def stream(self, value: bool) -> None:
        self.screen.streams = bool(value)

    def prompt(self, **overrides: Any) -> Prompt:
        """The exact prompt the next call will send, with token counts per part."""
        return self.session.request(self.transport, **overrides).prompt

    def preview(self, **overrides: Any) -> None:
        """Show the prompt the next call will send, its parts and what is left out."""
        prompt = self.prompt(**overrides)
        self.screen.show_prompt(prompt.describe(), prompt.text)

    # --- moving in the tree -------------------------------------------------------

    def append(self, text: str, *, reformat: bool = True) -> None:
        """Add your own words to the story (origin "user") and show it."""
        self._move(self.session.append(text, reformat=reformat))

    def undo(self) -> None:
        """Step back one segment; ``redo()`` steps forward again."""
        if not self.session.can_undo:
            return self.screen.note("Nothing to undo: the story is at its prompt.")
        self._move(self.session.undo())

    def redo(self) -> None:
        """Go forward to the segment last undone."""
        if not self.session.can_redo:
            return self.screen.note("Nothing to redo.")
        self._move(self.session.redo())

    def retry(self, **overrides: Any) -> None:
        """A new sample in place of the last model segment; the old one stays a sibling."""
        self._continue(
            lambda session: session.retry_request(self.transport, **overrides),
            nothing="Nothing to retry: the last segment is not the model's. Call the Completer to continue.",
        )

    def alternatives(self, n: int = 3, **overrides: Any) -> None:
        """Ask for ``n`` continuations and show them numbered; then ``choose(i)``."""
        view = self.screen.wait_for_alternatives()
        try:
            requests = self.session.alternative_requests(self.transport, n, **overrides)
            self.session = self.session.sent(requests[0])
            self.session, failures = continuing.send_many(self.session, requests, self.transport)
        finally:
            view.abort()  # the view's part ends here: show_alternatives shows the answers
        self.screen.show_alternatives(self.story.text, [story.segment for story in self.session.offered])
        for failure in failures:
            self.screen.note(f"One alternative failed: {failure}")

    def choose(self, index: int) -> None:
        """Continue with alternative ``index`` (0-based, as numbered on screen)."""
        self._move(self.session.choose(index))

    def checkout(self, story: Story) -> None:
        """Make ``story`` (any node, for example from ``children`` or ``history``) current."""
        self._move(self.session.checkout(story))

    def providers(self, model: str | None = None) -> ModelProviders:
        """Which Inference Providers serve ``model`` (default: this story's hosted
        model), for which task and in what state; a notebook shows it as a table."""
        from complete.transports.inference_providers import providers_of

        return providers_of(self.transport, model)

    def widget(self) -> Any:
        """Sliders and Continue/Retry/Undo buttons, in a notebook (the ``notebook`` extra)."""
        from complete.widget import build_widget

        return build_widget(self)

    # --- keeping work -------------------------------------------------------------

    def save(self, path: str | Path) -> None:
        """Save the whole session (never a token), atomically: the old file or the new one, whole."""
        write_session(path, attrs.evolve(self.session, backend=describe(self.transport)))

    @classmethod
    def load(cls, path: str | Path, *, transport: Transport | None = None, stream: bool = True) -> Completer:
        """Reopen a saved session; the backend is rebuilt from the file unless given."""
        session = read_session(path)
        if transport is None:
            transport = saved_transport(session.backend)  # None (unknown): the default choice, said
        return cls(session, transport=transport, stream=stream)

    def to_markdown(self) -> str:
        """The current story as Markdown: one paragraph per line, special characters escaped."""
        return interchange.to_markdown(self.story)

    def export(self, path: str | Path) -> None:
        """Write the current story as plain text (.txt) or Markdown (.md), atomically."""
        suffix = Path(path).suffix.lower()
        if suffix in (".md", ".markdown"):
            interchange.write_markdown(path, self.story)
        elif suffix in (".txt", ".text", ""):
            interchange.write_text(path, self.story)
        else:
            raise ParamsError(field="path", value=str(path), allowed="a .txt or .md file name")

    def export_jsonl(self, path: str | Path) -> None:
        """Write every node as JSON lines (id, parent_id, text, origin, provenance)."""
        interchange.write_jsonl(path, self.session.nodes, current=self.story)

    @classmethod
    def import_jsonl(cls, path: str | Path, *, transport: Transport | None = None, **settings: Any) -> Completer:
        """A Completer on a tree exported by ``export_jsonl`` (settings as for the constructor)."""
        tree = interchange.read_jsonl(path)
        return cls(Session(current=tree.current, nodes=tree.nodes), transport=transport, **settings)

    @classmethod
    def import_kobold(cls, path: str | Path, *, transport: Transport | None = None, **settings: Any) -> Completer:
        """A Completer on a KoboldAI (Lite) save: its story, memory, author's note and
        sampler settings (your keyword arguments win); what cannot be imported is listed."""
        saved = interchange.read_kobold(path)
        values = {
            "memory": saved.memory,
            "note": saved.note,
            "lorebook": saved.lorebook,
            **(saved.params.to_dict() if saved.params else {}),
        }
        completer = cls(saved.story, transport=transport, **{**values, **settings})
        for item in saved.ignored:
            completer.screen.note(f"Not imported: {item}")
        return completer

    # --- token probabilities -----------------------------------------------------

    def tokens(self) -> list[dict[str, Any]]:
        """The newest model segment's tokens as data (empty unless continued with ``logprobs=k``)."""
        return probabilities.token_rows(self.story)

    def show_probabilities(self) -> None:
        """The newest model segment coloured by probability (a table in a terminal)."""
        self.screen.show_view(probabilities.ProbabilityView(self.story))

    def swap(self, position: int, alternative: str, **overrides: Any) -> None:
        """Branch with ``alternative`` in place of the newest model segment's token at
        ``position`` (as ``tokens()`` numbers them), and continue; the original stays."""
        self._continue(
            lambda session: session.swap_request(self.transport, position, alternative, **overrides),
            nothing="Nothing to swap: no model segment yet. Continue with logprobs=5 first.",
        )

    # --- showing ----------------------------------------------------------------------

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
            request = build(self.session)
            if request is None:
                view.abort()
                return self.screen.note(nothing)
            self.session = before = self.session.sent(request)
            footer = captions.footer(request.params, request.backend)
            view.start(request.story.text, footer, new_from=request.new_from)
            if self.stream:
                result = continuing.stream(before, request, self.transport, view.piece)
            else:
                result = continuing.send(before, request, self.transport)
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
