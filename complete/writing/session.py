"""The writing state as one immutable value, and every writing operation on it.

A ``Session`` is all that one writer has done in one place; every operation returns
a new ``Session`` and leaves the old one as it was. What it deliberately does not do:
ask a transport for text (``complete.writing.continuing`` does; building a prompt
may only ask the tokenizer to count), display anything, or read and write files.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import attrs

from complete.errors import ParamsError
from complete.transports.base import Transport, describe
from complete.values import bookmarks as bookmarking
from complete.values import checks as arguments
from complete.values.generation import Generation
from complete.values.lorebook import Lorebook
from complete.values.params import Params
from complete.values.story import Story
from complete.values.tree import Tree
from complete.writing import editing
from complete.writing.branching import branch_after_edits, branch_at
from complete.writing.joining import joined_segment
from complete.writing.token_data import latest_model_node
from complete.writing.window import Prompt, Window, build_prompt

__all__ = ["MAX_ALTERNATIVES", "Request", "Session", "shifted_seed"]

MAX_ALTERNATIVES = 16
"""The most continuations ``alternative_requests`` asks for at once."""


@attrs.frozen(kw_only=True)
class Request:
    """One continuation to ask for: the exact ``prompt``, the ``params``, the
    ``backend`` description, the ``story`` it continues, and ``new_from``, where the
    text it adds will start in the story's text (a swap marks its swapped-in token too)."""

    prompt: Prompt
    params: Params
    backend: Mapping[str, Any]
    story: Story
    new_from: int


def shifted_seed(params: Params, offset: int) -> Params:
    """``params`` with a fixed seed moved on by ``offset`` (modulo 2**64); unchanged without one.

    >>> shifted_seed(Params(seed=10), 2).seed, shifted_seed(Params(), 2).seed
    (12, None)
    """
    if params.seed is None or offset == 0:
        return params
    return params.evolve(seed=(params.seed + offset) % 2**64)


def _tree(value: Tree | Iterable[Story]) -> Tree:
    return value if isinstance(value, Tree) else Tree(value)


def _story_list(value: Iterable[Story]) -> tuple[Story, ...]:
    stories = tuple(value)
    for story in stories:
        arguments.typed("story", story, Story, "a Story")
    return stories


@attrs.frozen(kw_only=True)
class Session:
    """The whole writing state.

    A ``Session`` is all that one writer has done in one place: the tree of story nodes
    (``nodes``), where the writer is (``current``), what they undid (``undone``), the
    sampling parameters, the prompt window settings, the lorebook, the backend's description, the
    alternatives on offer, the last request sent and where the newest text starts.
    Every operation is a method that returns a new ``Session`` and leaves the old one
    exactly as it was::

        session = Session.start("Once upon a time", params=Params(seed=1))
        session = continued(session, transport)          # complete.writing.continuing asks the model
        session = session.append("Then the storm came.")
        session = session.undo().redo()

    It builds what is sent (``request``, ``retry_request``, ``swap_request``,
    ``alternative_requests``: the prompt fitted to the window, the parameters) and takes
    what comes back (``add``, ``add_interrupted``, ``offer``). Building a prompt may ask
    the transport's tokenizer to count tokens, and nothing else.

    Decisions:

    - Operations that cannot do anything (``undo`` at the prompt, ``redo`` with nothing
      undone) return the session unchanged; ``can_undo`` and ``can_redo`` say so
      beforehand, and ``retry_request`` / ``swap_request`` return None when there is
      nothing to retry or swap, for a shell that wants to tell the writer.
    - New nodes clear the redo list and the alternatives on offer, as in any editor;
      undone nodes stay in the tree, where ``children`` finds them.
    - A continuation that comes back empty is not added; the request is recorded.
    - Text received before a stream was interrupted becomes a model node flagged
      ``interrupted``; an interruption before any text adds nothing.
    - An edit (``edit``, ``rewrite``) is a node of origin "edit" (``complete.writing.editing``):
      undo goes back to the text before it, and nothing is marked new. ``retry`` right
      after an edit has nothing to retry, as after the writer's own words: a retry never
      throws an edit away; after the next continuation it retries that, from the edited
      text. A swap after an edit keeps the edit (``branching.branch_after_edits``).
    - A retry or an alternative uses the current parameters; with a fixed seed it
      shifts the seed by the number of model continuations already made from that
      place (``shifted_seed``), so each sample is new yet reproducible. Continuing does
      not shift it: the same seed from the same place gives the same text.

    ``nodes`` holds every node met, in that order, parents first; the nodes of
    ``current``, ``undone`` (what ``redo()`` returns to, the latest last) and
    ``offered`` are added to it when missing.
    ``new_from`` is where the text added by the last operation starts in
    ``current.text`` (None after moving in the tree), for a display to mark it.
    ``bookmarks`` maps names to nodes (``bookmark``, ``checkout(name)``); its nodes
    are added to ``nodes`` too.

    >>> session = Session.start("It rained").append("all day.")
    >>> session.current.text, session.undo().current.text, session.current.text
    ('It rained all day.', 'It rained', 'It rained all day.')
    """

    current: Story = attrs.field(validator=arguments.validator(arguments.typed, Story, "a Story"))
    nodes: Tree = attrs.field(factory=Tree, converter=_tree)
    undone: tuple[Story, ...] = attrs.field(default=(), converter=_story_list)
    params: Params = attrs.field(factory=Params, validator=arguments.validator(arguments.typed, Params, "a Params"))
    window: Window = attrs.field(factory=Window, validator=arguments.validator(arguments.typed, Window, "a Window"))
    lorebook: Lorebook = attrs.field(
        factory=Lorebook, validator=arguments.validator(arguments.typed, Lorebook, "a Lorebook")
    )
    backend: Mapping[str, Any] = attrs.field(factory=dict, converter=dict)
    offered: tuple[Story, ...] = attrs.field(default=(), converter=_story_list)
    last_request: Request | None = attrs.field(default=None, repr=False)  # its prompt holds the whole text
    new_from: int | None = None
    bookmarks: Mapping[str, Story] = attrs.field(factory=dict, converter=bookmarking.bookmark_map)

    def __attrs_post_init__(self) -> None:
        complete_tree = self.nodes.adding([self.current, *self.undone, *self.offered, *self.bookmarks.values()])
        if complete_tree is not self.nodes:
            object.__setattr__(self, "nodes", complete_tree)

    @classmethod
    def start(
        cls,
        prompt: str | Story,
        *,
        reformat: bool = True,
        params: Params | None = None,
        window: Window | None = None,
        backend: Mapping[str, Any] | None = None,
        lorebook: Lorebook | None = None,
    ) -> Session:
        """A session at ``prompt`` (reformatted like any prompt unless ``reformat=False``)."""
        story = prompt if isinstance(prompt, Story) else Story.from_prompt(prompt, reformat=reformat)
        return cls(
            current=story,
            params=params or Params(),
            window=window or Window(),
            backend=backend or {},
            lorebook=lorebook or Lorebook(),
        )

    # --- reading the tree ------------------------------------------------------------

    @property
    def children(self) -> tuple[Story, ...]:
        """The continuations made from the current story, oldest first."""
        return self.nodes.children(self.current)

    @property
    def siblings(self) -> tuple[Story, ...]:
        """The other continuations of the current story's parent (earlier tries)."""
        parent = self.current.parent
        if parent is None:
            return ()
        return tuple(node for node in self.nodes.children(parent) if node is not self.current)

    @property
    def history(self) -> tuple[Story, ...]:
        """The nodes from the prompt to the current story."""
        return self.current.path

    @property
    def can_undo(self) -> bool:
        return self.current.parent is not None

    @property
    def can_redo(self) -> bool:
        return bool(self.undone)

    def _model_children(self, story: Story) -> int:
        return sum(1 for node in self.nodes.children(story) if node.origin == "model")

    # --- moving and writing ----------------------------------------------------------

    def append(self, text: str, *, reformat: bool = True) -> Session:
        """The writer's own words added (origin "user"), spaced by ``joined_segment``."""
        arguments.text("text", text, "some non-blank text to add", blank=False)
        node = self.current.extend(joined_segment(self.current.text, text, reformat=reformat), origin="user")
        return attrs.evolve(self, current=node, undone=(), offered=(), new_from=self.current.length)

    def edit(self, old: str, new: str, occurrence: int | None = None) -> Session:
        """One occurrence of ``old``, anywhere in the story, replaced by ``new`` (an edit
        node; see ``complete.writing.editing.replace_once`` for ``occurrence`` and the errors)."""
        return self._edited(editing.replace_once(self.current, old, new, occurrence))

    def rewrite(self, text: str) -> Session:
        """The whole text made ``text``, as the one edit node that changes what differs;
        unchanged when it is the text already."""
        node = editing.rewrite(self.current, text)
        return self if node is None else self._edited(node)

    def _edited(self, node: Story) -> Session:
        # Nothing is marked new: the edited text is the writer's, not the model's.
        return attrs.evolve(self, current=node, undone=(), offered=(), new_from=None)

    def undo(self) -> Session:
        """One segment back; ``redo()`` goes forward again. At the prompt: unchanged."""
        parent = self.current.parent
        if parent is None:
            return self
        return attrs.evolve(self, current=parent, undone=(*self.undone, self.current), new_from=None)

    def redo(self) -> Session:
        """Forward to the segment last undone. With nothing undone: unchanged."""
        if not self.undone:
            return self
        return attrs.evolve(self, current=self.undone[-1], undone=self.undone[:-1], new_from=None)

    def checkout(self, story: Story | str | int) -> Session:
        """``story`` (any node, of this tree or not; a bookmark's name; or a node's index
        in ``nodes``, as the tree view numbers it) made current; the redo list is cleared."""
        if isinstance(story, str):
            story = bookmarking.found(self.bookmarks, story)
        elif isinstance(story, int) and not isinstance(story, bool):
            story = self.nodes[arguments.integer("story", story, low=0, high=len(self.nodes) - 1)]
        node = arguments.typed("story", story, Story, "a Story, a bookmark's name or a node's index")
        return attrs.evolve(self, current=node, undone=(), new_from=None)

    def bookmark(self, name: str) -> Session:
        """The current node named ``name``, for ``checkout(name)`` (see ``complete.values.bookmarks``)."""
        named = bookmarking.added(self.bookmarks, name, self.current, self.nodes)
        return self if named is self.bookmarks else attrs.evolve(self, bookmarks=named)

    def unbookmark(self, name: str) -> Session:
        """The bookmark ``name`` forgotten (its node stays in the tree)."""
        return attrs.evolve(self, bookmarks=bookmarking.removed(self.bookmarks, name))

    def choose(self, index: int) -> Session:
        """Alternative ``index`` (0-based, as numbered on screen) made current."""
        if not self.offered:
            raise ParamsError(field="index", value=index, allowed="a number shown by alternatives(); call it first")
        chosen = self.offered[arguments.integer("index", index, low=0, high=len(self.offered) - 1)]
        assert chosen.parent is not None
        return attrs.evolve(self, current=chosen, undone=(), offered=(), new_from=chosen.parent.length)

    def set(self, **changes: Any) -> Session:
        """Parameters changed for every later request: ``session.set(temperature=0.7)``."""
        return attrs.evolve(self, params=self.params.evolve(**changes))

    def set_window(self, **changes: Any) -> Session:
        """Prompt window settings changed: ``session.set_window(memory="...", note="...")``."""
        names = [field.name for field in attrs.fields(Window)]
        for name, value in changes.items():
            if name not in names:
                raise ParamsError(field=name, value=value, allowed="a window setting: " + ", ".join(names))
        return attrs.evolve(self, window=attrs.evolve(self.window, **changes))

    def set_lorebook(self, lorebook: Lorebook) -> Session:
        """The lorebook every later prompt takes its lore from."""
        return attrs.evolve(self, lorebook=lorebook)

    # --- continuing: what to send ----------------------------------------------------

    def _request(self, story: Story, params: Params, transport: Transport, new_from: int) -> Request:
        prompt = build_prompt(story, params, transport, self.window, self.lorebook)
        return Request(prompt=prompt, params=params, backend=describe(transport), story=story, new_from=new_from)

    def request(self, transport: Transport, **overrides: Any) -> Request:
        """The request that continues the current story (``overrides``: for this one only)."""
        params = self.params.evolve(**overrides)
        return self._request(self.current, params, transport, self.current.length)

    def retry_request(self, transport: Transport, **overrides: Any) -> Request | None:
        """A new sample in place of the current model segment; None when it is not the model's."""
        params = self.params.evolve(**overrides)
        parent = self.current.parent
        if self.current.origin != "model" or parent is None:
            return None
        return self._request(parent, shifted_seed(params, self._model_children(parent)), transport, parent.length)

    def swap_request(self, transport: Transport, position: int, alternative: str, **overrides: Any) -> Request | None:
        """Continue a branch with ``alternative`` in place of the token at ``position`` of the
        newest model segment (see ``complete.writing.branching``); None when there is no model segment."""
        node = latest_model_node(self.current)
        if node is None:
            return None
        if editing.edited_since(self.current, node):
            branch = branch_after_edits(self.current, node, position, alternative)
            assert branch.replaces is not None
            new_from = branch.replaces[0]
        else:
            branch = branch_at(node, position, alternative)
            assert branch.parent is not None
            new_from = branch.parent.length
        return self._request(branch, self.params.evolve(**overrides), transport, new_from)

    def alternative_requests(self, transport: Transport, n: int, **overrides: Any) -> tuple[Request, ...]:
        """``n`` requests that continue the current story, each with its own shifted seed."""
        arguments.integer("n", n, low=1, high=MAX_ALTERNATIVES)
        first = self.request(transport, **overrides)
        offset = self._model_children(self.current)
        return tuple(attrs.evolve(first, params=shifted_seed(first.params, offset + i)) for i in range(n))

    # --- continuing: what came back --------------------------------------------------

    def sent(self, request: Request) -> Session:
        """``request`` recorded as the last one sent (before its answer, which may fail),
        and its backend as the session's."""
        return attrs.evolve(self, last_request=request, backend=request.backend)

    def add(self, request: Request, story: Story) -> Session:
        """The continuation ``story`` made for ``request`` added and made current.

        An empty continuation is not added: only the request is recorded.
        """
        if story.parent is not request.story:
            raise ParamsError(field="story", value=story, allowed="a continuation of the request's story")
        recorded = attrs.evolve(self, last_request=request, backend=request.backend)
        if not story.segment:
            return recorded
        return attrs.evolve(recorded, current=story, undone=(), offered=(), new_from=request.new_from)

    def add_interrupted(self, request: Request, text: str) -> Session:
        """The ``text`` a stream for ``request`` delivered before it was stopped, as a model
        node flagged ``interrupted`` (nothing is added when no text arrived)."""
        backend = request.backend
        model = backend.get("model") or backend.get("path") or backend.get("endpoint")
        generation = Generation(text=text, backend=str(backend.get("backend")), model=str(model) if model else None)
        node = request.story.extend(
            text, origin="model", params=request.params, generation=generation, interrupted=True
        )
        return self.add(request, node)

    def offer(self, request: Request, stories: Sequence[Story]) -> Session:
        """Continuations of ``request``'s story put on offer for ``choose``; the story stays."""
        for story in stories:
            if story.parent is not request.story:
                raise ParamsError(field="stories", value=story, allowed="continuations of the request's story")
        return attrs.evolve(self, offered=tuple(stories), last_request=request, backend=request.backend)
