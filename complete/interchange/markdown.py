"""A story as Markdown: the current path only, rendered as it reads.

``to_markdown`` escapes what Markdown would act on, and can mark which parts the
writer wrote; ``from_markdown`` inverts it exactly. It reads what ``to_markdown``
writes, not Markdown at large, and keeps no segments.
"""

from __future__ import annotations

import re

from complete.errors import StoryFormatError
from complete.interchange.files import Source, read_file, write_atomic
from complete.interchange.text import one_node_story, without_final_newline
from complete.values.story import Story
from complete.writing.editing import authorship

__all__ = ["from_markdown", "read_markdown", "to_markdown", "write_markdown"]

_MARKDOWN_ALWAYS = frozenset("\\`*_[]<>#|~&")
_ORDERED_MARKER = re.compile(r"\d+[.)]")
_MARKDOWN_UNESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])|&#(\d+);|</?ins>")


def _escaped_characters(line: str) -> list[str]:
    """Each character of the paragraph ``line`` as written in Markdown."""
    body = line.lstrip(" \t")
    lead = len(line) - len(body)
    out = [f"&#{ord(char)};" for char in line[:lead]]
    out += ["\\" + char if char in _MARKDOWN_ALWAYS else char for char in body]
    if body[:1] in ("-", "+"):
        out[lead] = "\\" + out[lead]
    elif marker := _ORDERED_MARKER.match(body):
        digits = lead + marker.end() - 1
        out[digits] = "\\" + out[digits]
    return out


def _marked(characters: list[str], writer: list[bool]) -> str:
    """The characters with each run of the writer's in ``<ins>`` tags."""
    out = []
    for index, (character, mine) in enumerate(zip(characters, writer, strict=True)):
        if mine and (index == 0 or not writer[index - 1]):
            out.append("<ins>")
        out.append(character)
        if mine and (index + 1 == len(writer) or not writer[index + 1]):
            out.append("</ins>")
    return "".join(out)


def to_markdown(story: Story, *, mark_writer: bool = False) -> str:
    r"""The story as Markdown: one paragraph per line, special characters escaped.

    One paragraph per line of the story, blank lines between, with characters Markdown
    would act on escaped by a backslash (``\ ` * _ [ ] < > # | ~ &``, and ``-``, ``+``,
    ``1.`` at the start of a paragraph) and leading spaces written as ``&#32;``, so that
    it renders as the text reads.

    ``to_markdown(story, mark_writer=True)`` says which parts the writer wrote: every
    part that is not the model's own unchanged text (the prompt, the writer's words,
    edits; ``complete.writing.editing.authorship``) is wrapped in ``<ins>`` and ``</ins>``
    within its paragraph, which Markdown renders as underlined inline HTML. Text never
    holds a raw ``<`` (it is escaped), so ``from_markdown`` drops those tags and reads
    the same text back.

    >>> print(to_markdown(Story.from_prompt("Chapter 1. *Night*\n1. It was dark", reformat=False)), end="")
    Chapter 1. \*Night\*
    <BLANKLINE>
    1\. It was dark
    """
    lines = story.text.split("\n")
    if not mark_writer:
        return "\n\n".join("".join(_escaped_characters(line)) for line in lines) + "\n"
    writer = [False] * story.length
    for run in authorship(story):
        if not run.by_model:
            writer[run.start : run.end] = [True] * (run.end - run.start)
    paragraphs, start = [], 0
    for line in lines:
        paragraphs.append(_marked(_escaped_characters(line), writer[start : start + len(line)]))
        start += len(line) + 1
    return "\n\n".join(paragraphs) + "\n"


def _unescape(match: re.Match[str]) -> str:
    if match.group(1) is not None:
        return match.group(1)
    if match.group(2) is None:
        return ""  # an <ins> tag of mark_writer
    return chr(int(match.group(2)))


def from_markdown(markdown: str, *, source: str = "Markdown") -> Story:
    """A one-node story from Markdown written by ``to_markdown`` (its exact text)."""
    paragraphs = without_final_newline(markdown).split("\n\n")
    try:
        text = "\n".join(_MARKDOWN_UNESCAPE.sub(_unescape, paragraph) for paragraph in paragraphs)
    except (ValueError, OverflowError) as exc:  # an entity beyond Unicode, such as &#99999999;
        raise StoryFormatError(f"{source}: a character reference is not a Unicode character ({exc})") from exc
    return one_node_story(text, source)


def write_markdown(path: Source, story: Story, *, mark_writer: bool = False) -> None:
    """Write ``to_markdown(story, mark_writer=mark_writer)`` to ``path`` atomically."""
    write_atomic(path, to_markdown(story, mark_writer=mark_writer))


def read_markdown(path: Source) -> Story:
    """Read a Markdown file written by ``write_markdown`` as a one-node story."""
    return from_markdown(read_file(path), source=str(path))
