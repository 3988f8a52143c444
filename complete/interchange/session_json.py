"""Session files: a whole writing session as one JSON document, atomically written.

What ``Completer.save`` and ``python -m complete --save`` write (``session_dict``
documents the format), versioned on its own; older versions still read. What it
deliberately does not keep: the last request and the part marked as new, which
describe a moment on screen rather than the work, and any credential.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from typing import Any

from complete.errors import ParamsError, StoryFormatError
from complete.interchange.files import checked_path, write_atomic
from complete.interchange.lorebooks import lorebook_dict, lorebook_from_dict
from complete.interchange.nodes import TreeReader, numbered
from complete.transports.saved import check_backend
from complete.values.bookmarks import check_name
from complete.values.lorebook import Lorebook
from complete.values.params import Params
from complete.values.story import Story
from complete.values.story_json import (
    NODE_FIELDS,
    check_fields,
    check_header,
    dotted,
    encode_node,
    mapping,
    version_for,
)
from complete.writing.session import Session
from complete.writing.window import Window

__all__ = ["SESSION_FORMAT", "SESSION_VERSION", "read_session", "session_dict", "session_from_dict", "write_session"]

SESSION_FORMAT = "complete.session"
SESSION_VERSION = 3
_BEFORE_EDITS = 2

_TOP_FIELDS = (
    "format",
    "version",
    "nodes",
    "current",
    "redo",
    "offered",
    "bookmarks",
    "lorebook",
    "params",
    "window",
    "backend",
)
_WINDOW_FIELDS = {1: ("memory", "note", "note_depth", "max_tokens")}
_WINDOW = ("memory", "note", "note_depth", "size")


def session_dict(session: Session) -> dict[str, Any]:
    """The JSON-ready form of ``session``.

    The format::

        {
          "format": "complete.session",
          "version": 3,                   # 2 when no node is an edit and nothing is bookmarked or in the lorebook
          "nodes": [                      # every node, parents before children
            {"id": 0, "parent": null, "segment": "...", "origin": "prompt"},
            {"id": 1, "parent": 0, "segment": "...", "origin": "model",
             "params": {...}, "generation": {...}, "interrupted": true},
            {"id": 2, "parent": 1, "segment": "...", "origin": "edit", "replaces": [5, 9]},
            ...
          ],
          "current": 1,                   # the node the story is at
          "redo": [],                     # ids undone, most recent last
          "offered": [],                  # ids of the alternatives on offer
          "bookmarks": {"ending": 1},     # each bookmark's name and node id
          "params": {...},                # the session's parameters
          "window": {"memory": "", "note": "", "note_depth": 3, "size": null},
          "lorebook": {"format": "complete.lorebook", ...},   # see complete.interchange.lorebooks
          "backend": {"backend": "local", ...}   # describe() output: never a token
        }

    Any other top-level field is refused. The ``backend`` block is read as untrusted
    (``complete.transports.saved``): only the fields a transport's ``describe()``
    writes, each checked, so a shared file cannot bring credentials, request bodies or
    settings of its own. ``offered`` names continuations of ``current``.

    A node's own fields are those of the shared node codec
    (``complete.values.story_json``). Older files read as well: version 2 has no edit
    nodes, no ``bookmarks`` and no ``lorebook`` (a session with none of them is still
    written as version 2, without those fields; an empty lorebook is used); version 1
    files (written before the session had its own version number) also name the
    window's size ``max_tokens`` and have no ``offered``. A file that is not valid JSON, is of
    another format, of a newer version, or has a bad field raises ``StoryFormatError``
    naming the file and the field. Writes go through ``write_atomic``.
    """
    ordered, ids = numbered(session.nodes)
    nodes = []
    for node in ordered:
        parent = None if node.parent is None else ids[id(node.parent)]
        nodes.append({"id": ids[id(node)], "parent": parent, **encode_node(node)})
    window = session.window
    version = version_for(ordered, edits=SESSION_VERSION, before=_BEFORE_EDITS)
    bookmarks = {name: ids[id(node)] for name, node in session.bookmarks.items()}
    newer = {"bookmarks": bookmarks} if bookmarks else {}
    if session.lorebook != Lorebook():
        newer["lorebook"] = lorebook_dict(session.lorebook)
    return {
        "format": SESSION_FORMAT,
        "version": SESSION_VERSION if newer else version,
        "nodes": nodes,
        "current": ids[id(session.current)],
        "redo": [ids[id(node)] for node in session.undone],
        "offered": [ids[id(node)] for node in session.offered],
        **newer,
        "params": session.params.to_dict(),
        "window": {"memory": window.memory, "note": window.note, "note_depth": window.note_depth, "size": window.size},
        "backend": dict(session.backend),
    }


def session_from_dict(data: object) -> Session:
    """Rebuild a ``Session``; any problem is a ``StoryFormatError`` naming the field."""
    if not isinstance(data, Mapping):
        raise StoryFormatError(f"expected a session object, found {type(data).__name__}")
    version = check_header(data, SESSION_FORMAT, SESSION_VERSION)
    check_fields(data, _TOP_FIELDS, "the file", "a session file")
    raw_nodes = data.get("nodes")
    if not isinstance(raw_nodes, list) or not raw_nodes:
        raise StoryFormatError("nodes: expected a non-empty list")
    tree = TreeReader(entry="node", parent_key="parent", one_root=False, string_ids=False)
    for index, item in enumerate(raw_nodes):
        place = f"nodes[{index}]"
        entry = mapping(item, place)
        check_fields(entry, ("id", "parent", *NODE_FIELDS), place, "a node")
        tree.read(entry.get("id"), entry.get("parent"), entry, label=place, where=dotted(place))
    try:
        params = Params.from_dict(mapping(data.get("params", {}), "params"))
    except ParamsError as exc:
        raise StoryFormatError(f"params: {exc}") from exc
    current = tree.find(data.get("current"), "current")
    offered = _ids(tree, data.get("offered", []), "offered")
    for index, story in enumerate(offered):
        if story.parent is not current:
            raise StoryFormatError(f"offered[{index}]: expected a continuation of the current node")
    return Session(
        current=current,
        nodes=tree.nodes,
        undone=_ids(tree, data.get("redo", []), "redo"),
        offered=offered,
        params=params,
        window=_window(mapping(data.get("window", {}), "window"), version),
        lorebook=_lorebook(data.get("lorebook"), version),
        backend=check_backend(data.get("backend", {})),
        bookmarks=_bookmarks(tree, mapping(data.get("bookmarks", {}), "bookmarks")),
    )


def _ids(tree: TreeReader, value: object, where: str) -> tuple[Story, ...]:
    if not isinstance(value, list):
        raise StoryFormatError(f"{where}: expected a list of node ids")
    return tuple(tree.find(item, f"{where}[{index}]") for index, item in enumerate(value))


def _bookmarks(tree: TreeReader, data: Mapping[str, Any]) -> dict[str, Story]:
    named = {}
    for name, value in data.items():
        try:
            named[check_name(name)] = tree.find(value, f"bookmarks[{name!r}]")
        except ParamsError as exc:
            raise StoryFormatError(f"bookmarks: {exc}") from exc
    return named


def _window(data: Mapping[str, Any], version: int) -> Window:
    names = _WINDOW_FIELDS.get(version, _WINDOW)
    check_fields(data, names, "window", "the window")
    settings = dict(data)
    if "max_tokens" in settings:
        settings["size"] = settings.pop("max_tokens")
    try:
        return Window(**settings)
    except ParamsError as exc:
        raise StoryFormatError(f"window: {exc}") from exc


def _lorebook(data: object, version: int) -> Lorebook:
    if version < 3 or data is None:
        return Lorebook()
    try:
        return lorebook_from_dict(data)
    except StoryFormatError as exc:
        raise StoryFormatError(f"lorebook: {exc.message}") from exc


def write_session(path: str | os.PathLike[str], session: Session) -> None:
    """Save ``session`` to ``path`` atomically, as UTF-8 (a story never holds a lone
    surrogate, which UTF-8 cannot encode: see ``complete.values.surrogates``)."""
    write_atomic(path, json.dumps(session_dict(session), ensure_ascii=False, indent=1) + "\n")


def read_session(path: str | os.PathLike[str]) -> Session:
    """Load a session file; errors name the file (a missing file is ``FileNotFoundError``)."""
    raw = checked_path(path).read_bytes()
    try:
        data = json.loads(raw.decode("utf-8"))
    except (ValueError, RecursionError) as exc:
        raise StoryFormatError(f"{path}: not a valid session file ({exc})") from exc
    try:
        return session_from_dict(data)
    except StoryFormatError as exc:
        raise StoryFormatError(f"{path}: {exc.message}") from exc
