"""Session files: documented JSON, atomic writes, clear errors naming the file.

tests/data/session_v1.json, story_v1.json and tree_v1.jsonl were written by
``Completer.save``, ``Story.to_dict`` and ``Completer.export_jsonl`` as they were
before session files had a version number of their own (commit 5421be5), from a
session on a ScriptedTransport: a model node with token probabilities, a retry, the
writer's words, an interrupted stream, two undos, memory, note and a window size.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from complete import Completer, Generation, Lorebook, Params, Story, StoryFormatError, TokenLogprob, Window
from complete.interchange.files import write_atomic
from complete.interchange.session_json import read_session, session_dict, session_from_dict, write_session
from complete.testing import ScriptedTransport
from complete.writing.session import Session
from tests.conftest import ROOT

DATA = ROOT / "tests" / "data"


def _tree() -> tuple[Story, Story, Story]:
    root = Story.from_prompt("Once")
    a = root.extend(" a", origin="model", params=Params(seed=1), generation=Generation(text=" a", seed=1))
    b = root.extend(" b", origin="user")
    return root, a, b


def test_session_dict_lists_parents_first_with_ids() -> None:
    root, a, b = _tree()
    session = Session(nodes=(root, a, b), current=b, undone=(a,), params=Params(top_k=3), window=Window(note="N"))
    data = session_dict(session)
    assert [(node["id"], node["parent"], node["segment"]) for node in data["nodes"]] == [
        (0, None, "Once"),
        (1, 0, " a"),
        (2, 0, " b"),
    ]
    assert (data["current"], data["redo"], data["params"]) == (2, [1], {"top_k": 3, "max_new_tokens": 64})
    assert data["window"] == {"memory": "", "note": "N", "note_depth": 3, "size": None}
    again = session_from_dict(json.loads(json.dumps(data)))
    assert again.current == b
    assert again.undone == (a,)
    assert again.window == Window(note="N")
    assert again.current.parent is again.undone[0].parent


def test_write_and_read_round_trip(tmp_path: Path) -> None:
    root, a, b = _tree()
    path = tmp_path / "s.json"
    write_session(path, Session(nodes=(root, a, b), current=a, backend={"backend": "local"}))
    loaded = read_session(path)
    assert loaded.current == a
    assert loaded.backend == {"backend": "local"}
    assert [node.segment for node in loaded.nodes] == ["Once", " a", " b"]


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "s.json"
    path.write_text("old")

    def crash(src: str, dst: str) -> None:
        raise OSError("disk on fire")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError, match="disk on fire"):
        write_atomic(path, "new")
    assert path.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.json"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"\xff\xfe", "s.json: not a valid session file"),
        (b"[1,2]", "s.json: expected a session object, found list"),
        (b'{"format": "complete.story", "version": 1}', "s.json: format: expected 'complete.session'"),
        (
            b'{"format": "complete.session", "version": 4}',
            "s.json: version: this file is format version 4, but this version of complete reads version 3 at most",
        ),
        (b'{"format": "complete.session", "version": 1, "nodes": [{"id": 0, "parent": 5}]}', "s.json: nodes[0].parent"),
        (
            b'{"format": "complete.session", "version": 1, "nodes": [{"id": 0, "parent": null, "segment": "a",'
            b' "origin": "prompt"}], "current": 3}',
            "s.json: current: no node has id 3",
        ),
        (b"[" * 100000, "s.json: not a valid session file"),
    ],
)
def test_bad_files_are_story_format_errors_naming_the_file(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "s.json"
    path.write_bytes(content)
    with pytest.raises(StoryFormatError) as caught:
        read_session(path)
    assert str(caught.value).startswith(str(tmp_path / message))


# Arbitrary trees round-trip in tests/across/test_fuzz.py (moved there and extended: every kind of node,
# the position, redo list, parameters, window and backend).


HARNESS = """
import os, random, shutil, signal, sys, time
from pathlib import Path
from complete import Completer, Story
from complete.interchange.session_json import write_session
from complete.writing.session import Session
from complete.testing import ScriptedTransport

path, saver, kills, snapshots, seed = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3]), Path(sys.argv[4]), sys.argv[5]
stories = [Story.from_prompt("A" * 200_000), Story.from_prompt("B" * 200_000).extend(" b", origin="user")]
completers = [Completer(story, transport=ScriptedTransport([])) for story in stories]


def save_for_ever():
    for i in range(10**9):
        if saver == "write_session":
            write_session(path, Session(nodes=(stories[i % 2],), current=stories[i % 2]))
        else:
            completers[i % 2].save(path)


pace = random.Random(seed)
for kill in range(kills):
    ready, started = os.pipe()
    child = os.fork()
    if child == 0:  # the saver: saves until killed
        os.close(ready)
        os.write(started, b"!")
        try:
            save_for_ever()
        finally:
            os._exit(0)
    os.close(started)
    os.read(ready, 1)
    os.close(ready)
    time.sleep(pace.uniform(0.0, 0.03))
    os.kill(child, signal.SIGKILL)
    os.waitpid(child, 0)
    shutil.copyfile(path, snapshots / f"after-kill-{kill:03}.json")
"""
KILLS = 40


@pytest.mark.parametrize("saver", ["write_session", "Completer.save"])
def test_killing_a_saving_process_never_leaves_a_broken_file(tmp_path: Path, saver: str) -> None:
    """A process saving in a loop is SIGKILLed at random moments, KILLS times: the
    file is then always the old version or a new one, whole. Leftover temporary files
    prove that kills landed mid-save, between creating the new file and replacing
    the old one (a killed process cannot clean up; they are named to be recognised)."""
    folder = tmp_path / "work"
    snapshots = tmp_path / "snapshots"
    folder.mkdir()
    snapshots.mkdir()
    path = folder / "story.json"
    old = Story.from_prompt("old")
    write_session(path, Session(nodes=(old,), current=old))
    harness = subprocess.run(
        [sys.executable, "-c", HARNESS, str(path), saver, str(KILLS), str(snapshots), "7"],
        capture_output=True,
        timeout=120,
    )
    assert harness.returncode == 0, harness.stderr.decode()
    versions = {"old": "old", "A" * 200_000: "A", "B" * 200_000 + " b": "B"}
    seen = []
    for snapshot in sorted(snapshots.iterdir()):
        loaded = read_session(snapshot)  # never half a file
        seen.append(versions[loaded.current.text])
        assert [node.text for node in loaded.nodes] == [node.text for node in loaded.current.path]
        if saver == "Completer.save":
            assert Completer.load(snapshot, transport=ScriptedTransport([])).story == loaded.current
    assert len(seen) == KILLS
    assert {"A", "B"} <= set(seen)
    leftovers = sorted(p.name for p in folder.iterdir() if p != path)
    assert leftovers, "no kill landed in the middle of a save"
    assert all(name.startswith(".story.json.") and name.endswith(".tmp") for name in leftovers)


def test_a_save_removes_old_leftover_temporaries_but_not_fresh_ones(tmp_path: Path) -> None:
    old = tmp_path / ".s.json.abc.tmp"
    fresh = tmp_path / ".s.json.def.tmp"
    other = tmp_path / ".t.json.ghi.tmp"
    for leftover in (old, fresh, other):
        leftover.write_text("half")
    hour_ago = time.time() - 3600
    os.utime(old, (hour_ago, hour_ago))
    os.utime(other, (hour_ago, hour_ago))
    write_atomic(tmp_path / "s.json", "new")
    assert sorted(path.name for path in tmp_path.iterdir()) == [".s.json.def.tmp", ".t.json.ghi.tmp", "s.json"]


def test_a_session_is_written_as_utf8_text(tmp_path: Path) -> None:
    story = Story.from_prompt("héllo 🦊")  # a story never holds a lone surrogate: complete.values.surrogates
    write_session(tmp_path / "s.json", Session(nodes=(story,), current=story))
    assert "héllo 🦊" in (tmp_path / "s.json").read_text(encoding="utf-8")
    assert read_session(tmp_path / "s.json").current == story


def test_a_new_file_gets_ordinary_permissions_and_an_old_file_keeps_its_own(tmp_path: Path) -> None:
    umask = os.umask(0o022)
    try:
        write_atomic(tmp_path / "new.json", "x")
        assert (tmp_path / "new.json").stat().st_mode & 0o777 == 0o644
        (tmp_path / "old.json").write_text("old")
        os.chmod(tmp_path / "old.json", 0o600)
        write_atomic(tmp_path / "old.json", "new")
        assert (tmp_path / "old.json").stat().st_mode & 0o777 == 0o600
    finally:
        os.umask(umask)


def test_a_version_1_file_still_loads_and_is_written_back_as_the_current_version(tmp_path: Path) -> None:
    session = read_session(DATA / "session_v1.json")
    assert session.window == Window(memory="Mara keeps the lighthouse.", note="[Tone: quiet]", note_depth=2, size=2048)
    assert session.params == Params(temperature=0.8, seed=7, logprobs=1)
    assert session.backend == {"backend": "scripted", "model": "scripted"}
    assert [(node.segment, node.origin) for node in session.nodes] == [
        ("The keeper lit", "prompt"),
        (" the lamp", "model"),
        (" and watched the sea.", "model"),
        (" and slept.", "model"),
        (" Then the storm came.", "user"),
        (" and then", "model"),
    ]
    assert session.current is session.nodes[3]
    assert session.undone == (session.nodes[5], session.nodes[4])
    assert session.nodes[5].interrupted is True
    lamp = session.nodes[1].generation
    assert lamp is not None
    assert lamp.logprobs == (
        TokenLogprob(" the", -0.2, [(" the", -0.2), (" a", -1.9)]),
        TokenLogprob(" lamp", -1.1, [(" lamp", -1.1)]),
    )
    write_session(tmp_path / "again.json", session)
    data = json.loads((tmp_path / "again.json").read_text())
    assert (data["version"], data["window"]["size"], "max_tokens" in data["window"]) == (2, 2048, False)
    assert session.lorebook == Lorebook()
    again = read_session(tmp_path / "again.json")
    assert (again.nodes, again.current, again.undone, again.window) == (
        session.nodes,
        session.current,
        session.undone,
        session.window,
    )
    bloom = Completer.load(DATA / "session_v1.json", transport=ScriptedTransport([]))
    bloom.redo()
    assert bloom.text == "The keeper lit the lamp and slept. Then the storm came."


def test_version_2_names_the_window_size_size_and_keeps_the_offered_alternatives(tmp_path: Path) -> None:
    root, a, b = _tree()
    session = Session(current=root, nodes=(root, a, b), offered=(a, b), window=Window(size=512))
    data = session_dict(session)
    assert (data["offered"], data["window"]["size"]) == ([1, 2], 512)
    data["window"] = {"max_tokens": 512}
    with pytest.raises(StoryFormatError, match=r"window: unknown field\(s\) \['max_tokens'\]"):
        session_from_dict(data)
    data["version"], data["window"] = 1, {"max_tokens": 512}
    assert session_from_dict(data).window == Window(size=512)
    assert session_from_dict(session_dict(session)).offered == (a, b)
