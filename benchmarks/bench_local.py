"""Benchmark the local backend against raw llama-cpp-python, in one run.

Run it with ``python benchmarks/bench_local.py`` (add ``--quick`` for a smaller run).
It prints ratios against references measured in the same run, on the embedded
SmolLM2-135M-Instruct; it is not a test and fails on nothing.

(a) tokens/s through ``complete()`` with ``LocalModel`` vs raw
    ``llama_cpp.Llama.create_completion``: same prompt, seed and sampling parameters,
    both starting from an empty cache; raw with and without the same end-of-text
    ban (``logit_bias``). Goal: ratio >= 0.97.
(b) the 10th continuation of a growing story (~1,500 tokens) vs the first call at
    equal ``max_new_tokens`` (goal <= 1.3x); and how much a story grows in ten
    continuations with the end-of-text token banned (default) and allowed.
(c) two stories continued alternately vs one story alone, per call (goal <= 1.5x),
    and the same for raw llama-cpp-python, which re-reads the whole story on every switch.
(d) ``python -X importtime -c "import complete"``: llama_cpp must not be imported.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import math
import random
import statistics
import subprocess
import sys
import time
from typing import Any

from complete import Completer, Params, Story, complete
from complete.transports.local import LocalModel, _load

SENTENCES = [
    "The wind came down from the hills and rattled the shutters of the old inn.",
    "Mara counted the coins twice, as her grandmother had taught her, and still came up short.",
    "Nobody in the village remembered who had planted the orchard by the river.",
    "At dusk the ferryman lit his lantern and waited for passengers who never came.",
    "The letter had been opened, read and sealed again by someone careful.",
    "A dog barked somewhere beyond the wall, then thought better of it.",
    "She found the map folded inside a book about the migration of eels.",
    "The captain spoke little, and when he did, the crew listened.",
    "Rain had turned the road into a river of mud by the time they reached the bridge.",
    "In the cellar, behind the barrels, there was a door that was not on any plan.",
    "The clockmaker's apprentice dreamed of gears that turned backwards.",
    "They ate bread and cheese in silence, watching the fire burn low.",
    "Every morning the baker left a loaf on the step of the empty house.",
    "The soldiers argued about the shortest way home and took the longest.",
    "Her brother wrote that the city was larger than any story had told them.",
    "Somewhere in the archive, a clerk was paid to forget things.",
]


def story_text(model: LocalModel, seed: int, tokens: int) -> str:
    """A deterministic story of about ``tokens`` tokens, different for each seed."""
    rng = random.Random(seed)
    text = "Chapter one.\n"
    while model.count_tokens(text) < tokens:
        text += " ".join(rng.sample(SENTENCES, 4)) + "\n"
    return text


def raw_llama(model: LocalModel) -> Any:
    import llama_cpp

    return llama_cpp.Llama(str(model.file), n_ctx=model.n_ctx, n_threads=model.n_threads, verbose=False)


def sampling(params: Params) -> dict[str, Any]:
    """The llama-cpp-python arguments ``LocalModel`` uses for ``params``."""
    return {
        "temperature": params.temperature if params.temperature is not None else 0.8,
        "top_k": params.top_k or 40,
        "top_p": params.top_p or 0.95,
        "min_p": 0.05,
        "repeat_penalty": params.repetition_penalty or 1.0,
        "max_tokens": params.max_new_tokens,
        "seed": params.seed,
    }


def timed(call: Any) -> tuple[Any, float, float]:
    """``call()``, its wall-clock seconds and this process's CPU seconds."""
    wall, cpu = time.perf_counter(), time.process_time()
    result = call()
    return result, time.perf_counter() - wall, time.process_time() - cpu


def bench_throughput(model: LocalModel, raw: Any, trials: int, new_tokens: int) -> None:
    print(f"(a) tokens/s, {new_tokens} new tokens from an empty cache, median of {trials} trials (order alternating)")
    loaded = _load(model.file, model.n_ctx, model.n_threads)
    ban = {int(token): -math.inf for token in loaded.eog}
    prompt = "Once upon a time, in a village at the edge of a great forest, there lived"
    story = Story.from_prompt(prompt)
    wall: dict[str, list[float]] = {"complete()": [], "Completer": [], "raw + ban": [], "raw, no ban": []}
    cpu: dict[str, list[float]] = {name: [] for name in wall}
    same_text = True
    for trial in range(trials):
        params = Params(seed=1000 + trial, max_new_tokens=new_tokens)
        texts: dict[str, str] = {}

        def ours(params: Params = params) -> tuple[int, str]:
            loaded.llama.reset()
            generation = complete(story, params, model).generation
            assert generation is not None
            assert generation.completion_tokens is not None
            return generation.completion_tokens, generation.text

        def completer(params: Params = params) -> tuple[int, str]:
            loaded.llama.reset()
            bloom = Completer(story, transport=model, stream=True, **params.to_dict())
            with contextlib.redirect_stdout(io.StringIO()):  # the streaming display, to memory
                bloom()
            generation = bloom.story.generation
            assert generation is not None
            assert generation.completion_tokens is not None
            return generation.completion_tokens, generation.text

        def theirs(bias: dict[int, float] | None, params: Params = params) -> tuple[int, str]:
            raw.reset()
            answer = raw.create_completion(prompt, logit_bias=bias, **sampling(params))
            return answer["usage"]["completion_tokens"], answer["choices"][0]["text"]

        runs = [
            ("complete()", ours),
            ("Completer", completer),
            ("raw + ban", lambda: theirs(ban)),
            ("raw, no ban", lambda: theirs(None)),
        ]
        for name, run in runs if trial % 2 == 0 else runs[::-1]:
            (tokens, texts[name]), seconds, busy = timed(run)
            wall[name].append(tokens / seconds)
            cpu[name].append(tokens / busy)
        same_text = same_text and texts["complete()"] == texts["raw + ban"] == texts["Completer"]
    for name in wall:
        rate, busy = statistics.median(wall[name]), statistics.median(cpu[name])
        print(f"    {name:<12} {rate:6.1f} tokens/s  ({busy:6.1f} per CPU second)")
    print(f"    same text as raw + ban, seed for seed: {same_text}")
    for ours in ("complete()", "Completer"):
        ours_rate, ours_cpu = statistics.median(wall[ours]), statistics.median(cpu[ours])
        for name in ("raw + ban", "raw, no ban"):
            print(
                f"    ratio {ours} / {name}: {ours_rate / statistics.median(wall[name]):.3f} wall-clock, "
                f"{ours_cpu / statistics.median(cpu[name]):.3f} CPU time  (goal >= 0.97)"
            )


def continue_story(model: LocalModel, story: Story, calls: int, params: Params) -> tuple[Story, list[float]]:
    times = []
    for call in range(calls):
        step = params.evolve(seed=params.seed + call) if params.seed is not None else params
        story, seconds, _ = timed(lambda step=step, story=story: complete(story, step, model))
        times.append(seconds)
    return story, times


def bench_growth(model: LocalModel, raw: Any, new_tokens: int, start_tokens: int, repeats: int) -> None:
    print(f"(b) a growing story, {new_tokens} new tokens per call, median of {repeats}")
    loaded = _load(model.file, model.n_ctx, model.n_threads)
    params = Params(seed=1, max_new_tokens=new_tokens)
    opening = Story.from_prompt(story_text(model, 1, start_tokens))
    first = []
    for _ in range(repeats):
        loaded.llama.reset()
        loaded.states.states.clear()
        _, seconds, _ = timed(lambda: complete(opening, params, model))
        first.append(seconds)
    story, _ = continue_story(model, opening, 9, params)
    tenth = []
    for _ in range(repeats):  # the same 10th call again: the cache is in the same state each time
        _, seconds, _ = timed(lambda story=story: complete(story, params.evolve(seed=10), model))
        tenth.append(seconds)
    a, b = statistics.median(first), statistics.median(tenth)
    sizes = model.count_tokens(opening.text), model.count_tokens(story.text)
    print(f"    prompt {sizes[0]} tokens at the 1st call, {sizes[1]} at the 10th")
    print(f"    complete(): 1st call {a:.2f} s (from an empty cache), 10th {b:.2f} s: ratio {b / a:.2f}  (goal <= 1.3)")
    ban = {int(token): -math.inf for token in loaded.eog}
    raw_params = {**sampling(params), "logit_bias": ban}
    raw_first = []
    for _ in range(repeats):
        raw.reset()
        raw_first.append(timed(lambda: raw.create_completion(opening.text, **raw_params))[1])
    raw.create_completion(story.text, **raw_params)  # puts the story in raw's cache: not timed
    raw_tenth = [timed(lambda: raw.create_completion(story.text, **raw_params))[1] for _ in range(repeats)]
    a, b = statistics.median(raw_first), statistics.median(raw_tenth)
    print(f"    raw llama-cpp-python, same prompts: 1st {a:.2f} s, 10th {b:.2f} s: ratio {b / a:.2f}")
    print("    growth in ten continuations of 'Tell me a story about a dragon.' (64 tokens asked each time):")
    for allow in (False, True):
        transport = LocalModel(n_ctx=model.n_ctx, n_threads=model.n_threads, allow_eos=allow)
        grown, _ = continue_story(
            transport, Story.from_prompt("Tell me a story about a dragon."), 10, params.evolve(max_new_tokens=64)
        )
        counts = [node.generation.completion_tokens for node in grown.path if node.generation is not None]
        reasons = {node.generation.finish_reason for node in grown.path if node.generation is not None}
        label = "allow_eos=True  " if allow else "default (banned)"
        print(f"    {label}: new tokens per call {counts}, finish reasons {sorted(map(str, reasons))}")


def bench_interleaved(
    model: LocalModel, raw: Any, calls: int, raw_calls: int, story_tokens: int, new_tokens: int
) -> None:
    print(
        f"(c) two ~{story_tokens}-token stories continued alternately vs one, {new_tokens} new tokens per call, medians"
    )
    loaded = _load(model.file, model.n_ctx, model.n_threads)
    params = Params(seed=5, max_new_tokens=new_tokens)
    first = Story.from_prompt(story_text(model, 2, story_tokens))
    second = Story.from_prompt(story_text(model, 3, story_tokens))

    loaded.llama.reset()
    loaded.states.states.clear()
    alone = complete(first, params, model)  # from an empty cache: not timed
    _, one = continue_story(model, alone, calls, params)

    loaded.llama.reset()
    loaded.states.states.clear()
    stories = [complete(first, params, model), complete(second, params, model)]  # not timed
    two: list[float] = []
    for call in range(calls * 2):
        story = stories[call % 2]
        stories[call % 2], seconds, _ = timed(
            lambda story=story, call=call: complete(story, params.evolve(seed=call), model)
        )
        two.append(seconds)
    ours_one, ours_two = statistics.median(one), statistics.median(two)
    print(
        f"    complete(): one story {ours_one:.2f} s/call, two alternating {ours_two:.2f} s/call: ratio "
        f"{ours_two / ours_one:.2f}  (goal <= 1.5)"
    )
    print(
        f"    saved states now: {[len(s.tokens) for s in loaded.states.states]} tokens, "
        f"{sum(s.nbytes for s in loaded.states.states) / 2**20:.0f} MiB"
    )

    raw_params = sampling(params)
    texts = [first.text, second.text]

    def extend(index: int) -> None:
        texts[index] += raw.create_completion(texts[index], **raw_params)["choices"][0]["text"]

    raw.reset()
    extend(0)  # from an empty cache: not timed
    raw_one = [timed(lambda: extend(0))[1] for _ in range(calls)]
    extend(1)  # not timed
    raw_two = [timed(lambda call=call: extend(call % 2))[1] for call in range(raw_calls)]
    raw_a, raw_b = statistics.median(raw_one), statistics.median(raw_two)
    print(
        f"    raw llama-cpp-python: one story {raw_a:.2f} s/call, two alternating {raw_b:.2f} s/call: ratio "
        f"{raw_b / raw_a:.2f} (each switch re-reads the whole story)"
    )


def bench_import() -> None:
    print("(d) python -X importtime -c 'import complete'")
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", "import complete"], capture_output=True, text=True, check=True
    )
    lines = [line for line in result.stderr.splitlines() if line.startswith("import time:")]
    names = {line.rsplit("|", 1)[-1].strip().split(".")[0] for line in lines}
    total = next((line for line in lines if line.rstrip().endswith("| complete")), "")
    cumulative = int(total.split("|")[1]) / 1000 if total else float("nan")
    print(
        f"    import complete: {cumulative:.0f} ms cumulative; llama_cpp imported: {'llama_cpp' in names}; "
        f"numpy imported: {'numpy' in names}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer trials and shorter stories")
    parser.add_argument("--threads", type=int, default=None, help="n_threads for both (default: llama-cpp-python's)")
    options = parser.parse_args()
    model = LocalModel(n_ctx=4096, n_threads=options.threads)
    raw = raw_llama(model)
    print(f"model {model.model}, n_ctx {model.n_ctx}, threads {raw.n_threads}/{raw.n_threads_batch}")
    quick = options.quick
    bench_throughput(model, raw, trials=2 if quick else 7, new_tokens=64 if quick else 128)
    bench_growth(model, raw, new_tokens=150, start_tokens=60, repeats=1 if quick else 3)
    bench_interleaved(
        model,
        raw,
        calls=2 if quick else 6,
        raw_calls=2 if quick else 4,
        story_tokens=600 if quick else 1500,
        new_tokens=64,
    )
    bench_import()


if __name__ == "__main__":
    main()
