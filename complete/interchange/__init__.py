"""Stories in and out of files: one format per module, and the atomic write they share.

- ``session_json``: a whole writing session (``Completer.save`` / ``load``).
- ``jsonl``: a whole tree as JSON lines, for other tools.
- ``text`` and ``markdown``: the current story, for reading and other editors.
- ``kobold``: KoboldAI (Lite) save files in.
- ``nodes``: trees rebuilt from entries naming their parent (sessions, JSON lines).
- ``files``: ``write_atomic``, and the read every format shares.

A story's own JSON form (``Story.to_dict``) and the node codec are values, in
``complete.values``. Every reader rejects a malformed file with a ``StoryFormatError``
that names the file and the field; a missing file is ``FileNotFoundError``. Writers
replace files atomically. No writing logic here: that is ``complete.writing``'s.
"""

from complete.interchange.files import write_atomic
from complete.interchange.jsonl import StoryTree, from_jsonl, read_jsonl, to_jsonl, write_jsonl
from complete.interchange.kobold import KoboldImport, from_kobold, read_kobold
from complete.interchange.lorebooks import LorebookFile, read_lorebook, write_lorebook
from complete.interchange.markdown import from_markdown, read_markdown, to_markdown, write_markdown
from complete.interchange.session_json import read_session, write_session
from complete.interchange.text import from_text, read_text, to_text, write_text

__all__ = [
    "KoboldImport",
    "LorebookFile",
    "StoryTree",
    "from_jsonl",
    "from_kobold",
    "from_markdown",
    "from_text",
    "read_jsonl",
    "read_kobold",
    "read_lorebook",
    "read_markdown",
    "read_session",
    "read_text",
    "to_jsonl",
    "to_markdown",
    "to_text",
    "write_atomic",
    "write_jsonl",
    "write_lorebook",
    "write_markdown",
    "write_session",
    "write_text",
]
