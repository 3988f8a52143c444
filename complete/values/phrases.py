"""Banned phrases as text: what each one is, and where it is (or may yet be) in a text.

A phrase is a literal, matched case-insensitively anywhere, or a regular expression
between slashes (``"/shivers? down (his|her) spine/"``), case-insensitive too. What
this module does not do: generate, rewind or ban tokens (``complete.writing.banning``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import attrs

__all__ = ["REGEX_HOLD", "Phrases", "compile_phrase", "rewind_point"]

REGEX_HOLD = 64
"""Characters a stream holds back for a regular expression; a match of a regular
expression that begins further back than that from the end of the text, when it
completes, begins in text already shown and is not banned."""

_WORD_CHAR = re.compile(r"\w")


def compile_phrase(phrase: str) -> re.Pattern[str]:
    """The case-insensitive pattern of one banned phrase; ``re.error`` for a bad
    regular expression.

    >>> compile_phrase("a testament").search("It was A Testament to her").start()
    7
    >>> compile_phrase("/sh(iver|udder)s/").pattern
    'sh(iver|udder)s'
    """
    if len(phrase) >= 2 and phrase.startswith("/") and phrase.endswith("/"):
        return re.compile(phrase[1:-1], re.IGNORECASE)
    return re.compile(re.escape(phrase), re.IGNORECASE)


def rewind_point(text: str, start: int) -> int:
    """Where to start over for a match at ``start``: the start of the word it falls
    in, and before the spaces that precede that word (tokens carry their leading
    space, so the text kept ends where a token ends).

    >>> text = "It was a testament to it"
    >>> text[:rewind_point(text, 7)], text[:rewind_point(text, 10)]
    ('It was', 'It was a')
    """
    while start > 0 and _WORD_CHAR.match(text[start - 1]) and _WORD_CHAR.match(text[start]):
        start -= 1
    while start > 0 and text[start - 1].isspace():
        start -= 1
    return start


@attrs.frozen
class Phrases:
    """The compiled banned phrases of one ``Params.banned``.

    ``"a testament to"`` also finds ``"A Testament To"``, and inside longer words;
    ``(?-i:...)`` makes a part of a regular expression case-sensitive. ``find`` is the
    earliest complete match; ``hold`` is where the part of a text that could still
    become a match begins, so that a stream shows only what comes before it: for a
    literal, the longest end of the text that begins the phrase; for a regular
    expression, whose partial matches Python's ``re`` cannot find, the last
    ``REGEX_HOLD`` characters. Both are moved back to the start of the word they fall
    in and the spaces before it (``rewind_point``), where a rewind starts over.
    """

    literals: tuple[str, ...]
    """The literal phrases, lower-cased, for partial matching."""
    patterns: tuple[re.Pattern[str], ...]
    has_regex: bool

    @classmethod
    def of(cls, banned: Sequence[str]) -> Phrases:
        literals = tuple(p.lower() for p in banned if not (len(p) >= 2 and p.startswith("/") and p.endswith("/")))
        return cls(literals, tuple(compile_phrase(p) for p in banned), len(literals) < len(banned))

    def find(self, text: str, start: int = 0) -> re.Match[str] | None:
        """The earliest non-empty match beginning at ``start`` or later (the longest
        of those that begin there), or None."""
        best: re.Match[str] | None = None
        for pattern in self.patterns:
            found = next((m for m in pattern.finditer(text, start) if m.end() > m.start()), None)
            if found is not None and (best is None or (found.start(), -found.end()) < (best.start(), -best.end())):
                best = found
        return best

    def hold(self, text: str) -> int:
        """Where the end of ``text`` that could still become a banned phrase begins
        (``len(text)`` when nothing can).

        >>> Phrases.of(["a testament to"]).hold("She was a testa")
        7
        >>> Phrases.of(["a testament to"]).hold("She was here")
        12
        """
        hold = max(0, len(text) - REGEX_HOLD) if self.has_regex else len(text)
        lowered = text.lower() if len(text.lower()) == len(text) else text
        for literal in self.literals:
            for size in range(min(len(literal) - 1, len(text)), 0, -1):
                if lowered.endswith(literal[:size]):
                    hold = min(hold, len(text) - size)
                    break
        return rewind_point(text, hold) if hold < len(text) else hold
