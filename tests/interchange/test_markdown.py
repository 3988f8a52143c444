"""The current story as Markdown: escaped on the way out, unescaped on the way in."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from complete import Story, StoryFormatError
from complete.interchange import (
    from_markdown,
    from_text,
    read_markdown,
    to_markdown,
    to_text,
    write_markdown,
)
from tests.helpers.stories import four_nodes


def test_markdown_escapes_what_markdown_would_act_on() -> None:
    story = Story.from_prompt(
        "# Not a heading, *not* _emphasis_ & <b>not html</b> [a](b) `c` | ~d~ \\e\n"
        "- not a list\n"
        "+ nor this\n"
        "12. nor this\n"
        "3) nor this\n"
        "    not code\n"
        "\n"
        "2024 was a year. A - b + c.",
        reformat=False,
    )
    assert to_markdown(story) == (
        "\\# Not a heading, \\*not\\* \\_emphasis\\_ \\& \\<b\\>not html\\</b\\> "
        "\\[a\\](b) \\`c\\` \\| \\~d\\~ \\\\e\n\n"
        "\\- not a list\n\n"
        "\\+ nor this\n\n"
        "12\\. nor this\n\n"
        "3\\) nor this\n\n"
        "&#32;&#32;&#32;&#32;not code\n\n"
        "\n\n"
        "2024 was a year. A - b + c.\n"
    )
    assert from_markdown(to_markdown(story)) == story


def test_markdown_file_round_trip(tmp_path: Path) -> None:
    _root, _model, user, _cut = four_nodes()
    path = tmp_path / "story.md"
    write_markdown(path, user)
    assert read_markdown(path).text == user.text


@given(st.text(st.characters(codec="utf-8")).filter(str.strip))
@settings(max_examples=300)
def test_markdown_and_text_round_trip_any_text(text: str) -> None:
    story = Story.from_prompt(text, reformat=False)
    assert from_markdown(to_markdown(story)) == story
    assert from_text(to_text(story)) == story


def test_markdown_with_an_impossible_character_reference_is_rejected() -> None:
    with pytest.raises(StoryFormatError, match=r"notes\.md: a character reference is not a Unicode character"):
        from_markdown("&#99999999; hello", source="notes.md")
