"""A story as plain text: the current path only, for reading and for other editors.

``to_text`` is ``story.text`` and a final newline; ``from_text`` inverts it exactly
and gives a one-node story (its segments are not kept: a text file has none).
Hard-wrapped text from elsewhere can be joined like a prompt with ``reformat=True``.
"""

from __future__ import annotations

from complete.errors import ParamsError, StoryFormatError
from complete.interchange.files import Source, read_file, write_atomic
from complete.values.story import Story

__all__ = ["from_text", "one_node_story", "read_text", "to_text", "without_final_newline", "write_text"]


def to_text(story: Story) -> str:
    """The story's text and a final newline.

    >>> to_text(Story.from_prompt("Once upon a time"))
    'Once upon a time\\n'
    """
    return story.text + "\n"


def one_node_story(text: str, source: str, *, reformat: bool = False) -> Story:
    """A story whose prompt is ``text``; blank text is a ``StoryFormatError`` naming ``source``."""
    try:
        return Story.from_prompt(text, reformat=reformat)
    except ParamsError as exc:
        raise StoryFormatError(f"{source}: no text to import (the file is empty or blank)") from exc


def without_final_newline(text: str) -> str:
    """``text`` less the one final newline a text file ends with."""
    return text[:-1] if text.endswith("\n") else text


def from_text(text: str, *, reformat: bool = False, source: str = "text") -> Story:
    """A one-node story from text written by ``to_text`` (or any text).

    ``reformat=True`` joins hard-wrapped lines as for a prompt (for text from
    elsewhere); the default keeps the text exactly.
    """
    return one_node_story(without_final_newline(text), source, reformat=reformat)


def write_text(path: Source, story: Story) -> None:
    """Write ``to_text(story)`` to ``path`` atomically."""
    write_atomic(path, to_text(story))


def read_text(path: Source, *, reformat: bool = False) -> Story:
    """Read a plain text file as a one-node story (see ``from_text``)."""
    return from_text(read_file(path), reformat=reformat, source=str(path))
