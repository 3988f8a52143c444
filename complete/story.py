"""The story: one immutable node of a persistent tree, like a commit.

A ``Story`` is the text so far, represented as its last ``segment`` plus a link to
the ``parent`` story it extends. Extending is O(1) and shares every earlier node, so
undo, retry, alternatives and branches cost nothing but the new text: the old
story is still there, unchanged, and any number of stories may share a past.

Stories can be thousands of nodes deep, so nothing here recurses along parent links:
equality walks both chains in a loop (and first compares a hash computed once per
node from its parent's), ``repr`` is one short line, and ``text`` is cached. To keep
memory linear in a long session, a node that builds its text from its parent's
cached text takes that cache over (the parent rebuilds it, once, if asked again).

A node does not know its children: the tree is navigated from the ``Completer``,
which keeps the nodes it made. This module does no I/O.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any, Literal, cast

import attrs

from complete.errors import ParamsError, StoryFormatError
from complete.generation import Generation
from complete.params import Params
from complete.reformat import reformat as _reformat

__all__ = ["FORMAT", "FORMAT_VERSION", "Origin", "Story", "check_format", "parents_first"]

Origin = Literal["prompt", "model", "user"]
ORIGINS: tuple[Origin, ...] = ("prompt", "model", "user")

FORMAT = "complete.story"
FORMAT_VERSION = 1


def _check_origin(instance: Story, attribute: attrs.Attribute[Origin], value: object) -> None:
    if value not in ORIGINS:
        raise ValueError(f"origin must be one of {ORIGINS}, not {value!r}")


def _check_segment(instance: Story, attribute: attrs.Attribute[str], value: object) -> None:
    if not isinstance(value, str):
        raise TypeError(f"segment must be a str, not {type(value).__name__}")


@attrs.frozen(eq=False, repr=False)
class Story:
    """An immutable story: the ``segment`` this node adds after its ``parent``.

    >>> story = Story.from_prompt("Once upon\\na time").extend(", a fox", origin="user")
    >>> story.text
    'Once upon a time, a fox'
    >>> story.segments
    ('Once upon a time', ', a fox')
    >>> story.parent.text
    'Once upon a time'
    """

    parent: Story | None
    segment: str = attrs.field(validator=_check_segment)
    origin: Origin = attrs.field(default="prompt", validator=_check_origin)
    params: Params | None = None
    generation: Generation | None = None
    interrupted: bool = False
    depth: int = attrs.field(init=False)
    length: int = attrs.field(init=False)
    _key: int = attrs.field(init=False)
    _root: Story | None = attrs.field(init=False)
    _text: str | None = attrs.field(init=False, default=None)

    def __attrs_post_init__(self) -> None:
        parent = self.parent
        if parent is not None and not isinstance(parent, Story):
            raise TypeError(f"parent must be a Story or None, not {type(parent).__name__}")
        own = (self.segment, self.origin, self.params, self.generation, self.interrupted)
        set_ = object.__setattr__
        set_(self, "depth", 0 if parent is None else parent.depth + 1)
        set_(self, "length", len(self.segment) + (0 if parent is None else parent.length))
        set_(self, "_key", hash((0 if parent is None else parent._key, own)))
        set_(self, "_root", None if parent is None else parent.root)

    # --- building -------------------------------------------------------------

    @classmethod
    def from_prompt(cls, text: str, *, reformat: bool = True) -> Story:
        """A new story whose root is the prompt, reformatted as the README describes.

        An empty or whitespace-only prompt is a ``ParamsError``: there is nothing for
        the model to continue.
        """
        if not isinstance(text, str):
            raise ParamsError(field="prompt", value=text, allowed="a str")
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
        if origin == "prompt":
            raise ValueError("only a root story has origin 'prompt'; extend with 'model' or 'user'")
        return Story(self, text, origin=origin, params=params, generation=generation, interrupted=interrupted)

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
        """The whole text: every segment from the root to here, joined as written."""
        cached = self._text
        if cached is not None:
            return cached
        pending: list[str] = []
        node: Story | None = self
        while node is not None and node._text is None:
            pending.append(node.segment)
            node = node.parent
        base = "" if node is None else node._text or ""
        pending.reverse()
        text = base + "".join(pending)
        if node is not None and node is self.parent:
            object.__setattr__(node, "_text", None)
        object.__setattr__(self, "_text", text)
        return text

    def prompt_text(self) -> str:
        """What a backend is asked to continue: the whole text, exactly.

        A ``Window`` (memory, author's note, trimming to the model's window) builds
        a different prompt from the same story; see ``complete.window``.
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
        """The segments from the root to this node."""
        return tuple(node.segment for node in self.path)

    def lineage(self) -> Iterator[Story]:
        """This node, its parent, and so on up to the root."""
        node: Story | None = self
        while node is not None:
            yield node
            node = node.parent

    def is_ancestor_of(self, other: Story) -> bool:
        """True when ``other`` extends this very node (identity, not equality)."""
        return any(node is self for node in other.lineage())

    # --- value semantics without recursion --------------------------------------

    def _own(self) -> tuple[object, ...]:
        return (self.segment, self.origin, self.params, self.generation, self.interrupted)

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

    def node_dict(self) -> dict[str, Any]:
        """This node's own fields as JSON-ready data (no parent link)."""
        out: dict[str, Any] = {"segment": self.segment, "origin": self.origin}
        if self.params is not None:
            out["params"] = self.params.to_dict()
        if self.generation is not None:
            out["generation"] = self.generation.to_dict()
        if self.interrupted:
            out["interrupted"] = True
        return out

    @classmethod
    def from_node_dict(cls, parent: Story | None, data: object, *, where: str = "node") -> Story:
        """Rebuild one node under ``parent``; errors name the field (``where``)."""
        if not isinstance(data, Mapping):
            raise StoryFormatError(f"{where}: expected an object, found {type(data).__name__}")
        unknown = set(data) - {"segment", "origin", "params", "generation", "interrupted"}
        if unknown:
            raise StoryFormatError(f"{where}: unknown field(s) {sorted(map(str, unknown))}")
        segment = data.get("segment")
        if not isinstance(segment, str):
            raise StoryFormatError(f"{where}.segment: expected a string, found {type(segment).__name__}")
        origin = data.get("origin")
        expected = ("prompt",) if parent is None else ("model", "user")
        if origin not in expected:
            raise StoryFormatError(f"{where}.origin: expected one of {expected}, found {origin!r}")
        interrupted = data.get("interrupted", False)
        if not isinstance(interrupted, bool):
            raise StoryFormatError(f"{where}.interrupted: expected true or false, found {interrupted!r}")
        params = _load_part(Params.from_dict, data.get("params"), f"{where}.params")
        generation = _load_part(Generation.from_dict, data.get("generation"), f"{where}.generation")
        return cls(
            parent, segment, origin=cast(Origin, origin), params=params, generation=generation, interrupted=interrupted
        )

    def to_dict(self) -> dict[str, Any]:
        """The path from the root to here in a stable, versioned JSON form.

        >>> Story.from_prompt("Hello").to_dict()
        {'format': 'complete.story', 'version': 1, 'nodes': [{'segment': 'Hello', 'origin': 'prompt'}]}
        """
        return {"format": FORMAT, "version": FORMAT_VERSION, "nodes": [node.node_dict() for node in self.path]}

    @classmethod
    def from_dict(cls, data: object) -> Story:
        """Rebuild a story written by ``to_dict``; anything else is a ``StoryFormatError``."""
        if not isinstance(data, Mapping):
            raise StoryFormatError(f"expected a story object, found {type(data).__name__}")
        check_format(data, FORMAT)
        nodes = data.get("nodes")
        if not isinstance(nodes, list) or not nodes:
            raise StoryFormatError("nodes: expected a non-empty list of story nodes")
        story: Story | None = None
        for index, item in enumerate(nodes):
            story = cls.from_node_dict(story, item, where=f"nodes[{index}]")
        assert story is not None
        return story


def check_format(data: Mapping[str, Any], expected: str, *, newest: int = FORMAT_VERSION) -> None:
    """Reject data of another format, or of a version newer than ``newest``."""
    found = data.get("format")
    if found != expected:
        raise StoryFormatError(f"format: expected {expected!r}, found {found!r}")
    version = data.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise StoryFormatError(f"version: expected a positive integer, found {version!r}")
    if version > newest:
        raise StoryFormatError(
            f"version: this file is format version {version}, but this version of complete reads "
            f"version {newest} at most; upgrade complete to read it"
        )


def parents_first(nodes: Iterable[Story], seen: set[int] | None = None) -> list[Story]:
    """``nodes`` and all their ancestors, each once, parents before children.

    Nodes are told apart by identity (equal stories may be distinct nodes). Ids in
    ``seen`` count as already listed; the set is updated.
    """
    listed = set() if seen is None else seen
    ordered: list[Story] = []
    for node in nodes:
        chain = []
        for ancestor in node.lineage():
            if id(ancestor) in listed:
                break
            chain.append(ancestor)
        for ancestor in reversed(chain):
            listed.add(id(ancestor))
            ordered.append(ancestor)
    return ordered


def _load_part(build: Any, value: object, where: str) -> Any:
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise StoryFormatError(f"{where}: expected an object, found {type(value).__name__}")
    try:
        return build(dict(value))
    except (TypeError, ValueError, KeyError, OverflowError) as exc:  # OverflowError: float(10**400)
        raise StoryFormatError(f"{where}: {exc}") from exc
