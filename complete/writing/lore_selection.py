"""Choosing the lore for one prompt: which entries fire, and which fit the budget.

``choose`` returns a ``LoreChoice``: the entries that entered, each with the key that
fired it, and those left out, each with why. This module does not place the lore in
the prompt (``complete.writing.window`` does) and does no I/O beyond the ``count``
it is given.
"""

from __future__ import annotations

import hashlib
import re
from collections import OrderedDict
from collections.abc import Callable, Iterable

import attrs

from complete.values.lorebook import Lorebook, LoreEntry, key_pattern

__all__ = ["CHARS_PER_SCAN_TOKEN", "Fired", "LeftOut", "LoreChoice", "choose", "remembered"]

CHARS_PER_SCAN_TOKEN = 4
"""Characters per token when ``scan_depth`` is turned into a length of text."""

_WORD = re.compile(r"\w+")
_WHOLE = re.compile(r"\w(?:.*\w)?", re.DOTALL)  # a key that starts and ends with a word character
Count = Callable[[str], int]


@attrs.frozen
class Fired:
    """An entry that entered the prompt, the ``key`` that fired it ("" for a constant
    entry) and its ``tokens``."""

    entry: LoreEntry
    key: str
    tokens: int


@attrs.frozen
class LeftOut:
    """An entry that fired but was left out, and why: "budget", "chance" or "window"."""

    entry: LoreEntry
    key: str
    reason: str


@attrs.frozen
class LoreChoice:
    """The lore of one prompt: ``fired`` (highest order first) and ``left_out``."""

    fired: tuple[Fired, ...] = ()
    left_out: tuple[LeftOut, ...] = ()

    def text(self, position: str, depth: int | None = None) -> str:
        """The text of the entries at ``position`` (and ``depth``), lowest order
        first, so the entries that matter most sit nearest the story's end."""
        chosen = [
            item.entry.text
            for item in reversed(self.fired)
            if item.entry.position == position and (depth is None or item.entry.depth == depth)
        ]
        return "\n".join(chosen)

    @property
    def depths(self) -> tuple[int, ...]:
        """The depths at which entries go, deepest first."""
        found = {item.entry.depth for item in self.fired if item.entry.position == "depth"}
        return tuple(sorted(found, reverse=True))

    def keeping(self, count: int) -> LoreChoice:
        """The ``count`` highest-order entries kept; the others left out for the window."""
        dropped = tuple(LeftOut(item.entry, item.key, "window") for item in self.fired[count:])
        return LoreChoice(self.fired[:count], self.left_out + dropped)

    def describe(self) -> list[str]:
        """Lines for ``Prompt.describe``: what fired and by which key, what was left out."""
        lines = []
        for item in self.fired:
            why = "constant" if not item.key else f"key {item.key!r}"
            lines.append(f"  lore    {item.entry.label!r} ({why}, {item.tokens} tokens, order {item.entry.order})")
        reasons = {"budget": "over the lore budget", "chance": "by its probability", "window": "to fit the window"}
        for gone in self.left_out:
            why = "constant" if not gone.key else f"key {gone.key!r}"
            lines.append(f"  left out: lore {gone.entry.label!r} ({why}) {reasons[gone.reason]}")
        return lines


NO_LORE = LoreChoice()


@attrs.frozen
class _Index:
    """A book's keys compiled for one pass (see ``choose``)."""

    keys: tuple[str, ...]  # key id -> the key as written
    words: dict[str, list[tuple[int, re.Pattern[str] | None]]]  # lower-cased first word -> (key id, whole check)
    words_cased: dict[str, list[tuple[int, re.Pattern[str] | None]]]
    others: list[tuple[int, Callable[[str, str], bool]]]  # (key id, test on (text, lowered text))
    primary: tuple[tuple[int, ...], ...]  # entry -> its primary key ids
    secondary: tuple[tuple[int, ...], ...]
    owner: dict[int, int]  # primary key id -> entry
    constants: tuple[int, ...]  # the entries always in

    def matched(self, text: str) -> set[int]:
        """The ids of every key found in ``text``."""
        lowered = text.lower()
        found: set[int] = set()
        for table, haystack in ((self.words, lowered), (self.words_cased, text)):
            if table:
                for word in table.keys() & set(_WORD.findall(haystack)):
                    found.update(key for key, whole in table[word] if whole is None or whole.search(haystack))
        found.update(key for key, test in self.others if test(text, lowered))
        return found


def _whole(needle: str) -> re.Pattern[str]:
    """``needle`` as a whole word: no word character just before or after it."""
    return re.compile(r"(?<!\w)" + re.escape(needle) + r"(?!\w)")


def _index(book: Lorebook) -> _Index:
    built: _Index | None = book._index
    if built is not None:
        return built
    keys: list[str] = []
    words: dict[str, list[tuple[int, re.Pattern[str] | None]]] = {}
    words_cased: dict[str, list[tuple[int, re.Pattern[str] | None]]] = {}
    others: list[tuple[int, Callable[[str, str], bool]]] = []

    def add(key: str, entry: LoreEntry) -> int:
        number = len(keys)
        keys.append(key)
        pattern = key_pattern(key)
        needle = key if entry.case_sensitive else key.lower()
        if pattern is not None:
            others.append((number, lambda text, lowered: pattern.search(text) is not None))
        elif not entry.whole_words:
            if entry.case_sensitive:
                others.append((number, lambda text, lowered: needle in text))
            else:
                others.append((number, lambda text, lowered: needle in lowered))
        elif _WHOLE.fullmatch(needle) is None:  # "C++", "#tag": no first word to look up
            whole = _whole(needle)
            cased = entry.case_sensitive
            others.append((number, lambda text, lowered: whole.search(text if cased else lowered) is not None))
        else:
            first = _WORD.match(needle)
            assert first is not None
            table = words_cased if entry.case_sensitive else words
            table.setdefault(first.group(), []).append((number, None if first.group() == needle else _whole(needle)))
        return number

    primary = []
    secondary = []
    owner: dict[int, int] = {}
    for place, entry in enumerate(book.entries):
        ids = tuple(add(key, entry) for key in entry.keys)
        owner.update((key, place) for key in ids)
        primary.append(ids)
        secondary.append(tuple(add(key, entry) for key in entry.secondary))
    constants = tuple(place for place, entry in enumerate(book.entries) if entry.constant)
    built = _Index(tuple(keys), words, words_cased, others, tuple(primary), tuple(secondary), owner, constants)
    object.__setattr__(book, "_index", built)
    return built


def _firing_key(index: _Index, place: int, entry: LoreEntry, matched: set[int]) -> str | None:
    """The primary key that fires ``entry`` given the keys found, or None."""
    key = next((index.keys[number] for number in index.primary[place] if number in matched), None)
    if key is None or not index.secondary[place]:
        return key
    hits = [number in matched for number in index.secondary[place]]
    passes = {
        "and_any": any(hits),
        "and_all": all(hits),
        "not_any": not any(hits),
        "not_all": not all(hits),
    }[entry.logic]
    return key if passes else None


def _draw(entry: LoreEntry, place: int, seed: int | None, length: int) -> bool:
    """Whether ``entry`` passes its probability on this call (pure: see ``choose``)."""
    if entry.probability >= 1:
        return True
    digest = hashlib.blake2b(f"{seed}:{place}:{length}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64 < entry.probability


def choose(book: Lorebook, text: str, seed: int | None, count: Count) -> LoreChoice:
    """The lore for a prompt continuing ``text``; ``count`` gives an entry text's tokens.

    ``choose(book, text, seed, count)`` searches the end of the story (``scan_depth``
    tokens, estimated at four characters each: the scan decides what is searched, not
    what is sent, so an estimate is enough and costs no request) and returns a
    ``LoreChoice``: the entries that entered, each with the key that fired it, and
    those left out, each with why ("budget", "chance", or "window" when the prompt's
    window could not hold them).

    How, as SillyTavern's ``checkWorldInfo`` does it: constant entries and those whose
    primary key matched (and whose secondary keys satisfy their logic) are taken
    highest order first; each draws its chance (``probability``) from the call's seed,
    the entry's place in the book and the story's length, so a seeded call is
    reproducible and an unseeded one still pure; then entries enter while their
    tokens fit the budget, and from the first that does not, it and every lower
    one are left out. With ``recursion``, the text of the entries that entered is
    searched in turn, up to that many times, until the budget is spent.

    Fast at scale: the keys of a book are compiled once (an index kept on the book
    value) and the scanned text is read in one pass: its words are split out once
    and looked up in a table of every whole-word key, so a thousand keys cost one
    set intersection rather than a thousand searches. Substring and ``/regex/`` keys
    are searched one by one. Token counts of entry texts are remembered per
    tokenizer across calls (``remembered``), so an unchanged entry is never counted
    again.
    """
    if not book.entries:
        return NO_LORE
    index = _index(book)
    scanned = text if book.scan_depth is None else text[-book.scan_depth * CHARS_PER_SCAN_TOKEN :]
    matched = index.matched(scanned)
    entries = book.entries
    candidates: Iterable[int] = [
        *index.constants,
        *(index.owner[number] for number in matched if number in index.owner),
    ]
    decided: set[int] = set()
    fired: list[Fired] = []
    left_out: list[LeftOut] = []
    room = book.budget
    full = False
    for level in range(book.recursion + 1):
        new_text = []
        for place in sorted(set(candidates) - decided, key=lambda place: (-entries[place].order, place)):
            entry = entries[place]
            if not entry.enabled:
                continue
            key = "" if entry.constant else _firing_key(index, place, entry, matched)
            if key is None:
                continue  # a primary key matched but the secondary keys say no (perhaps not yet)
            decided.add(place)
            if not _draw(entry, place, seed, len(text)):
                left_out.append(LeftOut(entry, key, "chance"))
                continue
            tokens = 0 if full else count(entry.text)
            if full or tokens > room:
                full = True
                left_out.append(LeftOut(entry, key, "budget"))
                continue
            room -= tokens
            fired.append(Fired(entry, key, tokens))
            new_text.append(entry.text)
        if full or not new_text or level == book.recursion:
            break
        matched |= index.matched("\n".join(new_text))
        candidates = [index.owner[number] for number in matched if number in index.owner]
    fired.sort(key=lambda item: -item.entry.order)  # stable: the book's order among equals
    return LoreChoice(tuple(fired), tuple(left_out))


_COUNTS: OrderedDict[int, tuple[object, dict[str, int]]] = OrderedDict()
_TOKENIZERS_KEPT = 4
_TEXTS_KEPT = 100_000


def remembered(owner: object, count: Count) -> Count:
    """``count`` with its answers kept across calls for ``owner`` (the transport whose
    tokenizer ``count`` asks): at most four tokenizers and 100,000 texts each."""
    slot = _COUNTS.get(id(owner))
    if slot is None or slot[0] is not owner:
        slot = (owner, {})
        _COUNTS[id(owner)] = slot
        while len(_COUNTS) > _TOKENIZERS_KEPT:
            _COUNTS.popitem(last=False)
    _COUNTS.move_to_end(id(owner))
    known = slot[1]

    def counted(text: str) -> int:
        tokens = known.get(text)
        if tokens is None:
            if len(known) >= _TEXTS_KEPT:
                known.clear()
            tokens = known[text] = count(text)
        return tokens

    return counted
