"""A Completer's attributes: views of its session, and sampling parameters as attributes.

``SessionAttributes`` is the base of the ``Completer`` that gives it the habits a
writer in a notebook leans on: ``bloom.children``, ``bloom.history`` and the other
views read the session it holds (``bloom.memory = "..."`` changes it); a sampling
parameter is an attribute (``bloom.top_k`` reads the one in effect, ``bloom.top_k =
30`` is ``bloom.set(top_k=30)``, and a ``Supplier`` value is called at every
request); any other name is refused with the nearest known one, so that a typo
(``bloom.temprature = 0.5``) is not silently kept.

What this module deliberately does not do: hold any state of its own (the subclass
holds ``session`` and ``suppliers``), or send, show or save anything.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Callable, Mapping
from typing import Any, Generic, Self, TypeVar, overload

from complete.errors import ParamsError
from complete.values.lorebook import Lorebook
from complete.values.params import PARAM_NAMES, check_names
from complete.values.supplier import Supplier
from complete.writing.session import Session

__all__ = ["SessionAttributes", "SessionView", "as_lorebook", "split"]

T = TypeVar("T")


def split(params: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Supplier]]:
    """(the literal values, the ``Supplier`` values) of ``params``; names checked."""
    check_names(params)
    literal = {name: value for name, value in params.items() if not isinstance(value, Supplier)}
    return literal, {name: value for name, value in params.items() if isinstance(value, Supplier)}


def as_lorebook(value: object) -> Lorebook:
    """A ``Lorebook``, or one read from a path (what it does not take is warned about)."""
    if isinstance(value, Lorebook):
        return value
    if isinstance(value, str | os.PathLike):
        return Lorebook.load(value)
    raise ParamsError(field="lorebook", value=value, allowed="a Lorebook or the path of a lorebook file")


class SessionView(Generic[T]):
    """An attribute that reads its owner's session (``bloom.children``) and, given
    ``write``, changes it (``bloom.memory = "..."``)."""

    def __init__(
        self, read: Callable[[Session], T], doc: str, write: Callable[[Session, T], Session] | None = None
    ) -> None:
        self._read = read
        self._write = write
        self.__doc__ = doc

    @overload
    def __get__(self, owner: None, kind: type[Any]) -> Self: ...

    @overload
    def __get__(self, owner: SessionAttributes, kind: type[Any]) -> T: ...

    def __get__(self, owner: SessionAttributes | None, kind: type[Any]) -> T | Self:
        return self if owner is None else self._read(owner.session)

    def __set__(self, owner: SessionAttributes, value: T) -> None:
        if self._write is None:
            raise AttributeError(f"{self.__doc__} It is read-only.")
        owner.session = self._write(owner.session, value)


class SessionAttributes:
    """The views of ``session`` and the sampling parameters, as attributes (see the module docstring)."""

    __slots__ = ()

    session: Session
    suppliers: dict[str, Supplier]

    story = SessionView(lambda session: session.current, "The current story: an immutable ``Story`` value.")
    params = SessionView(lambda session: session.params, "The parameters every call uses (``set`` changes them).")
    window = SessionView(lambda session: session.window, "The prompt window settings (memory, note, size).")
    last_request = SessionView(lambda session: session.last_request, "The last request sent: prompt, params, backend.")
    offered = SessionView(lambda session: session.offered, "The alternatives on offer, as numbered on screen.")
    children = SessionView(lambda session: session.children, "The continuations of the current story, oldest first.")
    siblings = SessionView(lambda session: session.siblings, "The other continuations of its parent (earlier tries).")
    history = SessionView(lambda session: session.history, "The nodes from the prompt to the current story.")
    nodes = SessionView(lambda session: tuple(session.nodes), "Every node met, in the order met.")
    bookmarks = SessionView(lambda session: dict(session.bookmarks), "The bookmarks: each name and its node.")
    memory = SessionView(
        lambda session: session.window.memory,
        "Text always kept at the top of the prompt (characters, setting).",
        lambda session, text: session.set_window(memory=text),
    )
    note = SessionView(
        lambda session: session.window.note,
        "An author's note inserted ``note_depth`` paragraphs before the end.",
        lambda session, text: session.set_window(note=text),
    )
    lorebook = SessionView[Lorebook](
        lambda session: session.lorebook,
        "World info entering the prompt when the story mentions it: a ``Lorebook`` "
        "(set a Lorebook or a file's path; ``bloom.lorebook = bloom.lorebook.add(keys, text)``).",
        lambda session, value: session.set_lorebook(as_lorebook(value)),
    )

    def set(self, **changes: Any) -> None:
        """Change parameters for every later call: ``bloom.set(temperature=0.7)``, the
        same as ``bloom.temperature = 0.7``; a ``Supplier`` is called at every request."""
        literal, suppliers = split(changes)
        self.session = self.session.set(**literal)
        self.suppliers = {name: value for name, value in self.suppliers.items() if name not in changes} | suppliers

    def _supplied(self, overrides: Mapping[str, Any]) -> dict[str, Any]:
        """``overrides`` with every ``Supplier`` (set, or given for this call) called once."""
        values = {**self.suppliers, **overrides}
        return {name: value() if isinstance(value, Supplier) else value for name, value in values.items()}

    def __getattr__(self, name: str) -> Any:
        """A sampling parameter in effect (``bloom.top_k``; a ``Supplier`` when one is set)."""
        if name in PARAM_NAMES:
            suppliers = self.suppliers  # type: Mapping[str, Supplier]
            return suppliers[name] if name in suppliers else getattr(self.session.params, name)
        raise AttributeError(self._no_attribute(name), name=name, obj=self)

    def __setattr__(self, name: str, value: Any) -> None:
        """``bloom.temperature = 0.5`` is ``bloom.set(temperature=0.5)``; what the class
        defines (``session``, ``memory``, ``stream``, ...) is set as usual; any other
        name is refused, with the nearest known one."""
        if hasattr(type(self), name):
            object.__setattr__(self, name, value)
        elif name in PARAM_NAMES:
            self.set(**{name: value})
        else:
            raise AttributeError(self._no_attribute(name), name=name, obj=self)

    def _no_attribute(self, name: str) -> str:
        kind = type(self).__name__
        message = f"a {kind} has no attribute {name!r}"
        if name.startswith("_"):
            return message
        known = [*PARAM_NAMES, *(attribute for attribute in dir(type(self)) if not attribute.startswith("_"))]
        guess = difflib.get_close_matches(name, known, n=1)
        hint = f"Did you mean {guess[0]!r}? " if guess else ""
        return f"{message}. {hint}Sampling parameters are attributes (bloom.temperature = 0.7) or set(temperature=0.7)."
