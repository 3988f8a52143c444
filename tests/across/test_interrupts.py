"""Ctrl-C always works within a second, and keeps what arrived.

Each case runs a small program in a subprocess against a loopback ``FaultServer``
whose slow requests hang until the client hangs up (``hang_until_hung_up`` records
when it did), sends it SIGINT once, and checks that the program goes on at once,
with every finished result and every piece of text that arrived, that the requests
still out were cancelled (their connections closed), and that the process exits
without waiting for them.
"""

from __future__ import annotations

import json
import os
import select
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

from tests.conftest import ROOT
from tests.helpers.fault_server import (
    FaultServer,
    Handler,
    Received,
    Reply,
    fault_server,
    json_reply,
    openai_chunk,
    openai_completion,
)

__all__ = ["fault_server"]

WITHIN = 1.0
"""Seconds from SIGINT to the program's next line (the issue's "within a second")."""
SLACK = 1.0
"""Added for a busy, shared machine, to the time a whole process takes to exit."""


class HangUps:
    """When each hung request's client closed its connection."""

    def __init__(self) -> None:
        self.times: list[float] = []
        self.lock = threading.Lock()

    def reply(self, *, first: bytes = b"") -> Reply:
        """Send ``first`` (an event-stream start) or nothing, then wait for the hang-up."""

        def reply(handler: Handler, received: Received) -> None:
            if first:
                handler.head(200, {"Content-Type": "text/event-stream", "Transfer-Encoding": "chunked"})
                handler.chunk(first)
            handler.close_connection = True
            sock: socket.socket = handler.connection
            ends = time.monotonic() + 30
            while time.monotonic() < ends:
                readable, _, _ = select.select([sock], [], [], 0.02)
                if readable:
                    try:
                        gone = sock.recv(1, socket.MSG_PEEK) == b""
                    except OSError:
                        gone = True
                    if gone:
                        with self.lock:
                            self.times.append(time.monotonic())
                        return

        return reply


def start(program: str, *args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        [sys.executable, "-c", program, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
    )


def interrupt_when(process: subprocess.Popen[str], ready: callable) -> tuple[float, str, str]:  # type: ignore[valid-type]
    """SIGINT once ``ready()``; the time it was sent, and the program's output."""
    ends = time.monotonic() + 60
    while not ready():
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < ends, "the program never got ready"
        time.sleep(0.02)
    time.sleep(0.2)  # well inside the hung requests
    sent = time.monotonic()
    process.send_signal(signal.SIGINT)
    try:
        out, err = process.communicate(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        out, err = process.communicate()
        raise AssertionError(f"still running 10 s after one SIGINT:\n{out}\n{err}") from None
    return sent, out, err


def lines_with_times(out: str) -> dict[str, str]:
    return dict(line.split(" ", 1) for line in out.splitlines() if " " in line)


ALTERNATIVES = """
import sys, time
from complete import Completer
from complete.transports.openai.completions import OpenAICompletions
transport = OpenAICompletions(sys.argv[1] + "/v1", server="openai", timeout=(2.0, 60.0))
bloom = Completer("Once upon a time", transport=transport)
bloom.alternatives(3)
print("AT", time.monotonic(), flush=True)
print("OFFERED", [story.segment for story in bloom.offered], flush=True)
"""


def test_ctrl_c_in_alternatives_keeps_the_finished_ones_and_cancels_the_rest(fault_server: FaultServer) -> None:
    hung = HangUps()
    fault_server.script(json_reply(200, openai_completion(" and then")), hung.reply(), hung.reply())
    process = start(ALTERNATIVES, fault_server.url)
    sent, out, err = interrupt_when(process, lambda: fault_server.requests() == 3)
    ended = time.monotonic()
    said = lines_with_times(out)
    assert process.returncode == 0, err
    assert float(said["AT"]) - sent <= WITHIN
    assert said["OFFERED"] == "[' and then']"
    assert "One alternative failed: interrupted" in out
    assert len(hung.times) == 2
    assert all(when - sent <= WITHIN for when in hung.times)
    assert ended - sent <= WITHIN + SLACK


MANY = """
import sys, time
from complete import Params, Story
from complete.writing.core import ManyInterrupted, complete_many
from complete.transports.openai.completions import OpenAICompletions
transport = OpenAICompletions(sys.argv[1] + "/v1", server="openai", timeout=(2.0, 60.0))
stories = [Story.from_prompt(text) for text in ("One", "Two", "Three", "Four")]
try:
    complete_many(stories, Params(max_new_tokens=4), transport, concurrency=2)
except ManyInterrupted as interrupted:
    print("AT", time.monotonic(), flush=True)
    print("RESULTS", [getattr(result, "text", type(result).__name__) for result in interrupted.results], flush=True)
    raise SystemExit(130)
"""


def test_ctrl_c_in_complete_many_returns_the_finished_results_at_once(fault_server: FaultServer) -> None:
    hung = HangUps()
    fault_server.script(json_reply(200, openai_completion(" done")), hung.reply(), hung.reply())
    process = start(MANY, fault_server.url)
    sent, out, err = interrupt_when(process, lambda: fault_server.requests() == 3)
    said = lines_with_times(out)
    assert process.returncode == 130, err
    assert float(said["AT"]) - sent <= WITHIN
    results = said["RESULTS"]
    assert results.count("'TransportError'") == 3  # two cancelled, one never sent
    assert "done'" in results
    assert fault_server.requests() == 3  # the fourth was never sent
    assert len(hung.times) == 2
    assert all(when - sent <= WITHIN for when in hung.times)


NOT_STREAMED = """
import sys, time
from complete import Completer
from complete.transports.openai.completions import OpenAICompletions
transport = OpenAICompletions(sys.argv[1] + "/v1", server="openai", timeout=(2.0, 60.0))
bloom = Completer("Once upon a time", transport=transport, stream=False)
bloom()
print("AT", time.monotonic(), flush=True)
print("TEXT", repr(bloom.story.text), bloom.story.interrupted, flush=True)
"""


def test_ctrl_c_without_streaming_keeps_the_text_that_arrived(fault_server: FaultServer) -> None:
    hung = HangUps()
    fault_server.always(hung.reply(first=openai_chunk(" there was")))
    process = start(NOT_STREAMED, fault_server.url)
    sent, out, err = interrupt_when(process, lambda: fault_server.requests() == 1)
    said = lines_with_times(out)
    assert process.returncode == 0, err
    assert float(said["AT"]) - sent <= WITHIN
    assert said["TEXT"] == "'Once upon a time there was' True"
    assert len(hung.times) == 1


def test_ctrl_c_on_the_command_line_keeps_the_text_in_the_session(fault_server: FaultServer, tmp_path: Path) -> None:
    hung = HangUps()
    fault_server.always(hung.reply(first=openai_chunk(" there was")))
    saved = tmp_path / "diary.json"
    program = "import sys; from complete.cli import main; sys.exit(main(sys.argv[1:]))"
    process = start(
        program, "--backend", "openai", "--server", "openai", "--url", f"{fault_server.url}/v1", "--save", str(saved),
        "Once upon a time",
    )  # fmt: skip
    sent, out, err = interrupt_when(process, lambda: fault_server.requests() == 1)
    assert time.monotonic() - sent <= WITHIN + SLACK
    assert process.returncode == 130, err
    assert out == " there was\n"
    assert "complete: interrupted; what arrived is kept in" in err
    nodes = json.loads(saved.read_text())["nodes"]
    assert (nodes[-1]["segment"], nodes[-1].get("interrupted")) == (" there was", True)


def test_a_completer_interrupted_without_streaming_keeps_the_story_usable() -> None:
    from complete import Completer
    from complete.testing import ScriptedTransport

    bloom = Completer("Once", transport=ScriptedTransport([KeyboardInterrupt(), " upon a time."]), stream=False)
    bloom()
    bloom()
    assert bloom.story.text == "Once upon a time."
