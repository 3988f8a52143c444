"""The writer's own text editor, opened on the story: what ``complete --edit`` uses.

``edit_text(text)`` writes ``text`` to a temporary file, runs ``$VISUAL`` (else
``$EDITOR``) on it, as git does for a commit message, and returns what the file
holds when the editor exits. The command may carry arguments (``code --wait``,
``emacs -nw``); it is split as a shell would split it, but no shell runs it.

Decisions, after git: the file ends with a newline, as editors expect, and one
final newline is taken off again, so that a story that does not end with one is
not changed by an editor that adds it. A buffer left empty (or holding only
whitespace) means "abort" and is returned as None. An editor that exits with an
error status is a ``CompleteError``, and its file is not read.

What this module deliberately does not do: fall back to an editor nobody named
(an unset ``$VISUAL`` and ``$EDITOR`` is a ``ParamsError`` saying to set one), or
decide what the change means for the story (the command line makes it an edit).
"""

from __future__ import annotations

import os
import shlex
import subprocess
import tempfile
from collections.abc import Mapping
from pathlib import Path

from complete.errors import CompleteError, ParamsError

__all__ = ["edit_text", "editor_command"]


def editor_command(environ: Mapping[str, str]) -> list[str]:
    """The editor to run, from ``$VISUAL`` or else ``$EDITOR``, split into words.

    >>> editor_command({"EDITOR": "nano", "VISUAL": "code --wait"})
    ['code', '--wait']
    """
    for name in ("VISUAL", "EDITOR"):
        command = environ.get(name, "").strip()
        if command:
            return shlex.split(command)
    raise ParamsError(
        field="--edit",
        value=True,
        allowed="an editor to open the story in",
        hint="Set $VISUAL or $EDITOR to one, for example: export EDITOR=nano",
    )


def edit_text(text: str, *, environ: Mapping[str, str] | None = None) -> str | None:
    """``text`` as the writer left it in their editor; None when they emptied the buffer."""
    command = editor_command(os.environ if environ is None else environ)
    with tempfile.TemporaryDirectory(prefix="complete-edit-") as folder:
        path = Path(folder) / "story.txt"
        path.write_text(text + "\n", encoding="utf-8")
        finished = subprocess.run([*command, str(path)], check=False)
        if finished.returncode != 0:
            raise CompleteError(
                f"the editor ({shlex.join(command)}) exited with status {finished.returncode}; "
                "the story is left as it was"
            )
        edited = path.read_text(encoding="utf-8")
    edited = edited.removesuffix("\n")
    return edited if edited.strip() else None
