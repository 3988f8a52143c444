"""``complete_many`` of 64 stories at concurrency 8 against a loopback TGI stub with 50 ms latency.

Run it with ``python benchmarks/bench_many.py`` (``--runs N``, default 5). It is
not a test and fails on nothing.

Measured: the wall time of ``complete_many(64 stories, Params(max_new_tokens=8),
HFInference(endpoint=stub), concurrency=8)``, the stub sleeping 50 ms before each
answer. The ideal is 64 / 8 x 50 ms = 400 ms; printed is the ratio to it, per run
(the first run opens the connections, later ones reuse them) and for the median.
Also measured in the same run: the same 64 requests through a bare
``requests.Session`` shared by a ``ThreadPoolExecutor(8)``, the floor of this
stub and machine. And the number of TCP connections: accepted by the stub during
each run, and distinct client ports that carried the 64 requests (goal: 8, from
the transport's one pool, reused from run to run).
"""

from __future__ import annotations

import argparse
import statistics
import time
from concurrent.futures import ThreadPoolExecutor

import requests
from stub_server import StubServer

from complete import Params, Story, complete_many
from complete.transports.hf.inference import HFInference, request_body

STORIES, CONCURRENCY, LATENCY = 64, 8, 0.050
TOKEN = "hf_stub_not_a_real_token"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    runs = parser.parse_args().runs
    ideal = STORIES / CONCURRENCY * LATENCY
    params = Params(max_new_tokens=8)
    stories = [Story.from_prompt(f"Story {i}: the ferry had not come for three days") for i in range(STORIES)]
    ours: list[float] = []
    floor: list[float] = []
    with StubServer(tokens=8, latency=LATENCY) as stub:
        transport = HFInference(endpoint=stub.url, token=TOKEN)
        print(
            f"{STORIES} stories, concurrency {CONCURRENCY}, stub latency {LATENCY * 1000:.0f} ms: "
            f"ideal {ideal * 1000:.0f} ms"
        )
        for run in range(runs):
            accepted, seen = stub.connections, len(stub.requests)
            started = time.perf_counter()
            results = complete_many(stories, params, transport, concurrency=CONCURRENCY)
            ours.append(time.perf_counter() - started)
            failures = [result for result in results if not isinstance(result, Story)]
            assert not failures, failures[:3]
            ports = {port for port, _ in stub.requests[seen:]}
            print(
                f"  run {run + 1}: {ours[-1] * 1000:7.1f} ms, ratio {ours[-1] / ideal:.3f}; connections: "
                f"{stub.connections - accepted} accepted, {len(ports)} carried the requests"
            )

        session = requests.Session()
        body = request_body("Story: the ferry had not come for three days", params)
        with ThreadPoolExecutor(CONCURRENCY) as pool:
            for _ in range(runs):
                started = time.perf_counter()
                list(pool.map(lambda _: session.post(stub.url, json=body).json(), range(STORIES)))
                floor.append(time.perf_counter() - started)
        total_ports = len({port for port, _ in stub.requests})

    print(
        f"  complete_many:      median {statistics.median(ours) * 1000:.1f} ms (min {min(ours) * 1000:.1f}, "
        f"max {max(ours) * 1000:.1f}), ratio to ideal {statistics.median(ours) / ideal:.3f}"
    )
    print(
        f"  floor, bare requests + ThreadPoolExecutor: median {statistics.median(floor) * 1000:.1f} ms "
        f"(min {min(floor) * 1000:.1f}, max {max(floor) * 1000:.1f}), ratio to ideal "
        f"{statistics.median(floor) / ideal:.3f}"
    )
    print(f"  ratio complete_many / floor (medians): {statistics.median(ours) / statistics.median(floor):.3f}")
    print(f"  client ports seen by the stub over all runs, floor included: {total_ports}")


if __name__ == "__main__":
    main()
