"""What choosing the lore costs per call: 1,000 entries and a 100,000-token story.

Run it with ``python benchmarks/bench_lorebook.py`` (``--entries``, ``--tokens``).
It is not a test and fails on nothing; the goal is 20 ms or less per call.

The book: ``--entries`` entries of one to three keys each (single words, some
two-word names, one in fifty a ``/regex/``), each text about forty words. The
story: ``--tokens`` tokens of words (about four characters a token), mentioning
some of the keys throughout. A tokenizer that counts words stands in for the
backend's (the real one costs more per text, which is what the cache saves).

Measured, per call, the best of five rounds:

- ``choose`` (complete.writing.lore_selection) with the default scan depth (512 tokens),
  after a first call that compiles the book's keys and counts the entries' tokens
  once (with ``scan_depth=None``, the whole story searched, it is not yet fast:
  about 1.1 s a call, mostly the multi-word and regex keys searched one by one);
- in the same run, the reference: the naive scan, each key searched on its own
  with a precompiled whole-word regular expression (SillyTavern's ``matchKeys``,
  key by key) and every fired entry's tokens counted again on every call.

Printed: milliseconds per call and the reference's time as a ratio of ours.
"""

from __future__ import annotations

import argparse
import random
import re
import time
import timeit
from collections.abc import Callable

from complete import Lorebook, LoreEntry
from complete.values.lorebook import key_pattern
from complete.writing.lore_selection import CHARS_PER_SCAN_TOKEN, choose, remembered


def word_count(text: str) -> int:
    return len(text.split())


def build(entries: int, tokens: int, seed: int = 1) -> tuple[Lorebook, str]:
    """A book of ``entries`` and a story of about ``tokens`` tokens (see the docstring)."""
    rng = random.Random(seed)
    syllables = ["ka", "lo", "mir", "va", "sen", "tor", "ul", "dra", "ne", "fi", "gar", "os"]

    def name() -> str:
        return "".join(rng.choice(syllables) for _ in range(rng.randint(2, 4))).capitalize()

    common = "the a of and to in was she he it that on with as his her at by from".split()  # noqa: SIM905
    book = []
    for place in range(entries):
        keys = [name() for _ in range(rng.randint(1, 3))]
        if place % 7 == 0:
            keys.append(f"{name()} {name()}")
        if place % 50 == 0:
            keys.append(f"/{keys[0][:3]}\\w+son/i")
        text = " ".join(rng.choice(common + keys) for _ in range(40))
        book.append(LoreEntry(keys, text, order=rng.randint(1, 500)))
    all_keys = [key for entry in book for key in entry.keys if key_pattern(key) is None]
    words = []
    while len(" ".join(words)) < tokens * CHARS_PER_SCAN_TOKEN:
        words.append(rng.choice(all_keys) if rng.random() < 0.02 else rng.choice(common))
    return Lorebook(book, budget=2048), " ".join(words)


def naive(book: Lorebook, text: str, count: Callable[[str], int]) -> list[LoreEntry]:
    """The reference: every key searched on its own; tokens counted again each call."""
    scanned = (text if book.scan_depth is None else text[-book.scan_depth * CHARS_PER_SCAN_TOKEN :]).lower()
    fired = []
    for entry, patterns in COMPILED[id(book)]:
        if any(pattern.search(scanned) for pattern in patterns):
            fired.append(entry)
    fired.sort(key=lambda entry: -entry.order)
    room, kept = book.budget, []
    for entry in fired:
        tokens = count(entry.text)
        if tokens > room:
            break
        room -= tokens
        kept.append(entry)
    return kept


COMPILED: dict[int, list[tuple[LoreEntry, list[re.Pattern[str]]]]] = {}


def compile_naive(book: Lorebook) -> None:
    compiled = []
    for entry in book.entries:
        patterns = [
            key_pattern(key) or re.compile(r"(?<!\w)" + re.escape(key.lower()) + r"(?!\w)") for key in entry.keys
        ]
        compiled.append((entry, patterns))
    COMPILED[id(book)] = compiled


def per_call(action: Callable[[], object], number: int) -> float:
    return min(timeit.repeat(action, number=number, repeat=5)) / number


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=1000)
    parser.add_argument("--tokens", type=int, default=100_000)
    args = parser.parse_args()
    book, story = build(args.entries, args.tokens)
    print(f"{len(book)} entries, {sum(len(e.keys) for e in book)} keys; story of {len(story):,} characters")
    owner = object()
    for label, scan in (("scan_depth 512 tokens", 512),):  # scan_depth=None: about 1.1 s a call, see the report
        current = book.evolve(scan_depth=scan)
        start = time.perf_counter()
        first = choose(current, story, 1, remembered(owner, word_count))
        first_ms = (time.perf_counter() - start) * 1000
        ours = per_call(lambda current=current: choose(current, story, 1, remembered(owner, word_count)), 20)
        compile_naive(current)
        reference = per_call(lambda current=current: naive(current, story, word_count), 1 if scan is None else 3)
        same = [item.entry for item in first.fired] == naive(current, story, word_count)
        print(
            f"{label:>22}: {len(first.fired):3} entries in, {len(first.left_out):3} over the budget; "
            f"first call {first_ms:7.2f} ms, then {ours * 1000:7.3f} ms per call "
            f"(naive per-key scan {reference * 1000:8.2f} ms: {reference / ours:6.1f}x); same entries: {same}"
        )


if __name__ == "__main__":
    main()
