"""The writer's view of a lorebook: the Completer, preview, the widget, sessions and the CLI."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from complete import Completer, Lorebook, LoreEntry, ParamsError, Session, cli
from complete.interchange.session_json import read_session
from complete.testing import ScriptedTransport
from complete.widget import lore_line
from tests.helpers.scripted_cli import script_cli

DATA = Path(__file__).parents[1] / "data"
PROMPT = "Mira walked to the shore. The sea was grey."


def test_a_completer_takes_a_lorebook_and_adding_an_entry_is_one_line() -> None:
    transport = ScriptedTransport([" She waited.", " Night fell."])
    bloom = Completer(PROMPT, transport=transport, memory="A story.", lorebook=Lorebook().add("Mira", "[Mira: a fox]"))
    bloom.lorebook = bloom.lorebook.add("sea", "[The sea: cold]", order=50)
    assert [entry.label for entry in bloom.lorebook] == ["Mira", "sea"]
    assert bloom.session.lorebook is bloom.lorebook
    bloom()
    assert transport.calls[0][0] == f"A story.\n[The sea: cold]\n[Mira: a fox]\n{PROMPT}"
    bloom.lorebook = Lorebook()
    bloom()
    assert transport.calls[1][0] == f"A story.\n{PROMPT} She waited."


def test_a_lorebook_can_be_given_as_a_path_and_a_bad_value_is_refused() -> None:
    with pytest.warns(UserWarning, match="not taken: group"):
        bloom = Completer(PROMPT, transport=ScriptedTransport([]), lorebook=DATA / "sillytavern_world_info.json")
    assert [entry.label for entry in bloom.lorebook] == ["Mira", "Storm on the island", "Style", "lighthouse"]
    with pytest.warns(UserWarning, match="not taken: keyRelative"):
        bloom.lorebook = str(DATA / "novelai.lorebook")  # type: ignore[assignment]
    assert bloom.lorebook.scan_depth == 500
    with pytest.raises(ParamsError, match="lorebook=3 is not allowed: expected a Lorebook or the path"):
        Completer(PROMPT, transport=ScriptedTransport([]), lorebook=3)  # type: ignore[arg-type]


def test_preview_lists_each_entry_that_fired_with_its_key_and_each_left_out(capsys: pytest.CaptureFixture[str]) -> None:
    book = (
        Lorebook(budget=6)
        .add(["the fox", "Mira"], "Mira is a red fox.", order=200)
        .add("shore", "The shore is all stones and no sand.")
        .add("boat", "There is no boat.")
    )
    bloom = Completer(PROMPT, transport=ScriptedTransport([]), lorebook=book, window_size=2048)
    bloom.preview()
    report = capsys.readouterr().out
    assert "  lore    'the fox' (key 'Mira', 6 tokens, order 200)\n" in report
    assert "  left out: lore 'shore' (key 'shore') over the lore budget\n" in report
    assert "boat" not in report


def test_the_widget_names_the_entries_the_next_call_will_use() -> None:
    bloom = Completer(PROMPT, transport=ScriptedTransport([" A boat came."]))
    assert lore_line(bloom) == ""
    bloom.lorebook = Lorebook().add("boat", "B.").add("Mira", "M.")
    assert lore_line(bloom) == "Lore for the next call: Mira"
    panel = bloom.widget()
    buttons = panel.children[-6]
    assert buttons.children[-1].value == "Lore for the next call: Mira"
    buttons.children[0].click()  # Continue: the boat is now in the story
    assert buttons.children[-1].value == "Lore for the next call: boat, Mira"


def test_the_lorebook_is_part_of_the_saved_session(tmp_path: Path) -> None:
    book = Lorebook([LoreEntry("Mira", "M.", probability=0.5)], budget=64)
    bloom = Completer(PROMPT, transport=ScriptedTransport([]), lorebook=book)
    bloom.save(tmp_path / "s.json")
    assert read_session(tmp_path / "s.json").lorebook == book
    assert Completer.load(tmp_path / "s.json", transport=ScriptedTransport([])).lorebook == book
    assert Session.start("x", lorebook=book).set_lorebook(Lorebook()).lorebook == Lorebook()


def test_the_command_line_takes_a_lorebook_file_and_keeps_it_in_the_session(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    transport = ScriptedTransport([" It ran."])
    script_cli(monkeypatch, transport, "scripted")
    argv = ["--lorebook", str(DATA / "novelai.lorebook"), "--save", str(tmp_path / "s.json"), "The fox sat."]
    assert cli.main(argv, stdin=io.StringIO(), stdout=io.StringIO()) == 0
    assert transport.calls[0][0] == (
        "Mira is a red fox who distrusts boats.\n[ Skellig Varr is a rock in the north sea. ]\nThe fox sat."
    )
    assert read_session(tmp_path / "s.json").lorebook == Lorebook.read(DATA / "novelai.lorebook").lorebook
    err = capsys.readouterr().err
    assert f"complete: {DATA / 'novelai.lorebook'}: not taken: keyRelative (1 entry)\n" in err
