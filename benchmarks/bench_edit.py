"""Benchmark: continuing after an edit costs what continuing costs, thanks to the prompt cache.

Run it with ``python benchmarks/bench_edit.py`` (``--quick`` for fewer trials,
``--no-server`` to leave out llama-server, ``--whole`` to add the reference below). It prints ratios against a reference
measured in the same run; it is not a test and fails on nothing.

A story of about 2,000 tokens is continued by ``MAX_NEW`` tokens through a
``Completer``, as a writer does it, in two ways that alternate trial by trial:

- unedited: the story as the engine last read it;
- edited: the same story with its last sentence changed (``bloom.edit``) first.

Both go through the engine's prompt cache (llama-server's ``cache_prompt``, on by
default): the edited story shares everything before its last sentence with the one
the engine read, lands in the same slot (llama-server picks the slot whose cache
shares the most with the prompt) and re-reads only the changed sentence. Between
trials the unedited story is read again (untimed), so each trial starts from the
same cache. Goal: edited / unedited <= 1.3. The embedded engine's counters also
say how many prompt tokens each call read (what the cache did not hold), which no
machine load changes. For scale, ``--whole`` times one continuation after an edit
of the story's *first* sentence: the whole story re-read.

Two engines: the embedded one (``LocalModel``, two slots, in process) and
llama.cpp's own server in a child process on loopback (``tests/helpers/llama_server.py``:
the same xllamacpp build, one slot, one thread), reached through
``OpenAICompletions(server="llama.cpp")``.

Measured on the project's shared two-core machine (2,037 tokens, 64 new): with the
machine quiet, 3 trials, edited/unedited 1.17 on the embedded engine (5.26 s vs
4.49 s) and 1.17 through llama-server (4.79 s vs 4.11 s); under a load average of
13, 5 trials, 1.03 and 0.86 (noise of +-30% per call). The edited story read 15
prompt tokens each time, the unedited one 1.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from complete import Completer  # noqa: E402
from complete.transports.base import Transport  # noqa: E402
from complete.transports.local.engine import LocalModel  # noqa: E402
from complete.transports.openai.completions import OpenAICompletions  # noqa: E402

MAX_NEW = 64  # what bloom() asks for by default
STORY_TOKENS = 2000
PARAGRAPHS = (
    "The lighthouse keeper had not spoken to anyone in eleven days when the boat came. It was a small boat, "
    "painted the green of old copper, and the woman rowing it did not look up until its bow touched the stones.",
    "She carried a canvas bag and a lantern that had gone out, and she asked, before anything else, whether the "
    "light had ever failed. He said it had not, not once in the thirty years he had kept it.",
    "In the town across the water the bakers rose at four and the fishermen at five, and the bells of the church "
    "rang the hours for people who no longer needed them, out of a habit older than anyone alive.",
    "The winter that year came early. Ice gathered in the rigging of the boats, and the gulls stood on the roofs "
    "with their backs to the wind, and the children skated on the millpond until their mothers called them in.",
    "Nobody could say afterwards who had first told the story of the drowned bell, but by spring everyone knew "
    "it, and the old men at the harbour told it to strangers as though they had heard the bell themselves.",
)
LAST = "The keeper closed the book and went up the stairs to light the lamp."


def story_text(transport: Transport) -> str:
    """Paragraphs in turn until the text reaches ``STORY_TOKENS`` tokens, then ``LAST``."""
    paragraphs: list[str] = []
    count = getattr(transport, "count_tokens")  # noqa: B009 - both engines count
    while count("\n".join([*paragraphs, LAST])) < STORY_TOKENS:
        paragraphs.append(f"{PARAGRAPHS[len(paragraphs) % len(PARAGRAPHS)]} (Day {len(paragraphs) + 1}.)")
    return "\n".join([*paragraphs, LAST])


def timed(bloom: Completer, read: list[int] | None = None) -> float:
    """Seconds ``bloom()`` takes; with ``read``, the prompt tokens the embedded engine
    read (not from its cache) are added to it."""
    engine = bloom.transport._engine() if isinstance(bloom.transport, LocalModel) else None
    before = engine.metrics()["prompt_tokens_total"] if engine else 0.0
    with contextlib.redirect_stdout(io.StringIO()):
        started = time.perf_counter()
        bloom()
        seconds = time.perf_counter() - started
    if engine is not None and read is not None:
        read.append(int(engine.metrics()["prompt_tokens_total"] - before))
    return seconds


def completer(text: str, transport: Transport, seed: int, new_tokens: int = MAX_NEW) -> Completer:
    with contextlib.redirect_stdout(io.StringIO()):
        return Completer(text, transport=transport, reformat=False, max_new_tokens=new_tokens, seed=seed)


def bench(name: str, transport: Transport, trials: int, *, whole: bool) -> None:
    text = story_text(transport)
    tokens = getattr(transport, "count_tokens")(text)  # noqa: B009
    timed(completer(text, transport, 0, 1))  # the story read once: the cache warm
    unedited: list[float] = []
    edited: list[float] = []
    read_unedited: list[int] = []
    read_edited: list[int] = []
    for trial in range(trials):
        unedited.append(timed(completer(text, transport, 100 + trial), read_unedited))
        bloom = completer(text, transport, 100 + trial)
        with contextlib.redirect_stdout(io.StringIO()):
            bloom.edit(LAST, f"The keeper shut the book at last and climbed the {trial + 2} flights to the lamp.")
        edited.append(timed(bloom, read_edited))
        timed(completer(text, transport, 0, 1))  # the unedited story read again for the next trial
    ratio = statistics.median(edited) / statistics.median(unedited)
    print(f"{name}: a story of {tokens} tokens continued by {MAX_NEW} tokens, {trials} trials, median seconds:")
    print(f"    unedited                     {statistics.median(unedited):6.3f}   ({_all(unedited)})")
    print(f"    last sentence edited         {statistics.median(edited):6.3f}   ({_all(edited)})")
    print(f"    ratio                        {ratio:6.2f}   (goal <= 1.3)", flush=True)
    if read_edited:
        print(f"    prompt tokens read: unedited {read_unedited}, edited {read_edited} (of {tokens})", flush=True)
    if whole:
        first = completer(text, transport, 7)
        with contextlib.redirect_stdout(io.StringIO()):
            first.edit("The lighthouse keeper", "The old keeper", occurrence=0)
        seconds = timed(first)
        scale = seconds / statistics.median(unedited)
        print(f"    first sentence edited, once  {seconds:6.3f}   (the whole story re-read: {scale:.1f}x)", flush=True)


def _all(values: list[float]) -> str:
    return " ".join(f"{value:.2f}" for value in values)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer trials")
    parser.add_argument("--no-server", action="store_true", help="only the embedded engine")
    parser.add_argument("--whole", action="store_true", help="also time an edit of the first sentence")
    args = parser.parse_args()
    trials = 3 if args.quick else 5
    bench("embedded engine (LocalModel)", LocalModel(n_ctx=4096), trials, whole=args.whole)
    if args.no_server:
        return
    from tests.helpers.llama_server import API_KEY, MODEL_ALIAS, start_server

    with start_server(n_ctx=4096) as base_url:
        server = OpenAICompletions(base_url, model=MODEL_ALIAS, api_key=API_KEY, server="llama.cpp")
        bench("llama-server on loopback (OpenAICompletions)", server, trials, whole=args.whole)


if __name__ == "__main__":
    main()
