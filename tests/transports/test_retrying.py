"""RetryingTransport: which errors are retried, how long it waits, when it gives up.

No test sleeps: a fake clock advances only when the fake ``sleep`` is called.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from typing import Any

import pytest
import tenacity

from complete.errors import (
    APIError,
    AuthError,
    CompleteError,
    ContextLimitError,
    ModelLoadingError,
    ModelNotFoundError,
    ParamsError,
    RateLimitError,
    ResponseError,
    TransportError,
)
from complete.testing import Cut, ScriptedTransport
from complete.transports.retrying import RetryingTransport
from complete.values.generation import Generation
from complete.values.params import Params
from tests.helpers.clock import FakeClock
from tests.helpers.responses import response
from tests.helpers.streams import drain


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def retrying(inner: Any, clock: FakeClock, **settings: Any) -> RetryingTransport:
    settings.setdefault("jitter", 0.0)
    return RetryingTransport(inner, sleep=clock.sleep, clock=clock, **settings)


def test_rate_limit_waits_as_long_as_the_server_asks(clock: FakeClock) -> None:
    inner = ScriptedTransport([RateLimitError(message="slow down", retry_after=7.0), " at last"])
    assert retrying(inner, clock).generate("Once", Params()).text == " at last"
    assert clock.waits == [7.0]
    assert len(inner.calls) == 2


def test_loading_model_waits_its_estimated_time(clock: FakeClock) -> None:
    inner = ScriptedTransport([ModelLoadingError(message="loading", estimated_time=20.0), " ready"])
    assert retrying(inner, clock).generate("Once", Params()).text == " ready"
    assert clock.waits == [20.0]


def test_transport_errors_back_off_exponentially_then_reraise_the_original(clock: FakeClock) -> None:
    errors = [TransportError(f"refused {n}") for n in range(4)]
    inner = ScriptedTransport(errors)
    with pytest.raises(TransportError) as caught:
        retrying(inner, clock).generate("Once", Params())
    assert caught.value is errors[-1]
    assert clock.waits == [1.0, 2.0, 4.0]
    assert len(inner.calls) == 4


def test_backoff_is_capped_by_max_wait(clock: FakeClock) -> None:
    inner = ScriptedTransport([TransportError("no")] * 4)
    with pytest.raises(TransportError):
        retrying(inner, clock, initial_wait=10.0, max_wait=15.0, max_seconds=100.0).generate("Once", Params())
    assert clock.waits == [10.0, 15.0, 15.0]


def test_jitter_is_added_to_the_backoff(clock: FakeClock, monkeypatch: pytest.MonkeyPatch) -> None:
    drawn: list[tuple[float, float]] = []

    def uniform(low: float, high: float) -> float:
        drawn.append((low, high))
        return high

    monkeypatch.setattr(random, "uniform", uniform)
    inner = ScriptedTransport([TransportError("no")] * 3)
    with pytest.raises(TransportError):
        retrying(inner, clock, attempts=3, jitter=0.5).generate("Once", Params())
    assert clock.waits == [1.5, 2.5]
    assert set(drawn) == {(0.0, 0.5)}


def test_server_hints_get_no_jitter(clock: FakeClock, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(random, "uniform", lambda low, high: pytest.fail("no jitter expected"))
    inner = ScriptedTransport([RateLimitError(message="wait", retry_after=3.0), " ok"])
    retrying(inner, clock, jitter=5.0).generate("Once", Params())
    assert clock.waits == [3.0]


def test_total_time_bounds_the_retries(clock: FakeClock) -> None:
    errors = [RateLimitError(message=f"wait {n}", retry_after=50.0) for n in range(5)]
    inner = ScriptedTransport(errors)
    with pytest.raises(RateLimitError) as caught:
        retrying(inner, clock, attempts=10, max_seconds=60.0).generate("Once", Params())
    # 50 s, then only the 10 s left, then time is up: three tries in all.
    assert clock.waits == [50.0, 10.0]
    assert caught.value is errors[2]
    assert len(inner.calls) == 3


def test_a_wait_longer_than_the_time_left_is_cut_to_it(clock: FakeClock) -> None:
    inner = ScriptedTransport([ModelLoadingError(message="loading", estimated_time=500.0), " ready"])
    assert retrying(inner, clock, max_seconds=60.0).generate("Once", Params()).text == " ready"
    assert clock.waits == [60.0]


def test_time_spent_in_requests_counts_too(clock: FakeClock) -> None:
    class Slow(ScriptedTransport):
        def generate(self, prompt: str, params: Params) -> Generation:
            clock.now += 25.0  # each try takes 25 s before failing
            return super().generate(prompt, params)

    inner = Slow([TransportError("timeout")] * 5)
    with pytest.raises(TransportError):
        retrying(inner, clock, attempts=10, max_seconds=60.0).generate("Once", Params())
    # 25 s + wait 1 s, 51 s + wait 2 s, 78 s: time is up after the third try.
    assert clock.waits == [1.0, 2.0]
    assert len(inner.calls) == 3


def test_one_attempt_means_no_retry(clock: FakeClock) -> None:
    error = RateLimitError(message="no", retry_after=1.0)
    inner = ScriptedTransport([error])
    with pytest.raises(RateLimitError) as caught:
        retrying(inner, clock, attempts=1).generate("Once", Params())
    assert caught.value is error
    assert clock.waits == []


@pytest.mark.parametrize(
    "error",
    [
        AuthError("HTTP 401: no"),
        APIError(status=500, message="Incomplete generation"),
        APIError(status=503, message="Service Unavailable"),
        ModelNotFoundError(status=404, message="Not Found"),
        ContextLimitError(status=422, message="too long", limit=32),
        ResponseError("not JSON"),
        ParamsError(field="top_k", value=0, allowed="an integer >= 1"),
    ],
    ids=lambda error: type(error).__name__,
)
def test_errors_that_will_not_pass_are_raised_at_once(clock: FakeClock, error: CompleteError) -> None:
    inner = ScriptedTransport([error, " never"])
    with pytest.raises(CompleteError) as caught:
        retrying(inner, clock).generate("Once", Params())
    assert caught.value is error
    assert (len(inner.calls), clock.waits) == (1, [])


def test_keyboard_interrupt_is_not_retried(clock: FakeClock) -> None:
    inner = ScriptedTransport([KeyboardInterrupt(), " never"])
    with pytest.raises(KeyboardInterrupt):
        retrying(inner, clock).generate("Once", Params())
    assert len(inner.calls) == 1


def test_giving_up_never_raises_tenacity_retry_error(clock: FakeClock) -> None:
    inner = ScriptedTransport([TransportError("a"), TransportError("b")])
    with pytest.raises(CompleteError) as caught:
        retrying(inner, clock, attempts=2).generate("Once", Params())
    assert not isinstance(caught.value, tenacity.RetryError)
    assert str(caught.value) == "b\nGave up after 2 tries, having waited 1.0 s between them."


def test_stream_is_retried_until_the_first_piece(clock: FakeClock) -> None:
    inner = ScriptedTransport([TransportError("refused"), RateLimitError(message="wait", retry_after=2.0), " and then"])
    pieces, generation = drain(retrying(inner, clock).stream("Once", Params()))
    assert pieces == [" and", " then"]
    assert generation.text == " and then"
    assert clock.waits == [1.0, 2.0]
    assert len(inner.calls) == 3


def test_stream_is_not_retried_after_a_piece_arrived(clock: FakeClock) -> None:
    cut = TransportError("cut")
    inner = ScriptedTransport([Cut(" and then", cut), " never"])
    pieces: list[str] = []
    with pytest.raises(TransportError) as caught:
        pieces.extend(retrying(inner, clock).stream("Once", Params()))
    assert pieces == [" and", " then"]
    assert caught.value is cut
    assert caught.value.partial == " and then"
    assert (len(inner.calls), clock.waits) == (1, [])


def test_stream_keeps_the_partial_text_the_inner_transport_set(clock: FakeClock) -> None:
    class Partial:
        def generate(self, prompt: str, params: Params) -> Generation:
            raise NotImplementedError

        def stream(self, prompt: str, params: Params) -> Iterator[str]:
            yield " a"
            error = TransportError("cut")
            error.partial = " a b"  # the inner transport knows better
            raise error

    with pytest.raises(TransportError) as caught:
        list(retrying(Partial(), clock).stream("Once", Params()))
    assert caught.value.partial == " a b"


def test_stream_without_pieces_returns_the_generation(clock: FakeClock) -> None:
    answer = Generation(text="", finish_reason="eos", backend="scripted")
    inner = ScriptedTransport([TransportError("refused"), answer])
    assert drain(retrying(inner, clock).stream("Once", Params())) == ([], answer)


def test_describe_is_the_inner_transports() -> None:
    transport = RetryingTransport(ScriptedTransport([], model="m"))
    assert transport.describe() == {"backend": "scripted", "model": "m"}


class Tokenizing(ScriptedTransport):
    def __init__(self, failures: list[CompleteError]) -> None:
        super().__init__([])
        self.failures = failures

    def count_tokens(self, text: str) -> int | None:
        if self.failures:
            raise self.failures.pop(0)
        return len(text.split())

    def context_window(self) -> int | None:
        if self.failures:
            raise self.failures.pop(0)
        return 2048


def test_count_tokens_and_context_window_pass_through_with_retries(clock: FakeClock) -> None:
    inner = Tokenizing([TransportError("refused")])
    transport = retrying(inner, clock)
    assert transport.count_tokens("three words here") == 3
    inner.failures.append(RateLimitError(message="wait", retry_after=2.0))
    assert transport.context_window() == 2048
    assert clock.waits == [1.0, 2.0]


def test_count_tokens_is_none_when_the_inner_transport_cannot_count() -> None:
    transport = RetryingTransport(ScriptedTransport([]))
    assert (transport.count_tokens("a"), transport.context_window()) == (None, None)


def test_repr_shows_the_policy() -> None:
    transport = RetryingTransport(ScriptedTransport([]), attempts=3, max_seconds=30)
    inner = "ScriptedTransport(0 replies left, 0 calls)"
    assert repr(transport) == f"RetryingTransport({inner}, attempts=3, max_seconds=30)"


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"attempts": 0}, "attempts=0 is not allowed: expected an integer >= 1 (tries in all)"),
        ({"attempts": True}, "attempts=True is not allowed: expected an integer >= 1 (tries in all)"),
        ({"max_seconds": -1}, "max_seconds=-1 is not allowed: expected a number of seconds >= 0"),
        ({"jitter": float("nan")}, "jitter=nan is not allowed: expected a number of seconds >= 0"),
    ],
)
def test_bad_policy_is_a_params_error(settings: dict[str, Any], message: str) -> None:
    with pytest.raises(ParamsError) as caught:
        RetryingTransport(ScriptedTransport([]), **settings)
    assert str(caught.value) == message


def test_retries_an_hf_transport_against_a_loading_model(monkeypatch: pytest.MonkeyPatch, clock: FakeClock) -> None:
    """The real pairing: HFInference makes one request per try; the wrapper waits."""
    import json

    from complete.transports.hf.inference import HFInference

    answers = [
        (503, {"error": "Model m is currently loading", "estimated_time": 4.5}),
        (200, [{"generated_text": " awake"}]),
    ]
    sent: list[dict[str, Any]] = []

    class Answers:
        def request(self, method: str, url: str, **kwargs: Any) -> Any:
            sent.append(kwargs["json"])
            status, data = answers.pop(0)
            return response(
                json.dumps(data).encode(), status=status, headers={"Content-Type": "application/json"}, url=url
            )

    serverless = "https://router.huggingface.co/hf-inference/models"  # named directly: no provider mapping asked
    transport = retrying(HFInference("m", base_url=serverless, session=Answers()), clock)  # type: ignore[arg-type]
    assert transport.generate("Once", Params()).text == " awake"
    assert clock.waits == [4.5]
    assert len(sent) == 2


def test_a_caller_who_stops_reading_ends_the_inner_stream(clock: FakeClock) -> None:
    closed: list[bool] = []

    class Endless:
        def generate(self, prompt: str, params: Params) -> Generation:
            raise NotImplementedError

        def stream(self, prompt: str, params: Params) -> Iterator[str]:
            try:
                while True:
                    yield " more"
            finally:
                closed.append(True)

    pieces = retrying(Endless(), clock).stream("Once", Params())
    assert [next(pieces), next(pieces)] == [" more", " more"]
    pieces.close()  # type: ignore[attr-defined]
    assert closed == [True]


def test_each_wait_is_reported_to_the_display_in_the_writers_words(clock: FakeClock) -> None:
    from complete.transports import status

    inner = ScriptedTransport(
        [
            RateLimitError(message="slow down", retry_after=2.0),
            ModelLoadingError(message="Model is currently loading", estimated_time=19.6),
            ModelLoadingError(message="Model is currently loading"),
            TransportError("could not connect to http://127.0.0.1:9/x: refused\nNothing is listening there."),
            " at last",
        ]
    )
    transport = retrying(inner, clock, attempts=5, max_seconds=100)
    reports: list[status.Status] = []
    with status.reporting(reports.append):
        assert transport.generate("Once", Params()).text == " at last"
    assert [report.message for report in reports] == [
        "server busy (429): retrying in 2 s, attempt 2 of 5",
        "model loading, about 20 s",
        "model loading: retrying in 4 s, attempt 4 of 5",
        "could not connect to http://127.0.0.1:9/x: refused: retrying in 8 s, attempt 5 of 5",
    ]
    assert not any(report.ticking for report in reports)
