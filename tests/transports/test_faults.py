"""The fault matrix: every HTTP transport against every way a server fails.

Transports (4): ``HFInference`` on the serverless route (``base_url=``) and on an
endpoint (TGI, ``endpoint=``), ``OpenAICompletions`` as server="openai" and as
server="llama.cpp" (the dialect that probes an empty stream). Each runs in both
modes, ``complete()`` (generate) and ``complete_stream()`` (stream), bare and
wrapped in ``RetryingTransport`` with an injected sleep that records its waits
instead of sleeping, against every fault in ``FAULTS`` served by the loopback
``FaultServer``.

Every case checks:

- the error class from DESIGN.md, exactly (or the text, for the faults a client
  should tolerate), its status, and the server's own words in ``str(error)``;
- ``error.partial`` is exactly the text the stream delivered before the failure;
- the story passed in is unchanged;
- retries happen only where they should, counted at the server: a
  ``TransportError``, 429 or 503-while-loading is tried ``ATTEMPTS`` times, anything
  else exactly once (llama.cpp's probe of an empty stream is one more request per
  try), and the waits between tries are the ones the server asked for;
- nothing hangs: every transport has a short timeout, and ``deadline`` fails a case
  that runs past ``GUARD_SECONDS`` instead of stalling the run.
"""

from __future__ import annotations

import functools
import gzip
import json
from collections.abc import Callable
from typing import Any

import attrs
import pytest
import requests

from complete.errors import (
    APIError,
    AuthError,
    CompleteError,
    ContextLimitError,
    ModelLoadingError,
    ModelNotFoundError,
    RateLimitError,
    ResponseError,
    TransportError,
)
from complete.transports.hf.inference import HFInference
from complete.transports.http.edge import MAX_BODY_BYTES
from complete.transports.http.sse import MAX_LINE_CHARS
from complete.transports.openai.completions import OpenAICompletions
from complete.transports.retrying import RetryingTransport
from complete.values.story import Story
from tests.conftest import FAKE_TOKEN
from tests.helpers.clock import FakeClock
from tests.helpers.fault_server import (
    FaultServer,
    Reply,
    closed_port,
    cut_body,
    deadline,
    events,
    fastapi_detail,
    gigantic,
    hang_up,
    hf_error,
    hf_generation,
    html_page,
    json_reply,
    module_server,
    openai_chunk,
    openai_completion,
    openai_error,
    redirect,
    respond,
    sse,
    stall,
    tgi_token,
    vllm_error,
)
from tests.helpers.fault_server import fresh_server as server
from tests.helpers.fault_targets import MODES, PARAMS, PROMPT, TARGETS, TIMEOUT, WRAPS, Target, first_piece, run

__all__ = ["module_server", "server"]  # the shared fixtures, by the names these tests use

STALL_TIMEOUT = (2.0, 0.1)
"""For the server that never answers: any read timeout fires, so a short one is safe."""
ATTEMPTS = 3
GUARD_SECONDS = 30.0
BACKOFF = (1.0, 2.0)
"""RetryingTransport's waits with initial_wait=1 and no jitter, between 3 tries."""


# -- what the servers send ------------------------------------------------------------


def half_event(target: Target) -> bytes:
    return b'data: {"token": {"id": 2, "te' if target.family == "hf" else b'data: {"object": "text_completion", "cho'


def success(target: Target, mode: str, content_type: str | None = "application/json") -> Reply:
    """A whole, correct answer to ``mode``'s request (``content_type`` for JSON ones)."""
    if mode == "stream" and content_type is None:
        if target.family == "hf":
            return events(tgi_token(" and"), tgi_token(" then", final=" and then"), content_type=None)
        return events(openai_chunk(" and"), openai_chunk(" then", "length"), sse(b"[DONE]"), content_type=None)
    data = by_family(target, hf_generation(" and then"), openai_completion(" and then"))
    return respond(200, json.dumps(data).encode(), content_type=content_type)


@functools.cache
def gzip_bomb() -> bytes:
    """About 17 KB that a gzip reader inflates to more than ``MAX_BODY_BYTES``."""
    return gzip.compress(b'[{"generated_text": "' + b"a" * (MAX_BODY_BYTES + 65536), compresslevel=9)


def by_family(target: Target, hf: Any, openai: Any) -> Any:
    return hf if target.family == "hf" else openai


# -- the faults ---------------------------------------------------------------------


@attrs.frozen
class Expect:
    """What one case must end in."""

    kind: type[CompleteError] | None  # None: the client copes, and the text arrives
    says: tuple[str, ...] = ()  # each in str(error): the server's own words, or what happened
    status: int | None = None
    retried: bool = False
    waits: tuple[float, ...] = BACKOFF  # between tries, when retried
    partial: str = ""
    per_try: int = 1  # requests one try makes
    text: str = " and then"


Build = Callable[[Target, str, str], tuple[Reply, Expect]]


@attrs.frozen
class Fault:
    name: str
    build: Build
    timeout: tuple[float, float] = TIMEOUT
    refused: bool = False  # no server at all: the address is a closed port


def api_error(
    kind: type[CompleteError],
    status: int,
    hf: Any,
    openai: Any,
    words: tuple[str, str],
    *,
    headers: dict[str, str] | None = None,
    **expect: Any,
) -> Build:
    """A JSON error answer in each family's real shape; ``words`` are its message in each.

    The error's status is the answer's, except for a 200 (an error body in a success
    answer has no HTTP status to report, like an error event in a stream).
    """

    def build(target: Target, mode: str, url: str) -> tuple[Reply, Expect]:
        reply = json_reply(status, by_family(target, hf, openai), headers=headers)
        said = (by_family(target, *words),)
        return reply, Expect(kind, said, status=None if status == 200 else status, **expect)

    return build


HF_CONTEXT = (
    "Input validation error: `inputs` tokens + `max_new_tokens` must be <= 2048. "
    "Given: 2041 `inputs` tokens and 8 `max_new_tokens`"
)
OPENAI_CONTEXT = (
    "This model's maximum context length is 2048 tokens, however you requested 2049 tokens "
    "(2041 in your prompt; 8 for the completion). Please reduce your prompt; or completion length."
)


def fixed(reply: Callable[[Target, str, str], Reply], expect: Callable[[Target, str], Expect]) -> Build:
    return lambda target, mode, url: (reply(target, mode, url), expect(target, mode))


def same(reply: Reply, expect: Expect) -> Build:
    return lambda target, mode, url: (reply, expect)


def per_mode(generate: Expect, stream: Expect | Callable[[Target], Expect]) -> Callable[[Target, str], Expect]:
    def expect(target: Target, mode: str) -> Expect:
        if mode == "generate":
            return generate
        return stream(target) if callable(stream) else stream

    return expect


NOT_JSON = "is not valid JSON"
CUT = "was cut while reading the response"


def redirect_fault(status: int, reason: str, body: bytes = b"", words: str | None = None) -> Build:
    def build(target: Target, mode: str, url: str) -> tuple[Reply, Expect]:
        location = f"{url}/moved{target.path}"
        says = (words or reason, f"The server redirects to {location}; requests are not followed there.")
        return redirect(status, location, body), Expect(APIError, says, status=status)

    return build


def stream_unfinished(target: Target) -> Expect:
    says = "ended before its final event" if target.family == "hf" else "ended before its final 'data: [DONE]' event"
    return Expect(TransportError, (says,), partial=" a")


def empty_stream(target: Target) -> Expect:
    if target.family == "hf":
        return Expect(TransportError, ("ended before its final event",), retried=True)
    per_try = 2 if target.name == "llama.cpp" else 1  # llama.cpp: a probe asks again without streaming
    return Expect(TransportError, ("(no event at all was received)",), retried=True, per_try=per_try)


def error_event(target: Target) -> Expect:
    words = by_family(target, "Request failed during generation: Server error: CUDA out of memory", "engine crashed")
    return Expect(APIError, (words,), status=None, partial=" a")


FAULTS = [
    Fault(
        "401-auth",
        api_error(
            AuthError,
            401,
            hf_error("Invalid credentials in Authorization header"),
            openai_error("Incorrect API key provided.", code="invalid_api_key"),
            ("Invalid credentials in Authorization header", "Incorrect API key provided."),
        ),
    ),
    Fault(
        "403-header-only",
        same(
            respond(
                403, b"", headers={"X-Error-Message": "This authentication method does not have sufficient permissions"}
            ),
            Expect(AuthError, ("This authentication method does not have sufficient permissions",), status=403),
        ),
    ),
    Fault(
        "404-not-found",
        api_error(
            ModelNotFoundError,
            404,
            hf_error("Model gpt2 does not exist"),
            vllm_error("The model `m` does not exist.", "NotFoundError", 404),
            ("Model gpt2 does not exist", "The model `m` does not exist."),
        ),
    ),
    Fault(
        "422-validation",
        api_error(
            APIError,
            422,
            hf_error("Input validation error: `temperature` must be strictly positive", error_type="validation"),
            fastapi_detail("max_tokens", "Input should be >= 1"),
            ("Input validation error: `temperature` must be strictly positive", "max_tokens: Input should be >= 1"),
        ),
    ),
    Fault(
        "context-limit",
        lambda target, mode, url: (
            json_reply(
                by_family(target, 422, 400),
                by_family(
                    target,
                    hf_error(HF_CONTEXT, error_type="validation"),
                    openai_error(OPENAI_CONTEXT, code="context_length_exceeded"),
                ),
            ),
            Expect(
                ContextLimitError, (by_family(target, HF_CONTEXT, OPENAI_CONTEXT),), status=by_family(target, 422, 400)
            ),
        ),
    ),
    Fault(
        "413-proxy-html",
        same(
            html_page(413, "413 Request Entity Too Large"),
            Expect(APIError, ("413 Request Entity Too Large",), status=413),
        ),
    ),
    Fault(
        "429-rate-limit",
        api_error(
            RateLimitError,
            429,
            hf_error("Rate limit reached. You reached free usage limit (reset hourly)."),
            openai_error("Rate limit reached for requests", "requests", "rate_limit_exceeded"),
            ("Rate limit reached. You reached free usage limit (reset hourly).", "Rate limit reached for requests"),
            headers={"Retry-After": "7"},
            retried=True,
            waits=(7.0, 7.0),
        ),
    ),
    Fault(
        "503-loading",
        lambda target, mode, url: (
            json_reply(
                503,
                by_family(
                    target,
                    hf_error("Model gpt2 is currently loading", estimated_time=12.5),
                    openai_error("Loading model", "unavailable_error", 503),
                ),
            ),
            Expect(
                ModelLoadingError,
                (by_family(target, "Model gpt2 is currently loading", "Loading model"),),
                status=503,
                retried=True,
                waits=by_family(target, (12.5, 12.5), BACKOFF),
            ),
        ),
    ),
    Fault(
        "503-proxy-html",
        same(
            html_page(503, "503 Service Temporarily Unavailable"),
            Expect(
                APIError, ("the server answered with an HTML page: 503 Service Temporarily Unavailable",), status=503
            ),
        ),
    ),
    Fault(
        "500-server-error",
        api_error(
            APIError,
            500,
            hf_error("Request failed during generation: Server error: CUDA out of memory", error_type="generation"),
            openai_error("The server had an error while processing your request.", "server_error"),
            ("Request failed during generation: Server error: CUDA out of memory", "The server had an error"),
        ),
    ),
    Fault(
        "502-proxy-html",
        same(html_page(502, "502 Bad Gateway"), Expect(APIError, ("HTML page: 502 Bad Gateway",), status=502)),
    ),
    Fault("301-redirect", redirect_fault(301, "Moved Permanently")),
    Fault(
        "302-redirect", redirect_fault(302, "Found", b"<html><title>Moved here</title></html>", "HTML page: Moved here")
    ),
    Fault("307-redirect", redirect_fault(307, "Temporary Redirect")),
    Fault("308-redirect", redirect_fault(308, "Permanent Redirect")),
    Fault("refused", same(hang_up(), Expect(TransportError, ("could not connect to",), retried=True)), refused=True),
    Fault(
        "closed-before-headers",
        same(hang_up(), Expect(TransportError, ("was closed before an answer", "Remote end closed"), retried=True)),
    ),
    Fault(
        "no-answer-within-timeout",
        same(stall(), Expect(TransportError, ("no answer from", "within 0.1s"), retried=True)),
        timeout=STALL_TIMEOUT,
    ),
    Fault(
        "body-cut-mid-json",
        lambda target, mode, url: (
            cut_body(
                200,
                by_family(target, b'[{"generated_text": " and th', b'{"object": "text_completion", "choices": [{"te'),
            ),
            Expect(TransportError, (CUT,), retried=True),
        ),
    ),
    Fault(
        "stream-cut-mid-event",
        fixed(
            lambda target, mode, url: events(first_piece(target), half_event(target), end=False),
            per_mode(Expect(TransportError, (CUT,), retried=True), Expect(TransportError, (CUT,), partial=" a")),
        ),
    ),
    Fault(
        "stream-without-final-event",
        fixed(
            lambda target, mode, url: events(first_piece(target)),
            per_mode(Expect(ResponseError, (NOT_JSON,)), stream_unfinished),
        ),
    ),
    Fault(
        "empty-stream",
        fixed(lambda target, mode, url: events(), per_mode(Expect(ResponseError, (NOT_JSON,)), empty_stream)),
    ),
    Fault(
        "error-event-mid-stream",
        fixed(
            lambda target, mode, url: events(
                first_piece(target),
                sse(
                    by_family(
                        target,
                        hf_error("Request failed during generation: Server error: CUDA out of memory"),
                        openai_error("engine crashed", "server_error"),
                    )
                ),
            ),
            per_mode(Expect(ResponseError, (NOT_JSON,)), error_event),
        ),
    ),
    Fault(
        "200-with-error-body",
        api_error(
            APIError,
            200,
            hf_error("Input validation error: `max_new_tokens` must be <= 4", error_type="validation"),
            openai_error("max_tokens must be at most 4"),
            ("Input validation error: `max_new_tokens` must be <= 4", "max_tokens must be at most 4"),
        ),
    ),
    Fault(
        "200-with-overloaded-body",
        api_error(
            RateLimitError,
            200,
            hf_error("Model is overloaded", error_type="overloaded"),
            openai_error("Rate limit reached for requests", "requests", "rate_limit_exceeded"),
            ("Model is overloaded", "Rate limit reached for requests"),
            retried=True,
        ),
    ),
    Fault(
        "invalid-utf8",
        fixed(
            lambda target, mode, url: (
                respond(200, b'[{"generated_text": " caf\xe9"}]', content_type="application/json")
                if mode == "generate"
                else events(first_piece(target), b'data: {"text": " caf\xe9"}\n\n')
            ),
            per_mode(
                Expect(ResponseError, ("is not valid UTF-8",)),
                Expect(ResponseError, ("the event stream is not valid UTF-8",), partial=" a"),
            ),
        ),
    ),
    Fault(
        "invalid-utf8-error-body",
        same(
            respond(500, b'{"error": "internal failure near \xff\xfe"}', content_type="application/json"),
            Expect(APIError, ("internal failure near \ufffd\ufffd",), status=500),
        ),
    ),
    Fault(
        "gigantic-json",
        same(
            gigantic(200, MAX_BODY_BYTES + 65536, content_type="application/json", head=b'[{"generated_text": "'),
            Expect(ResponseError, (f"is larger than {MAX_BODY_BYTES} bytes; refusing to read it all",)),
        ),
    ),
    Fault(
        "gigantic-error-page",
        same(
            gigantic(500, MAX_BODY_BYTES + 65536, content_type="text/plain", head=b"Internal error: ", chunked=False),
            Expect(APIError, ("HTTP 500: Internal error: aaaa",), status=500),
        ),
    ),
    Fault(
        "gigantic-event",
        same(
            gigantic(200, MAX_LINE_CHARS + 65536, content_type="text/event-stream", head=b"data: ", piece=4096),
            Expect(ResponseError, ()),  # refined per mode below
        ),
    ),
    Fault(
        "200-proxy-html",
        same(
            html_page(200, "Sign in to the network"),
            Expect(ResponseError, (NOT_JSON, "<title>Sign in to the network</title>")),
        ),
    ),
    Fault(
        "200-plain-text",
        same(respond(200, b"OK", content_type="text/plain"), Expect(ResponseError, (NOT_JSON, "'OK'"))),
    ),
    Fault(
        "200-octet-stream",
        same(
            respond(200, b"\x00\x01GGUF\x03", content_type="application/octet-stream"),
            Expect(ResponseError, (NOT_JSON,)),
        ),
    ),
    Fault(
        "gzip-encoded",
        lambda target, mode, url: (
            respond(
                200,
                gzip.compress(
                    json.dumps(by_family(target, hf_generation(" and then"), openai_completion(" and then"))).encode()
                ),
                content_type="application/json",
                headers={"Content-Encoding": "gzip"},
            ),
            Expect(None),
        ),
    ),
    Fault(
        "gzip-bomb",
        lambda target, mode, url: (
            respond(200, gzip_bomb(), content_type="application/json", headers={"Content-Encoding": "gzip"}),
            Expect(ResponseError, (f"is larger than {MAX_BODY_BYTES} bytes; refusing to read it all",)),
        ),
    ),
    Fault(
        "gzip-corrupt",
        same(
            respond(
                200,
                gzip.compress(b'[{"generated_text": ""}]')[:10] + b"\xff" * 20,  # a gzip header, then no deflate data
                content_type="application/json",
                headers={"Content-Encoding": "gzip"},
            ),
            Expect(ResponseError, ("is not valid gzip data",)),
        ),
    ),
    Fault(
        "json-labelled-plain-text",
        lambda target, mode, url: (success(target, mode, "text/plain; charset=utf-8"), Expect(None)),
    ),
    Fault("no-content-type", lambda target, mode, url: (success(target, mode, None), Expect(None))),
]


def refine(fault: Fault, target: Target, mode: str, expect: Expect) -> Expect:
    """Expectations that depend on the mode in ways simpler said here."""
    if fault.name == "gigantic-event":
        if mode == "stream":
            return attrs.evolve(expect, says=(f"an event-stream line is longer than {MAX_LINE_CHARS} characters",))
        return attrs.evolve(expect, says=(NOT_JSON, "'data: aaaa"))
    return expect


# -- running one case -----------------------------------------------------------------


@pytest.mark.parametrize("wrap", WRAPS)
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("target", TARGETS, ids=lambda target: target.name)
@pytest.mark.parametrize("fault", FAULTS, ids=lambda fault: fault.name)
def test_fault_matrix(server: FaultServer, fault: Fault, target: Target, mode: str, wrap: str) -> None:
    url = f"http://127.0.0.1:{closed_port()}" if fault.refused else server.url
    reply, expect = fault.build(target, mode, url)
    expect = refine(fault, target, mode, expect)
    server.always(reply)
    waits: list[float] = []
    transport = target.build(url, fault.timeout)
    if wrap == "retrying":
        transport = RetryingTransport(transport, attempts=ATTEMPTS, initial_wait=1.0, jitter=0.0, sleep=waits.append)
    story = Story.from_prompt(PROMPT)
    saved = story.to_dict()

    with deadline(GUARD_SECONDS):
        outcome = run(story, transport, mode)

    assert story.to_dict() == saved
    assert story.text == PROMPT
    tries = ATTEMPTS if wrap == "retrying" and expect.retried else 1
    assert server.requests() == (0 if fault.refused else tries * expect.per_try)
    assert waits == list(expect.waits[: tries - 1])
    if expect.kind is None:
        assert isinstance(outcome, Story)
        assert (outcome.parent, outcome.segment) == (story, expect.text)
        return
    assert isinstance(outcome, CompleteError), outcome
    assert type(outcome) is expect.kind
    for words in expect.says:
        assert words in str(outcome)
    if isinstance(outcome, APIError | AuthError):
        assert outcome.status == expect.status
    assert outcome.partial == expect.partial
    assert FAKE_TOKEN not in str(outcome)
    assert FAKE_TOKEN not in repr(outcome)


def test_the_matrix_is_as_large_as_the_docstring_says() -> None:
    assert (len(TARGETS), len(FAULTS), len(MODES), len(WRAPS)) == (4, 38, 2, 2)


# -- bounds, connections and timeouts, beyond the matrix ----------------------------------


@pytest.mark.parametrize("target", TARGETS, ids=lambda target: target.name)
def test_retries_stop_when_the_time_is_up_even_with_tries_left(server: FaultServer, target: Target) -> None:
    server.always(json_reply(429, {"error": "slow down"}, headers={"Retry-After": "10"}))
    clock = FakeClock()
    transport = RetryingTransport(
        target.build(server.url, TIMEOUT), attempts=10, max_seconds=25, sleep=clock.sleep, clock=clock
    )
    with deadline(GUARD_SECONDS), pytest.raises(RateLimitError):
        transport.generate(PROMPT, PARAMS)
    assert clock.waits == [10.0, 10.0, 5.0]  # the last wait is cut to the time left
    assert server.requests() == 4


def test_retried_error_answers_reuse_one_connection(server: FaultServer) -> None:
    server.always(json_reply(503, {"error": "Model gpt2 is currently loading", "estimated_time": 1.0}))
    transport = RetryingTransport(HFInference(endpoint=server.url, timeout=TIMEOUT), attempts=3, sleep=lambda _: None)
    with deadline(GUARD_SECONDS), pytest.raises(ModelLoadingError):
        transport.generate(PROMPT, PARAMS)
    assert (server.requests(), server.connections) == (3, 1)


def test_every_try_after_a_hang_up_opens_a_new_connection(server: FaultServer) -> None:
    server.always(hang_up())
    transport = RetryingTransport(HFInference(endpoint=server.url, timeout=TIMEOUT), attempts=3, sleep=lambda _: None)
    with deadline(GUARD_SECONDS), pytest.raises(TransportError):
        transport.generate(PROMPT, PARAMS)
    assert (server.requests(), server.connections) == (3, 3)


def test_a_gigantic_error_page_is_not_read_to_its_end(server: FaultServer) -> None:
    server.always(gigantic(502, 64 * MAX_BODY_BYTES, content_type="text/html", head=b"<title>Bad Gateway</title>"))
    with deadline(GUARD_SECONDS), pytest.raises(APIError) as caught:
        OpenAICompletions(f"{server.url}/v1", timeout=TIMEOUT).generate(PROMPT, PARAMS)
    assert str(caught.value).startswith("HTTP 502: the server answered with an HTML page: Bad Gateway")


def test_a_long_line_in_small_pieces_is_refused_without_quadratic_work(server: FaultServer) -> None:
    # 8 MiB in 1 KiB chunks: rescanning the whole line on every read took minutes.
    server.always(gigantic(200, MAX_LINE_CHARS + 4096, content_type="text/event-stream", head=b"data: ", piece=1024))
    with deadline(GUARD_SECONDS), pytest.raises(ResponseError) as caught:
        list(HFInference(endpoint=server.url, timeout=TIMEOUT).stream(PROMPT, PARAMS))
    assert str(caught.value) == f"an event-stream line is longer than {MAX_LINE_CHARS} characters"


class TimeoutRecorder(requests.Session):
    """A real session that records the timeout of every request it sends."""

    def __init__(self) -> None:
        super().__init__()
        self.timeouts: list[object] = []

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> requests.Response:
        self.timeouts.append(kwargs.get("timeout"))
        return super().request(method, url, *args, **kwargs)


def test_every_request_of_every_route_has_the_timeout(server: FaultServer) -> None:
    session = TimeoutRecorder()
    timeout = (1.5, 4.0)
    server.route("/info", json_reply(200, {"max_total_tokens": 2048}))
    server.route("/tokenize", json_reply(200, [{"id": 1, "text": "a"}]))
    server.route("/extras/tokenize/count", json_reply(200, {"count": 2}))
    server.route("/props", json_reply(200, {"default_generation_settings": {"n_ctx": 2048}}))
    server.route("/models/gpt2", success(TARGETS[0], "generate"))
    hf = HFInference(endpoint=server.url, session=session, timeout=timeout)
    serverless = HFInference("gpt2", base_url=f"{server.url}/models", session=session, timeout=timeout)
    llama = OpenAICompletions(f"{server.url}/v1", server="llama.cpp", session=session, timeout=timeout)
    server.script(success(TARGETS[1], "generate"), events(), success(TARGETS[2], "generate"), events(), events())
    with deadline(GUARD_SECONDS):
        assert (hf.context_window(), hf.count_tokens("a")) == (2048, 1)
        assert serverless.generate(PROMPT, PARAMS).text == " and then"
        assert hf.generate(PROMPT, PARAMS).text == " and then"
        with pytest.raises(TransportError):
            list(hf.stream(PROMPT, PARAMS))
        assert llama.generate(PROMPT, PARAMS).text == " and then"
        with pytest.raises(TransportError):  # an empty stream, then llama.cpp's probe
            list(llama.stream(PROMPT, PARAMS))
        assert (llama.context_window(), llama.count_tokens("a b")) == (2048, 2)
    assert session.timeouts == [timeout] * 10
