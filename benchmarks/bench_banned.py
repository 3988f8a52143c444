"""Benchmark banned phrases on the embedded model: what a ban list costs, and how
many rewinds a banned phrase takes.

Run it with ``python benchmarks/bench_banned.py`` (``--openings N``, ``--seeds``,
``--threads``). It is not a test and fails on nothing.

1. Cost when nothing fires: each opening continued by 64 tokens with no bans and
   with ten banned phrases the model never writes (eight literals, two regular
   expressions), the two interleaved opening by opening so that a busy machine
   slows both alike; tokens/s of each and their ratio (the goal is >= 0.9x).
   With bans a call streams, checks the text after every token and holds back
   what could become a phrase, even when none ever appears.
2. Rewinds per banned phrase: for each opening, the continuation written without
   bans is read, a phrase it contains (the words 4-5 of its tenth word onward: a
   phrase the model does write) is banned, and the same call is made again:
   rewinds per call, the share of calls whose text is free of the phrase, the
   share that ended at the rewind limit (finish reason "banned"), and tokens/s.

The engine is ``LocalModel`` as a writer gets it (its unset samplers the story preset),
but without the preset's banned phrases, so that "none" is none
(``benchmarks/unbanned.py``), a 1024-token window and one thread.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from complete import Params, Story, complete
from complete.transports.local.engine import LocalModel

sys.path.insert(0, str(Path(__file__).resolve().parent))
from prose_openings import WIDER
from unbanned import UnbannedModel

NEVER = (
    "zebra quartet",
    "xylophone mountain",
    "quantum marmalade",
    "purple hexagon",
    "seventeen walruses",
    "the hovercraft is full",
    "lorem ipsum",
    "banana republic of",
    r"/\bq[^u\W]\w*/",
    r"/\d{7,}/",
)
"""Ten phrases SmolLM2 does not write in these runs (checked: no rewinds)."""
NEW_TOKENS = 64


def one(model: LocalModel, prompt: str, params: Params) -> tuple[Story, float]:
    started = time.perf_counter()
    story = complete(Story.from_prompt(prompt, reformat=False), params, model)
    return story, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--openings", type=int, default=20, help="how many of the 60 openings (default 20)")
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--threads", type=int, default=1)
    options = parser.parse_args()
    model = UnbannedModel(n_ctx=1024, n_threads=options.threads)
    openings = [text for _, text in WIDER[:: max(1, len(WIDER) // options.openings)]][: options.openings]
    one(model, openings[0], Params(max_new_tokens=4))  # start the engine before anything is timed
    totals = {"none": [0, 0.0], "10 bans": [0, 0.0], "phrase": [0, 0.0]}
    rewinds, free, limit, calls = 0, 0, 0, 0
    for number, opening in enumerate(openings, 1):
        for seed in options.seeds:
            base = Params(seed=seed, max_new_tokens=NEW_TOKENS)
            plain, seconds = one(model, opening, base)
            totals["none"][0] += plain.generation.completion_tokens or 0  # type: ignore[union-attr]
            totals["none"][1] += seconds
            never, seconds = one(model, opening, base.evolve(banned=NEVER))
            assert never.generation is not None
            if never.generation.rewinds:
                print(f"  a never-phrase fired: {never.segment!r}", file=sys.stderr)
            totals["10 bans"][0] += never.generation.completion_tokens or 0
            totals["10 bans"][1] += seconds
            words = plain.segment.split()
            if len(words) < 12:
                continue
            phrase = " ".join(words[9:11])
            banned, seconds = one(model, opening, base.evolve(banned=[phrase]))
            assert banned.generation is not None
            calls += 1
            rewinds += banned.generation.rewinds or 0
            free += phrase.lower() not in banned.segment.lower()
            limit += banned.generation.finish_reason == "banned"
            totals["phrase"][0] += banned.generation.completion_tokens or 0
            totals["phrase"][1] += seconds
        print(f"  {number}/{len(openings)} openings done", file=sys.stderr)
    rate = {name: tokens / seconds for name, (tokens, seconds) in totals.items()}
    count = len(openings) * len(options.seeds)
    print(f"{count} calls of {NEW_TOKENS} tokens per setting, {options.threads} thread(s)")
    for name in totals:
        print(f"{name:<10} {rate[name]:7.1f} tokens/s  {rate[name] / rate['none']:5.2f}x of none")
    print(
        f"banned phrase the model wrote: {calls} calls, {rewinds / calls:.2f} rewinds per call, "
        f"{100 * free / calls:.0f}% free of it, {100 * limit / calls:.0f}% ended at the rewind limit"
    )


if __name__ == "__main__":
    main()
