"""Lorebook files in and out: SillyTavern World Info, NovelAI ``.lorebook``, and ours.

``read_lorebook`` tells the three apart by their content and says what a file holds
that a ``Lorebook`` does not take; ``write_lorebook`` writes SillyTavern World Info
with our settings under a key SillyTavern keeps. Not here: KoboldAI Lite's world
info (read with its save file, ``complete.interchange.kobold``).
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

import attrs

from complete.errors import ParamsError, StoryFormatError
from complete.interchange.files import Source, read_file, write_atomic
from complete.values import lorebook
from complete.values.lorebook import Lorebook, LorebookFile, LoreEntry
from complete.values.story_json import check_fields, check_header, mapping
from complete.writing.lore_selection import CHARS_PER_SCAN_TOKEN

__all__ = [
    "LOREBOOK_FORMAT",
    "LOREBOOK_VERSION",
    "LorebookFile",
    "entry_from",
    "lorebook_dict",
    "lorebook_from_dict",
    "read_lorebook",
    "tally",
    "write_lorebook",
]

LOREBOOK_FORMAT = "complete.lorebook"
LOREBOOK_VERSION = 1
_ENTRY_FIELDS = tuple(field.name for field in attrs.fields(LoreEntry))
_SETTINGS = ("scan_depth", "budget", "recursion")

_ST_LOGIC = {0: "and_any", 1: "not_all", 2: "not_any", 3: "and_all"}
_ST_POSITION = {0: "before_memory", 1: "after_memory", 4: "depth"}
_ST_TAKEN = {
    "key", "keysecondary", "selective", "selectiveLogic", "comment", "content", "constant", "disable",
    "order", "position", "depth", "probability", "useProbability", "caseSensitive", "matchWholeWords",
}  # fmt: skip
_ST_BOOKKEEPING = {"uid", "displayIndex", "addMemo", "extensions", "world", "id", "hash"}
_ST_USUAL = {"groupWeight": 100, "depth": 4, "role": 0}  # SillyTavern's defaults of fields not taken
_NAI_CONFIG_USUAL = {
    "prefix": "", "suffix": "\n", "tokenBudget": 1, "reservedTokens": 0, "budgetPriority": 400,
    "trimDirection": "trimBottom", "insertionType": "newline", "maximumTrimType": "sentence",
    "insertionPosition": -1,
}  # fmt: skip


def _text(value: object, where: str, default: str = "") -> str:
    if value is None:
        return default
    if not isinstance(value, str):
        raise StoryFormatError(f"{where}: expected a string, found {type(value).__name__}")
    return value


def _number(value: object, where: str, default: float) -> float:
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise StoryFormatError(f"{where}: expected a number, found {type(value).__name__}")
    return value


def entry_from(values: Mapping[str, Any], place: str, names: Mapping[str, str]) -> LoreEntry:
    """A ``LoreEntry`` from ``values``; a bad one is a ``StoryFormatError`` naming
    ``place`` and the file's own name for the field (``names``: ours -> the file's)."""
    try:
        return LoreEntry(**values)
    except ParamsError as exc:
        raise StoryFormatError(f"{place}.{names.get(exc.field, exc.field)}: {exc.allowed}") from exc


def tally(found: Iterable[str]) -> list[str]:
    """Phrases for what was not taken: ``"sticky (2 entries)"``, in first-seen order."""
    counts = Counter(found)
    return [f"{what} ({n} entr{'y' if n == 1 else 'ies'})" for what, n in counts.items()]


# --- ours -------------------------------------------------------------------------------


def lorebook_dict(book: Lorebook) -> dict[str, Any]:
    """Our own JSON form of ``book`` (see ``read_lorebook``)."""
    entries = []
    for entry in book.entries:
        fields = attrs.asdict(entry, recurse=False)
        fields.update(keys=list(entry.keys), secondary=list(entry.secondary))
        entries.append(fields)
    settings = {name: getattr(book, name) for name in _SETTINGS}
    return {"format": LOREBOOK_FORMAT, "version": LOREBOOK_VERSION, **settings, "entries": entries}


def lorebook_from_dict(data: object) -> Lorebook:
    """Read our own JSON form; a bad field is a ``StoryFormatError`` naming it."""
    book = mapping(data, "lorebook")
    check_header(book, LOREBOOK_FORMAT, LOREBOOK_VERSION)
    check_fields(book, ("format", "version", *_SETTINGS, "entries"), "lorebook", "a lorebook")
    raw = book.get("entries", [])
    if not isinstance(raw, list):
        raise StoryFormatError("entries: expected a list")
    entries = []
    for index, item in enumerate(raw):
        place = f"entries[{index}]"
        values = mapping(item, place)
        check_fields(values, _ENTRY_FIELDS, place, "a lore entry")
        if "keys" not in values or "text" not in values:
            raise StoryFormatError(f"{place}: an entry needs keys and text")
        entries.append(entry_from(values, place, {}))
    return _book(entries, {name: book[name] for name in _SETTINGS if name in book}, "")


def _book(entries: list[LoreEntry], settings: Mapping[str, Any], where: str) -> Lorebook:
    try:
        return Lorebook(entries, **settings)
    except ParamsError as exc:
        raise StoryFormatError(f"{where}{exc.field}: {exc.allowed}") from exc


# --- SillyTavern ------------------------------------------------------------------------


def from_sillytavern(data: Mapping[str, Any]) -> LorebookFile:
    """A parsed SillyTavern World Info file (see ``read_lorebook``)."""
    raw = data.get("entries")
    items = list(raw.items()) if isinstance(raw, dict) else list(enumerate(raw)) if isinstance(raw, list) else None
    if items is None:
        raise StoryFormatError("entries: expected an object of World Info entries")
    entries, ignored = [], []
    for uid, item in items:
        place = f"entries.{uid}"
        values = mapping(item, place)
        position = values.get("position", 0)
        if position not in _ST_POSITION:
            ignored.append(f"position {position!r}, placed after the memory")
        selective = values.get("selective", True) is not False
        secondary = values.get("keysecondary") or []
        if secondary and not selective:
            ignored.append("keysecondary with selective off")
        logic = values.get("selectiveLogic", 0)
        if logic not in _ST_LOGIC:
            raise StoryFormatError(f"{place}.selectiveLogic: expected 0, 1, 2 or 3, found {logic!r}")
        probability = _number(values.get("probability"), f"{place}.probability", 100)
        uses_probability = values.get("useProbability", True) is not False
        for name, value in values.items():
            usual = _ST_USUAL.get(name)
            if name not in _ST_TAKEN | _ST_BOOKKEEPING and value not in (None, False, "", [], {}, 0, usual):
                ignored.append(name)
        entries.append(
            entry_from(
                {
                    "keys": values.get("key", []),
                    "text": _text(values.get("content"), f"{place}.content"),
                    "secondary": secondary if selective else (),
                    "logic": _ST_LOGIC[logic],
                    "name": _text(values.get("comment"), f"{place}.comment"),
                    "constant": values.get("constant") is True,
                    "enabled": values.get("disable") is not True,
                    "probability": probability / 100 if uses_probability else 1.0,
                    "order": values.get("order", 100),
                    "position": _ST_POSITION.get(position, "after_memory"),
                    "depth": values.get("depth", 4) if position == 4 else 4,
                    "case_sensitive": values.get("caseSensitive") is True,
                    "whole_words": values.get("matchWholeWords") is not False,
                },
                place,
                {"keys": "key", "secondary": "keysecondary", "text": "content", "name": "comment"},
            )
        )
    settings = mapping(data.get("complete", {}), "complete")
    check_fields(settings, _SETTINGS, "complete", "our book settings")
    return LorebookFile(_book(entries, settings, "complete."), "sillytavern", tuple(tally(ignored)))


def to_sillytavern(book: Lorebook) -> dict[str, Any]:
    """``book`` as SillyTavern World Info JSON (with our settings under "complete")."""
    positions = {value: key for key, value in _ST_POSITION.items()}
    logics = {value: key for key, value in _ST_LOGIC.items()}
    entries = {}
    for uid, entry in enumerate(book.entries):
        entries[str(uid)] = {
            "uid": uid,
            "key": list(entry.keys),
            "keysecondary": list(entry.secondary),
            "comment": entry.name,
            "content": entry.text,
            "constant": entry.constant,
            "selective": True,
            "selectiveLogic": logics[entry.logic],
            "addMemo": bool(entry.name),
            "order": entry.order,
            "position": positions[entry.position],
            "disable": not entry.enabled,
            "probability": round(entry.probability * 100, 6),
            "useProbability": True,
            "depth": entry.depth,
            "caseSensitive": entry.case_sensitive,
            "matchWholeWords": entry.whole_words,
            "displayIndex": uid,
        }
    return {"entries": entries, "complete": {name: getattr(book, name) for name in _SETTINGS}}


# --- NovelAI ----------------------------------------------------------------------------


def from_novelai(data: Mapping[str, Any]) -> LorebookFile:
    """A parsed NovelAI ``.lorebook`` (see ``read_lorebook``)."""
    raw = data.get("entries")
    if not isinstance(raw, list):
        raise StoryFormatError("entries: expected a list of lorebook entries")
    entries, ignored, ranges = [], [], set()
    for index, item in enumerate(raw):
        place = f"entries[{index}]"
        values = mapping(item, place)
        config = mapping(values.get("contextConfig", {}), f"{place}.contextConfig")
        for name, value in config.items():
            if name not in ("prefix", "suffix", "budgetPriority") and value != _NAI_CONFIG_USUAL.get(name, value):
                ignored.append(f"contextConfig.{name}")
        for name in ("keyRelative", "nonStoryActivatable"):
            if values.get(name) is True:
                ignored.append(name)
        if values.get("category"):
            ignored.append("category")
        if any(isinstance(group, dict) and group.get("phrases") for group in values.get("loreBiasGroups") or []):
            ignored.append("loreBiasGroups")
        ranges.add(_number(values.get("searchRange"), f"{place}.searchRange", 1000))
        text = _text(config.get("prefix"), f"{place}.contextConfig.prefix") + _text(values.get("text"), f"{place}.text")
        text += _text(config.get("suffix"), f"{place}.contextConfig.suffix", "\n")
        entries.append(
            entry_from(
                {
                    "keys": values.get("keys", []),
                    "text": text.removesuffix("\n"),
                    "name": _text(values.get("displayName"), f"{place}.displayName"),
                    "constant": values.get("forceActivation") is True,
                    "enabled": values.get("enabled") is not False,
                    "order": config.get("budgetPriority", 400),
                },
                place,
                {"text": "text", "name": "displayName", "order": "contextConfig.budgetPriority"},
            )
        )
    listed = tally(ignored)
    if len(ranges) > 1:
        listed.append(f"searchRange differing between entries: the widest, {max(ranges):g} characters, is used")
    if data.get("categories"):
        listed.append(f"categories ({len(data['categories'])})")
    scan = math.ceil(max(ranges, default=1000) / CHARS_PER_SCAN_TOKEN)
    return LorebookFile(_book(entries, {"scan_depth": max(1, scan)}, ""), "novelai", tuple(listed))


# --- files ------------------------------------------------------------------------------


def read_lorebook(path: Source) -> LorebookFile:
    """Read any of the three formats, told apart by their content.

    ``read_lorebook(path)`` tells the three apart by their content and returns a
    ``LorebookFile``: the ``Lorebook``, the format, and ``ignored``, what the file
    holds that a ``Lorebook`` does not take (one phrase per field, with how many
    entries use it), so that nothing is lost silently. ``write_lorebook`` writes
    SillyTavern World Info JSON, which SillyTavern imports, with our book settings
    under a ``"complete"`` key that SillyTavern keeps and ignores, so a saved book
    loads back whole. The formats, as read from their sources with the search tool:

    - SillyTavern (``public/scripts/world-info.js``: ``newWorldInfoEntryDefinition``,
      ``checkWorldInfo``): ``{"entries": {"<uid>": {...}}}``; an entry has ``key`` and
      ``keysecondary`` (lists), ``selective``, ``selectiveLogic`` (0 AND ANY, 1 NOT
      ALL, 2 NOT ANY, 3 AND ALL), ``comment``, ``content``, ``constant``, ``disable``,
      ``order``, ``position`` (0 before the character, 1 after, 4 at ``depth``; 2, 3,
      5, 6 around the author's note and examples, 7 an outlet: placed after the memory,
      and listed), ``probability`` (0..100, with ``useProbability``), ``caseSensitive``
      and ``matchWholeWords`` (null: the global setting, which the file does not carry;
      ours then: case-insensitive, whole words).
    - NovelAI (its lorebook documentation, and SillyTavern's ``convertNovelLorebook``):
      ``{"lorebookVersion": N, "entries": [...], "categories": [...]}``; an entry has
      ``text``, ``displayName``, ``keys``, ``enabled``, ``forceActivation`` (constant),
      ``searchRange`` (characters searched: the widest becomes the book's scan depth)
      and ``contextConfig`` (``budgetPriority`` becomes the order; ``prefix`` and
      ``suffix`` wrap the text).
    - Ours (what sessions keep): ``{"format": "complete.lorebook", "version": 1,
      "scan_depth": 512, "budget": 512, "recursion": 0, "entries": [{"keys": [...],
      "text": "...", ...every LoreEntry field}]}``.
    """
    try:
        data = json.loads(read_file(path, encoding="utf-8-sig"))
    except (ValueError, RecursionError) as exc:
        if isinstance(exc, StoryFormatError):
            raise
        raise StoryFormatError(f"{path}: not valid JSON ({exc})") from exc
    try:
        if not isinstance(data, dict):
            raise StoryFormatError(f"expected a lorebook object, found {type(data).__name__}")
        if data.get("format") == LOREBOOK_FORMAT:
            return LorebookFile(lorebook_from_dict(data), "complete")
        if "lorebookVersion" in data:
            return from_novelai(data)
        if "entries" in data:
            return from_sillytavern(data)
        raise StoryFormatError(
            "entries: missing; this is not a lorebook (SillyTavern World Info, NovelAI .lorebook or ours)"
        )
    except StoryFormatError as exc:
        raise StoryFormatError(f"{path}: {exc.message}") from exc


def write_lorebook(path: Source, book: Lorebook) -> None:
    """Write ``book`` as SillyTavern World Info JSON, atomically."""
    write_atomic(path, json.dumps(to_sillytavern(book), ensure_ascii=False, indent=1) + "\n")


class _Files:
    """This module's formats, as ``Lorebook.load``, ``read``, ``save``, ``to_dict`` and
    ``from_dict`` reach them (``complete.values.lorebook.FILES``)."""

    read = staticmethod(read_lorebook)
    write = staticmethod(write_lorebook)
    to_dict = staticmethod(lorebook_dict)
    from_dict = staticmethod(lorebook_from_dict)


lorebook.FILES[:] = [_Files()]
