"""Where a space goes when the writer's own words are added to a story.

``joined_segment`` is the segment to add for the words a writer typed
(``Session.append``, ``bloom.append(...)``, the command line's ``--resume``). This
module only decides spacing; it never changes the story already written.
"""

from __future__ import annotations

import re

from complete.values.reformat import reformat as reformat_text

__all__ = ["joined_segment"]

_OPENING = "([{“‘«"
_CLOSING = ".,;:!?)]}…”’»"
_STRAIGHT_QUOTES = "\"'"
_DASHES = "-–—"
_CONTRACTION = re.compile(r"'(s|t|d|m|ll|re|ve)\b", re.IGNORECASE)


def joined_segment(story_text: str, typed: str, *, reformat: bool = True) -> str:
    """The segment that adds ``typed`` after ``story_text`` (the rules below).

    The rules, in order:

    1. The words are reformatted like a prompt (hard-wrapped lines joined, paragraphs
       kept, ends trimmed) unless ``reformat=False``.
    2. Words whose first line break comes before any other text start a new
       paragraph: one line break is put in front, none when the story already ends
       with one.
    3. Nothing is added where there is already white space on either side, so text
       typed with its own leading space (``reformat=False``) keeps it.
    4. No space after an opening bracket or quote (``(``, ``[``, ``{``, ``“``, ``‘``,
       ``«``, or a straight ``"``/``'`` that follows a space or starts the story), and
       none before closing punctuation (``. , ; : ! ? ) ] } … ” ’ »``, a straight quote
       followed by a space, punctuation or nothing, or a contraction such as ``'s``).
    5. A dash keeps the spacing it is written with: no space around ``—`` in
       "was—gone", one space on each side of it in "was — gone".
    6. Otherwise, one space between words.

    Straight quotes are told apart by their neighbours, the way a reader does: a quote
    after a space opens, a quote before a space closes. This module only decides
    spacing; it never changes the story already written.

    >>> joined_segment('She smiles, "', "I never know what to say.")
    'I never know what to say.'
    >>> joined_segment("It rained", "all day.")
    ' all day.'
    >>> joined_segment("It rained.", "\\nNext morning\\nwas bright.")
    '\\nNext morning was bright.'
    """
    body = reformat_text(typed) if reformat else typed
    if _starts_a_paragraph(typed):
        body = body.lstrip("\n")
        return body if story_text.endswith("\n") else "\n" + body
    if not story_text or not body or story_text[-1].isspace() or body[0].isspace():
        return body
    if _opens(story_text) or _closes(story_text, body):
        return body
    return " " + body


def _starts_a_paragraph(typed: str) -> bool:
    return typed.lstrip(" \t")[:1] in ("\n", "\r")


def _opens(story_text: str) -> bool:
    """Whether the story ends with something the next word attaches to."""
    last = story_text[-1]
    before = story_text[-2:-1]
    if last in _OPENING:
        return True
    if last in _STRAIGHT_QUOTES:
        return not before or before.isspace() or before in _OPENING or before in _DASHES
    if last in _DASHES:
        return not before.isspace()
    return False


def _closes(story_text: str, body: str) -> bool:
    """Whether ``body`` begins with something that attaches to the word before it."""
    first = body[0]
    after = body[1:2]
    if first in _CLOSING:
        return True
    if first in _STRAIGHT_QUOTES:
        return not after or after.isspace() or after in _CLOSING or bool(_CONTRACTION.match(body))
    if first in _DASHES:
        return not after.isspace()
    return False
