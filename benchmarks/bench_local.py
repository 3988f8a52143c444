"""Benchmark the embedded backend against raw xllamacpp, in one run.

Run it with ``python benchmarks/bench_local.py`` (add ``--quick`` for a smaller run).
It prints ratios against references measured in the same run, on the embedded
SmolLM2-135M-Instruct (or the GGUF file or Hub name given with ``--model``); it is
not a test and fails on nothing.

(a) tokens/s of a ``Completer`` continuing a story (streaming, as a writer sees it,
    its terminal output captured) vs ``Server.handle_completions`` called raw on the
    same engine, with the same prompt, sampling settings and seeds, alternating
    trial by trial so that both see the same cache and the same machine load.
    Goal: ratio >= 0.97.
(b) two stories continued alternately vs one story alone, per call, through two
    Completers sharing one ``LocalModel``. Goal: <= 1.3x.
(c) Ctrl-C: a child process streams a long continuation through a Completer; the
    time from SIGINT to the call returning (with the text kept), and the tokens the
    engine generated after the signal.
(d) ``import complete`` must not import xllamacpp.

Measured on the project's 2-core machine, for the choices in
``complete/transports/local/``: the loopback round trip to the engine cost nothing
measurable against ``Server.handle_completions`` in process (which has no tokenizer
route, and a callback that must not see a KeyboardInterrupt); two interleaved stories
cost 1.00x one with two slots, and 1.07x with a single slot and the host-memory cache
(more slots cost ``n_ctx`` x 23 KB each for SmolLM2, and on a CPU requests side by
side were no faster than one after another). Threads: 2 threads gave 102 tokens/s
idle but 20-28 with one other busy process (a Python loop, or another engine), where
1 thread gave 50 idle and 46-52 busy: hence half the CPUs by default.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path

from complete import Completer, Params
from complete.transports.local.engine import LocalModel, _with_defaults

ROOT = Path(__file__).resolve().parent.parent

OPENING = (
    "The lighthouse keeper had not spoken to anyone in eleven days when the boat came. "
    "It was a small boat, painted the green of old copper, and the woman rowing it did not look up "
    "until its bow touched the stones.\n"
)
OTHER = (
    "In the desert city the merchants argued about the price of water, and the children "
    "sold shade by the hour under blankets stretched between the market stalls.\n"
)


def quiet(action: object) -> float:
    """Seconds ``action()`` takes, with its printing captured (it still happens)."""
    sink = io.StringIO()
    with contextlib.redirect_stdout(sink):
        started = time.perf_counter()
        action()  # type: ignore[operator]
        return time.perf_counter() - started


def bench_throughput(model: LocalModel, trials: int, new_tokens: int) -> None:
    engine = model._engine()
    base = Params(max_new_tokens=new_tokens, temperature=0.8)

    def raw(seed: int) -> float:
        # The very body the Completer's request carries (the story preset's samplers
        # filled in, the end-of-text ban), so that only the path to the engine differs.
        params = _with_defaults(base.evolve(seed=seed), model.defaults)
        request = engine.client(allow_eos=False)._body(OPENING, params, stream=True)
        started = time.perf_counter()
        engine.server.handle_completions(request, lambda chunk: False)
        return new_tokens / (time.perf_counter() - started)

    def through_completer(seed: int) -> float:
        with contextlib.redirect_stdout(io.StringIO()):
            bloom = Completer(OPENING, transport=model, reformat=False, **base.evolve(seed=seed).to_dict())
        seconds = quiet(bloom)
        assert bloom.story.generation is not None
        assert bloom.story.generation.completion_tokens == new_tokens
        return new_tokens / seconds

    raw(0)
    through_completer(0)  # both warm: the engine started, the opening cached
    raws, completers = [], []
    for trial in range(trials):
        raws.append(raw(100 + trial))
        completers.append(through_completer(100 + trial))
    ratio = statistics.median(completers) / statistics.median(raws)
    print(f"(a) tokens/s over {trials} trials of {new_tokens} tokens, median:")
    print(f"    raw handle_completions  {statistics.median(raws):7.1f}")
    print(f"    Completer (streaming)   {statistics.median(completers):7.1f}   ratio {ratio:.3f}  (goal >= 0.97)")


def bench_interleaved(model: LocalModel, calls: int, new_tokens: int) -> None:
    params = {"max_new_tokens": new_tokens, "seed": 1}

    def grow(bloom: Completer, times: int) -> list[float]:
        return [quiet(bloom) for _ in range(times)]

    with contextlib.redirect_stdout(io.StringIO()):
        alone = Completer(OPENING * 12, transport=model, **params)
        first = Completer(OPENING * 12, transport=model, **params)
        second = Completer(OTHER * 12, transport=model, **params)
    grow(alone, 1)
    one = grow(alone, calls)
    grow(first, 1)
    grow(second, 1)
    both = []
    for _ in range(calls):
        both += grow(first, 1) + grow(second, 1)
    tokens = model.count_tokens(first.story.text)
    ratio = statistics.median(both) / statistics.median(one)
    print(f"(b) seconds per continuation of {new_tokens} tokens on stories of ~{tokens} tokens, median:")
    print(f"    one story alone          {statistics.median(one):.3f}")
    print(f"    two stories alternately  {statistics.median(both):.3f}   ratio {ratio:.2f}  (goal <= 1.3)")


INTERRUPTED = """
import sys, time
from complete import Completer
from complete.transports.local.engine import LocalModel
model = LocalModel(sys.argv[1] or None)
bloom = Completer("Once upon a time", transport=model, max_new_tokens=2000, seed=1)
engine = model._engine()
before = engine.metrics()["tokens_predicted_total"]
sys.stderr.write("ready\\n"); sys.stderr.flush()
bloom()
returned = time.monotonic()
time.sleep(0.5)
after = engine.metrics()["tokens_predicted_total"]
kept = model.count_tokens(bloom.story.text) - model.count_tokens("Once upon a time")
sys.stderr.write(f"{returned} {after - before - kept} {bloom.story.interrupted} {len(bloom.story.segment)}\\n")
"""


def bench_interrupt(repeats: int, model: str | None) -> None:
    delays, extra, kept = [], [], []
    for _ in range(repeats):
        child = subprocess.Popen(
            [sys.executable, "-c", INTERRUPTED, model or ""],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert child.stderr is not None
        assert child.stdout is not None
        assert child.stderr.readline() == "ready\n"
        child.stdout.read(200)  # text is streaming now
        sent = time.monotonic()
        child.send_signal(signal.SIGINT)
        returned, predicted, interrupted, characters = child.stderr.readline().split()
        child.wait(timeout=60)
        assert interrupted == "True"
        delays.append((float(returned) - sent) * 1000)
        kept.append(int(characters))
        extra.append(float(predicted))
    print(f"(c) Ctrl-C while streaming a 2,000-token continuation, {repeats} runs:")
    print(f"    SIGINT to the call returning: median {statistics.median(delays):.1f} ms, max {max(delays):.1f} ms")
    print(f"    text kept: {statistics.median(kept):.0f} characters (median); the continuation stayed in the story")
    print(f"    tokens the engine generated beyond the text kept (median): {statistics.median(extra):.0f}")


def bench_import() -> None:
    code = "import sys, time; t = time.perf_counter(); import complete; "
    code += "print(time.perf_counter() - t, 'xllamacpp' in sys.modules)"
    seconds, imported = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    ).stdout.split()
    print(f"(d) import complete: {float(seconds) * 1000:.0f} ms; xllamacpp imported: {imported}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer trials")
    parser.add_argument("--model", help="a GGUF file or Hub name (default: the embedded SmolLM2)")
    options = parser.parse_args()
    quick = options.quick
    model = LocalModel(options.model)
    print(f"engine: {model.file.name}, n_ctx {model.n_ctx}, {model.n_threads} thread(s)")
    bench_throughput(model, trials=5 if quick else 15, new_tokens=64)
    bench_interleaved(model, calls=3 if quick else 6, new_tokens=32)
    bench_interrupt(repeats=2 if quick else 5, model=options.model)
    bench_import()


if __name__ == "__main__":
    main()
