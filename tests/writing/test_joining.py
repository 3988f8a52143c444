"""The join rule for the writer's own words: one table, one row per case."""

from __future__ import annotations

import pytest

from complete import Completer, Session
from complete.testing import ScriptedTransport
from complete.writing.joining import joined_segment

TABLE = [
    # story ends with          words typed                      segment added
    ("It rained", "all day.", " all day."),  # one space between words
    ("It rained.", "Then it stopped.", " Then it stopped."),  # after a full stop
    ('he said, "Go."', "She went.", " She went."),  # after a closing quote
    ('smiles, "', "I never know what to say to that.", "I never know what to say to that."),  # opening quote
    ('"', "Hello,", "Hello,"),  # a quote that starts the story opens
    ("(", "aside", "aside"),  # opening bracket
    ("she said: “", "Hush.", "Hush."),  # opening curly quote
    ("He was —", "gone", " gone"),  # a spaced dash stays spaced
    ("He was—", "gone", "gone"),  # a closed dash stays closed
    ("He paused", "— then left", " — then left"),
    ("He paused", "—then left", "—then left"),
    ("It rained", ", then stopped", ", then stopped"),  # no space before closing punctuation
    ("It rained", ".", "."),
    ("Wait", "!", "!"),
    ("(an aside", ")", ")"),
    ("and then", "…", "…"),
    ('"Hello', '" she said.', '" she said.'),  # a straight quote before a space closes
    ('"Hello,', '", she said.', '", she said.'),
    ("He said", '"Hello."', ' "Hello."'),  # a straight quote before a word opens
    ("the dog", "'s bowl", "'s bowl"),  # a contraction
    ("It", "’s late", "’s late"),
    ("It rained.", "\nNext morning\nwas bright.", "\nNext morning was bright."),  # a new paragraph
    ("It rained.\n", "\nNext morning", "Next morning"),  # no blank paragraph
    ("It rained.", "  \n\nNext morning\n\nThe sun.", "\nNext morning\nThe sun."),  # paragraphs kept
    ("It rained ", "all day", "all day"),  # white space already there
    ("It rained", "all\nday", " all day"),  # hard-wrapped lines joined, as in a prompt
]


@pytest.mark.parametrize(("story", "typed", "segment"), TABLE)
def test_the_join_rule(story: str, typed: str, segment: str) -> None:
    assert joined_segment(story, typed) == segment


@pytest.mark.parametrize(
    ("story", "typed", "segment"),
    [
        ("It rained", " all day", " all day"),  # text typed with its own space keeps it
        ("It rained", "all\nday", " all\nday"),  # nothing reformatted
        ('smiles, "', "I never", "I never"),
    ],
)
def test_without_reformatting_only_spacing_is_decided(story: str, typed: str, segment: str) -> None:
    assert joined_segment(story, typed, reformat=False) == segment


def test_append_after_an_opening_quote_adds_no_space() -> None:
    story = 'When people learn I fought in the war to free the sky, they say, "Thank you." She smiles, "'
    bloom = Completer(story, transport=ScriptedTransport([]), stream=False)
    bloom.append("I never know what to say to that.")
    assert bloom.text.endswith('She smiles, "I never know what to say to that.')
    assert Session.start(story).append("I never know").current.text.endswith('smiles, "I never know')
