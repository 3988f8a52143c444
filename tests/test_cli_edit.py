"""``complete --resume FILE --edit``: the story changed in the writer's editor (a scripted
$EDITOR here), kept as an edit node, then continued."""

from __future__ import annotations

import shlex
import sys
from pathlib import Path

import pytest

from complete import Session
from complete.editor import edit_text
from complete.interchange.session_json import read_session, write_session
from complete.testing import ScriptedTransport
from tests.helpers.scripted_cli import run, script_cli

EDITOR = """
import pathlib, sys
mode, path = sys.argv[1], pathlib.Path(sys.argv[-1])
text = path.read_text(encoding="utf-8")
if mode == "replace":
    path.write_text(text.replace(sys.argv[2], sys.argv[3]), encoding="utf-8")
elif mode == "empty":
    path.write_text("  \\n", encoding="utf-8")
elif mode == "fail":
    sys.exit(3)
print(repr(text), file=sys.stderr)
"""


@pytest.fixture
def editor(tmp_path: Path) -> str:
    """The command that runs the scripted editor (append its mode and arguments)."""
    script = tmp_path / "editor.py"
    script.write_text(EDITOR, encoding="utf-8")
    return f"{shlex.quote(sys.executable)} {shlex.quote(str(script))}"


@pytest.fixture
def saved(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, ScriptedTransport]:
    """A session file holding "The fox saw the fox. It ran.", and the scripted backend."""
    transport = ScriptedTransport([" It hid."])
    script_cli(monkeypatch, transport, resumed=True)
    session = Session.start("The fox saw the fox.").append("It ran.")
    path = tmp_path / "story.json"
    write_session(path, session)
    return path, transport


def test_edit_saves_the_change_as_an_edit_node_then_continues_from_it(
    saved: tuple[Path, ScriptedTransport],
    editor: str,
    monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture[str],
) -> None:
    path, transport = saved
    monkeypatch.delenv("VISUAL", raising=False)
    monkeypatch.setenv("EDITOR", f"{editor} replace 'saw the fox' 'saw the owl'")
    assert run(["--resume", str(path), "--edit"]) == (0, " It hid.\n")
    assert (
        capfd.readouterr().err == "'The fox saw the fox. It ran.\\n'\ncomplete: scripted.\n"
    )  # the editor got the text, newline-ended
    assert transport.calls[0][0] == "The fox saw the owl. It ran."
    session = read_session(path)
    assert [node.origin for node in session.history] == ["prompt", "user", "edit", "model"]
    assert (session.current.parent.replaces, session.current.parent.segment) == ((16, 19), "owl")  # type: ignore[union-attr]
    assert session.undo().undo().current.text == "The fox saw the fox. It ran."


def test_visual_wins_over_editor(
    saved: tuple[Path, ScriptedTransport], editor: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    path, transport = saved
    monkeypatch.setenv("VISUAL", f"{editor} replace ran flew")
    monkeypatch.setenv("EDITOR", f"{editor} fail")
    assert run(["--resume", str(path), "--edit", "Then"]) == (0, " It hid.\n")
    assert transport.calls[0][0] == "The fox saw the fox. It flew. Then"  # edited, then the words given added


def test_an_unchanged_buffer_adds_no_node_and_continues(
    saved: tuple[Path, ScriptedTransport], editor: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    path, transport = saved
    monkeypatch.setenv("VISUAL", f"{editor} same")
    assert run(["--resume", str(path), "--edit"]) == (0, " It hid.\n")
    assert transport.calls[0][0] == "The fox saw the fox. It ran."
    assert [node.origin for node in read_session(path).history] == ["prompt", "user", "model"]


def test_an_emptied_buffer_leaves_the_story_and_the_file_as_they_were(
    saved: tuple[Path, ScriptedTransport],
    editor: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    path, transport = saved
    before = path.read_bytes()
    monkeypatch.setenv("VISUAL", f"{editor} empty")
    assert run(["--resume", str(path), "--edit"]) == (1, "")
    assert capsys.readouterr().err.endswith("complete: the editor's buffer was empty: the story is left as it was\n")
    assert path.read_bytes() == before
    assert transport.calls == []


def test_a_failing_editor_or_none_at_all_is_an_error_and_nothing_is_written(
    saved: tuple[Path, ScriptedTransport],
    editor: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    path, transport = saved
    before = path.read_bytes()
    monkeypatch.setenv("VISUAL", f"{editor} fail")
    assert run(["--resume", str(path), "--edit"]) == (1, "")
    assert capsys.readouterr().err.endswith("exited with status 3; the story is left as it was\n")
    monkeypatch.delenv("VISUAL")
    monkeypatch.delenv("EDITOR", raising=False)
    assert run(["--resume", str(path), "--edit"]) == (2, "")
    assert capsys.readouterr().err == (
        "complete: error: --edit=True is not allowed: expected an editor to open the story in. "
        "Set $VISUAL or $EDITOR to one, for example: export EDITOR=nano\n"
    )
    assert path.read_bytes() == before
    assert transport.calls == []


def test_edit_needs_resume(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["--edit", "Once upon a time"]) == (2, "")
    assert "expected --resume FILE as well (--edit changes a saved story)" in capsys.readouterr().err


def test_edit_text_keeps_a_final_newline_the_story_has(editor: str) -> None:
    assert edit_text("One.\n", environ={"EDITOR": f"{editor} replace One Two"}) == "Two.\n"
    assert edit_text("One.", environ={"EDITOR": f"{editor} same"}) == "One."
