"""Lone surrogates: characters a Python string can hold but UTF-8 cannot encode.

JSON can carry them and Python keeps them, but no terminal, file or server takes
them. Text a writer gives is refused at the door (``arguments.text``, a
``ParamsError`` saying where); text a model sends is made valid where it arrives
(``complete.writing.core``, with ``replaced``). This module only finds and replaces.
"""

from __future__ import annotations

import re

__all__ = ["REPLACEMENT", "first_lone_surrogate", "replaced"]

REPLACEMENT = "\ufffd"
_LONE = re.compile("[\ud800-\udfff]")


def first_lone_surrogate(text: str) -> int | None:
    """The index of the first lone surrogate in ``text``, or None.

    >>> first_lone_surrogate("ok"), first_lone_surrogate("x \\ud800")
    (None, 2)
    """
    if text.isascii():
        return None
    found = _LONE.search(text)
    return None if found is None else found.start()


def replaced(text: str) -> str:
    """``text`` with every lone surrogate replaced by U+FFFD.

    As a UTF-8 decoder with ``errors="replace"`` would have made it; a surrogate pair
    split across two streamed pieces is two replacement characters.

    >>> replaced("a\\udc80b")
    'a\\ufffdb'
    """
    return text if first_lone_surrogate(text) is None else _LONE.sub(REPLACEMENT, text)
