"""Prompt reformatting, exactly as the original README describes it.

``reformat`` turns a hard-wrapped prompt typed in a notebook cell into the form a
model reads best. It deliberately never adds or changes a word: a prompt that ends
mid-sentence stays open, and spacing inside a line is kept as typed.
"""

from __future__ import annotations

import re

__all__ = ["reformat", "to_blank_line_paragraphs"]

_PARAGRAPH_BREAK = re.compile(r"\n[ \t\f\v]*\n\s*")
_LINE_BREAK = re.compile(r"[ \t\f\v]*\n[ \t\f\v]*")


def reformat(text: str) -> str:
    r"""Join hard-wrapped lines and separate paragraphs by one newline.

    A single line break inside a paragraph becomes one space, paragraphs (separated
    by one or more blank lines) are joined by a single newline, and the text is trimmed
    at both ends. Nothing is added, so a prompt that ends mid-sentence ("Thank you
    for") stays open and the model continues that sentence.

    Idempotence, stated precisely: a single newline in the *input* means "same
    paragraph", so ``reformat(reformat(text))`` would merge paragraphs. What holds, and
    is tested, is ``reformat(to_blank_line_paragraphs(reformat(text))) == reformat(text)``,
    and that text whose paragraphs are already separated by blank lines, with no hard
    wraps, comes out with exactly the same paragraphs.

    >>> reformat("\nOnce upon\na time.\n\nThe end of\n")
    'Once upon a time.\nThe end of'
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    paragraphs = (_LINE_BREAK.sub(" ", part).strip() for part in _PARAGRAPH_BREAK.split(text))
    return "\n".join(part for part in paragraphs if part)


def to_blank_line_paragraphs(text: str) -> str:
    r"""Write reformatted text back with blank lines between paragraphs.

    >>> to_blank_line_paragraphs("One.\nTwo.")
    'One.\n\nTwo.'
    """
    return text.replace("\n", "\n\n")
