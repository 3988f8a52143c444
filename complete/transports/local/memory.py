"""Will a GGUF model fit in this machine's free memory? An estimate made before any engine starts.

The estimate is the model's files (llama.cpp maps the weights into memory) plus the
cache of keys and values of every slot's window: per token, two vectors (key and
value) of ``head_count_kv x head size`` 16-bit numbers for each layer, read from
the GGUF header (``complete.transports.local.gguf.architecture_numbers``). Models with
sliding-window layers need less than that, so the estimate errs on the safe side;
a header that does not say counts the weights alone.

Free memory is the kernel's ``MemAvailable`` on Linux, else what ``os.sysconf``
says is free; where neither is known, nothing is checked. This module does not
count a GPU's memory (the engine runs on the CPU) or swap.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from complete.errors import LocalModelError
from complete.transports.local.gguf import architecture_numbers

__all__ = ["cache_bytes_per_token", "check_fits", "check_model", "free_memory"]

_KV_BYTES = 2  # llama.cpp's default cache type is f16
_OVERHEAD = 1.1  # compute buffers and the engine itself, on top of weights and cache


def free_memory() -> int | None:
    """Bytes of memory free for a new program now, or None where it cannot be known."""
    try:
        with open("/proc/meminfo", encoding="ascii") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, ValueError, OSError):
        return None


def cache_bytes_per_token(file: Path) -> int | None:
    """Bytes of key-value cache one token of window takes, from the GGUF header, or None."""
    numbers = architecture_numbers(file)
    layers, heads = numbers.get("block_count"), numbers.get("attention.head_count")
    width = numbers.get("embedding_length")
    if not layers or not heads or not width:
        return None
    kv_heads = numbers.get("attention.head_count_kv", heads)
    key = numbers.get("attention.key_length", width // heads)
    value = numbers.get("attention.value_length", key)
    return layers * kv_heads * (key + value) * _KV_BYTES


def check_model(files: Sequence[Path], *, n_ctx: int, slots: int, name: str, argument: str) -> None:
    """``check_fits`` for the model in ``files`` (the first one's header gives the cache's size)."""
    weights = sum(file.stat().st_size for file in files)
    per_token = cache_bytes_per_token(files[0]) or 0
    check_fits(weights=weights, per_token=per_token, n_ctx=n_ctx * slots, name=name, argument=argument)


def check_fits(*, weights: int, per_token: int, n_ctx: int, name: str, argument: str) -> None:
    """Raise ``LocalModelError`` when ``weights`` bytes of model and a cache of ``n_ctx``
    tokens in all (``per_token`` bytes each) are estimated not to fit in the free memory."""
    free = free_memory()
    needed = int((weights + per_token * n_ctx) * _OVERHEAD)
    if free is None or needed <= free:
        return
    cache = f" and a cache for {n_ctx} tokens of window" if per_token and n_ctx else ""
    raise LocalModelError(
        f"the model {name} needs about {_gb(needed)} of memory ({_gb(weights)} of weights{cache}), but only "
        f"{_gb(free)} is free. Close other programs, give a smaller window (n_ctx=...), or choose a smaller "
        f"model or quant with {argument} (e.g. 'user/repo:Q4_K_M')."
    )


def _gb(size: int) -> str:
    """A size in gigabytes, for messages.

    >>> _gb(1_500_000_000)
    '1.50 GB'
    """
    return f"{size / 1e9:.2f} GB"
