"""Time to first visible text, against a loopback TGI stub streaming 50 tokens 20 ms apart.

Run it with ``python benchmarks/bench_first_text.py`` (``--runs N``, default 20).
It is not a test and fails on nothing. What is measured, per run, from the moment
the stub writes the first token event to its socket (``time.perf_counter()``
recorded by the stub, in this process):

(a) until ``complete_stream(story, params, HFInference(endpoint=stub))`` hands its
    first text piece to the caller; also the lag of every piece behind its token;
(b) until a ``Completer`` (that transport, ``stream=True``) writes the first piece
    to its display: the terminal ``LiveView``, with ``sys.stdout`` replaced by a
    ``StringIO`` that timestamps its first write after the story so far (the view
    writes the story so far in one write, then each piece as it comes). The
    Completer's real path is used, /info and /tokenize included.

Reference, measured in the same run and interleaved run by run: a bare
``http.client`` connection reading the same stream, stamped when the first
``data:`` bytes arrive. That is the floor on this machine (loopback, thread
wake-ups, the GIL shared with the stub). Printed: median and max over the runs
(after one warm-up each), ratios to the reference, and the whole stream's
duration through ``complete_stream`` against the ideal 50 x 20 ms. Also printed,
for context: the time from the call to the first piece (the stub waits 20 ms
before token 1), and the HTTP requests each Completer call makes.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import io
import json
import statistics
import sys
import time
from collections import defaultdict
from urllib.parse import urlsplit

from stub_server import StubServer

from complete import Completer, Params, Story, complete_stream
from complete.transports.hf.inference import HFInference

TOKENS, DELAY = 50, 0.020
PROMPT = "The ferry had not come for three days, and the village began to wonder"
TOKEN = "hf_stub_not_a_real_token"  # explicit, so no credential is looked up; the stub ignores it


class Screen(io.StringIO):
    """A display that notes when the first text after the story so far is written."""

    def __init__(self) -> None:
        super().__init__()
        self.started = False
        self.first_piece_at: float | None = None

    def write(self, text: str) -> int:
        now = time.perf_counter()
        if text and self.started and self.first_piece_at is None:
            self.first_piece_at = now
        if text:
            self.started = True
        return super().write(text)


def via_complete_stream(stub: StubServer, transport: HFInference) -> dict[str, list[float]]:
    """First-piece delay, every piece's lag, time from the call, whole duration."""
    arrived: list[float] = []
    started = time.perf_counter()
    for item in complete_stream(Story.from_prompt(PROMPT), Params(max_new_tokens=TOKENS), transport):
        if isinstance(item, str):
            arrived.append(time.perf_counter())
    total = time.perf_counter() - started
    sent = stub.token_times[-1]
    assert len(arrived) == len(sent) == TOKENS, (len(arrived), len(sent))
    lags = [got - put for got, put in zip(arrived, sent, strict=True)]
    return {"stream": [lags[0]], "lags": lags, "stream call": [arrived[0] - started], "total": [total]}


def via_completer(stub: StubServer, transport: HFInference) -> tuple[dict[str, list[float]], str]:
    """First-piece delay, time from the call, and the requests the call made."""
    screen = Screen()
    seen = len(stub.requests)
    completer = Completer(PROMPT, transport=transport, stream=True, max_new_tokens=TOKENS)
    started = time.perf_counter()
    with contextlib.redirect_stdout(screen):
        completer()
    assert screen.first_piece_at is not None
    assert len(completer.story.segment) > 0
    made = ", ".join(request for _, request in stub.requests[seen:])
    delay = screen.first_piece_at - stub.token_times[-1][0]
    return {"display": [delay], "display call": [screen.first_piece_at - started]}, made


def via_raw_socket(stub: StubServer) -> float:
    address = urlsplit(stub.url)
    connection = http.client.HTTPConnection(address.hostname, address.port)
    body = {"inputs": PROMPT, "parameters": {"max_new_tokens": TOKENS, "details": True}, "stream": True}
    connection.request("POST", "/", json.dumps(body), {"Content-Type": "application/json"})
    response = connection.getresponse()
    first = None
    while chunk := response.read1(65536):
        if first is None and b"data:" in chunk:
            first = time.perf_counter()
    connection.close()
    assert first is not None
    return first - stub.token_times[-1][0]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.2f} ms"


def summary(values: list[float]) -> str:
    return f"median {ms(statistics.median(values))}, max {ms(max(values))} (min {ms(min(values))})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=20)
    runs = parser.parse_args().runs
    if "IPython" in sys.modules:
        sys.exit("run this from a terminal: inside a notebook the Completer displays HTML instead")
    with StubServer(tokens=TOKENS, token_delay=DELAY) as stub:
        transport = HFInference(endpoint=stub.url, token=TOKEN)
        got: dict[str, list[float]] = defaultdict(list)
        requests: set[str] = set()
        for run in range(runs + 1):  # run 0 is a warm-up
            stream = via_complete_stream(stub, transport)
            display, made = via_completer(stub, transport)
            raw = via_raw_socket(stub)
            if run:
                for name, values in (*stream.items(), *display.items(), ("raw", [raw])):
                    got[name].extend(values)
                requests.add(made)
        connections = stub.connections

    median = {name: statistics.median(values) for name, values in got.items()}
    print(f"stub: {TOKENS} tokens {DELAY * 1000:.0f} ms apart; {runs} runs after 1 warm-up")
    print("delay from the stub writing token 1 to its socket to that text reaching ...")
    print(f"(a) the caller of complete_stream: {summary(got['stream'])}")
    print(f"    every piece, lag behind its token ({len(got['lags'])} pieces): {summary(got['lags'])}")
    print(f"(b) the Completer's display:       {summary(got['display'])}")
    print(f"    reference, bare http.client:   {summary(got['raw'])}")
    print(
        f"    ratio to the reference (medians): (a) {median['stream'] / median['raw']:.2f}, "
        f"(b) {median['display'] / median['raw']:.2f}"
    )
    print(
        f"from the call to the first piece (the stub waits {DELAY * 1000:.0f} ms before token 1): "
        f"(a) median {ms(median['stream call'])}, (b) median {ms(median['display call'])}"
    )
    print(f"    requests per Completer call: {' | '.join(sorted(requests))}")
    ideal = TOKENS * DELAY
    print(f"total stream duration through complete_stream: {summary(got['total'])}")
    print(f"    ideal {ms(ideal)}: ratio {median['total'] / ideal:.3f} (max {max(got['total']) / ideal:.3f})")
    print(
        f"TCP connections accepted by the stub: {connections} "
        f"(one HFInference session for (a) and (b), plus {runs + 1} bare http.client ones)"
    )


if __name__ == "__main__":
    main()
