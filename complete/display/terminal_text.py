"""Text from a model made safe to show on a terminal, without changing the story.

A terminal obeys control sequences a model (or a server) can send, so every piece of
story text the library prints goes through ``visible``. The story itself always
keeps the text exactly; only what is shown changes. HTML is escaped elsewhere
(``complete.display.render``).
"""

from __future__ import annotations

import re

__all__ = ["visible"]

_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069\ue000\ue001\ud800-\udfff]")


def _escape(found: re.Match[str]) -> str:
    code = ord(found.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def visible(text: str) -> str:
    """``text`` with every control character shown as an escape; ``\\n`` and ``\\t`` kept.

    ``ESC ] 52`` writes the clipboard, ``ESC ] 0`` the window title,
    ``ESC [ 2J`` clears the screen, a carriage return overwrites the line. So every
    piece of story text the library prints goes through ``visible``, which shows each
    control character as an escape a reader can see (``\\x1b``), and also the Unicode
    controls that reorder text (bidirectional overrides and isolates), the private-use
    characters the display uses as its own marks, and lone surrogates. Line breaks
    and tabs stay. The library's own styling (bold for the new part, dim footers) is
    added after, so it is the only control sequence that reaches the terminal.

    >>> visible("a\\x1b]52;c;ZXZpbA==\\x07b\\n")
    'a\\\\x1b]52;c;ZXZpbA==\\\\x07b\\n'
    """
    if text.isascii() and text.isprintable():
        return text
    return _UNSAFE.sub(_escape, text)
