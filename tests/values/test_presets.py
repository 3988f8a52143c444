"""Presets: plain Params values found by name, and the README table that shows them."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from complete import Completer, Params, ParamsError
from complete.testing import ScriptedTransport
from complete.values.generation import Generation
from complete.values.presets import ASSISTANT_TALK, PRESETS
from tests.conftest import ROOT

STORY = Params.preset("story")


def test_a_preset_is_found_by_name_and_built_once_from_the_modules_settings() -> None:
    assert Params.preset("story") is STORY
    assert Params(**PRESETS["story"]) == STORY
    assert STORY.banned == ASSISTANT_TALK
    assert Params.preset("greedy") == Params(do_sample=False)
    assert set(PRESETS) == {"story", "greedy"}


def test_the_presets_module_imports_nothing_of_the_package() -> None:
    import complete.values.presets as presets

    source = Path(presets.__file__).read_text(encoding="utf-8")
    assert "import complete" not in source
    assert "from complete" not in source


def test_a_preset_is_an_ordinary_params_value() -> None:
    changed = Params.preset("story").evolve(temperature=1.0)
    assert changed.temperature == 1.0
    assert changed.dry_multiplier == STORY.dry_multiplier
    assert Params.from_dict(STORY.to_dict()) == STORY
    assert STORY.temperature == 0.8  # unchanged: presets are immutable values


def test_greedy_decodes_greedily() -> None:
    assert Params.preset("greedy").to_dict() == {"max_new_tokens": 64, "do_sample": False}


@pytest.mark.parametrize(("name", "hint"), [("storry", "Did you mean 'story'?"), ("creative", ""), (3, "")])
def test_an_unknown_preset_is_a_params_error_listing_the_names(name: object, hint: str) -> None:
    with pytest.raises(ParamsError) as caught:
        Params.preset(name)  # type: ignore[arg-type]
    assert (caught.value.field, caught.value.value) == ("preset", name)
    assert caught.value.allowed == "one of 'story', 'greedy'"
    assert str(caught.value).endswith(hint)


def readme_column(heading: str) -> dict[str, str]:
    """One column of the README's presets table: setting -> cell text."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text[text.index("### Sampling presets") :]
    rows = [line for line in section.splitlines() if line.startswith("|")]
    header = [cell.strip() for cell in rows[0].strip("|").split("|")]
    column = header.index(heading)
    cells = {}
    for row in rows[2:]:
        values = [cell.strip() for cell in row.strip("|").split("|")]
        cells[values[0].strip("`")] = values[column]
    return cells


def cell_value(cell: str) -> object:
    if cell == "`ASSISTANT_TALK`":
        return list(ASSISTANT_TALK)
    if cell in ("True", "False"):
        return cell == "True"
    return float(cell) if re.fullmatch(r"[\d.]+", cell) else cell


@pytest.mark.parametrize("name", ["story", "greedy"])
def test_the_readme_table_shows_each_preset_as_it_is(name: str) -> None:
    column = readme_column(f'`Params.preset("{name}")`')
    # A cell in parentheses is a setting the preset leaves to the backend.
    shown = {setting: cell_value(cell) for setting, cell in column.items() if not cell.startswith("(")}
    expected = Params.preset(name).to_dict()
    del expected["max_new_tokens"]
    assert shown == expected


def test_the_readme_way_of_writing_with_a_preset(capsys: pytest.CaptureFixture[str]) -> None:
    replies = [Generation(text=text, finish_reason="stop") for text in (" and then", " and more")]
    transport = ScriptedTransport(replies)
    bloom = Completer("Once upon a time", transport=transport, stream=False, **Params.preset("story").to_dict())
    bloom()
    bloom.set(**Params.preset("story").evolve(temperature=1.0).to_dict())
    bloom()
    # the bans are kept out above the transport (complete.writing.banning), the rest is sent
    assert [params for _, params in transport.calls] == [
        STORY.evolve(banned=()),
        STORY.evolve(temperature=1.0, banned=()),
    ]
    assert bloom.story.params == STORY.evolve(temperature=1.0)
    assert bloom.story.text == "Once upon a time and then and more"
