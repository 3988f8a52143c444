"""The story: one immutable node of a persistent tree, like a commit.

A ``Story`` is its last ``segment`` and the ``parent`` it extends, so extending is
O(1) and shares every earlier node. What it deliberately does not do: know its
children (a ``Session`` keeps the tree), recurse along parent links (stories can be
thousands of nodes deep), or do I/O (its JSON form is ``complete.values.story_json``).
"""

from __future__ import annotations

from collections.abc import Container, Iterable, Iterator
from typing import Any, Literal

import attrs

from complete.errors import ParamsError
from complete.values import checks as arguments
from complete.values.generation import Generation
from complete.values.params import Params
from complete.values.reformat import reformat as _reformat
from complete.values.story_json import story_from_dict, story_to_dict

__all__ = ["ORIGINS", "Origin", "Story", "parents_first"]

Origin = Literal["prompt", "model", "user", "edit"]
ORIGINS: tuple[Origin, ...] = ("prompt", "model", "user", "edit")


def _span(value: object) -> tuple[int, int] | None:
    """A span given as any pair (a JSON list, say) as a tuple; anything else as it is,
    for ``_check_replaces`` to refuse."""
    if isinstance(value, list | tuple) and len(value) == 2:
        return (value[0], value[1])
    return value  # type: ignore[return-value]


@attrs.frozen(eq=False, repr=False)
class Story:
    """An immutable story: the ``segment`` this node adds after its ``parent``.

    Extending shares every earlier node, so undo, retry, alternatives and branches
    cost nothing but the new text: the old story is still there, unchanged, and any
    number of stories may share a past. Equality walks both chains in a loop (and
    first compares a hash computed once per node from its parent's), ``repr`` is one
    short line, and ``text`` is cached; a node that builds its text from its parent's
    cached text takes that cache over (the parent rebuilds it, once, if asked again),
    so memory stays linear in a long session.

    An *edit* node (origin "edit") changes text anywhere: it records the span
    ``replaces = (start, end)`` of its parent's text and the ``segment`` put there, so
    the text is still a fold over the chain, building a node stays O(1), undo is going
    back to the parent, and who wrote each character can be worked out from the chain
    (``complete.writing.editing.authorship``). Storing the whole edited text instead
    would cost a copy of the story per edit and lose who wrote what.

    >>> story = Story.from_prompt("Once upon\\na time").extend(", a fox", origin="user")
    >>> story.text
    'Once upon a time, a fox'
    >>> story.segments
    ('Once upon a time', ', a fox')
    >>> story.parent.text
    'Once upon a time'
    """

    parent: Story | None
    segment: str = attrs.field(validator=arguments.validator(arguments.text))
    origin: Origin = attrs.field(default="prompt", validator=arguments.validator(arguments.one_of, ORIGINS))
    params: Params | None = attrs.field(
        default=None, validator=arguments.validator(arguments.optional(arguments.typed), Params, "a Params or None")
    )
    generation: Generation | None = attrs.field(
        default=None,
        validator=arguments.validator(arguments.optional(arguments.typed), Generation, "a Generation or None"),
    )
    interrupted: bool = attrs.field(
        default=False, validator=arguments.validator(arguments.typed, bool, "True or False")
    )
    replaces: tuple[int, int] | None = attrs.field(default=None, converter=_span)
    depth: int = attrs.field(init=False)
    length: int = attrs.field(init=False)
    _key: int = attrs.field(init=False)
    _root: Story | None = attrs.field(init=False)
    _text: str | None = attrs.field(init=False, default=None)

    def __attrs_post_init__(self) -> None:
        parent = self.parent
        arguments.optional(arguments.typed)("parent", parent, Story, "a Story or None")
        if (self.origin == "prompt") != (parent is None):
            allowed = (
                "'prompt' (a root story)"
                if parent is None
                else "'model', 'user' or 'edit' (only a root story has origin 'prompt')"
            )
            raise ParamsError(field="origin", value=self.origin, allowed=allowed)
        replaced = _check_replaces(self, parent)
        own = self._own()
        set_ = object.__setattr__
        set_(self, "depth", 0 if parent is None else parent.depth + 1)
        set_(self, "length", len(self.segment) - replaced + (0 if parent is None else parent.length))
        set_(self, "_key", hash((0 if parent is None else parent._key, own)))
        set_(self, "_root", None if parent is None else parent.root)

    # --- building -------------------------------------------------------------

    @classmethod
    def from_prompt(cls, text: str, *, reformat: bool = True) -> Story:
        """A new story whose root is the prompt, reformatted as the README describes.

        An empty or whitespace-only prompt is a ``ParamsError``: there is nothing for
        the model to continue.
        """
        arguments.text("prompt", text)
        segment = _reformat(text) if reformat else text
        if not segment.strip():
            raise ParamsError(field="prompt", value=text, allowed="some text for the model to continue")
        return cls(None, segment, origin="prompt")

    def extend(
        self,
        text: str,
        *,
        origin: Origin = "user",
        params: Params | None = None,
        generation: Generation | None = None,
        interrupted: bool = False,
    ) -> Story:
        """A new story with ``text`` added; this one is unchanged and shared."""
        return Story(self, text, origin=origin, params=params, generation=generation, interrupted=interrupted)

    def replaced(self, start: int, end: int, text: str) -> Story:
        """A new story (an edit node) with ``text`` in place of ``self.text[start:end]``.

        >>> Story.from_prompt("Once upon a time").replaced(10, 16, "midnight").text
        'Once upon midnight'
        """
        return Story(self, text, origin="edit", replaces=(start, end))

    # --- reading --------------------------------------------------------------

    @property
    def root(self) -> Story:
        """The first node: the prompt."""
        return self if self._root is None else self._root

    @property
    def new_text(self) -> str:
        """The text this node added (its segment)."""
        return self.segment

    @property
    def text(self) -> str:
        """The whole text: every segment from the root to here, joined as written,
        each edit node's segment in place of the span it replaces."""
        cached = self._text
        if cached is not None:
            return cached
        pending: list[Story] = []
        node: Story | None = self
        while node is not None and node._text is None:
            pending.append(node)
            node = node.parent
        pending.reverse()
        pieces = ["" if node is None else node._text or ""]
        for step in pending:
            if step.replaces is None:
                pieces.append(step.segment)
                continue
            start, end = step.replaces
            joined = "".join(pieces)
            pieces = [joined[:start], step.segment, joined[end:]]
        text = "".join(pieces)
        if node is not None and node is self.parent:
            object.__setattr__(node, "_text", None)
        object.__setattr__(self, "_text", text)
        return text

    def prompt_text(self) -> str:
        """What a backend is asked to continue: the whole text, exactly.

        A ``Window`` (memory, author's note, trimming to the model's window) builds
        a different prompt from the same story; see ``complete.writing.window``.
        """
        return self.text

    @property
    def path(self) -> tuple[Story, ...]:
        """Every node from the root to this one."""
        nodes = list(self.lineage())
        nodes.reverse()
        return tuple(nodes)

    @property
    def segments(self) -> tuple[str, ...]:
        """The segments from the root to this node (joined, they are ``text`` when no
        node on the path is an edit)."""
        return tuple(node.segment for node in self.path)

    def lineage(self) -> Iterator[Story]:
        """This node, its parent, and so on up to the root."""
        node: Story | None = self
        while node is not None:
            yield node
            node = node.parent

    # --- value semantics without recursion --------------------------------------

    def _own(self) -> tuple[object, ...]:
        return (self.segment, self.origin, self.params, self.generation, self.interrupted, self.replaces)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Story):
            return NotImplemented
        a: Story | None = self
        b: Story | None = other
        while a is not None and b is not None:
            if a is b:
                return True
            if a._key != b._key or a.depth != b.depth or a._own() != b._own():
                return False
            a, b = a.parent, b.parent
        return a is None and b is None

    def __ne__(self, other: object) -> bool:
        result = self.__eq__(other)
        return result if result is NotImplemented else not result

    def __hash__(self) -> int:
        return self._key

    def __repr__(self) -> str:
        tail = self.segment if len(self.segment) <= 40 else "…" + self.segment[-39:]
        return f"Story(depth={self.depth}, length={self.length}, origin={self.origin!r}, new_text={tail!r})"

    # --- JSON form --------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """The path from the root to here in a stable, versioned JSON form.

        >>> Story.from_prompt("Hello").to_dict()
        {'format': 'complete.story', 'version': 1, 'nodes': [{'segment': 'Hello', 'origin': 'prompt'}]}
        """
        return story_to_dict(self.path)

    @classmethod
    def from_dict(cls, data: object) -> Story:
        """Rebuild a story written by ``to_dict``; anything else is a ``StoryFormatError``."""
        return story_from_dict(data, cls)


def _check_replaces(node: Story, parent: Story | None) -> int:
    """How many characters of the parent's text ``node`` replaces (0 unless it is an
    edit); a span missing from an edit node, or given to another node, or outside
    the parent's text, is a ``ParamsError``."""
    span = node.replaces
    if node.origin != "edit":
        if span is not None:
            raise ParamsError(field="replaces", value=span, allowed="None (only an edit node replaces text)")
        return 0
    assert parent is not None  # the origin check came first
    allowed = f"a span (start, end) of the parent's text, 0 <= start <= end <= {parent.length}"
    if not isinstance(span, tuple) or not all(isinstance(end, int) and not isinstance(end, bool) for end in span):
        raise ParamsError(field="replaces", value=span, allowed=allowed)
    start, end = span
    if not 0 <= start <= end <= parent.length:
        raise ParamsError(field="replaces", value=span, allowed=allowed)
    return end - start


def parents_first(nodes: Iterable[Story], known: Container[int] = frozenset()) -> list[Story]:
    """``nodes`` and all their ancestors, each once, parents before children, leaving
    out the nodes whose ids are in ``known`` (and their ancestors).

    Nodes are told apart by identity (equal stories may be distinct nodes).
    """
    listed: set[int] = set()
    ordered: list[Story] = []
    for node in nodes:
        chain = []
        for ancestor in node.lineage():
            if id(ancestor) in listed or id(ancestor) in known:
                break
            chain.append(ancestor)
        for ancestor in reversed(chain):
            listed.add(id(ancestor))
            ordered.append(ancestor)
    return ordered
