"""Per-request client overhead against a loopback TGI stub that answers at once.

Run it with ``python benchmarks/bench_overhead.py`` (``--requests N --rounds R``).
It is not a test and fails on nothing.

Two cases: a short answer (3 tokens; huggingface_hub asks for no details, so the
stub sends none, as TGI would; ours always asks for them) and a 50-token answer
with ``details`` for both. Measured: the wall time of each of N sequential
non-streaming requests (TGI's list form) through

- ours: ``HFInference(endpoint=stub).generate(prompt, Params(max_new_tokens=n))``;
- reference: ``huggingface_hub.InferenceClient(model=stub).text_generation(prompt,
  max_new_tokens=n, details=...)``, which posts ``{"inputs", "parameters",
  "stream": false}`` to the URL as given (a URL as ``model`` gets no path appended);
- a bare ``requests.Session().post(...).json()`` with our body: what requests
  alone costs (ours sends through urllib3's pool, ``complete.transports.http.pools``);
- floor: a bare ``urllib3.PoolManager().request("POST", ...)`` with our body as JSON,
  and ``json.loads`` of the answer: the least a client on urllib3 can do.

The clients take turns in R rounds of N requests (after a warm-up), so drift on a
shared machine hits them alike. Printed: mean and median per request for each, the
spread of the per-round medians, the calling thread's CPU time per request (the
stub runs in other threads; on a shared machine wall times mostly measure the
scheduler, CPU time what the client does), the ratios ours / huggingface_hub (and
ours / bare requests, ours / floor), and how many TCP connections each client's
requests used (client ports seen by the stub; one session must keep one connection
alive for all of them). Both clients get an explicit dummy token, so neither looks
for credentials.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
import warnings
from collections.abc import Callable

import requests
import urllib3
from huggingface_hub import InferenceClient
from stub_server import StubServer

from complete import Params
from complete.transports.hf.inference import HFInference, request_body

PROMPT = "The ferry had not come for three days, and the village began to wonder"
TOKEN = "hf_stub_not_a_real_token"
CASES = (("short answer", 3, False), ("50-token answer", 50, True))
"""(name, new tokens, whether huggingface_hub asks for details)."""


def timed(call: Callable[[], str], count: int) -> tuple[list[float], float]:
    """Wall seconds of each call, and the calling thread's CPU seconds per call."""
    times = []
    cpu = time.thread_time()
    for _ in range(count):
        started = time.perf_counter()
        call()
        times.append(time.perf_counter() - started)
    return times, (time.thread_time() - cpu) / count


def run_case(name: str, tokens: int, details: bool, options: argparse.Namespace) -> None:
    with StubServer(tokens=tokens) as stub:
        ours = HFInference(endpoint=stub.url, token=TOKEN)
        params = Params(max_new_tokens=tokens)
        hub = InferenceClient(model=stub.url, token=TOKEN)
        bare = requests.Session()
        pool = urllib3.PoolManager()
        body = request_body(PROMPT, params)
        sent = json.dumps(body).encode()

        def hub_text() -> str:
            answer = hub.text_generation(PROMPT, max_new_tokens=tokens, details=details)
            return answer.generated_text if details else answer

        clients: dict[str, Callable[[], str]] = {
            "ours (HFInference.generate)": lambda: ours.generate(PROMPT, params).text,
            "huggingface_hub InferenceClient": hub_text,
            "bare requests.Session": lambda: bare.post(stub.url, json=body).json()[0]["generated_text"],
            "floor (bare urllib3 pool)": lambda: json.loads(
                pool.request("POST", stub.url, body=sent, headers={"Content-Type": "application/json"}).data
            )[0]["generated_text"],
        }
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            answers = {client: call() for client, call in clients.items()}  # warm-up, and a sanity check
        assert len(set(answers.values())) == 1, answers
        times: dict[str, list[float]] = {client: [] for client in clients}
        round_medians: dict[str, list[float]] = {client: [] for client in clients}
        ports: dict[str, set[int]] = {client: set() for client in clients}
        cpu: dict[str, list[float]] = {client: [] for client in clients}
        for _ in range(options.rounds):
            for client, call in clients.items():
                seen = len(stub.requests)
                batch, batch_cpu = timed(call, options.requests)
                ports[client].update(port for port, _ in stub.requests[seen:])
                times[client].extend(batch)
                round_medians[client].append(statistics.median(batch))
                cpu[client].append(batch_cpu)
        accepted = stub.connections

    print(f"{name}: {options.rounds} rounds x {options.requests} sequential requests per client, {tokens} tokens")
    for client in clients:
        spread = f"{min(round_medians[client]) * 1e3:.3f}-{max(round_medians[client]) * 1e3:.3f}"
        print(
            f"  {client:<32} mean {statistics.mean(times[client]) * 1e3:.3f} ms, "
            f"median {statistics.median(times[client]) * 1e3:.3f} ms (round medians {spread} ms), "
            f"client CPU {statistics.median(cpu[client]) * 1e3:.3f} ms, connections used {len(ports[client])}"
        )
    ours_name, hub_name, bare_name, floor_name = clients
    for label, pick in (("mean", statistics.mean), ("median", statistics.median)):
        print(
            f"  ratio ours / huggingface_hub ({label}): {pick(times[ours_name]) / pick(times[hub_name]):.2f};"
            f" ours / bare requests: {pick(times[ours_name]) / pick(times[bare_name]):.2f};"
            f" ours / floor: {pick(times[ours_name]) / pick(times[floor_name]):.2f}"
        )
    ours_cpu, hub_cpu, floor_cpu = (statistics.median(cpu[client]) for client in (ours_name, hub_name, floor_name))
    print(
        f"  ratio ours / huggingface_hub (client CPU, the median round): {ours_cpu / hub_cpu:.2f};"
        f" ours / floor: {ours_cpu / floor_cpu:.2f}"
    )
    print(f"  TCP connections accepted by the stub in all: {accepted} (warm-up included)")
    for warning in caught:
        print(f"  warning during the warm-up: {warning.category.__name__}: {warning.message}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=200, help="requests per client per round")
    parser.add_argument("--rounds", type=int, default=5)
    options = parser.parse_args()
    for name, tokens, details in CASES:
        run_case(name, tokens, details, options)


if __name__ == "__main__":
    main()
