"""The ``Completer``: the notebook facade from the original README, and more.

::

    bloom = Completer(\"\"\"Once upon a time...\"\"\", temperature=1.0, top_k=30)
    bloom()            # continue; shows ALL the text, the new part marked
    bloom()            # and again
    print(bloom)       # the text so far, wrapped for reading

It is the one mutable object in the library, and a thin one: it holds a pointer to
the current ``Story`` (an immutable tree node), the ``Params``, a ``Transport`` and
a ``Window``; every operation computes a new story with ``complete`` or
``Story.extend`` and moves the pointer. Nothing is ever recomputed or lost: undo,
redo, retry, alternatives, branches and checkout all move one pointer in the tree
of every node this Completer has made.

Decisions where the README and the design card are silent:

- Calls that cannot do anything (``undo()`` at the prompt, ``redo()`` with nothing
  undone, ``retry()`` when the last part is not the model's) print one line and
  change nothing, rather than raising: they are interactive gestures.
- A continuation that comes back empty is not added to the story; one line says so.
- ``retry()`` and ``alternatives()`` use the *current* parameters (lower the
  temperature, then retry). With a fixed ``seed`` they shift it by the number of
  model siblings already there, so each sample is new yet reproducible; the seed
  used is recorded on the node.
- Ctrl-C while text streams in keeps what arrived as a node flagged
  ``interrupted`` and returns normally; any other error leaves the story as it
  was, with the received text on the exception's ``.partial``.
- ``append`` reformats the writer's text like a prompt and joins it with one
  space unless it starts with whitespace or punctuation; text that begins with a
  line break starts a new paragraph.
- New nodes clear the redo list, as in any editor.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs

from complete import branching, display, interchange, probabilities
from complete.backend import choose, from_description
from complete.core import complete, complete_many, complete_stream
from complete.errors import ParamsError
from complete.generation import Generation
from complete.params import Params
from complete.reformat import reformat as _reformat
from complete.session import Session, read_session, write_session
from complete.story import Story, parents_first
from complete.transports.base import Transport, describe
from complete.window import Prompt, Window, build_prompt

if TYPE_CHECKING:
    from complete.transports.inference_providers import ModelProviders

__all__ = ["Completer", "Request"]

_NO_SPACE_BEFORE = tuple(".,;:!?)]}'\"’”…-—")


@attrs.frozen
class Request:
    """The last request sent: the exact prompt, the parameters, the backend."""

    prompt: Prompt
    params: Params
    backend: dict[str, Any]


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
      Provider ("auto", the default, or a name; see ``providers()``);
    - ``stream=`` show text as it arrives (default: yes);
    - ``memory=``, ``note=``, ``note_depth=``, ``window=`` (window size in tokens)
      shape the prompt of long stories (see ``complete.window``);
    - ``reformat=False`` keeps the prompt exactly as typed.
    """

    story: Story
    params: Params
    transport: Transport
    window: Window
    stream: bool
    last_request: Request | None
    offered: tuple[Story, ...]
    _nodes: list[Story]
    _known: set[int]
    _children: dict[int, list[Story]]
    _redo: list[Story]
    _new_from: int | None
    _logprobs_notice: probabilities.LogprobsNotice

    def __init__(
        self,
        prompt: str | Story,
        *,
        transport: Transport | None = None,
        backend: str | None = None,
        model: str | None = None,
        url: str | None = None,
        token: str | None = None,
        provider: str | None = None,
        stream: bool = True,
        memory: str = "",
        note: str = "",
        note_depth: int = 3,
        window: int | None = None,
        reformat: bool = True,
        **params: Any,
    ) -> None:
        self.params = Params.from_dict(params)
        self.window = Window(memory=memory, note=note, note_depth=note_depth, max_tokens=window)
        story = prompt if isinstance(prompt, Story) else Story.from_prompt(prompt, reformat=reformat)
        if transport is None:
            choice = choose(backend, model=model, url=url, token=token, provider=provider)
            transport = choice.transport
            print(choice.reason)
        elif backend is not None:
            raise ParamsError(field="backend", value=backend, allowed="None when transport= is given")
        self.transport = transport
        self.stream = bool(stream)
        self.last_request = None
        self.offered = ()
        self._nodes = []
        self._known = set()
        self._children = {}
        self._redo = []
        self._new_from = None
        self._logprobs_notice = probabilities.LogprobsNotice()
        self.story = story
        self._register(story)

    # --- the README API ---------------------------------------------------------

    def __call__(self, **overrides: Any) -> None:
        """Continue the story and show all of it, the new part marked.

        Keyword arguments override parameters for this call only:
        ``bloom(max_new_tokens=20)``.
        """
        params = self.params.evolve(**overrides) if overrides else self.params
        self._continue_from(self.story, params)

    def __str__(self) -> str:
        return display.render_text(self.story.text, None, width=display.terminal_width(), style="none")

    def __repr__(self) -> str:
        backend = _backend_label(self.transport)
        return (
            f"<Completer: {self.story.length} characters in {self.story.depth + 1} segments, "
            f"{len(self._nodes)} nodes; {backend}>"
        )

    def _repr_html_(self) -> str:
        return display.render_html(self.story.text, self._new_from, self._footer(self.story))

    @property
    def text(self) -> str:
        """The story's text, exactly (not wrapped)."""
        return self.story.text

    # --- parameters and prompt shaping -----------------------------------------

    def set(self, **changes: Any) -> None:
        """Change parameters for every later call: ``bloom.set(temperature=0.7)``."""
        self.params = self.params.evolve(**changes)

    @property
    def memory(self) -> str:
        """Text always kept at the top of the prompt (characters, setting)."""
        return self.window.memory

    @memory.setter
    def memory(self, text: str) -> None:
        self.window = attrs.evolve(self.window, memory=text)

    @property
    def note(self) -> str:
        """An author's note inserted ``note_depth`` paragraphs before the end."""
        return self.window.note

    @note.setter
    def note(self, text: str) -> None:
        self.window = attrs.evolve(self.window, note=text)

    def prompt(self, **overrides: Any) -> Prompt:
        """The exact prompt the next call will send, with token counts per part."""
        params = self.params.evolve(**overrides) if overrides else self.params
        return build_prompt(self.story, params, self.transport, self.window)

    def preview(self, **overrides: Any) -> None:
        """Print the prompt the next call will send, its parts and what is left out."""
        prompt = self.prompt(**overrides)
        print(prompt.describe())
        print("-" * 40)
        print(prompt.text)

    # --- moving in the tree -------------------------------------------------------

    def append(self, text: str, *, reformat: bool = True) -> None:
        """Add your own words to the story (origin "user") and show it."""
        if not isinstance(text, str) or not text.strip():
            raise ParamsError(field="text", value=text, allowed="some non-blank text to add")
        body = _reformat(text) if reformat else text
        if text.lstrip(" \t")[:1] in ("\n", "\r"):
            body = "\n" + body.lstrip("\n")
        elif not (self.story.text[-1:].isspace() or body[:1].isspace() or body.startswith(_NO_SPACE_BEFORE)):
            body = " " + body
        self._commit(self.story.extend(body, origin="user"))
        self._show(self.story)

    def undo(self) -> None:
        """Step back one segment; ``redo()`` steps forward again."""
        if self.story.parent is None:
            print("Nothing to undo: the story is at its prompt.")
            return
        self._redo.append(self.story)
        self._move(self.story.parent, new_from=None, keep_redo=True)

    def redo(self) -> None:
        """Go forward to the segment last undone."""
        if not self._redo:
            print("Nothing to redo.")
            return
        self._move(self._redo.pop(), new_from=None, keep_redo=True)

    def retry(self, **overrides: Any) -> None:
        """A new sample in place of the last model segment; the old one stays a sibling."""
        params = self.params.evolve(**overrides) if overrides else self.params
        if self.story.origin != "model" or self.story.parent is None:
            print("Nothing to retry: the last segment is not the model's. Call the Completer to continue.")
            return
        parent = self.story.parent
        params = _shift_seed(params, self._model_children(parent))
        self._continue_from(parent, params)

    def alternatives(self, n: int = 3, **overrides: Any) -> None:
        """Ask for ``n`` continuations and show them numbered; then ``choose(i)``."""
        if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= 16:
            raise ParamsError(field="n", value=n, allowed="an integer from 1 to 16")
        params = self.params.evolve(**overrides) if overrides else self.params
        story = self.story
        prompt = build_prompt(story, params, self.transport, self.window)
        offset = self._model_children(story)
        variants = [_shift_seed(params, offset + i) for i in range(n)]
        self.last_request = Request(prompt, params, describe(self.transport))
        results = complete_many([story] * n, variants, self.transport, concurrency=8, prompt=prompt.text)
        made = [result for result in results if isinstance(result, Story)]
        failures = [result for result in results if not isinstance(result, Story)]
        if not made:
            raise failures[0]
        for result in made:
            self._register(result)
        self.offered = tuple(made)
        texts = [result.segment for result in made]
        if display.in_notebook():
            display.show_html(display.render_alternatives_html(story.text, texts))
        else:
            print(display.render_alternatives_text(story.text, texts, width=display.terminal_width()))
        for failure in failures:
            print(f"One alternative failed: {failure}")

    def choose(self, index: int) -> None:
        """Continue with alternative ``index`` (0-based, as numbered on screen)."""
        if not self.offered:
            raise ParamsError(field="index", value=index, allowed="a number shown by alternatives(); call it first")
        if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < len(self.offered):
            raise ParamsError(field="index", value=index, allowed=f"an integer from 0 to {len(self.offered) - 1}")
        chosen = self.offered[index]
        self.offered = ()
        self._move(chosen, new_from=chosen.parent.length if chosen.parent else None)

    @property
    def children(self) -> tuple[Story, ...]:
        """The continuations made from the current story, oldest first."""
        return tuple(self._children.get(id(self.story), ()))

    @property
    def siblings(self) -> tuple[Story, ...]:
        """The other continuations of the current story's parent (earlier tries)."""
        parent = self.story.parent
        if parent is None:
            return ()
        return tuple(node for node in self._children.get(id(parent), ()) if node is not self.story)

    @property
    def history(self) -> tuple[Story, ...]:
        """The nodes from the prompt to the current story."""
        return self.story.path

    @property
    def nodes(self) -> tuple[Story, ...]:
        """Every node this Completer knows, in the order it met them."""
        return tuple(self._nodes)

    def checkout(self, story: Story) -> None:
        """Make ``story`` (any node, for example from ``children`` or ``history``) current."""
        if not isinstance(story, Story):
            raise ParamsError(field="story", value=story, allowed="a Story")
        self._register(story)
        self._move(story, new_from=None)

    def providers(self, model: str | None = None) -> ModelProviders:
        """Which Inference Providers serve ``model`` (default: this story's hosted
        model), for which task and in what state; a notebook shows it as a table."""
        from complete.transports.inference_providers import providers_of

        return providers_of(self.transport, model)

    def widget(self) -> Any:
        """Sliders (temperature, top_p, top_k, max_new_tokens) and Continue/Retry/Undo
        buttons for this story, in a notebook (needs the ``notebook`` extra)."""
        from complete.widget import build_widget

        return build_widget(self)

    # --- keeping work -------------------------------------------------------------

    def save(self, path: str | Path) -> None:
        """Save the whole tree, position, parameters and backend (never a token).

        The write is atomic: a crash leaves the old file or the new one, whole.
        """
        session = Session(
            nodes=tuple(self._nodes),
            current=self.story,
            redo=tuple(self._redo),
            params=self.params,
            window=self.window,
            backend=describe(self.transport),
        )
        write_session(path, session)

    @classmethod
    def load(cls, path: str | Path, *, transport: Transport | None = None, stream: bool = True) -> Completer:
        """Reopen a saved session; the backend is rebuilt from the file unless given."""
        session = read_session(path)
        if transport is None:
            try:
                transport = from_description(dict(session.backend))
            except ParamsError:
                choice = choose(None)
                transport = choice.transport
                print(choice.reason)
        completer = cls(session.current.root, transport=transport, stream=stream)
        completer.params = session.params
        completer.window = session.window
        for node in session.nodes:
            completer._register(node)
        completer.story = session.current
        completer._redo = list(session.redo)
        return completer

    def to_markdown(self) -> str:
        """The current story as Markdown: one paragraph per line, special characters escaped."""
        return interchange.to_markdown(self.story)

    def export(self, path: str | Path) -> None:
        """Write the current story as plain text (.txt) or Markdown (.md), atomically.

        For the whole tree with provenance, use ``export_jsonl``.
        """
        target = Path(path)
        if target.suffix.lower() in (".md", ".markdown"):
            interchange.write_markdown(target, self.story)
        elif target.suffix.lower() in (".txt", ".text", ""):
            interchange.write_text(target, self.story)
        else:
            raise ParamsError(field="path", value=str(path), allowed="a .txt or .md file name")

    def export_jsonl(self, path: str | Path) -> None:
        """Write every node as JSON lines (id, parent_id, text, origin, provenance)."""
        interchange.write_jsonl(path, self._nodes, current=self.story)

    @classmethod
    def import_jsonl(cls, path: str | Path, *, transport: Transport | None = None, **settings: Any) -> Completer:
        """A Completer on a tree exported by ``export_jsonl`` (settings as for the constructor)."""
        tree = interchange.read_jsonl(path)
        completer = cls(tree.current.root, transport=transport, **settings)
        for node in tree.nodes:
            completer._register(node)
        completer.story = tree.current
        return completer

    @classmethod
    def import_kobold(cls, path: str | Path, *, transport: Transport | None = None, **settings: Any) -> Completer:
        """A Completer on a KoboldAI (Lite) save: its story, memory, author's note and
        sampler settings (your keyword arguments win); what cannot be imported is listed."""
        saved = interchange.read_kobold(path)
        values: dict[str, Any] = {"memory": saved.memory, "note": saved.note}
        values.update(saved.params.to_dict() if saved.params else {})
        values.update(settings)
        completer = cls(saved.story, transport=transport, **values)
        for node in saved.story.path:
            completer._register(node)
        for item in saved.ignored:
            print(f"Not imported: {item}")
        return completer

    # --- token probabilities -----------------------------------------------------

    def tokens(self) -> list[dict[str, Any]]:
        """The newest model segment's tokens as plain data: position, token, logprob,
        probability, alternatives. Empty unless called with ``logprobs=k``."""
        return probabilities.token_rows(self.story)

    def show_probabilities(self) -> None:
        """The newest model segment coloured by probability (alternatives on hover in a
        notebook; a compact table in a terminal)."""
        view = probabilities.ProbabilityView(self.story)
        if display.in_notebook():
            display.show_html(view._repr_html_())
        else:
            print(view)

    def swap(self, position: int, alternative: str, **overrides: Any) -> None:
        """Branch: put ``alternative`` in place of the token at ``position`` of the newest
        model segment (positions as ``tokens()`` and ``show_probabilities()`` number
        them) and continue from there. The original branch stays as it was."""
        node = probabilities.latest_model_node(self.story)
        if node is None:
            print("Nothing to swap: no model segment yet. Continue with logprobs=5 first.")
            return
        branch = branching.branch_at(node, position, alternative)
        params = self.params.evolve(**overrides) if overrides else self.params
        self._continue_from(branch, params, mark_from=branch.parent.length if branch.parent else None)

    # --- internals ------------------------------------------------------------------

    def _register(self, story: Story) -> None:
        for node in parents_first([story], self._known):
            self._nodes.append(node)
            if node.parent is not None:
                self._children.setdefault(id(node.parent), []).append(node)

    def _model_children(self, story: Story) -> int:
        return sum(1 for node in self._children.get(id(story), ()) if node.origin == "model")

    def _commit(self, story: Story) -> None:
        self._register(story)
        self._redo.clear()
        self.offered = ()
        self.story = story
        self._new_from = story.parent.length if story.parent is not None else None
        notice = self._logprobs_notice.check(story)
        if notice:
            print(notice)

    def _move(self, story: Story, *, new_from: int | None, keep_redo: bool = False) -> None:
        if not keep_redo:
            self._redo.clear()
        self.story = story
        self._new_from = new_from
        self._show(story, new_from=new_from)

    def _continue_from(self, story: Story, params: Params, *, mark_from: int | None = None) -> None:
        """Continue ``story`` and commit the result; the new part is marked from the
        end of ``story``, or from ``mark_from`` (a swap marks the swapped-in token too)."""
        prompt = build_prompt(story, params, self.transport, self.window)
        self.last_request = Request(prompt, params, describe(self.transport))
        mark = story.length if mark_from is None else mark_from
        if self.stream:
            new = self._stream_from(story, params, prompt.text, mark)
            if new is None:
                return
        else:
            new = complete(story, params, self.transport, prompt=prompt.text)
        if not new.segment:
            reason = new.generation.finish_reason if new.generation else None
            print(
                f"The model returned no new text (finish reason: {reason or 'not given'}); "
                "the story is unchanged. Try retry() or a higher temperature."
            )
            return
        self._commit(new)
        self._new_from = mark
        if not self.stream:
            self._show(new, new_from=mark)

    def _stream_from(self, story: Story, params: Params, prompt: str, mark: int) -> Story | None:
        notebook = display.in_notebook()
        view = display.LiveView(notebook=notebook)
        view.start(story.text, self._footer(story, params), new_from=mark)
        pieces: list[str] = []
        stream: Iterator[str | Story] = complete_stream(story, params, self.transport, prompt=prompt)
        new: Story | None = None
        try:
            for item in stream:
                if isinstance(item, Story):
                    new = item
                else:
                    pieces.append(item)
                    view.piece(item)
        except KeyboardInterrupt:
            text = "".join(pieces)
            if not text:
                view.finish(story.text, None, self._footer(story), note="Interrupted before any text arrived.")
                return None
            label = describe(self.transport)
            generation = Generation(text=text, backend=str(label.get("backend")), model=_model_of(label))
            kept = story.extend(text, origin="model", params=params, generation=generation, interrupted=True)
            self._commit(kept)
            view.finish(
                kept.text,
                mark,
                self._footer(kept),
                note=f"Interrupted: kept the {len(text)} characters received.",
            )
            return None
        except BaseException:
            view.abort()
            raise
        assert new is not None
        if new.segment:
            view.finish(new.text, mark, self._footer(new))
        else:
            view.finish(story.text, None, self._footer(story))
        return new

    def _show(self, story: Story, *, new_from: int | None = -1) -> None:
        start = (story.parent.length if story.parent is not None else None) if new_from == -1 else new_from
        footer = self._footer(story)
        if display.in_notebook():
            display.show_html(display.render_html(story.text, start, footer))
            return
        style = display.style_for(sys.stdout)
        print(display.render_text(story.text, start, width=display.terminal_width(), style=style))
        print(display.footer_text(footer, style))

    def _footer(self, story: Story, params: Params | None = None) -> str:
        shown = params or self.params
        parts = [" ".join(f"{name}={value}" for name, value in shown.to_dict().items())]
        parts.append(_backend_label(self.transport))
        generation = story.generation
        if story.origin == "model" and generation is not None and params is None:
            facts = []
            if generation.finish_reason:
                facts.append(f"finish: {generation.finish_reason}")
            if generation.completion_tokens is not None:
                facts.append(f"{generation.completion_tokens} tokens")
            if generation.elapsed is not None:
                facts.append(f"{generation.elapsed:.1f} s")
            if generation.seed is not None:
                facts.append(f"seed {generation.seed}")
            if story.interrupted:
                facts.append("interrupted")
            if facts:
                parts.append(", ".join(facts))
        return " · ".join(parts)


def _shift_seed(params: Params, offset: int) -> Params:
    if params.seed is None or offset == 0:
        return params
    return params.evolve(seed=(params.seed + offset) % 2**32)


def _model_of(label: dict[str, Any]) -> str | None:
    value = label.get("model") or label.get("path") or label.get("endpoint")
    return str(value) if value else None


def _backend_label(transport: Transport) -> str:
    label = describe(transport)
    name = str(label.get("backend", "?"))
    target = label.get("endpoint") or label.get("model") or label.get("path") or label.get("base_url")
    if name == "local" and not target:
        target = "SmolLM2-135M-Instruct"
    if target and name == "local":
        target = Path(str(target)).name
    return f"{name} {target}" if target else name
