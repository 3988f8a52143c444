"""complete, complete_stream, complete_many: pure, order-keeping, bounded, one pool."""

from __future__ import annotations

import threading
from collections.abc import Generator, Iterator

import attrs
import pytest

from complete import (
    APIError,
    CompleteError,
    Generation,
    Params,
    ParamsError,
    Story,
    TransportError,
    complete,
    complete_many,
    complete_stream,
)
from complete.testing import Cut, ScriptedTransport
from complete.transports.openai.completions import OpenAICompletions
from tests.helpers.fault_server import FaultServer, Handler, Received, json_reply

PARAMS = Params(max_new_tokens=8, seed=1)


def stories(*prompts: str) -> list[Story]:
    return [Story.from_prompt(prompt) for prompt in prompts]


class Echo:
    """A deterministic transport: answers " <prompt>!" and counts requests in flight.

    ``gate`` (a barrier) makes that many requests wait for each other, so a test can
    prove that exactly that many run at once; ``hold`` makes a prompt wait for an
    event before answering, and ``signal`` sets an event when a prompt is answered.
    """

    def __init__(
        self,
        gate: int = 0,
        hold: dict[str, threading.Event] | None = None,
        signal: dict[str, threading.Event] | None = None,
    ) -> None:
        self.in_flight = 0
        self.most_in_flight = 0
        self.finished: list[str] = []
        self._lock = threading.Lock()
        self._gate = threading.Barrier(gate) if gate else None
        self._hold = hold or {}
        self._signal = signal or {}

    def generate(self, prompt: str, params: Params) -> Generation:
        with self._lock:
            self.in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            if self._gate is not None:
                self._gate.wait(timeout=10)
            if prompt in self._hold:
                assert self._hold[prompt].wait(timeout=10)
            if prompt.startswith("fail"):
                raise APIError(status=500, message=f"no answer for {prompt}")
            if prompt.startswith("bug"):
                raise ZeroDivisionError(prompt)
            return Generation(text=f" {prompt}!", finish_reason="length", backend="echo", seed=params.seed)
        finally:
            with self._lock:
                self.in_flight -= 1
                self.finished.append(prompt)
            if prompt in self._signal:
                self._signal[prompt].set()

    def stream(self, prompt: str, params: Params) -> Generator[str, None, Generation]:
        generation = self.generate(prompt, params)
        yield generation.text
        return generation


# -- complete ---------------------------------------------------------------------


def test_complete_extends_the_story_with_the_generation() -> None:
    story = Story.from_prompt("Once upon a time")
    longer = complete(story, PARAMS, ScriptedTransport([" there was"]))
    assert longer.segments == ("Once upon a time", " there was")
    assert longer.parent is story
    assert (longer.origin, longer.params) == ("model", PARAMS)
    assert attrs.evolve(longer.generation, elapsed=None) == Generation(
        text=" there was", finish_reason="length", backend="scripted", model="scripted", seed=1
    )
    assert longer.generation is not None
    assert longer.generation.elapsed is not None


def test_the_same_story_params_and_deterministic_transport_give_equal_stories() -> None:
    story = Story.from_prompt("Once")
    first = complete(complete(story, PARAMS, Echo()), PARAMS, Echo())
    second = complete(complete(story, PARAMS, Echo()), PARAMS, Echo())
    assert first == second
    assert hash(first) == hash(second)
    assert first.text == "Once Once! Once Once!!"
    *_, streamed = complete_stream(story, PARAMS, Echo())
    assert streamed == complete(story, PARAMS, Echo())


@pytest.mark.parametrize(
    "failure", [TransportError("refused"), APIError(status=500, message="broken"), KeyboardInterrupt()]
)
def test_a_failed_request_raises_and_leaves_the_story_untouched(failure: BaseException) -> None:
    story = complete(Story.from_prompt("Once"), PARAMS, ScriptedTransport([" upon"]))
    before = story.to_dict()
    with pytest.raises(type(failure)):
        complete(story, PARAMS, ScriptedTransport([failure]))
    assert story.to_dict() == before
    assert story.text == "Once upon"


def test_the_prompt_sent_is_the_whole_story_text() -> None:
    transport = ScriptedTransport([" c"])
    complete(Story.from_prompt("a").extend(" b", origin="user"), PARAMS, transport)
    assert transport.calls == [("a b", PARAMS)]


# -- complete_stream ----------------------------------------------------------------


def test_complete_stream_yields_pieces_then_the_longer_story() -> None:
    story = Story.from_prompt("Once")
    items = list(complete_stream(story, PARAMS, ScriptedTransport([" upon a time"])))
    assert items[:-1] == [" upon", " a", " time"]
    longer = items[-1]
    assert isinstance(longer, Story)
    assert (longer.segments, longer.parent) == (("Once", " upon a time"), story)
    assert longer.generation is not None
    assert longer.generation.finish_reason == "length"


def test_a_stream_cut_midway_keeps_the_text_so_far_and_leaves_the_story_untouched() -> None:
    story = Story.from_prompt("Once")
    before = story.to_dict()
    stream = complete_stream(story, PARAMS, ScriptedTransport([Cut(" upon a time", TransportError("cut"))]))
    assert [next(stream), next(stream), next(stream)] == [" upon", " a", " time"]
    with pytest.raises(TransportError) as caught:
        next(stream)
    assert caught.value.partial == " upon a time"
    assert str(caught.value) == "cut (kept 12 characters received before the failure in .partial)"
    assert story.to_dict() == before


def test_a_stream_failing_before_any_text_has_an_empty_partial() -> None:
    with pytest.raises(APIError) as caught:
        list(complete_stream(Story.from_prompt("Once"), PARAMS, ScriptedTransport([APIError(status=503, message="x")])))
    assert caught.value.partial == ""


def test_an_interrupted_stream_is_not_swallowed() -> None:
    stream = complete_stream(Story.from_prompt("Once"), PARAMS, ScriptedTransport([Cut(" a b", KeyboardInterrupt())]))
    assert [next(stream), next(stream)] == [" a", " b"]
    with pytest.raises(KeyboardInterrupt):
        next(stream)


# -- complete_many ----------------------------------------------------------------


def test_results_come_back_in_input_order_even_when_they_finish_out_of_order() -> None:
    d_done = threading.Event()
    transport = Echo(hold={"a": d_done}, signal={"d": d_done})
    results = complete_many(stories("a", "b", "c", "d"), PARAMS, transport, concurrency=4)
    assert transport.finished[-1] == "a"  # "a" finished last ...
    assert [result.text for result in results] == ["a a!", "b b!", "c c!", "d d!"]  # ... but comes first


def test_per_item_errors_are_returned_in_place_not_raised() -> None:
    results = complete_many(stories("ok 1", "fail 2", "ok 3"), PARAMS, Echo(), concurrency=2)
    assert [type(result) for result in results] == [Story, APIError, Story]
    assert str(results[1]) == "HTTP 500: no answer for fail 2"
    assert [result.text for result in results if isinstance(result, Story)] == ["ok 1 ok 1!", "ok 3 ok 3!"]


def test_a_bug_that_is_not_a_complete_error_is_raised() -> None:
    with pytest.raises(ZeroDivisionError):
        complete_many(stories("ok", "bug"), PARAMS, Echo(), concurrency=2)


@pytest.mark.parametrize("concurrency", [1, 3, 8])
def test_concurrency_is_reached_and_never_exceeded(concurrency: int) -> None:
    transport = Echo(gate=concurrency)  # each request waits until `concurrency` are in flight
    results = complete_many(
        stories(*(f"s{i}" for i in range(concurrency * 4))), PARAMS, transport, concurrency=concurrency
    )
    assert all(isinstance(result, Story) for result in results)
    assert transport.most_in_flight == concurrency


def test_no_stories_give_no_results() -> None:
    assert complete_many([], PARAMS, Echo()) == []


@pytest.mark.parametrize("concurrency", [0, -1, 2.0, True, None])
def test_a_bad_concurrency_is_a_params_error(concurrency: object) -> None:
    with pytest.raises(ParamsError) as caught:
        complete_many(stories("a"), PARAMS, Echo(), concurrency=concurrency)  # type: ignore[arg-type]
    assert caught.value.field == "concurrency"


def test_results_equal_one_by_one_completion() -> None:
    many = stories("a", "b", "c")
    assert complete_many(many, PARAMS, Echo(), concurrency=3) == [complete(story, PARAMS, Echo()) for story in many]


# -- one connection pool, counted at a loopback server ----------------------------------


def counting_server(gate: int) -> FaultServer:
    """A ``FaultServer`` answering every completion request with " after <prompt>";
    ``gate`` requests at a time are held until they are all in flight."""
    server = FaultServer()
    barrier = threading.Barrier(gate)

    def after(handler: Handler, received: Received) -> None:
        barrier.wait(timeout=10)
        json_reply(200, {"choices": [{"text": f" after {received.json()['prompt']}", "finish_reason": "length"}]})(
            handler, received
        )

    server.always(after)
    return server


@pytest.fixture
def counting() -> Iterator[FaultServer]:
    server = counting_server(gate=8)
    yield server
    server.close()


def test_many_requests_share_one_pool_of_at_most_concurrency_connections(counting: FaultServer) -> None:
    transport = OpenAICompletions(f"{counting.url}/v1", server="openai")
    prompts = [f"story {i}" for i in range(32)]
    results = complete_many(stories(*prompts), PARAMS, transport, concurrency=8)
    assert [result.text for result in results] == [f"{prompt} after {prompt}" for prompt in prompts]
    # 8 held at once need 8 connections; the other 24 requests reuse them.
    assert (counting.requests(), counting.connections) == (32, 8)


def test_one_story_after_another_uses_one_connection() -> None:
    server = counting_server(gate=1)
    try:
        transport = OpenAICompletions(f"{server.url}/v1", server="openai")
        story = Story.from_prompt("Once")
        for _ in range(5):
            story = complete(story, PARAMS, transport)
        assert (server.requests(), server.connections) == (5, 1)
        assert story.segments[:3] == ("Once", " after Once", " after Once after Once")
        assert len(story.segments) == 6
    finally:
        server.close()


def test_errors_from_a_real_transport_are_complete_errors_in_place() -> None:
    server = counting_server(gate=1)
    url = f"{server.url}/v1"
    server.close()
    results = complete_many(stories("a", "b"), PARAMS, OpenAICompletions(url), concurrency=2)
    assert [type(result) for result in results] == [TransportError, TransportError]
    assert all(isinstance(result, CompleteError) for result in results)


def test_complete_many_takes_one_params_per_story_and_checks_the_count() -> None:
    from complete import Params, ParamsError, Story, complete_many
    from complete.testing import ScriptedTransport

    transport = ScriptedTransport([" a", " b"])
    stories = [Story.from_prompt("X"), Story.from_prompt("Y")]
    results = complete_many(stories, [Params(seed=1), Params(seed=2)], transport, concurrency=1, prompt="P")
    assert [getattr(result, "text", result) for result in results] == ["X a", "Y b"]
    assert transport.calls == [("P", Params(seed=1)), ("P", Params(seed=2))]
    with pytest.raises(ParamsError, match="one Params, or 2 of them"):
        complete_many(stories, [Params()], transport)


def test_many_requests_report_what_they_wait_for_to_the_callers_screen() -> None:
    from complete.transports import status

    class Reporting(ScriptedTransport):
        def generate(self, prompt: str, params: Params) -> Generation:
            status.report(status.Status(f"waiting for {prompt}"))
            return super().generate(prompt, params)

    heard: list[str] = []
    with status.reporting(lambda report: heard.append(report.message)):
        results = complete_many(stories("a", "b", "c"), PARAMS, Reporting([" 1", " 2", " 3"]), concurrency=3)
    assert sorted(heard) == ["waiting for a", "waiting for b", "waiting for c"]
    assert sorted(str(getattr(result, "text", result)) for result in results) == ["a 1", "b 2", "c 3"]
