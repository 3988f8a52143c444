r"""A story as Markdown: the current path only, rendered as it reads.

One paragraph per line of the story, blank lines between, with characters Markdown
would act on escaped by a backslash (``\ ` * _ [ ] < > # | ~ &``, and ``-``, ``+``,
``1.`` at the start of a paragraph) and leading spaces written as ``&#32;``, so that
it renders as the text reads. ``from_markdown`` inverts ``to_markdown`` exactly
(``from_markdown(to_markdown(s)).text == s.text``) and gives a one-node story; its
segments are not kept. It reads what ``to_markdown`` writes, not Markdown at large.
"""

from __future__ import annotations

import re

from complete.errors import StoryFormatError
from complete.interchange.files import Source, read_file, write_atomic
from complete.interchange.text import one_node_story, without_final_newline
from complete.story import Story

__all__ = ["from_markdown", "read_markdown", "to_markdown", "write_markdown"]

_MARKDOWN_ALWAYS = frozenset("\\`*_[]<>#|~&")
_ORDERED_MARKER = re.compile(r"\d+[.)]")
_MARKDOWN_UNESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])|&#(\d+);")


def _escape_paragraph(line: str) -> str:
    body = line.lstrip(" \t")
    lead = "".join(f"&#{ord(char)};" for char in line[: len(line) - len(body)])
    escaped = "".join("\\" + char if char in _MARKDOWN_ALWAYS else char for char in body)
    if body[:1] in ("-", "+"):
        escaped = "\\" + escaped
    elif marker := _ORDERED_MARKER.match(body):
        digits = marker.end() - 1
        escaped = escaped[:digits] + "\\" + escaped[digits:]
    return lead + escaped


def to_markdown(story: Story) -> str:
    r"""The story as Markdown: one paragraph per line, special characters escaped.

    >>> print(to_markdown(Story.from_prompt("Chapter 1. *Night*\n1. It was dark", reformat=False)), end="")
    Chapter 1. \*Night\*
    <BLANKLINE>
    1\. It was dark
    """
    return "\n\n".join(_escape_paragraph(line) for line in story.text.split("\n")) + "\n"


def _unescape(match: re.Match[str]) -> str:
    if match.group(1) is not None:
        return match.group(1)
    return chr(int(match.group(2)))


def from_markdown(markdown: str, *, source: str = "Markdown") -> Story:
    """A one-node story from Markdown written by ``to_markdown`` (its exact text)."""
    paragraphs = without_final_newline(markdown).split("\n\n")
    try:
        text = "\n".join(_MARKDOWN_UNESCAPE.sub(_unescape, paragraph) for paragraph in paragraphs)
    except (ValueError, OverflowError) as exc:  # an entity beyond Unicode, such as &#99999999;
        raise StoryFormatError(f"{source}: a character reference is not a Unicode character ({exc})") from exc
    return one_node_story(text, source)


def write_markdown(path: Source, story: Story) -> None:
    """Write ``to_markdown(story)`` to ``path`` atomically."""
    write_atomic(path, to_markdown(story))


def read_markdown(path: Source) -> Story:
    """Read a Markdown file written by ``write_markdown`` as a one-node story."""
    return from_markdown(read_file(path), source=str(path))
