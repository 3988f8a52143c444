"""The current story as plain text, out and in."""

from __future__ import annotations

from pathlib import Path

import pytest

from complete import Story, StoryFormatError
from complete.interchange import (
    from_text,
    read_markdown,
    read_text,
    to_text,
    write_text,
)
from tests.helpers.stories import four_nodes


def test_text_export_is_the_story_and_a_final_newline(tmp_path: Path) -> None:
    _root, _model, user, _cut = four_nodes()
    assert to_text(user) == "Once upon a time\n"
    path = tmp_path / "story.txt"
    write_text(path, user)
    assert path.read_text(encoding="utf-8") == "Once upon a time\n"
    assert read_text(path) == Story.from_prompt("Once upon a time")


def test_text_import_can_reformat_hard_wrapped_text() -> None:
    assert from_text("Once upon\na time\n\nThe end.\n", reformat=True).text == "Once upon a time\nThe end."
    assert from_text("Once upon\na time").text == "Once upon\na time"


@pytest.mark.parametrize("reader", [read_text, read_markdown])
def test_blank_text_files_are_rejected_naming_the_file(tmp_path: Path, reader: object) -> None:
    path = tmp_path / "blank.txt"
    path.write_text("  \n", encoding="utf-8")
    with pytest.raises(StoryFormatError, match=r"blank\.txt: no text to import \(the file is empty or blank\)"):
        reader(path)  # type: ignore[operator]
