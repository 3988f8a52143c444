"""Per-request client overhead against a loopback TGI stub that answers at once.

Run it with ``python benchmarks/bench_overhead.py`` (``--requests N --rounds R``).
It is not a test and fails on nothing.

Measured: the wall time of each of N sequential non-streaming requests (50-token
answer in TGI's list form, ``details`` included) through

- ours: ``HFInference(endpoint=stub).generate(prompt, Params(max_new_tokens=50))``;
- reference: ``huggingface_hub.InferenceClient(model=stub).text_generation(prompt,
  max_new_tokens=50, details=True)``, which posts ``{"inputs", "parameters",
  "stream": false}`` to the URL as given (a URL as ``model`` gets no path appended);
- floor: a bare ``requests.Session().post(...).json()`` with our body.

The clients take turns in R rounds of N requests (after a warm-up), so drift on a
shared machine hits them alike. Printed: mean and median per request for each, the
spread of the per-round medians, the ratio ours / huggingface_hub, and how many
TCP connections each client's requests used (client ports seen by the stub; one
session must keep one connection alive for all of them). Both clients get an
explicit dummy token, so neither looks for credentials.
"""

from __future__ import annotations

import argparse
import statistics
import time
import warnings
from collections.abc import Callable

import requests
from huggingface_hub import InferenceClient
from stub_server import StubServer

from complete import Params
from complete.transports.hf import HFInference, request_body

PROMPT = "The ferry had not come for three days, and the village began to wonder"
TOKEN = "hf_stub_not_a_real_token"
NEW_TOKENS = 50


def timed(call: Callable[[], str], count: int) -> list[float]:
    times = []
    for _ in range(count):
        started = time.perf_counter()
        call()
        times.append(time.perf_counter() - started)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=200, help="requests per client per round")
    parser.add_argument("--rounds", type=int, default=5)
    options = parser.parse_args()
    with StubServer(tokens=NEW_TOKENS) as stub:
        ours = HFInference(endpoint=stub.url, token=TOKEN)
        params = Params(max_new_tokens=NEW_TOKENS)
        hub = InferenceClient(model=stub.url, token=TOKEN)
        bare = requests.Session()
        body = request_body(PROMPT, params)
        clients: dict[str, Callable[[], str]] = {
            "ours (HFInference.generate)": lambda: ours.generate(PROMPT, params).text,
            "huggingface_hub InferenceClient": lambda: (
                hub.text_generation(PROMPT, max_new_tokens=NEW_TOKENS, details=True).generated_text
            ),
            "floor (bare requests.Session)": lambda: bare.post(stub.url, json=body).json()[0]["generated_text"],
        }
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            answers = {name: call() for name, call in clients.items()}  # warm-up, and a sanity check
        assert len(set(answers.values())) == 1, answers
        times: dict[str, list[float]] = {name: [] for name in clients}
        round_medians: dict[str, list[float]] = {name: [] for name in clients}
        ports: dict[str, set[int]] = {name: set() for name in clients}
        for _ in range(options.rounds):
            for name, call in clients.items():
                seen = len(stub.requests)
                batch = timed(call, options.requests)
                ports[name].update(port for port, _ in stub.requests[seen:])
                times[name].extend(batch)
                round_medians[name].append(statistics.median(batch))
        accepted = stub.connections

    print(f"{options.rounds} rounds x {options.requests} sequential requests per client, {NEW_TOKENS}-token answers")
    for name in clients:
        spread = f"{min(round_medians[name]) * 1e3:.3f}-{max(round_medians[name]) * 1e3:.3f}"
        print(
            f"  {name:<32} mean {statistics.mean(times[name]) * 1e3:.3f} ms, "
            f"median {statistics.median(times[name]) * 1e3:.3f} ms (round medians {spread} ms), "
            f"connections used {len(ports[name])}"
        )
    ours_name, hub_name, bare_name = clients
    for label, pick in (("mean", statistics.mean), ("median", statistics.median)):
        print(
            f"  ratio ours / huggingface_hub ({label}): {pick(times[ours_name]) / pick(times[hub_name]):.2f};"
            f" ours / bare requests: {pick(times[ours_name]) / pick(times[bare_name]):.2f}"
        )
    print(f"  TCP connections accepted by the stub in all: {accepted} (warm-up included)")
    for warning in caught:
        print(f"  warning during the warm-up: {warning.category.__name__}: {warning.message}")


if __name__ == "__main__":
    main()
