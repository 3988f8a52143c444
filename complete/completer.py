"""The ``Completer``: the notebook facade from the original README, and more.

``bloom = Completer("Once upon a time", temperature=1.0)``, then ``bloom()`` again and
again (the whole story is shown, the new part marked) and ``print(bloom)``.

It is the one mutable object in the library, and a thin one: it holds a
``Session`` (the whole writing state, an immutable value: ``bloom.session``), a
``Transport`` and a ``Screen``. Every operation computes a new session with the
functions of ``complete.writing.session`` and ``complete.writing.continuing``, keeps it, and shows it.
Its attributes (views of the session, sampling parameters) come from ``complete.attributes``,
how it shows the session from ``complete.on_screen``.

Decisions for interactive use: a call that cannot do anything (``undo()`` at the
prompt, ``redo()`` with nothing undone, ``retry()`` after the writer's own words)
prints one line instead of raising; Ctrl-C while text arrives keeps what arrived
(a node flagged ``interrupted``) and returns normally (requests always stream:
``stream=False`` only waits to show the text until it is all there), while any other error leaves
the story as it was, the text received on the error's ``.partial``; either way
``last_request`` shows what was sent. A backend that ignores ``logprobs=`` is
reported once.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs

from complete import interchange
from complete.attributes import as_lorebook, split
from complete.display import captions, token_colours
from complete.display.screen import Screen
from complete.display.tree_view import TreeView
from complete.errors import ParamsError, StoryFormatError
from complete.interchange.files import checked_path
from complete.interchange.session_json import read_session, write_session
from complete.on_screen import OnScreen
from complete.transports.base import Transport, describe
from complete.transports.choice import choose, saved_transport
from complete.transports.deadline import DEFAULT_DEADLINE, check_seconds, within
from complete.values import checks as arguments
from complete.values.lorebook import Lorebook
from complete.values.story import Story
from complete.values.supplier import Supplier
from complete.writing import continuing
from complete.writing import token_data as probabilities
from complete.writing.session import Session
from complete.writing.window import Prompt

if TYPE_CHECKING:
    from complete.transports.hf.providers import ModelProviders

__all__ = ["Completer"]

_ANNOUNCED: set[str] = set()
"""The backend lines already printed in this process: each is printed once."""


def _check_settings(*, transport: object, stream: object, reformat: object) -> None:
    """Settings of the wrong type fail here, not at the first call (nor are they taken as true)."""
    if transport is not None and not isinstance(transport, Transport):
        allowed = "a transport (an object with generate() and stream()), or None to choose one"
        raise ParamsError(field="transport", value=transport, allowed=allowed)
    arguments.typed("stream", stream, bool, "True or False")
    arguments.typed("reformat", reformat, bool, "True or False")


@attrs.define(init=False, eq=False, repr=False)
class Completer(OnScreen):
    """A story you continue by calling it; see the module docstring.

    Keyword arguments are sampling parameters (``temperature``, ``top_k``,
    ``top_p``, ``max_new_tokens``, ``repetition_penalty``, ``seed``, ``stop``,
    ``do_sample``, ``logprobs``; each is also an attribute, ``bloom.top_k = 30``, and a
    ``Supplier`` value is called at every request) or settings:

    - ``transport=`` any transport object, or ``backend=`` a name in the table of
      backends (``complete.transports.backends``: "hf", "tgi", "openai", "local")
      with ``model=``, ``url=``, ``token=``, ``provider=`` (a hosted model's Inference
      Provider, see ``providers()``) and ``server=`` (an OpenAI-compatible server's
      kind), the keyword set of ``complete.transports.entry.Keywords``; a backend
      refuses those it does not take. With neither, the Hugging Face API is used when
      a token is found, else the embedded model, and one line says which and why.
      These keywords are written out here for typing and ``help()``; a test checks
      them against ``Keywords``;
    - ``stream=`` show text as it arrives (default: yes);
    - ``memory=``, ``note=``, ``note_depth=``, ``window_size=`` (the model's window
      in tokens) shape the prompt of long stories (see ``complete.writing.window``);
    - ``lorebook=`` a ``Lorebook``, or the path of a lorebook file (SillyTavern,
      NovelAI or ours), whose entries enter the prompt when the story mentions them;
    - ``reformat=False`` keeps the prompt exactly as typed;
    - ``deadline=`` the seconds one call may take in all, retries and waits
      included (default ten minutes; see ``complete.transports.deadline``).

    ``prompt`` may also be a ``Story`` or a whole ``Session`` (the settings given
    then change it).
    """

    session: Session
    transport: Transport
    screen: Screen
    suppliers: dict[str, Supplier]
    deadline: float

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
        deadline: float = DEFAULT_DEADLINE,
        **params: Any,
    ) -> None:
        _check_settings(transport=transport, stream=stream, reformat=reformat)
        session = prompt if isinstance(prompt, Session) else Session.start(prompt, reformat=reformat)
        window = {"memory": memory, "note": note, "note_depth": note_depth, "size": window_size}
        literal, suppliers = split(params)
        session = session.set(**literal).set_window(
            **{key: value for key, value in window.items() if value is not None}
        )
        if lorebook is not None:
            session = session.set_lorebook(as_lorebook(lorebook))
        if transport is None:
            choice = choose(backend, model=model, url=url, token=token, provider=provider, server=server)
            transport = choice.transport
            if choice.reason not in _ANNOUNCED:  # once per backend and process, not per story
                _ANNOUNCED.add(choice.reason)
                print(choice.reason)
        elif backend is not None:
            raise ParamsError(field="backend", value=backend, allowed="None when transport= is given")
        self.session = attrs.evolve(session, backend=describe(transport))
        self.transport = transport
        self.screen = Screen(streams=bool(stream))
        self.suppliers = suppliers
        self.deadline = check_seconds(deadline)

    # --- the README API ---------------------------------------------------------

    def __call__(self, **overrides: Any) -> None:
        """Continue the story and show all of it; ``bloom(max_new_tokens=20)``: for this call only."""
        self._continue(lambda session: session.request(self.transport, **self._supplied(overrides)))

    def complete(self, **overrides: Any) -> None:
        """Continue the story without showing anything (``print(bloom)`` shows it), as
        the original ``complete()`` did; errors are raised as by a call."""
        request = self.session.request(self.transport, **self._supplied(overrides))
        self.session = before = self.session.sent(request)
        self.session = continuing.send(before, request, self.transport).session

    def __repr__(self) -> str:
        story = self.story
        return (
            f"<Completer: {story.length} characters in {story.depth + 1} segments, "
            f"{len(self.session.nodes)} nodes; {captions.backend_label(self.session.backend)}>"
        )

    # --- the prompt (parameters: set() and attributes, see complete.attributes) ----------

    def prompt(self, **overrides: Any) -> Prompt:
        """The exact prompt the next call will send, with token counts per part."""
        return self.session.request(self.transport, **self._supplied(overrides)).prompt

    def preview(self, **overrides: Any) -> None:
        """Show the prompt the next call will send, its parts and what is left out."""
        prompt = self.prompt(**overrides)
        self.screen.show_prompt(prompt.describe(), prompt.text)

    # --- editing (see complete.writing.editing) --------------------------------------------

    @property
    def text(self) -> str:
        """The story's text, exactly (not wrapped). Assigning it edits the story: one
        edit node for what changed, which ``undo()`` takes back and ``save`` keeps."""
        return self.session.current.text

    @text.setter
    def text(self, text: str) -> None:
        session = self.session.rewrite(text)
        if session is self.session:
            return self.screen.note("Nothing changed: that is the story's text already.")
        self._move(session)

    def edit(self, old: str, new: str, *, occurrence: int | None = None) -> None:
        """Replace one occurrence of ``old`` anywhere in the story by ``new`` and show it
        (``occurrence=i`` picks one when ``old`` occurs several times, -1 the last)."""
        self._move(self.session.edit(old, new, occurrence))

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
            lambda session: session.retry_request(self.transport, **self._supplied(overrides)),
            nothing="Nothing to retry: the last segment is not the model's. Call the Completer to continue.",
        )

    def alternatives(self, n: int = 3, **overrides: Any) -> None:
        """Ask for ``n`` continuations and show them numbered; then ``choose(i)``."""
        view = self.screen.wait_for_alternatives()
        try:
            with within(self.deadline):
                requests = self.session.alternative_requests(self.transport, n, **self._supplied(overrides))
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

    def checkout(self, story: Story | str | int) -> None:
        """Make ``story`` current: any node (for example from ``children`` or
        ``history``), a bookmark's name, or a node's index in ``nodes`` (the number
        ``tree()`` shows)."""
        self._move(self.session.checkout(story))

    def bookmark(self, name: str) -> None:
        """Name the current node, to come back with ``checkout(name)``; ``tree()`` shows it."""
        self.session = self.session.bookmark(name)
        index = next(index for index, node in enumerate(self.session.nodes) if node is self.story)
        self.screen.note(f"Bookmark {name!r}: node #{index}.")

    def unbookmark(self, name: str) -> None:
        """Forget the bookmark ``name`` (its node stays in the tree)."""
        self.session = self.session.unbookmark(name)

    def tree(self) -> TreeView:
        """The whole tree of versions as it is now: an SVG in a notebook, a text tree in
        ``print``; each box is numbered as in ``nodes`` (see ``complete.display.tree_view``)."""
        return TreeView.of(self.session)

    def providers(self, model: str | None = None) -> ModelProviders:
        """Which Inference Providers serve ``model`` (default: this story's hosted
        model), for which task and in what state; a notebook shows it as a table."""
        from complete.transports.hf.providers import providers_of

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
    def load(
        cls, path: str | Path, *, transport: Transport | None = None, token: str | None = None, stream: bool = True
    ) -> Completer:
        """Reopen a saved session; the backend is rebuilt from the file unless given.

        The file's backend says where requests go, never with what credential: one
        line says where before any request, and ``token=`` is the only credential
        sent to an address that is not Hugging Face's (see ``complete.transports.saved``).
        """
        session = read_session(path)
        if transport is None:
            try:
                saved = saved_transport(session.backend, token=token)  # None (unknown): the default choice, said
            except StoryFormatError as exc:
                raise StoryFormatError(f"{path}: {exc.message}") from exc
            if saved is not None:
                print(saved.reason)
                transport = saved.transport
        return cls(session, transport=transport, token=token, stream=stream)

    def to_markdown(self, *, mark_writer: bool = False) -> str:
        """The current story as Markdown: one paragraph per line, special characters escaped;
        ``mark_writer=True`` puts what the writer wrote (all but the model's unchanged text) in ``<ins>``."""
        return interchange.to_markdown(self.story, mark_writer=mark_writer)

    def export(self, path: str | Path) -> None:
        """Write the current story as plain text (.txt) or Markdown (.md), atomically."""
        suffix = checked_path(path).suffix.lower()
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
        self.screen.show_view(token_colours.ProbabilityView(self.story))

    def swap(self, position: int, alternative: str, **overrides: Any) -> None:
        """Branch with ``alternative`` in place of the newest model segment's token at
        ``position`` (as ``tokens()`` numbers them), and continue; the original stays."""
        self._continue(
            lambda session: session.swap_request(self.transport, position, alternative, **self._supplied(overrides)),
            nothing="Nothing to swap: no model segment yet. Continue with logprobs=5 first.",
        )
