"""Saving and loading a whole writing session: the tree, where you are, the settings.

The file is JSON, documented here and versioned::

    {
      "format": "complete.session",
      "version": 1,
      "nodes": [                      # every node, parents before children
        {"id": 0, "parent": null, "segment": "...", "origin": "prompt"},
        {"id": 1, "parent": 0, "segment": "...", "origin": "model",
         "params": {...}, "generation": {...}, "interrupted": false},
        ...
      ],
      "current": 1,                   # the node the story is at
      "redo": [],                     # ids undone, most recent last
      "params": {...},                # the Completer's parameters
      "window": {"memory": "", "note": "", "note_depth": 3, "max_tokens": null},
      "backend": {"backend": "local", ...}   # describe() output: never a token
    }

Writes are atomic: the JSON goes to a temporary file in the same folder, is
flushed to disk, and replaces the old file in one ``os.replace``; a crash at any
moment leaves either the old file or the new one, complete (and possibly a
``.name.*.tmp`` temporary, which the next successful save removes once it is ten
minutes old). A file that is not
valid JSON, is of another format, of a newer version, or has a bad field raises
``StoryFormatError`` naming the file and the field.

This module only converts between ``Session`` values and files; the ``Completer``
decides what a session contains.
"""

from __future__ import annotations

import glob
import json
import os
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import attrs

from complete.errors import StoryFormatError
from complete.params import Params
from complete.story import FORMAT_VERSION, Story, check_format, parents_first
from complete.window import Window

__all__ = ["SESSION_FORMAT", "Session", "read_session", "write_atomic", "write_session"]

SESSION_FORMAT = "complete.session"


@attrs.frozen(kw_only=True)
class Session:
    """Everything a session file holds."""

    nodes: tuple[Story, ...]
    current: Story
    redo: tuple[Story, ...] = ()
    params: Params = attrs.field(factory=Params)
    window: Window = attrs.field(factory=Window)
    backend: Mapping[str, Any] = attrs.field(factory=dict)


def session_dict(session: Session) -> dict[str, Any]:
    """The JSON-ready form of ``session`` (see the module docstring)."""
    ids: dict[int, int] = {}
    nodes = []
    for node in parents_first([*session.nodes, session.current, *session.redo]):
        ids[id(node)] = len(ids)
        entry = {"id": ids[id(node)], "parent": None if node.parent is None else ids[id(node.parent)]}
        entry.update(node.node_dict())
        nodes.append(entry)
    window = session.window
    return {
        "format": SESSION_FORMAT,
        "version": FORMAT_VERSION,
        "nodes": nodes,
        "current": ids[id(session.current)],
        "redo": [ids[id(node)] for node in session.redo],
        "params": session.params.to_dict(),
        "window": {
            "memory": window.memory,
            "note": window.note,
            "note_depth": window.note_depth,
            "max_tokens": window.max_tokens,
        },
        "backend": dict(session.backend),
    }


def session_from_dict(data: object) -> Session:
    """Rebuild a ``Session``; any problem is a ``StoryFormatError`` naming the field."""
    if not isinstance(data, Mapping):
        raise StoryFormatError(f"expected a session object, found {type(data).__name__}")
    check_format(data, SESSION_FORMAT)
    raw_nodes = data.get("nodes")
    if not isinstance(raw_nodes, list) or not raw_nodes:
        raise StoryFormatError("nodes: expected a non-empty list")
    by_id: dict[int, Story] = {}
    nodes = []
    for index, item in enumerate(raw_nodes):
        where = f"nodes[{index}]"
        if not isinstance(item, Mapping):
            raise StoryFormatError(f"{where}: expected an object, found {type(item).__name__}")
        node_id = _int(item.get("id"), f"{where}.id")
        if node_id in by_id:
            raise StoryFormatError(f"{where}.id: {node_id} appears twice")
        parent_id = item.get("parent")
        parent = None
        if parent_id is not None:
            parent = by_id.get(_int(parent_id, f"{where}.parent"))
            if parent is None:
                raise StoryFormatError(f"{where}.parent: no earlier node has id {parent_id!r}")
        own = {key: value for key, value in item.items() if key not in ("id", "parent")}
        node = Story.from_node_dict(parent, own, where=where)
        by_id[node_id] = node
        nodes.append(node)

    def lookup(value: object, where: str) -> Story:
        node = by_id.get(_int(value, where))
        if node is None:
            raise StoryFormatError(f"{where}: no node has id {value!r}")
        return node

    redo = data.get("redo", [])
    if not isinstance(redo, list):
        raise StoryFormatError("redo: expected a list of node ids")
    params = _mapping(data.get("params", {}), "params")
    window = _mapping(data.get("window", {}), "window")
    backend = _mapping(data.get("backend", {}), "backend")
    try:
        loaded_params = Params.from_dict(params)
        loaded_window = Window(**window)
    except (TypeError, ValueError) as exc:
        raise StoryFormatError(f"params/window: {exc}") from exc
    return Session(
        nodes=tuple(nodes),
        current=lookup(data.get("current"), "current"),
        redo=tuple(lookup(value, f"redo[{i}]") for i, value in enumerate(redo)),
        params=loaded_params,
        window=loaded_window,
        backend=backend,
    )


def _int(value: object, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise StoryFormatError(f"{where}: expected an integer, found {value!r}")
    return value


def _mapping(value: object, where: str) -> dict[str, Any]:
    if not isinstance(value, Mapping):
        raise StoryFormatError(f"{where}: expected an object, found {type(value).__name__}")
    return dict(value)


def write_atomic(path: str | os.PathLike[str], text: str) -> None:
    """Replace the file at ``path`` with ``text`` in one step (see module docstring)."""
    target = Path(path)
    folder = target.parent if str(target.parent) else Path(".")
    handle = tempfile.NamedTemporaryFile(  # noqa: SIM115 - closed below; deleted by hand on failure
        "w", encoding="utf-8", dir=folder, prefix=f".{target.name}.", suffix=".tmp", delete=False
    )
    try:
        with handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(handle.name, _mode_for(target))
        os.replace(handle.name, target)
    except BaseException:
        Path(handle.name).unlink(missing_ok=True)
        raise
    _sync_folder(folder)
    _remove_stale_temporaries(folder, target.name)


_STALE_SECONDS = 600


def _mode_for(target: Path) -> int:
    """The permissions the new file gets: the old file's, or what a plain ``open``
    would give (0o666 less the umask) rather than the temporary file's private 0o600."""
    try:
        return target.stat().st_mode & 0o777
    except OSError:
        pass
    umask = os.umask(0o022)  # reading the umask means setting it; put it straight back
    os.umask(umask)
    return 0o666 & ~umask


def _remove_stale_temporaries(folder: Path, name: str) -> None:
    """Delete temporaries that a save killed mid-way left behind.

    Only those older than ``_STALE_SECONDS`` go: a younger one may belong to a save
    still running in another process.
    """
    now = time.time()
    for leftover in folder.glob(f".{glob.escape(name)}.*.tmp"):
        try:
            if now - leftover.stat().st_mtime > _STALE_SECONDS:
                leftover.unlink()
        except OSError:
            continue


def _sync_folder(folder: Path) -> None:
    try:
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)


def write_session(path: str | os.PathLike[str], session: Session) -> None:
    """Save ``session`` to ``path`` atomically.

    The file is UTF-8 and readable as such; a story holding text that UTF-8 cannot
    encode (a lone surrogate, which Python strings allow) is written with JSON
    escapes instead, so it still saves and loads back exactly.
    """
    data = session_dict(session)
    text = json.dumps(data, ensure_ascii=False, indent=1) + "\n"
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = json.dumps(data, ensure_ascii=True, indent=1) + "\n"
    write_atomic(path, text)


def read_session(path: str | os.PathLike[str]) -> Session:
    """Load a session file; errors name the file (a missing file is ``FileNotFoundError``)."""
    raw = Path(path).read_bytes()
    try:
        data = json.loads(raw.decode("utf-8"))
    except (ValueError, RecursionError) as exc:
        raise StoryFormatError(f"{path}: not a valid session file ({exc})") from exc
    try:
        return session_from_dict(data)
    except StoryFormatError as exc:
        raise StoryFormatError(f"{path}: {exc.message}") from exc
