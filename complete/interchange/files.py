"""Reading and replacing files, for every format in ``complete.interchange``.

``write_atomic`` replaces a file in one step, so a crash leaves the old file or the
new one, whole; ``read_file`` reads text, refusing bytes the encoding does not
allow. What it deliberately does not do: parse anything (each format has its own
module beside this one).
"""

from __future__ import annotations

import glob
import os
import tempfile
import time
from pathlib import Path

from complete.errors import ParamsError, StoryFormatError

__all__ = ["Source", "checked_path", "read_file", "write_atomic"]

Source = str | os.PathLike[str]

_STALE_SECONDS = 600


def checked_path(path: object) -> Path:
    """``path`` as a ``Path`` when it is a str or path-like (not empty), else a ``ParamsError``."""
    if not isinstance(path, str | os.PathLike) or not str(path):
        raise ParamsError(field="path", value=path, allowed="a file name (a str or a pathlib.Path)")
    return Path(path)


def read_file(path: Source, encoding: str = "utf-8") -> str:
    """The file's text; undecodable bytes are a ``StoryFormatError`` naming the file.

    ``read_file(path)`` reads a whole file as text; bytes that are not valid in the
    encoding are a ``StoryFormatError`` naming the file and the byte. A missing file is
    ``FileNotFoundError``, as with ``open``.
    """
    raw = checked_path(path).read_bytes()
    try:
        return raw.decode(encoding)
    except UnicodeDecodeError as exc:
        raise StoryFormatError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from exc


def write_atomic(path: Source, text: str) -> None:
    """Replace the file at ``path`` with ``text`` in one step.

    ``write_atomic(path, text)`` replaces a file in one step: the text goes to a
    temporary file in the same folder, is flushed to disk, and replaces the old file in
    one ``os.replace``; a crash at any moment leaves either the old file or the new one,
    complete (and possibly a ``.name.*.tmp`` temporary, which the next successful save
    removes once it is ten minutes old). The new file gets the old file's permissions,
    or what a plain ``open`` would give.
    """
    target = checked_path(path)
    folder = target.parent if str(target.parent) else Path(".")
    handle = tempfile.NamedTemporaryFile(  # noqa: SIM115 - closed below; deleted by hand on failure
        "w", encoding="utf-8", dir=folder, prefix=f".{target.name}.", suffix=".tmp", delete=False
    )
    try:
        with handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(handle.name, _mode_for(target))
        os.replace(handle.name, target)
    except BaseException:
        Path(handle.name).unlink(missing_ok=True)
        raise
    _sync_folder(folder)
    _remove_stale_temporaries(folder, target.name)


def _mode_for(target: Path) -> int:
    """The permissions the new file gets: the old file's, or what a plain ``open``
    would give (0o666 less the umask) rather than the temporary file's private 0o600."""
    try:
        return target.stat().st_mode & 0o777
    except OSError:
        pass
    umask = os.umask(0o022)  # reading the umask means setting it; put it straight back
    os.umask(umask)
    return 0o666 & ~umask


def _remove_stale_temporaries(folder: Path, name: str) -> None:
    """Delete temporaries that a save killed mid-way left behind.

    Only those older than ``_STALE_SECONDS`` go: a younger one may belong to a save
    still running in another process.
    """
    now = time.time()
    for leftover in folder.glob(f".{glob.escape(name)}.*.tmp"):
        try:
            if now - leftover.stat().st_mtime > _STALE_SECONDS:
                leftover.unlink()
        except OSError:
            continue


def _sync_folder(folder: Path) -> None:
    try:
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)
