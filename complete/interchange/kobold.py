"""KoboldAI save files in: a story, its memory, author's note and sampler settings.

``read_kobold`` reads the JSON that KoboldAI Lite's "Save" button downloads (also
KoboldAI Client's save format), its world info as a ``Lorebook``, and names what it
did not take. What it deliberately does not do: write KoboldAI files, or guess who
wrote the text (Lite does not record it).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

import attrs

from complete.errors import ParamsError, StoryFormatError
from complete.interchange.files import Source, read_file
from complete.interchange.lorebooks import entry_from, tally
from complete.values.lorebook import Lorebook, LoreEntry
from complete.values.params import Params
from complete.values.story import Story
from complete.writing.lore_selection import CHARS_PER_SCAN_TOKEN
from complete.writing.window import Window

__all__ = ["DEFAULT_NOTE_TEMPLATE", "KoboldImport", "from_kobold", "read_kobold"]

DEFAULT_NOTE_TEMPLATE = "[Author's note: <|>]"
_IMAGE_MARKER = re.compile(r"\[<\|p\|.+?\|p\|>\]|\[<\|d\|.+?\|d\|>\]")
# Kobold setting -> (Params field, the value that means "off" in Kobold)
_KOBOLD_SETTINGS: dict[str, tuple[str, object]] = {
    "temperature": ("temperature", None),
    "top_k": ("top_k", 0),
    "top_p": ("top_p", 1),
    "rep_pen": ("repetition_penalty", 1),
    "max_length": ("max_new_tokens", None),
    "sampler_seed": ("seed", -1),
}


@attrs.frozen(kw_only=True)
class KoboldImport:
    """A story read from a KoboldAI save file, with what surrounds it.

    ``note`` is the author's note as ``Window.note`` wants it (the file's template
    applied; empty when there is no note); ``authors_note`` and ``note_template``
    are the file's own fields. ``params`` holds the file's sampler settings, or is
    None when it has none. ``ignored`` lists what the file holds that was not
    imported, one short phrase each.
    """

    story: Story
    memory: str = ""
    note: str = ""
    authors_note: str = ""
    note_template: str = DEFAULT_NOTE_TEMPLATE
    params: Params | None = None
    lorebook: Lorebook = attrs.field(factory=Lorebook)
    ignored: tuple[str, ...] = ()

    def window(self, **settings: Any) -> Window:
        """A ``Window`` with this file's memory and note (``settings``: other Window fields)."""
        return Window(memory=self.memory, note=self.note, **settings)


def _kobold_text(data: Mapping[str, Any], key: str, where: str) -> str:
    value = data.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise StoryFormatError(f"{where}: {key}: expected a string, found {type(value).__name__}")
    return value


def _kobold_actions(data: Mapping[str, Any], source: str) -> list[str]:
    actions = data.get("actions")
    if data.get("file_version") is None:
        if actions is None:
            return []
        if not isinstance(actions, list):
            raise StoryFormatError(f"{source}: actions: expected a list of strings, found {type(actions).__name__}")
        for index, chunk in enumerate(actions):
            if not isinstance(chunk, str):
                raise StoryFormatError(f"{source}: actions[{index}]: expected a string, found {type(chunk).__name__}")
        return list(actions)
    if not isinstance(actions, dict) or not isinstance(actions.get("actions", {}), dict):
        raise StoryFormatError(
            f"{source}: actions: a save with file_version keeps its actions as "
            '{"actions": {"0": {"Selected Text": ...}}}; found something else'
        )
    entries: dict[str, Any] = actions.get("actions", {})
    # JavaScript visits integer-like keys in ascending order, then the others as written.
    numeric = sorted((key for key in entries if key.isdigit()), key=int)
    ordered = numeric + [key for key in entries if not key.isdigit()]
    chunks = []
    for key in ordered:
        entry = entries[key]
        chunk = entry.get("Selected Text") if isinstance(entry, dict) else None
        if not isinstance(chunk, str):
            raise StoryFormatError(f'{source}: actions.actions["{key}"]["Selected Text"]: expected a string')
        chunks.append(chunk)
    return chunks


def _kobold_params(settings: object, source: str) -> Params | None:
    if settings is None or settings == "":
        return None
    if not isinstance(settings, dict):
        raise StoryFormatError(f"{source}: savedsettings: expected an object, found {type(settings).__name__}")
    values: dict[str, Any] = {}
    for key, (field, off) in _KOBOLD_SETTINGS.items():
        value = settings.get(key)
        if value is None or (off is not None and value == off and not isinstance(value, bool)):
            continue
        try:
            Params(**{field: value})
        except ParamsError as exc:
            raise StoryFormatError(f"{source}: savedsettings.{key}: {value!r} cannot be used: {exc.allowed}") from exc
        values[field] = value
    return Params(**values)


def _kobold_keys(value: object, where: str) -> tuple[str, ...]:
    return tuple(key.strip() for key in _kobold_text({"k": value}, "k", where).split(",") if key.strip())


def _kobold_lorebook(data: Mapping[str, Any], source: str) -> tuple[Lorebook, list[str]]:
    """The save's ``worldinfo`` as a ``Lorebook``, and what of it was not taken."""
    raw = data.get("worldinfo")
    if raw is None:
        raw = []
    if not isinstance(raw, list):
        raise StoryFormatError(f"{source}: worldinfo: expected a list of entries, found {type(raw).__name__}")
    entries: list[LoreEntry] = []
    ignored: list[str] = []
    for index, item in enumerate(raw):
        place = f"{source}: worldinfo[{index}]"
        if not isinstance(item, dict):
            raise StoryFormatError(f"{place}: expected an object, found {type(item).__name__}")
        keys = _kobold_keys(item.get("key"), f"{place}.key")
        secondary = _kobold_keys(item.get("keysecondary"), f"{place}.keysecondary")
        anti = _kobold_keys(item.get("keyanti"), f"{place}.keyanti")
        text = _kobold_text(item, "content", place)
        if not text or not (keys or item.get("constant") is True):
            continue  # Lite skips these too
        selective = item.get("selective") is True
        if selective and secondary and anti:
            ignored.append("keyanti beside keysecondary")
        if item.get("wigroup"):
            ignored.append("wigroup")
        probability = item.get("probability", 100)
        values = {
            "keys": keys,
            "text": text,
            "secondary": (secondary or anti) if selective else (),
            "logic": "not_any" if selective and anti and not secondary else "and_any",
            "name": _kobold_text(item, "comment", place),
            "constant": item.get("constant") is True,
            "enabled": item.get("widisabled") is not True,
            "probability": probability / 100 if isinstance(probability, int | float) else probability,
            "whole_words": False,
        }
        entries.append(entry_from(values, place, {"text": "content", "name": "comment"}))
    depth = data.get("wisearchdepth", 0)
    if isinstance(depth, bool) or not isinstance(depth, int) or depth < 0:
        raise StoryFormatError(f"{source}: wisearchdepth: expected a number of characters >= 0, found {depth!r}")
    listed = [f"worldinfo {what}" for what in tally(ignored)]
    if entries and data.get("wiinsertlocation", 0) not in (0, None):
        listed.append(f"wiinsertlocation {data['wiinsertlocation']!r} (world info is placed after the memory)")
    scan = -(-depth // CHARS_PER_SCAN_TOKEN) if depth else None
    return Lorebook(entries, scan_depth=scan), listed


def from_kobold(data: object, *, source: str = "KoboldAI save") -> KoboldImport:
    """Read a parsed KoboldAI save; ``source`` names it in errors.

    Read from KoboldAI Lite's source (``index.html`` of github.com/LostRuins/lite.koboldai.net, LITEVER
    171: ``generate_savefile``, ``generate_base_storyobj``, ``is_kai_json`` and
    ``kai_json_load``) and KoboldAI Client's ``aiserver.py`` (``/download`` route):

    - ``prompt`` (string) and ``actions`` (list of strings): the story is
      ``prompt + "".join(actions)``; Lite keeps the chunks with their own spaces and
      line breaks and joins them with nothing. Lite skips an empty prompt.
    - ``memory``, ``authorsnote`` (the author's note) and ``anotetemplate`` (default
      ``"[Author's note: <|>]"``; the note replaces ``<|>``).
    - ``savedsettings``: Lite's settings object (null when not exported), of which
      ``temperature``, ``top_k``, ``top_p``, ``rep_pen``, ``max_length`` and
      ``sampler_seed`` become ``Params``; Kobold's "off" values (top_k 0, top_p 1,
      rep_pen 1, seed -1) become None.
    - Files with ``file_version`` (KoboldAI United's newer saves, which Lite also
      loads) keep the actions as ``{"actions": {"0": {"Selected Text": ...}}}`` and
      name the note ``authornote`` / ``authornotetemplate``.
    - ``worldinfo`` (Lite's world info, read from ``add_wi`` and the matching in
      ``index.html``) becomes the story's ``Lorebook``: each entry's ``key``,
      ``keysecondary`` and ``keyanti`` are comma-separated strings; ``content`` is
      the text, ``comment`` the name, ``constant``, ``widisabled`` and ``probability``
      (0..100) as ours. Lite matches keys as substrings, case-insensitively, so the
      entries keep ``whole_words=False``; with ``selective``, the secondary keys are
      all "and_any", or the anti-keys "not_any" when there are no secondary keys (both
      at once cannot be said in one logic: the anti-keys are then listed). Lite skips
      entries without text or keys, and so do we. ``wisearchdepth`` (characters; 0 is
      everything) becomes the scan depth. Lite has no budget or order: the book keeps
      our default budget, and every entry the same order, in the file's order.
    - Not imported, and listed in ``KoboldImport.ignored`` when present: KoboldAI
      United's ``worldinfo_v2``, world info groups (``wigroup``), an insert location
      other than after the memory, and Lite's inline image
      markers (``[<|p|...|p|>]``, ``[<|d|...|d|>]``), which are removed from the text.
      ``actions_metadata``, ``wifolders_*``, stop sequences, ``anotestr`` and the
      other UI settings are ignored, as Lite's own loader ignores most of them.

    Lite does not record who wrote each chunk, so the first chunk becomes the root
    ("prompt") and every later chunk a "user" node: text this library did not
    generate. Empty chunks are dropped (they add no text). Memory and the note come
    back beside the story (``KoboldImport.memory``, ``.note``, ``.window()``) for the
    ``Completer``'s prompt window.
    """
    if not isinstance(data, dict):
        raise StoryFormatError(f"{source}: expected a KoboldAI save object, found {type(data).__name__}")
    if "prompt" not in data:
        raise StoryFormatError(
            f"{source}: prompt: missing; this is not a KoboldAI story save "
            "(a save has prompt, actions, memory and authorsnote)"
        )
    prompt = _kobold_text(data, "prompt", source)
    chunks = [prompt, *_kobold_actions(data, source)]
    ignored: list[str] = []
    images = sum(len(_IMAGE_MARKER.findall(chunk)) for chunk in chunks)
    if images:
        chunks = [_IMAGE_MARKER.sub("", chunk) for chunk in chunks]
        ignored.append(f"{images} inline image{'s' if images != 1 else ''} (removed from the text)")
    chunks = [chunk for chunk in chunks if chunk]
    if not "".join(chunks).strip():
        raise StoryFormatError(f"{source}: prompt and actions: the save holds no story text")
    story = Story(None, chunks[0], origin="prompt")
    for chunk in chunks[1:]:
        story = story.extend(chunk, origin="user")

    newer = data.get("file_version") is not None
    memory = _kobold_text(data, "memory", source)
    authors_note = _kobold_text(data, "authornote" if newer else "authorsnote", source)
    template = _kobold_text(data, "authornotetemplate" if newer else "anotetemplate", source) or DEFAULT_NOTE_TEMPLATE
    note = ""
    if authors_note.strip():
        note = template.replace("<|>", authors_note) if "<|>" in template else authors_note

    lorebook, lore_ignored = _kobold_lorebook(data, source)
    ignored.extend(lore_ignored)
    info = data.get("worldinfo_v2")
    info = info.get("entries") if isinstance(info, dict) else info  # its entries sit under "entries"
    count = len(info) if isinstance(info, list | dict) else 0
    if count:
        ignored.append(f"worldinfo_v2: {count} entr{'ies' if count != 1 else 'y'} (KoboldAI United's world info)")
    return KoboldImport(
        story=story,
        memory=memory,
        note=note,
        authors_note=authors_note,
        note_template=template,
        params=_kobold_params(data.get("savedsettings"), source),
        lorebook=lorebook,
        ignored=tuple(ignored),
    )


def read_kobold(path: Source) -> KoboldImport:
    """Read a KoboldAI Lite / KoboldAI Client save file (``.json``)."""
    text = read_file(path, encoding="utf-8-sig")
    try:
        data = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise StoryFormatError(f"{path}: not valid JSON ({exc})") from exc
    return from_kobold(data, source=str(path))
