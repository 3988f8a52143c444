"""A lorebook: world info that enters the prompt when the story mentions it.

``LoreEntry`` (one character, place or rule: its keys, its text, how it is chosen)
and ``Lorebook`` (the entries and three settings) are frozen values;
``book.add(keys, text)`` returns a new book. What this module does not do: choose
the entries for a prompt (``complete.writing.lore_selection``), place them
(``complete.writing.window``) or read files (``complete.interchange.lorebooks``).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Iterator
from typing import Any, Protocol

import attrs

from complete.errors import ParamsError
from complete.values import checks as arguments

__all__ = ["FILES", "LOGICS", "POSITIONS", "LoreEntry", "Lorebook", "LorebookFile", "LorebookFiles", "key_pattern"]

LOGICS = ("and_any", "and_all", "not_any", "not_all")
"""How secondary keys combine with a primary key that matched."""
POSITIONS = ("before_memory", "after_memory", "depth")
"""Where an entry's text goes in the prompt."""

_REGEX_KEY = re.compile(r"^/(.+)/([gimsuy]*)$", re.DOTALL)
_FLAGS = {"i": re.IGNORECASE, "m": re.MULTILINE, "s": re.DOTALL}  # g, u, y mean nothing to Python's re


def key_pattern(key: str) -> re.Pattern[str] | None:
    """The compiled regular expression of a ``/.../flags`` key; None for a plain key.

    >>> key_pattern("/fox(es)?/i").pattern, key_pattern("Mira")
    ('fox(es)?', None)
    """
    found = _REGEX_KEY.match(key)
    if found is None:
        return None
    flags = 0
    for letter in found.group(2):
        flags |= _FLAGS.get(letter, 0)
    return re.compile(found.group(1), flags)


def _key_list(value: object) -> Any:
    """One key or several: a str is one key, a list or tuple several (checked after)."""
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list | tuple):
        return tuple(value)
    return value


@attrs.frozen
class LoreEntry:
    """One entry: ``LoreEntry("Mira", "Mira is a red fox.")``.

    Defaults, and where they come from (SillyTavern's ``public/scripts/world-info.js``,
    NovelAI's lorebook documentation, KoboldAI Lite's ``index.html``, read with the search tool):

    - Keys are plain text, case-insensitive (all three tools), matched as whole words
      (NovelAI's keys are bounded; SillyTavern offers it as "match whole words"; Lite
      matches substrings, so "Ann" fires in "Annual": we take the bounded kind, and the
      importer keeps Lite's substrings). A key written ``/.../flags`` is a regular
      expression (SillyTavern's and NovelAI's convention), case-sensitive unless ``i``.
    - ``secondary`` keys with ``logic`` "and_any", "and_all", "not_any" or "not_all":
      SillyTavern's four, with its meaning (not_all: fire unless all of them are there).
      They count only when there are some.
    - ``order`` 100 (SillyTavern's default weight): higher order wins the budget and sits
      closer to the story's end, as in SillyTavern.
    - ``position`` "after_memory" (between memory and story: Lite's place and
      SillyTavern's "after character"), "before_memory" (the very top of the prompt,
      before the memory and the story) or "depth": ``depth`` paragraphs before the end,
      like the author's note (SillyTavern's "@ depth", default 4).
    - ``probability`` 1.0: the chance that a matching entry enters (SillyTavern's and
      Lite's trigger %, as a fraction); the draw comes from the call's seed.
    - ``Lorebook.scan_depth`` 512 tokens of the story's end are searched (None: all of
      it, as Lite's default). NovelAI searches 1,000 characters and SillyTavern two chat
      messages; a story's paragraphs run longer than chat lines, so about two NovelAI
      ranges. ``budget`` 512 tokens: SillyTavern's 25 % of a 2,048-token window.
      ``recursion`` 0: entries' text triggers nothing, as all three tools default to.

    What this deliberately does not have: SillyTavern's groups, timed effects (sticky,
    cooldown, delay), per-entry scan depth and vector matching, NovelAI's per-entry
    budgets and categories, Lite's anti-keys beside secondary keys; the importers list
    them when a file uses them.

    An invalid field is a ``ParamsError`` (a ``ValueError``) naming the field and
    the entry.

    >>> LoreEntry("Mira", "A fox.", probability=2)
    Traceback (most recent call last):
    complete.errors.ParamsError: probability=2 is not allowed: expected a number from 0 to 1. In lore entry 'Mira'.
    """

    keys: tuple[str, ...] = attrs.field(converter=_key_list)
    text: str
    secondary: tuple[str, ...] = attrs.field(default=(), converter=_key_list, kw_only=True)
    logic: str = attrs.field(default="and_any", kw_only=True)
    name: str = attrs.field(default="", kw_only=True)
    constant: bool = attrs.field(default=False, kw_only=True)
    enabled: bool = attrs.field(default=True, kw_only=True)
    probability: float = attrs.field(default=1.0, kw_only=True)
    order: int = attrs.field(default=100, kw_only=True)
    position: str = attrs.field(default="after_memory", kw_only=True)
    depth: int = attrs.field(default=4, kw_only=True)
    case_sensitive: bool = attrs.field(default=False, kw_only=True)
    whole_words: bool = attrs.field(default=True, kw_only=True)

    def __attrs_post_init__(self) -> None:
        _check(self)

    @property
    def label(self) -> str:
        """How the writer knows this entry: its name, else its first key."""
        if isinstance(self.name, str) and self.name:
            return self.name
        first = self.keys[0] if isinstance(self.keys, tuple) and self.keys else None
        return first if isinstance(first, str) else "(no keys)"


def _check(entry: LoreEntry) -> None:
    label = entry.label
    hint = f"In lore entry {label!r}."

    def fail(field: str, allowed: str) -> None:
        raise ParamsError(field=field, value=getattr(entry, field), allowed=allowed, hint=hint)

    for field in ("keys", "secondary"):
        keys = getattr(entry, field)
        if not isinstance(keys, tuple) or not all(isinstance(key, str) and key.strip() for key in keys):
            fail(field, "a key or a list of keys, each a non-blank str")
        for key in keys:
            try:
                key_pattern(key)
            except re.error as exc:
                raise ParamsError(
                    field=field, value=key, allowed=f"a valid regular expression ({exc})", hint=hint
                ) from exc
    for field in ("text", "name"):
        if not isinstance(getattr(entry, field), str):
            fail(field, "a str")
    for field in ("constant", "enabled", "case_sensitive", "whole_words"):
        if not isinstance(getattr(entry, field), bool):
            fail(field, "True or False")
    probability = entry.probability
    if isinstance(probability, bool) or not isinstance(probability, int | float) or not 0 <= probability <= 1:
        fail("probability", "a number from 0 to 1")
    if isinstance(entry.order, bool) or not isinstance(entry.order, int):
        fail("order", "an integer (higher wins the budget)")
    if isinstance(entry.depth, bool) or not isinstance(entry.depth, int) or entry.depth < 0:
        fail("depth", "an integer >= 0 (paragraphs before the end)")
    if entry.logic not in LOGICS:
        fail("logic", "one of " + ", ".join(map(repr, LOGICS)))
    if entry.position not in POSITIONS:
        fail("position", "one of " + ", ".join(map(repr, POSITIONS)))


def _entries(value: Iterable[LoreEntry]) -> tuple[LoreEntry, ...]:
    entries = tuple(value)
    for index, entry in enumerate(entries):
        arguments.typed(f"entries[{index}]", entry, LoreEntry, "a LoreEntry")
    return entries


@attrs.frozen(repr=False)
class Lorebook:
    """Entries and how they are chosen: ``scan_depth`` (tokens of the story's end
    searched; None: all), ``budget`` (tokens the lore may take) and ``recursion``
    (how many times the text of entries that entered is searched in turn).

    >>> book = Lorebook().add("Mira", "Mira is a red fox.")
    >>> book
    <Lorebook: 1 entry (Mira); scan_depth=512, budget=512, recursion=0>
    """

    entries: tuple[LoreEntry, ...] = attrs.field(default=(), converter=_entries)
    scan_depth: int | None = attrs.field(
        default=512, validator=arguments.validator(arguments.optional(arguments.integer), low=1)
    )
    budget: int = attrs.field(default=512, validator=arguments.validator(arguments.integer, low=0))
    recursion: int = attrs.field(default=0, validator=arguments.validator(arguments.integer, low=0, high=10))
    # The compiled keys, built by complete.writing.lore_selection on first use; not part of the value.
    _index: Any = attrs.field(default=None, init=False, eq=False)

    def __repr__(self) -> str:
        names = ", ".join(entry.label for entry in self.entries[:5]) + (", ..." if len(self.entries) > 5 else "")
        count = f"{len(self.entries)} entr{'y' if len(self.entries) == 1 else 'ies'}"
        return (
            f"<Lorebook: {count}{f' ({names})' if names else ''}; "
            f"scan_depth={self.scan_depth}, budget={self.budget}, recursion={self.recursion}>"
        )

    def __len__(self) -> int:
        return len(self.entries)

    def __iter__(self) -> Iterator[LoreEntry]:
        return iter(self.entries)

    def add(self, keys: str | Iterable[str], text: str, **options: Any) -> Lorebook:
        """This book with one more entry (``options``: the ``LoreEntry`` fields)."""
        entry = LoreEntry(keys if isinstance(keys, str) else tuple(keys), text, **options)
        return attrs.evolve(self, entries=(*self.entries, entry))

    def evolve(self, **changes: Any) -> Lorebook:
        """This book with settings changed: ``book.evolve(budget=1024)``."""
        return attrs.evolve(self, **changes)

    # --- files: complete.interchange.lorebooks, reached through FILES -----------------

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Lorebook:
        """Read a SillyTavern World Info file, a NovelAI ``.lorebook`` or one of ours
        (told apart by their content). What the file holds that a ``Lorebook`` does
        not take is named in one ``UserWarning``."""
        import warnings

        loaded = cls.read(path)
        if loaded.ignored:
            warnings.warn(f"{path}: not taken: " + "; ".join(loaded.ignored), UserWarning, stacklevel=2)
        return loaded.lorebook

    @classmethod
    def read(cls, path: str | os.PathLike[str]) -> LorebookFile:
        """Like ``load``, but the book comes with its format and what was not taken."""
        return FILES[0].read(path)

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write this book as SillyTavern World Info JSON, atomically (it loads back whole)."""
        FILES[0].write(path, self)

    def to_dict(self) -> dict[str, Any]:
        """Our own JSON form (``{"format": "complete.lorebook", ...}``), as sessions keep it."""
        return FILES[0].to_dict(self)

    @classmethod
    def from_dict(cls, data: object) -> Lorebook:
        """Read our own JSON form; a bad field is a ``StoryFormatError`` naming it."""
        return FILES[0].from_dict(data)


@attrs.frozen
class LorebookFile:
    """A lorebook read from a file: ``format`` is "sillytavern", "novelai" or
    "complete"; ``ignored`` lists what was not taken."""

    lorebook: Lorebook
    format: str
    ignored: tuple[str, ...] = ()


class LorebookFiles(Protocol):
    """The lorebook file formats the ``Lorebook`` methods reach, in ``FILES``."""

    def read(self, path: str | os.PathLike[str]) -> LorebookFile: ...
    def write(self, path: str | os.PathLike[str], book: Lorebook) -> None: ...
    def to_dict(self, book: Lorebook) -> dict[str, Any]: ...
    def from_dict(self, data: object) -> Lorebook: ...


FILES: list[LorebookFiles] = []
"""The file formats, put here by ``complete.interchange.lorebooks`` when it is imported
(``import complete`` imports it), so that ``Lorebook.load`` and ``save`` work while
values never import the layer that reads files."""
