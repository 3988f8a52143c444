r"""Moving stories between ``complete`` and other tools: JSONL trees, text, Markdown, KoboldAI.

Four formats, each with a writer and a reader (KoboldAI: reader only). Every reader
rejects a malformed file with a ``StoryFormatError`` that names the file and the
field (and, for JSONL, the line); a missing file is ``FileNotFoundError``. Writers
replace files atomically (``complete.session.write_atomic``).

**JSONL tree** (``write_jsonl`` / ``read_jsonl``): the whole tree, one JSON object
per line, UTF-8, so that ``grep``, ``jq`` and pandas read it. The first line is a
header; then one line per node, parents before children::

    {"format": "complete.nodes", "version": 1, "current": 2}
    {"id": 0, "parent_id": null, "text": "Once upon a time", "origin": "prompt", "provenance": {}}
    {"id": 1, "parent_id": 0, "text": " there was", "origin": "model",
     "provenance": {"params": {...}, "generation": {...}}}
    {"id": 2, "parent_id": 0, "text": " a fox", "origin": "user", "provenance": {}}

(each node on one line; wrapped here for reading). ``id`` is an integer or a string
(this library writes 0, 1, 2, ...), unique in the file; ``parent_id`` the id of an
*earlier* line, or null for the root, of which there is exactly one; ``text`` the
segment the node adds; ``origin`` "prompt" (the root, and only the root), "model"
or "user"; ``provenance`` what made the text: ``params`` (``Params.to_dict()``),
``generation`` (``Generation.to_dict()``: finish reason, token counts, backend,
model, seed, elapsed seconds, per-token ``logprobs``) and ``interrupted`` (true
when a stream was stopped; absent means false); empty for the writer's own text.
The header's ``current`` names the node the story is at (optional; the last
line's node when absent). Unknown fields are errors, so a typo is not silently
lost. Export then import gives equal stories, node for node, with the same shape.

**Plain text and Markdown** (``write_text`` / ``read_text``, ``write_markdown`` /
``read_markdown``): the current path only, for reading and for other editors. Text
is ``story.text`` and a final newline. Markdown is one paragraph per line of the
story, blank lines between, with characters Markdown would act on escaped by a
backslash (``\ ` * _ [ ] < > # | ~ &``, and ``-``, ``+``, ``1.`` at the start of a
paragraph) and leading spaces written as ``&#32;``, so it renders as the text
reads. The readers invert the writers exactly (``read_markdown(write_markdown(s))
.text == s.text``) and give a one-node story; its segments are not kept.

**KoboldAI save files** (``read_kobold``): the JSON that KoboldAI Lite's "Save"
button downloads, which is also KoboldAI Client's save format. Read from KoboldAI
Lite's source (``index.html`` of github.com/LostRuins/lite.koboldai.net, LITEVER
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
- Not imported, and listed in ``KoboldImport.ignored`` when present: world info
  (``worldinfo``, ``worldinfo_v2``; complete has none) and Lite's inline image
  markers (``[<|p|...|p|>]``, ``[<|d|...|d|>]``), which are removed from the text.
  ``actions_metadata``, ``wifolders_*``, stop sequences, ``anotestr`` and the
  other UI settings are ignored, as Lite's own loader ignores most of them.

Lite does not record who wrote each chunk, so the first chunk becomes the root
("prompt") and every later chunk a "user" node: text this library did not
generate. Empty chunks are dropped (they add no text). Memory and the note come
back beside the story (``KoboldImport.memory``, ``.note``, ``.window()``) for the
``Completer``'s prompt window. The test fixtures in ``tests/data/`` were written by
hand from these sources, not exported by KoboldAI.

What this module deliberately does not do: write KoboldAI files, import world
info, or keep Completer settings other than what each format holds (sessions are
``complete.session``).
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import attrs

from complete.errors import ParamsError, StoryFormatError
from complete.params import Params
from complete.session import write_atomic
from complete.story import Story, check_format, parents_first
from complete.window import Window

__all__ = [
    "JSONL_FORMAT",
    "JSONL_VERSION",
    "KoboldImport",
    "StoryTree",
    "from_jsonl",
    "from_kobold",
    "from_markdown",
    "from_text",
    "read_jsonl",
    "read_kobold",
    "read_markdown",
    "read_text",
    "to_jsonl",
    "to_markdown",
    "to_text",
    "write_jsonl",
    "write_markdown",
    "write_text",
]

JSONL_FORMAT = "complete.nodes"
JSONL_VERSION = 1

Source = str | os.PathLike[str]


def _read(path: Source, encoding: str = "utf-8") -> str:
    raw = Path(path).read_bytes()
    try:
        return raw.decode(encoding)
    except UnicodeDecodeError as exc:
        raise StoryFormatError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from exc


# --- JSONL trees -------------------------------------------------------------------------


@attrs.frozen
class StoryTree:
    """Nodes read from a JSONL file (parents before children) and the current one."""

    nodes: tuple[Story, ...]
    current: Story


def to_jsonl(nodes: Story | Iterable[Story], *, current: Story | None = None) -> str:
    """The JSONL form of a tree (see the module docstring).

    ``nodes`` is one story (its path is written) or any number of nodes (all of
    them and their ancestors); all must share one root. ``current`` (default: the
    last node given) is named in the header.

    >>> story = Story.from_prompt("Once").extend(" upon", origin="user")
    >>> print(to_jsonl(story), end="")
    {"format": "complete.nodes", "version": 1, "current": 1}
    {"id": 0, "parent_id": null, "text": "Once", "origin": "prompt", "provenance": {}}
    {"id": 1, "parent_id": 0, "text": " upon", "origin": "user", "provenance": {}}
    """
    given = [nodes] if isinstance(nodes, Story) else list(nodes)
    if current is not None:
        given.append(current)
    if not given:
        raise ParamsError(field="nodes", value=nodes, allowed="at least one Story")
    ordered = parents_first(given)
    roots = [node for node in ordered if node.parent is None]
    if len(roots) > 1:
        raise ParamsError(field="nodes", value=f"{len(roots)} roots", allowed="nodes of one story tree (one root)")
    ids = {id(node): index for index, node in enumerate(ordered)}
    at = current if current is not None else given[-1]
    lines = [json.dumps({"format": JSONL_FORMAT, "version": JSONL_VERSION, "current": ids[id(at)]})]
    for index, node in enumerate(ordered):
        own = node.node_dict()
        provenance = {key: value for key, value in own.items() if key not in ("segment", "origin")}
        entry = {
            "id": index,
            "parent_id": None if node.parent is None else ids[id(node.parent)],
            "text": node.segment,
            "origin": node.origin,
            "provenance": provenance,
        }
        lines.append(json.dumps(entry, ensure_ascii=False))
    return "\n".join(lines) + "\n"


def write_jsonl(path: Source, nodes: Story | Iterable[Story], *, current: Story | None = None) -> None:
    """Write ``to_jsonl(nodes, current=current)`` to ``path`` atomically."""
    write_atomic(path, to_jsonl(nodes, current=current))


_NODE_FIELDS = ("id", "parent_id", "text", "origin", "provenance")
_PROVENANCE_FIELDS = ("params", "generation", "interrupted")


def _node_id(value: object, where: str) -> int | str:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise StoryFormatError(f"{where}: expected an integer or a string, found {value!r}")
    return value


def from_jsonl(text: str, *, source: str = "JSONL") -> StoryTree:
    """Read a tree written by ``to_jsonl``; ``source`` names it in errors.

    >>> tree = from_jsonl(to_jsonl(Story.from_prompt("Once").extend(" upon", origin="user")))
    >>> tree.current.text, len(tree.nodes)
    ('Once upon', 2)
    """
    header: Mapping[str, Any] | None = None
    header_line = 0
    by_id: dict[int | str, tuple[Story, int]] = {}
    nodes: list[Story] = []
    root_line = 0
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        where = f"{source}, line {number}"
        try:
            data = json.loads(line)
        except (ValueError, RecursionError) as exc:
            raise StoryFormatError(f"{where}: not valid JSON ({exc})") from exc
        if not isinstance(data, dict):
            raise StoryFormatError(f"{where}: expected a JSON object, found {type(data).__name__}")
        if header is None:
            header, header_line = data, number
            _check_header(data, where)
            continue
        unknown = sorted(set(data) - set(_NODE_FIELDS))
        if unknown:
            raise StoryFormatError(f"{where}: unknown field(s) {unknown}; a node has {', '.join(_NODE_FIELDS)}")
        node_id = _node_id(data.get("id"), f"{where}: id")
        if node_id in by_id:
            raise StoryFormatError(f"{where}: id: {node_id!r} appears twice (first on line {by_id[node_id][1]})")
        parent_id = data.get("parent_id")
        parent: Story | None = None
        if parent_id is None:
            if root_line:
                raise StoryFormatError(
                    f"{where}: parent_id: null, but line {root_line} is already the root; a file holds one story tree"
                )
            root_line = number
        else:
            found = by_id.get(_node_id(parent_id, f"{where}: parent_id"))
            if found is None:
                raise StoryFormatError(
                    f"{where}: parent_id: no earlier line has id {parent_id!r} (parents come before children)"
                )
            parent = found[0]
        segment = data.get("text")
        if not isinstance(segment, str):
            raise StoryFormatError(f"{where}: text: expected a string, found {segment!r}")
        origin = data.get("origin")
        allowed = ("prompt",) if parent is None else ("model", "user")
        if origin not in allowed:
            role = "the root" if parent is None else "a node with a parent"
            raise StoryFormatError(f"{where}: origin: {role} has origin {' or '.join(allowed)}, found {origin!r}")
        provenance = data.get("provenance", {})
        if not isinstance(provenance, dict):
            raise StoryFormatError(f"{where}: provenance: expected an object, found {type(provenance).__name__}")
        unknown = sorted(set(provenance) - set(_PROVENANCE_FIELDS))
        if unknown:
            raise StoryFormatError(
                f"{where}: provenance: unknown field(s) {unknown}; provenance has {', '.join(_PROVENANCE_FIELDS)}"
            )
        node = Story.from_node_dict(
            parent, {"segment": segment, "origin": origin, **provenance}, where=f"{where}: provenance"
        )
        by_id[node_id] = (node, number)
        nodes.append(node)
    if header is None:
        raise StoryFormatError(f"{source}: empty; expected a header line and story nodes")
    if not nodes:
        raise StoryFormatError(f"{source}: no story nodes after the header")
    current = nodes[-1]
    if header.get("current") is not None:
        wanted = _node_id(header["current"], f"{source}, line {header_line}: current")
        found = by_id.get(wanted)
        if found is None:
            raise StoryFormatError(f"{source}, line {header_line}: current: no line has id {wanted!r}")
        current = found[0]
    return StoryTree(tuple(nodes), current)


def _check_header(data: Mapping[str, Any], where: str) -> None:
    try:
        check_format(data, JSONL_FORMAT, newest=JSONL_VERSION)
    except StoryFormatError as exc:
        raise StoryFormatError(f"{where}: {exc.message} (the first line is the header)") from exc
    unknown = sorted(set(data) - {"format", "version", "current"})
    if unknown:
        raise StoryFormatError(f"{where}: unknown header field(s) {unknown}")


def read_jsonl(path: Source) -> StoryTree:
    """Read a JSONL tree file; errors name the file, the line and the field."""
    return from_jsonl(_read(path), source=str(path))


# --- plain text and Markdown --------------------------------------------------------------


def to_text(story: Story) -> str:
    """The story's text and a final newline.

    >>> to_text(Story.from_prompt("Once upon a time"))
    'Once upon a time\\n'
    """
    return story.text + "\n"


def _one_node(text: str, source: str, reformat: bool) -> Story:
    try:
        return Story.from_prompt(text, reformat=reformat)
    except ParamsError as exc:
        raise StoryFormatError(f"{source}: no text to import (the file is empty or blank)") from exc


def _without_final_newline(text: str) -> str:
    return text[:-1] if text.endswith("\n") else text


def from_text(text: str, *, reformat: bool = False, source: str = "text") -> Story:
    """A one-node story from text written by ``to_text`` (or any text).

    ``reformat=True`` joins hard-wrapped lines as for a prompt (for text from
    elsewhere); the default keeps the text exactly.
    """
    return _one_node(_without_final_newline(text), source, reformat)


def write_text(path: Source, story: Story) -> None:
    """Write ``to_text(story)`` to ``path`` atomically."""
    write_atomic(path, to_text(story))


def read_text(path: Source, *, reformat: bool = False) -> Story:
    """Read a plain text file as a one-node story (see ``from_text``)."""
    return from_text(_read(path), reformat=reformat, source=str(path))


_MARKDOWN_ALWAYS = frozenset("\\`*_[]<>#|~&")
_ORDERED_MARKER = re.compile(r"\d+[.)]")
_MARKDOWN_UNESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])|&#(\d+);")


def _escape_paragraph(line: str) -> str:
    body = line.lstrip(" \t")
    lead = "".join(f"&#{ord(char)};" for char in line[: len(line) - len(body)])
    escaped = "".join("\\" + char if char in _MARKDOWN_ALWAYS else char for char in body)
    if body[:1] in ("-", "+"):
        escaped = "\\" + escaped
    elif marker := _ORDERED_MARKER.match(body):
        digits = marker.end() - 1
        escaped = escaped[:digits] + "\\" + escaped[digits:]
    return lead + escaped


def to_markdown(story: Story) -> str:
    r"""The story as Markdown: one paragraph per line, special characters escaped.

    >>> print(to_markdown(Story.from_prompt("Chapter 1. *Night*\n1. It was dark", reformat=False)), end="")
    Chapter 1. \*Night\*
    <BLANKLINE>
    1\. It was dark
    """
    return "\n\n".join(_escape_paragraph(line) for line in story.text.split("\n")) + "\n"


def _unescape(match: re.Match[str]) -> str:
    if match.group(1) is not None:
        return match.group(1)
    return chr(int(match.group(2)))


def from_markdown(markdown: str, *, source: str = "Markdown") -> Story:
    """A one-node story from Markdown written by ``to_markdown`` (its exact text)."""
    paragraphs = _without_final_newline(markdown).split("\n\n")
    try:
        text = "\n".join(_MARKDOWN_UNESCAPE.sub(_unescape, paragraph) for paragraph in paragraphs)
    except (ValueError, OverflowError) as exc:  # an entity beyond Unicode, such as &#99999999;
        raise StoryFormatError(f"{source}: a character reference is not a Unicode character ({exc})") from exc
    return _one_node(text, source, False)


def write_markdown(path: Source, story: Story) -> None:
    """Write ``to_markdown(story)`` to ``path`` atomically."""
    write_atomic(path, to_markdown(story))


def read_markdown(path: Source) -> Story:
    """Read a Markdown file written by ``write_markdown`` as a one-node story."""
    return from_markdown(_read(path), source=str(path))


# --- KoboldAI save files ------------------------------------------------------------------

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


def from_kobold(data: object, *, source: str = "KoboldAI save") -> KoboldImport:
    """Read a parsed KoboldAI save (see the module docstring); ``source`` names it in errors."""
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

    for key in ("worldinfo", "worldinfo_v2"):
        info = data.get(key)
        if isinstance(info, dict):  # worldinfo_v2 keeps its entries under "entries"
            info = info.get("entries")
        count = len(info) if isinstance(info, list | dict) else 0
        if count:
            ignored.append(f"{key}: {count} entr{'ies' if count != 1 else 'y'} (complete has no world info)")
    return KoboldImport(
        story=story,
        memory=memory,
        note=note,
        authors_note=authors_note,
        note_template=template,
        params=_kobold_params(data.get("savedsettings"), source),
        ignored=tuple(ignored),
    )


def read_kobold(path: Source) -> KoboldImport:
    """Read a KoboldAI Lite / KoboldAI Client save file (``.json``)."""
    text = _read(path, encoding="utf-8-sig")
    try:
        data = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise StoryFormatError(f"{path}: not valid JSON ({exc})") from exc
    return from_kobold(data, source=str(path))
