"""Session files: documented JSON, atomic writes, clear errors naming the file."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from complete import Generation, Params, Story, StoryFormatError, Window
from complete.session import Session, read_session, session_dict, session_from_dict, write_atomic, write_session


def _tree() -> tuple[Story, Story, Story]:
    root = Story.from_prompt("Once")
    a = root.extend(" a", origin="model", params=Params(seed=1), generation=Generation(text=" a", seed=1))
    b = root.extend(" b", origin="user")
    return root, a, b


def test_session_dict_lists_parents_first_with_ids() -> None:
    root, a, b = _tree()
    session = Session(nodes=(root, a, b), current=b, redo=(a,), params=Params(top_k=3), window=Window(note="N"))
    data = session_dict(session)
    assert [(node["id"], node["parent"], node["segment"]) for node in data["nodes"]] == [
        (0, None, "Once"),
        (1, 0, " a"),
        (2, 0, " b"),
    ]
    assert (data["current"], data["redo"], data["params"]) == (2, [1], {"top_k": 3, "max_new_tokens": 64})
    assert data["window"] == {"memory": "", "note": "N", "note_depth": 3, "max_tokens": None}
    again = session_from_dict(json.loads(json.dumps(data)))
    assert again.current == b
    assert again.redo == (a,)
    assert again.window == Window(note="N")
    assert again.current.parent is again.redo[0].parent


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
            b'{"format": "complete.session", "version": 2}',
            "s.json: version: this file is format version 2, but this version of complete reads version 1 at most",
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


segments = st.text(max_size=12)


@st.composite
def trees(draw: st.DrawFn) -> tuple[list[Story], Story]:
    nodes = [Story.from_prompt(draw(st.text(min_size=1, max_size=12).filter(str.strip)))]
    for _ in range(draw(st.integers(0, 12))):
        parent = draw(st.sampled_from(nodes))
        origin = draw(st.sampled_from(["model", "user"]))
        seed = draw(st.none() | st.integers(0, 2**32 - 1))
        generation = Generation(text="x", seed=seed, finish_reason="length") if origin == "model" else None
        nodes.append(parent.extend(draw(segments), origin=origin, generation=generation))
    return nodes, draw(st.sampled_from(nodes))


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], max_examples=60)
@given(trees())
def test_arbitrary_trees_round_trip_exactly(tmp_path: Path, tree: tuple[list[Story], Story]) -> None:
    nodes, current = tree
    path = tmp_path / "t.json"
    write_session(path, Session(nodes=tuple(nodes), current=current))
    loaded = read_session(path)
    assert list(loaded.nodes) == nodes
    assert loaded.current == current
    loaded_index = {id(node): i for i, node in enumerate(loaded.nodes)}
    index = {id(node): i for i, node in enumerate(nodes)}
    assert [None if n.parent is None else loaded_index[id(n.parent)] for n in loaded.nodes] == [
        None if n.parent is None else index[id(n.parent)] for n in nodes
    ]


SAVER = """
import sys
from complete import Story
from complete.session import Session, write_session
path = sys.argv[1]
big = [Story.from_prompt("A" * 200_000), Story.from_prompt("B" * 200_000)]
print("ready", flush=True)
i = 0
while True:
    write_session(path, Session(nodes=(big[i % 2],), current=big[i % 2]))
    i += 1
"""


def test_killing_a_saving_process_never_leaves_a_broken_file(tmp_path: Path) -> None:
    path = tmp_path / "story.json"
    write_session(path, Session(nodes=(Story.from_prompt("old"),), current=Story.from_prompt("old")))
    seen = set()
    for attempt in range(15):
        child = subprocess.Popen([sys.executable, "-c", SAVER, str(path)], stdout=subprocess.PIPE)
        assert child.stdout is not None
        assert child.stdout.readline() == b"ready\n"
        time.sleep(0.01 + (attempt % 5) * 0.013)
        child.send_signal(signal.SIGKILL)
        child.wait()
        loaded = read_session(path)  # never half a file
        seen.add(loaded.current.text[:1])
    assert seen <= {"o", "A", "B"}
    assert seen & {"A", "B"}
