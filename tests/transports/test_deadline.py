"""Every call ends: a total deadline that a trickling or endless server cannot stretch.

The fault matrix's four transports (``tests.helpers.fault_targets.TARGETS``), in both modes,
bare and wrapped in ``RetryingTransport``, against loopback servers that send their
headers at once and then a body that never ends: one byte at a time (plain or
chunked), server-sent ``: ping`` comments, an endless valid token stream, or nothing
at all. Each call has ``deadline=DEADLINE``; each must end within ``SLACK`` more,
with a ``TransportError`` that says how long it waited and what had arrived (a
stream's text so far kept on ``.partial``), and a stream that goes past
``max_new_tokens`` is cut by count, before any deadline. The Completer and the
command line take ``deadline=`` / ``--deadline`` for the whole call.
"""

from __future__ import annotations

import io
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from complete import Completer, cli
from complete.errors import CompleteError, ParamsError, TransportError
from complete.transports.base import Transport
from complete.transports.hf.inference import HFInference
from complete.transports.http.answers import EXTRA_PIECES
from complete.transports.openai.completions import OpenAICompletions
from complete.transports.retrying import RetryingTransport
from complete.values.params import Params
from complete.values.story import Story
from tests.helpers.fault_server import (
    FaultServer,
    Reply,
    deadline,
    endless,
    fresh_server,
    module_server,
    stall,
    trickle,
    without_info,
)
from tests.helpers.fault_targets import MODES, PROMPT, TARGETS, WRAPS, Target, first_piece, run

__all__ = ["fresh_server", "module_server"]  # the shared fixtures

DEADLINE = 0.6
SLACK = 1.0
"""How much longer than its deadline a call may take here (a busy, shared machine)."""
TIMEOUT = (2.0, 5.0)
"""Longer than the deadline: the deadline, not a timeout, must end these calls."""
LONGEST: list[float] = []
"""Every call's time, for the longest (printed at the end of the module)."""


@pytest.fixture(scope="module", autouse=True)
def _longest() -> Iterator[None]:
    yield
    if LONGEST:
        print(f"\nlongest call against a trickling or endless server: {max(LONGEST):.2f}s of {len(LONGEST)}")


@pytest.fixture
def server(fresh_server: FaultServer) -> FaultServer:
    """The module's server, reset, with no TGI ``/info``."""
    return without_info(fresh_server)


SLOW: dict[str, Reply] = {
    "trickle-plain": trickle("plain"),
    "trickle-chunked": trickle("chunked"),
    "sse-pings": trickle("ping"),
    "silent": stall(),
}


def build(target: Target, url: str, wrap: str) -> Transport:
    transport = target.build(url, TIMEOUT)
    transport.deadline = DEADLINE  # type: ignore[attr-defined]
    if wrap == "retrying":
        return RetryingTransport(transport, attempts=3, jitter=0.0, sleep=lambda _: None, deadline=DEADLINE)
    return transport


def timed(story: Story, transport: Transport, mode: str) -> tuple[Story | CompleteError, float]:
    started = time.monotonic()
    with deadline(DEADLINE + 10):
        outcome = run(story, transport, mode)
    took = time.monotonic() - started
    LONGEST.append(took)
    return outcome, took


@pytest.mark.parametrize("wrap", WRAPS)
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("target", TARGETS, ids=lambda target: target.name)
@pytest.mark.parametrize("slow", list(SLOW))
def test_a_server_that_never_finishes_cannot_stretch_a_call(
    server: FaultServer, slow: str, target: Target, mode: str, wrap: str
) -> None:
    server.always(SLOW[slow])
    outcome, took = timed(Story.from_prompt(PROMPT), build(target, server.url, wrap), mode)
    assert isinstance(outcome, TransportError), outcome
    assert DEADLINE - 0.05 <= took <= DEADLINE + SLACK
    message = str(outcome)
    assert message.startswith(f"gave up on {server.url}")
    assert f"the call may take {DEADLINE:g}s in all (deadline=)" in message
    if slow != "silent":
        assert "bytes of the answer had arrived" in message
    assert outcome.partial == ""
    assert server.requests(target.path) == 1  # the deadline passed: no second try


@pytest.mark.parametrize("wrap", WRAPS)
@pytest.mark.parametrize("target", TARGETS, ids=lambda target: target.name)
def test_an_endless_stream_is_cut_past_max_new_tokens(server: FaultServer, target: Target, wrap: str) -> None:
    server.always(endless(first_piece(target)))
    outcome, took = timed(Story.from_prompt(PROMPT), build(target, server.url, wrap), "stream")
    assert isinstance(outcome, TransportError), outcome
    assert f"went on past max_new_tokens=8 ({8 + EXTRA_PIECES} pieces arrived); it was cut there" in str(outcome)
    assert outcome.partial == " a" * (8 + EXTRA_PIECES)
    assert took < DEADLINE


@pytest.mark.parametrize("target", TARGETS, ids=lambda target: target.name)
def test_an_endless_answer_to_a_whole_request_ends_at_the_deadline(server: FaultServer, target: Target) -> None:
    server.always(endless(first_piece(target), every=0.01))
    outcome, took = timed(Story.from_prompt(PROMPT), build(target, server.url, "retrying"), "generate")
    assert isinstance(outcome, TransportError), outcome
    assert took <= DEADLINE + SLACK
    assert "bytes of the answer had arrived" in str(outcome)


def test_the_completer_deadline_bounds_the_whole_call_and_keeps_the_story(
    server: FaultServer, capsys: pytest.CaptureFixture[str]
) -> None:
    server.always(trickle("ping"))
    bloom = Completer(PROMPT, transport=HFInference(endpoint=server.url, timeout=TIMEOUT), deadline=DEADLINE)
    started = time.monotonic()
    with deadline(DEADLINE + 10), pytest.raises(TransportError, match="deadline="):
        bloom()
    assert time.monotonic() - started <= DEADLINE + SLACK
    assert bloom.story.text == PROMPT
    with pytest.raises(ParamsError, match="deadline='soon' is not allowed"):
        Completer(PROMPT, transport=bloom.transport, deadline="soon")


def test_the_command_line_deadline_bounds_the_call(server: FaultServer, capsys: pytest.CaptureFixture[str]) -> None:
    server.always(trickle("chunked"))
    started = time.monotonic()
    with deadline(DEADLINE + 10):
        code = cli.main(
            ["--backend", "tgi", "--url", server.url, "--deadline", str(DEADLINE), "--stream", PROMPT],
            stdout=io.StringIO(),
        )
    assert time.monotonic() - started <= DEADLINE + SLACK
    assert code == 1
    assert f"the call may take {DEADLINE:g}s in all (deadline=)" in capsys.readouterr().err
    assert cli.main(["--backend", "tgi", "--url", server.url, "--deadline", "-1", PROMPT]) == 2


@pytest.mark.parametrize("value", [0, -1, "abc", float("inf"), float("nan"), True, None])
def test_a_deadline_is_a_finite_number_of_seconds(value: object) -> None:
    for build_transport in (
        lambda: HFInference(endpoint="http://127.0.0.1:9", deadline=value),  # type: ignore[arg-type]
        lambda: OpenAICompletions("http://127.0.0.1:9/v1", deadline=value),  # type: ignore[arg-type]
        lambda: RetryingTransport(OpenAICompletions("http://127.0.0.1:9/v1"), deadline=value),  # type: ignore[arg-type]
    ):
        with pytest.raises(ParamsError, match="is not allowed: expected a number of seconds > 0"):
            build_transport()


def test_one_watchdog_thread_cuts_every_call_at_its_own_deadline(server: FaultServer) -> None:
    server.always(trickle("plain"))

    def call(seconds: float) -> float:
        transport = HFInference(endpoint=server.url, timeout=TIMEOUT, deadline=seconds)
        started = time.monotonic()
        with pytest.raises(TransportError, match=f"the call may take {seconds:g}s in all"):
            transport.generate(PROMPT, Params(max_new_tokens=8))
        return time.monotonic() - started

    given = [0.9, 0.6, 0.3]  # each watched after one that ends later, most likely
    with deadline(10), ThreadPoolExecutor(3) as pool:
        took = list(pool.map(call, given))
    for seconds, spent in zip(given, took, strict=True):
        assert seconds - 0.05 <= spent <= seconds + SLACK
    assert took[2] < took[1] < took[0]
    assert [thread.name for thread in threading.enumerate()].count("complete-deadline-watchdog") == 1


def test_the_watchdog_keeps_no_more_than_it_watches() -> None:
    from complete.transports.deadline import _Watchdog

    watchdog = _Watchdog()
    kept = watchdog.watch(time.monotonic() + 600, object())  # type: ignore[arg-type]
    for _ in range(1000):
        watchdog.forget(watchdog.watch(time.monotonic() + 600, object()))  # type: ignore[arg-type]
    assert list(watchdog._live) == [kept]
    assert len(watchdog._due) <= 2 * 1 + 64 + 1  # forgotten ones are dropped as they pile up
