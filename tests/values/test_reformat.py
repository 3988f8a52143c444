"""Prompt reformatting exactly as the original README describes it."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from complete.values.reformat import reformat, to_blank_line_paragraphs
from tests.helpers.seed_prompt import SEED_PROMPT


def test_seed_prompt_is_reformatted_as_the_readme_says() -> None:
    assert reformat(SEED_PROMPT) == (
        "Sometimes I marvel at how the sky contains no advertisements. Oh, sometimes someone goes up in a "
        "little plane and skywrites a birthday greeting. But the sky... you don't have to watch an ad to see it.\n"
        'When people learn I fought in the war to free the sky, they say, "Thank you for'
    )


def test_single_line_breaks_become_one_space() -> None:
    assert reformat("one\ntwo  \n   three") == "one two three"


def test_blank_lines_of_any_length_separate_paragraphs() -> None:
    assert reformat("a\n\nb\n \t\n\n\nc") == "a\nb\nc"


def test_windows_and_old_mac_line_endings() -> None:
    assert reformat("a\r\nb\r\n\r\nc\rd") == "a b\nc d"


def test_open_ending_is_kept_open() -> None:
    assert reformat("They say, 'Thank you for\n") == "They say, 'Thank you for"


def test_spacing_inside_a_line_is_kept() -> None:
    assert reformat("a  b\tc") == "a  b\tc"


def test_empty_and_blank_inputs_give_empty_text() -> None:
    assert reformat("") == ""
    assert reformat(" \n\n \t") == ""


text = st.text(alphabet=st.sampled_from(list("ab .,\n\n\n \t\r\u2028é")), max_size=80)


@given(text)
def test_never_loses_or_changes_a_word(source: str) -> None:
    assert reformat(source).split() == source.split()


@given(text)
def test_stable_on_its_own_paragraph_structure(source: str) -> None:
    once = reformat(source)
    assert reformat(to_blank_line_paragraphs(once)) == once


@given(text)
def test_output_has_no_blank_lines_and_no_outer_whitespace(source: str) -> None:
    out = reformat(source)
    assert "\n\n" not in out
    assert out == out.strip()
