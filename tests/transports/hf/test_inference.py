"""The Hugging Face transport: request bodies, answers, errors, streams.

Three kinds of tests, none touching the internet:

- hand-written cassettes (``cassettes/hf-*.yaml``) replayed through
  ``complete.testing.recording`` with body matching, one per answer shape and per
  error class;
- a loopback HTTP server this module starts on 127.0.0.1 for what a cassette
  cannot show: one request per call, connection reuse, timeouts, cut streams;
- pure functions (``request_body``, ``parse_generation``) and property tests.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import urllib3
from hypothesis import given, settings
from hypothesis import strategies as st

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
from complete.testing import TOKEN_PATTERN
from complete.transports.credentials import token_places
from complete.transports.hf.inference import HFInference
from complete.transports.hf.wire import parse_generation, request_body
from complete.values.generation import Generation, TokenLogprob
from complete.values.params import Params
from complete.values.story import Story
from complete.writing.core import complete, complete_stream
from tests.conftest import CASSETTES, FAKE_TOKEN
from tests.helpers.cassettes import replay
from tests.helpers.fault_server import FaultServer, Handler, Received, Reply, events, json_reply, respond
from tests.helpers.record_cassettes import REPLAY_TGI, SCENARIOS, Scenario, Target, record_hf
from tests.helpers.responses import response
from tests.helpers.streams import drain

PROMPT = "The lighthouse keeper climbed the stairs one last time."
SERVERLESS = "https://router.huggingface.co/hf-inference/models"
ENDPOINT = "https://a1b2c3d4e5f6g7h8.us-east-1.aws.endpoints.huggingface.cloud"
TGI = "http://127.0.0.1:8080"
BASE = {"return_full_text": False, "details": True}
WAYS = (
    'Ways on: another model with model="..." that a provider serves for text-generation '
    "(see https://huggingface.co/models?inference_provider=all&pipeline_tag=text-generation; "
    'bloom.providers("org/name") says who serves one); endpoint="https://..." for an Inference Endpoint or a TGI '
    "server running bigscience/bloom (its page: https://huggingface.co/bigscience/bloom); "
    'or the embedded local model, Completer(..., backend="local"), which needs no account or network.'
)
BLOOM_NOT_SERVED = (
    f"The server at {SERVERLESS} does not serve bigscience/bloom: BLOOM is no longer served there. {WAYS}"
)
KEPT_8 = " (kept 8 characters received before the failure in .partial)"
CONTEXT_HINT = (
    "The prompt and max_new_tokens together must fit the model's window: lower max_new_tokens, "
    "or give the Completer a window_size= so the oldest text is left out of the prompt."
)


def drain_until_error(pieces: Iterator[str]) -> tuple[list[str], CompleteError]:
    received: list[str] = []
    with pytest.raises(CompleteError) as caught:
        received.extend(pieces)
    return received, caught.value


# -- the request -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "parameters"),
    [
        pytest.param(Params(), {**BASE, "max_new_tokens": 64}, id="only-what-is-set"),
        pytest.param(
            Params(temperature=1.0, top_k=30),
            {**BASE, "max_new_tokens": 64, "temperature": 1.0, "top_k": 30, "do_sample": True},
            id="sampling-knobs-turn-sampling-on",
        ),
        pytest.param(
            Params(temperature=0, top_k=30, top_p=0.9, repetition_penalty=1.2),
            {**BASE, "max_new_tokens": 64, "do_sample": False, "repetition_penalty": 1.2},
            id="temperature-0-is-greedy",
        ),
        pytest.param(
            Params(temperature=0.7, do_sample=False),
            {**BASE, "max_new_tokens": 64, "do_sample": False},
            id="do_sample-false-is-greedy",
        ),
        pytest.param(Params(do_sample=True), {**BASE, "max_new_tokens": 64, "do_sample": True}, id="do_sample-true"),
        pytest.param(Params(top_p=1.0), {**BASE, "max_new_tokens": 64}, id="top_p-1-left-out"),
        pytest.param(
            Params(top_p=0.9), {**BASE, "max_new_tokens": 64, "top_p": 0.9, "do_sample": True}, id="top_p-below-1"
        ),
        pytest.param(
            Params(stop=["\n", "THE END"], seed=7, max_new_tokens=10),
            {**BASE, "max_new_tokens": 10, "seed": 7, "stop": ["\n", "THE END"]},
            id="stop-wire-name",
        ),
        pytest.param(Params(logprobs=0), {**BASE, "max_new_tokens": 64}, id="logprobs-0-needs-no-top-tokens"),
        pytest.param(Params(logprobs=3), {**BASE, "max_new_tokens": 64, "top_n_tokens": 3}, id="logprobs-k"),
    ],
)
def test_request_body_sends_only_what_is_set(params: Params, parameters: dict[str, Any]) -> None:
    assert request_body(PROMPT, params) == {"inputs": PROMPT, "parameters": parameters}


def test_stream_request_body_asks_for_a_stream() -> None:
    assert request_body(PROMPT, Params(max_new_tokens=5), stream=True) == {
        "inputs": PROMPT,
        "parameters": {**BASE, "max_new_tokens": 5},
        "stream": True,
    }


# -- success shapes, from cassettes -----------------------------------------------


def test_list_form_from_the_serverless_api() -> None:
    with replay("hf-list-form.yaml"):
        generation = HFInference(base_url=SERVERLESS).generate(
            PROMPT, Params(temperature=1.0, top_k=30, max_new_tokens=20)
        )
    assert generation == Generation(
        text=" Below him the sea was grey and restless, and the lamp had burned for forty years.",
        backend="hf",
        model="bigscience/bloom",
    )


def test_complete_extends_the_story_through_the_serverless_api() -> None:
    story = Story.from_prompt(PROMPT)
    with replay("hf-list-form.yaml"):
        longer = complete(
            story,
            Params(temperature=1.0, top_k=30, max_new_tokens=20),
            HFInference(token=FAKE_TOKEN, base_url=SERVERLESS),
        )
    assert longer.text == PROMPT + " Below him the sea was grey and restless, and the lamp had burned for forty years."
    assert story.text == PROMPT


def test_object_form_from_tgi_generate_route() -> None:
    with replay("hf-object-form.yaml"):
        generation = HFInference(endpoint=f"{TGI}/generate").generate(
            PROMPT, Params(temperature=0.7, max_new_tokens=12, seed=7)
        )
    assert generation == Generation(
        text=" He had counted them every night.",
        finish_reason="eos",
        prompt_tokens=11,
        completion_tokens=7,
        backend="hf",
        model=f"{TGI}/generate",
        seed=7,
    )


def test_details_from_an_inference_endpoint() -> None:
    params = Params(
        temperature=0.9, top_k=40, top_p=0.95, repetition_penalty=1.1, seed=42, stop="\n", max_new_tokens=30
    )
    with replay("hf-details.yaml"):
        generation = HFInference(endpoint=ENDPOINT, token=FAKE_TOKEN).generate(PROMPT, params)
    assert generation == Generation(
        text=" The lamp was waiting.\n",
        finish_reason="stop",
        prompt_tokens=11,
        completion_tokens=5,
        backend="hf",
        model=ENDPOINT,
        seed=42,
    )


def test_logprobs_from_details_leave_out_special_tokens() -> None:
    with replay("hf-logprobs.yaml"):
        generation = HFInference(endpoint=TGI).generate(PROMPT, Params(temperature=0, max_new_tokens=4, logprobs=2))
    assert generation == Generation(
        text=" The sea.",
        finish_reason="eos",
        completion_tokens=4,
        backend="hf",
        model=TGI,
        logprobs=(
            TokenLogprob(" The", -0.5, ((" The", -0.5), (" He", -1.5))),
            TokenLogprob(" sea", -1.25, ((" sea", -1.25), (" light", -1.5))),
            TokenLogprob(".", -0.75, ((".", -0.75), (",", -1.0))),
        ),
    )


def test_stream_yields_token_texts_and_returns_the_generation() -> None:
    with replay("hf-stream.yaml"):
        pieces, generation = drain(
            HFInference(endpoint=TGI).stream(PROMPT, Params(temperature=0.8, top_k=30, max_new_tokens=5))
        )
    assert pieces == [" The", " sea", " was", " calm"]
    assert generation == Generation(
        text=" The sea was calm",
        finish_reason="eos",
        prompt_tokens=11,
        completion_tokens=5,
        backend="hf",
        model=TGI,
        seed=12345,
    )


def test_complete_stream_through_tgi() -> None:
    with replay("hf-stream.yaml"):
        items = list(
            complete_stream(
                Story.from_prompt(PROMPT),
                Params(temperature=0.8, top_k=30, max_new_tokens=5),
                HFInference(endpoint=TGI),
            )
        )
    assert items[:-1] == [" The", " sea", " was", " calm"]
    story = items[-1]
    assert isinstance(story, Story)
    assert story.text == PROMPT + " The sea was calm"
    assert story.generation is not None
    assert (story.generation.finish_reason, story.generation.seed) == ("eos", 12345)


def test_count_tokens_asks_tgi_tokenize() -> None:
    with replay("hf-tgi-tokenize.yaml"):
        assert HFInference(endpoint=TGI).count_tokens(PROMPT) == 11


def test_context_window_asks_tgi_info_once() -> None:
    transport = HFInference(endpoint=TGI)
    with replay("hf-tgi-info.yaml"):
        assert transport.context_window() == 2048
        assert transport.context_window() == 2048  # remembered: the cassette holds one request


# -- errors, from cassettes --------------------------------------------------------


def auth_refused() -> str:
    return (
        "The token from the token= argument was refused: check that it is valid and allowed to make calls "
        f"to Inference Providers (or to this endpoint). {token_places()}"
    )


def anonymous() -> str:
    return f"No token was sent (the request was anonymous). {token_places()}"


ERROR_CASES = [
    pytest.param(
        "hf-401-auth.yaml",
        {"token": FAKE_TOKEN, "base_url": SERVERLESS},
        Params(),
        AuthError,
        lambda: f"HTTP 401: Invalid credentials in Authorization header\n{auth_refused()}",
        {"status": 401},
        id="401-auth",
    ),
    pytest.param(
        "hf-403-header-only.yaml",
        {"base_url": SERVERLESS},
        Params(max_new_tokens=10),
        AuthError,
        lambda: (
            "HTTP 403: This authentication method does not have sufficient permissions to call Inference Providers\n"
            f"{anonymous()}"
        ),
        {"status": 403},
        id="403-x-error-message-only",
    ),
    pytest.param(
        "hf-404-not-found.yaml",
        {"token": FAKE_TOKEN, "base_url": SERVERLESS},
        Params(temperature=1.0, top_k=30),
        ModelNotFoundError,
        lambda: f"HTTP 404: Not Found\n{BLOOM_NOT_SERVED}",
        {"status": 404, "server_message": "Not Found"},
        id="404-plain-text",
    ),
    pytest.param(
        "hf-400-not-supported.yaml",
        {"token": FAKE_TOKEN, "base_url": SERVERLESS},
        Params(max_new_tokens=20),
        ModelNotFoundError,
        lambda: f"HTTP 400: Model not supported by provider hf-inference\n{BLOOM_NOT_SERVED}",
        {"status": 400},
        id="400-not-supported",
    ),
    pytest.param(
        "hf-503-loading.yaml",
        {"model": "bigscience/bloom-560m", "base_url": SERVERLESS},
        Params(),
        ModelLoadingError,
        lambda: "HTTP 503: Model bigscience/bloom-560m is currently loading",
        {"status": 503, "estimated_time": 20.0},
        id="503-loading",
    ),
    pytest.param(
        "hf-429-rate-limit.yaml",
        {"model": "bigscience/bloom-560m", "token": FAKE_TOKEN, "base_url": SERVERLESS},
        Params(max_new_tokens=16),
        RateLimitError,
        lambda: (
            "HTTP 429: Rate limit reached. You reached free usage limit (reset hourly). Please subscribe to a plan "
            "at https://huggingface.co/pricing to use the API at this rate"
        ),
        {"status": 429, "retry_after": 30.0},
        id="429-error-list-retry-after",
    ),
    pytest.param(
        "hf-429-overloaded.yaml",
        {"endpoint": TGI},
        Params(),
        RateLimitError,
        lambda: "HTTP 429: Model is overloaded",
        {"status": 429, "retry_after": None},
        id="429-overloaded",
    ),
    pytest.param(
        "hf-422-context-total.yaml",
        {"endpoint": TGI},
        Params(),
        ContextLimitError,
        lambda: (
            "HTTP 422: Input validation error: `inputs` tokens + `max_new_tokens` must be <= 32. "
            f"Given: 11 `inputs` tokens and 64 `max_new_tokens`\n{CONTEXT_HINT}"
        ),
        {"status": 422, "limit": 32, "prompt_tokens": 11},
        id="422-total-tokens",
    ),
    pytest.param(
        "hf-422-validation.yaml",
        {"endpoint": TGI},
        Params(logprobs=10, max_new_tokens=8),
        APIError,
        lambda: "HTTP 422: Input validation error: `top_n_tokens` must be >= 0 and <= 5. Given: 10",
        {"status": 422},
        id="422-other-validation",
    ),
    pytest.param(
        "hf-422-plain-text.yaml",
        {"endpoint": TGI},
        Params(max_new_tokens=9),
        APIError,
        lambda: "HTTP 422: Failed to parse the request body as JSON: EOF while parsing an object at line 1 column 97",
        {"status": 422},
        id="422-plain-text",
    ),
    pytest.param(
        "hf-424-generation.yaml",
        {"endpoint": TGI},
        Params(max_new_tokens=100),
        APIError,
        lambda: (
            "HTTP 424: Request failed during generation: Server error: CUDA out of memory. Tried to allocate 20.00 MiB"
        ),
        {"status": 424},
        id="424-generation",
    ),
    pytest.param(
        "hf-500-incomplete.yaml",
        {"endpoint": TGI},
        Params(max_new_tokens=101),
        APIError,
        lambda: "HTTP 500: Incomplete generation",
        {"status": 500},
        id="500-incomplete-generation",
    ),
    pytest.param(
        "hf-500-warnings.yaml",
        {"model": "bigscience/bloom-560m", "base_url": SERVERLESS},
        Params(max_new_tokens=32),
        APIError,
        lambda: (
            "HTTP 500: unknown error (warnings: There was an inference error: "
            "CUDA error: an illegal memory access was encountered)"
        ),
        {"status": 500},
        id="500-warnings",
    ),
    pytest.param(
        "hf-410-gone.yaml",
        {"base_url": "https://api-inference.huggingface.co/models"},
        Params(),
        APIError,
        lambda: (
            "HTTP 410: https://api-inference.huggingface.co is no longer supported. Please use "
            "https://router.huggingface.co/hf-inference instead.\n"
            "That address is retired; the server's message says where to go. By default HFInference reaches "
            "hosted models through the router (https://router.huggingface.co), by the provider the Hub names: "
            "leave base_url= unset unless you run another server."
        ),
        {"status": 410},
        id="410-gone",
    ),
    pytest.param(
        "hf-200-not-generation.yaml",
        {"model": "distilbert/distilbert-base-uncased-finetuned-sst-2-english", "base_url": SERVERLESS},
        Params(),
        ResponseError,
        lambda: (
            f"the answer from {SERVERLESS}/distilbert/distilbert-base-uncased-finetuned-sst-2-english is not a "
            'text-generation result (no generated_text): [[{"label": "POSITIVE", "score": 0.9998}, '
            '{"label": "NEGATIVE", "score": 0.0002}]]'
        ),
        {},
        id="200-wrong-shape",
    ),
]


@pytest.mark.parametrize(("cassette", "settings_", "params", "kind", "message", "fields"), ERROR_CASES)
def test_errors_are_mapped_at_the_edge(
    cassette: str,
    settings_: dict[str, Any],
    params: Params,
    kind: type[CompleteError],
    message: Callable[[], str],
    fields: dict[str, Any],
) -> None:
    transport = HFInference(**settings_)
    with replay(cassette), pytest.raises(CompleteError) as caught:
        transport.generate(PROMPT, params)
    error = caught.value
    assert type(error) is kind
    assert str(error) == message()
    assert {name: getattr(error, name) for name in fields} == fields
    assert FAKE_TOKEN not in str(error)


def test_prompt_longer_than_the_input_limit_is_a_context_limit_error() -> None:
    with replay("hf-422-context-input.yaml"), pytest.raises(ContextLimitError) as caught:
        HFInference(endpoint=TGI).generate(" ".join([PROMPT] * 3), Params(max_new_tokens=4))
    assert str(caught.value) == (
        f"HTTP 422: Input validation error: `inputs` must have less than 24 tokens. Given: 31\n{CONTEXT_HINT}"
    )
    assert (caught.value.limit, caught.value.prompt_tokens) == (24, 31)


def test_error_event_inside_a_200_stream_keeps_the_partial_text() -> None:
    with replay("hf-stream-error-event.yaml"):
        pieces, error = drain_until_error(HFInference(endpoint=TGI).stream(PROMPT, Params(max_new_tokens=40)))
    assert pieces == [" The", " sea"]
    assert type(error) is APIError
    assert str(error) == (
        "Request failed during generation: Server error: CUDA out of memory. Tried to allocate 20.00 MiB" + KEPT_8
    )
    assert (error.status, error.partial) == (None, " The sea")


def test_overloaded_error_event_is_a_rate_limit_error() -> None:
    with replay("hf-stream-overloaded.yaml"):
        pieces, error = drain_until_error(HFInference(endpoint=TGI).stream(PROMPT, Params(max_new_tokens=41)))
    assert pieces == []
    assert type(error) is RateLimitError
    assert (str(error), error.status, error.retry_after, error.partial) == ("Model is overloaded", None, None, "")


def test_stream_ending_before_its_final_event_is_a_transport_error() -> None:
    with replay("hf-stream-cut.yaml"):
        pieces, error = drain_until_error(HFInference(endpoint=TGI).stream(PROMPT, Params(max_new_tokens=42)))
    assert pieces == [" The", " sea"]
    assert type(error) is TransportError
    assert str(error) == f"the stream from {TGI} ended before its final event" + KEPT_8
    assert error.partial == " The sea"


def test_no_cassette_holds_a_token() -> None:
    leaks = [
        path.name for path in sorted(CASSETTES.rglob("*")) if path.is_file() and TOKEN_PATTERN.search(path.read_text())
    ]
    assert leaks == []


def test_every_hf_cassette_says_how_it_was_made() -> None:
    unlabelled = [
        path.name
        for path in sorted(CASSETTES.glob("hf-*.yaml"))
        if not path.read_text().startswith(
            ("# HAND-WRITTEN, NOT RECORDED", "# RECORDED from ", "# TRANSCRIBED FROM A REAL RECORDING")
        )
    ]
    assert unlabelled == []


# -- construction, description, secrets --------------------------------------------


def test_urls_for_each_route() -> None:
    assert HFInference().url is None  # a hosted model's route is known once the Hub's mapping is read
    assert HFInference("gpt2", base_url="http://127.0.0.1:9000/models/").url == "http://127.0.0.1:9000/models/gpt2"
    assert HFInference(endpoint=ENDPOINT).url == ENDPOINT


def test_describe_rebuilds_the_transport_without_the_token() -> None:
    transport = HFInference("bigscience/bloom-560m", token=FAKE_TOKEN, endpoint=TGI)
    description = transport.describe()
    assert description == {"backend": "hf", "model": "bigscience/bloom-560m", "endpoint": TGI}
    settings_ = {key: value for key, value in description.items() if key != "backend"}
    assert HFInference(**settings_).describe() == description
    assert HFInference().describe() == {"backend": "hf", "model": "bigscience/bloom"}
    named = HFInference("org/name", provider="together", hub_url="http://127.0.0.1:1", router_url="http://127.0.0.1:2")
    assert named.describe() == {
        "backend": "hf",
        "model": "org/name",
        "provider": "together",
        "hub_url": "http://127.0.0.1:1",
        "router_url": "http://127.0.0.1:2",
    }


def test_repr_names_the_token_source_never_the_token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_TOKEN", FAKE_TOKEN)
    transport = HFInference(endpoint=TGI)
    source = "token from the HF_TOKEN environment variable"
    assert repr(transport) == f"HFInference(model='bigscience/bloom', endpoint='{TGI}', anonymous)"  # not HF's host
    assert (
        repr(HFInference(endpoint=ENDPOINT))
        == f"HFInference(model='bigscience/bloom', endpoint='{ENDPOINT}', {source})"
    )
    assert FAKE_TOKEN not in str(transport.describe())
    assert repr(HFInference(token=None)) == f"HFInference(model='bigscience/bloom', provider='auto', {source})"


@pytest.mark.parametrize(
    ("settings_", "message"),
    [
        (
            {"endpoint": TGI, "provider": "together"},
            "provider='together' is not allowed: expected None when endpoint= is given (pick one route)",
        ),
        (
            {"base_url": SERVERLESS, "endpoint": TGI},
            f"endpoint='{TGI}' is not allowed: expected None when base_url= is given (pick one route)",
        ),
        (
            {"endpoint": "127.0.0.1:8080"},
            "endpoint='127.0.0.1:8080' is not allowed: expected an http:// or https:// URL, or None",
        ),
        ({"model": ""}, "model='' is not allowed: expected a model id such as 'bigscience/bloom'"),
        (
            {"provider": "together/v1"},
            "provider='together/v1' is not allowed: expected a provider name such as 'together'",
        ),
        (
            {"endpoint": TGI, "hub_url": "http://127.0.0.1:1"},
            "hub_url='http://127.0.0.1:1' is not allowed: expected None when endpoint= is given "
            "(the Hub and router serve hosted models only)",
        ),
        (
            {"router_url": "127.0.0.1:2"},
            "router_url='127.0.0.1:2' is not allowed: expected an http:// or https:// URL, or None",
        ),
        (
            {"model": "org/name?expand=x"},
            "model='org/name?expand=x' is not allowed: expected a Hugging Face model id such as 'org/name'",
        ),
    ],
)
def test_bad_settings_fail_before_any_request(settings_: dict[str, Any], message: str) -> None:
    with pytest.raises(ParamsError) as caught:
        HFInference(**settings_)
    assert str(caught.value) == message


class NoNetwork:
    """A session that fails the test if anything is sent."""

    def request(self, *args: object, **kwargs: object) -> requests.Response:
        raise AssertionError("no request was expected")


def test_serverless_api_has_no_tokenizer_or_window_to_ask() -> None:
    transport = HFInference(session=NoNetwork())  # type: ignore[arg-type]
    assert (transport.count_tokens(PROMPT), transport.context_window()) == (None, None)


# -- parse_generation ----------------------------------------------------------------


def test_parse_generation_reads_the_first_of_several_and_ignores_unknown_details() -> None:
    data = [
        {"generated_text": " one", "details": {"finish_reason": "something_new", "generated_tokens": True}},
        {"generated_text": " two"},
    ]
    assert parse_generation(data, model="m", params=Params(), headers={"x-prompt-tokens": "9"}) == Generation(
        text=" one", prompt_tokens=9, backend="hf", model="m"
    )


def test_parse_generation_drops_malformed_logprobs() -> None:
    data = {"generated_text": " a", "details": {"tokens": [{"id": 1, "text": " a", "logprob": None, "special": False}]}}
    assert parse_generation(data, model="m", params=Params(logprobs=0)).logprobs is None


@pytest.mark.parametrize(
    ("data", "excerpt"),
    [
        ([], "[]"),
        ({"generated_text": None}, '{"generated_text": null}'),
        ({"error": "late"}, '{"error": "late"}'),
    ],
)
def test_parse_generation_rejects_other_shapes(data: Any, excerpt: str) -> None:
    with pytest.raises(ResponseError) as caught:
        parse_generation(data, model="m", params=Params(), url="http://x")
    assert str(caught.value) == (
        f"the answer from http://x is not a text-generation result (no generated_text): {excerpt}"
    )


# -- a loopback server: what cassettes cannot show ---------------------------------


class Loopback(FaultServer):
    """A ``FaultServer`` answering every request with ``reply`` (one generation until
    told otherwise)."""

    def __init__(self) -> None:
        super().__init__()
        self.reply = json_reply(200, [{"generated_text": " ok"}])

    @property
    def reply(self) -> Reply:
        return self.default

    @reply.setter
    def reply(self, reply: Reply) -> None:
        self.always(reply)


@pytest.fixture
def loopback() -> Iterator[Loopback]:
    server = Loopback()
    yield server
    server.close()


def event(data: dict[str, Any]) -> bytes:
    return b"data:" + json.dumps(data).encode() + b"\n\n"


def token(text: str, *, special: bool = False, final: str | None = None, **more: Any) -> bytes:
    details = {"finish_reason": "length", "generated_tokens": 2, "seed": 3} if final is not None else None
    return event(
        {
            "token": {"id": 1, "text": text, "logprob": -1.0, "special": special},
            "generated_text": final,
            "details": details,
            **more,
        }
    )


def test_one_generate_is_exactly_one_request_even_when_it_fails(loopback: Loopback) -> None:
    transport = HFInference(endpoint=loopback.url)
    assert transport.generate(PROMPT, Params()).text == " ok"
    loopback.reply = json_reply(503, {"error": "Model m is currently loading", "estimated_time": 5.0})
    with pytest.raises(ModelLoadingError):
        transport.generate(PROMPT, Params())
    assert [seen.body for seen in loopback.seen] == [request_body(PROMPT, Params())] * 2


def test_requests_share_one_connection(loopback: Loopback) -> None:
    transport = HFInference(endpoint=loopback.url)
    for _ in range(3):
        transport.generate(PROMPT, Params())
    loopback.reply = json_reply(200, [{"id": 1, "text": "a", "start": 0, "stop": 1}])
    transport.count_tokens("a")
    assert (len(loopback.seen), loopback.connections) == (4, 1)


def test_a_finished_stream_gives_its_connection_back(loopback: Loopback) -> None:
    transport = HFInference(endpoint=loopback.url)
    loopback.reply = events(token(" a"), token(" b", final=" a b"))
    drain(transport.stream(PROMPT, Params()))
    loopback.reply = json_reply(200, [{"generated_text": " ok"}])
    transport.generate(PROMPT, Params())
    assert (len(loopback.seen), loopback.connections) == (2, 1)


def test_token_is_sent_as_bearer_only_when_there_is_one(loopback: Loopback) -> None:
    HFInference(endpoint=loopback.url, token=FAKE_TOKEN).generate(PROMPT, Params())
    HFInference(endpoint=loopback.url).generate(PROMPT, Params())
    assert loopback.seen[0].headers["Authorization"] == f"Bearer {FAKE_TOKEN}"
    assert "Authorization" not in loopback.seen[1].headers


def test_token_found_at_construction_is_used(loopback: Loopback, cwd: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_ENDPOINT", loopback.url)  # the writer's own Hub: a found token may go there
    (cwd / ".hf_token").write_text(FAKE_TOKEN + "\n")
    transport = HFInference(endpoint=loopback.url)
    (cwd / ".hf_token").unlink()
    transport.generate(PROMPT, Params())
    assert loopback.seen[0].headers["Authorization"] == f"Bearer {FAKE_TOKEN}"
    assert transport.token_source == f".hf_token in {cwd}"


def test_a_token_echoed_by_the_server_is_scrubbed(loopback: Loopback) -> None:
    loopback.reply = json_reply(400, {"error": f"token {FAKE_TOKEN} is malformed", "warnings": [f"saw {FAKE_TOKEN}"]})
    with pytest.raises(APIError) as caught:
        HFInference(endpoint=loopback.url, token=FAKE_TOKEN).generate(PROMPT, Params())
    assert str(caught.value) == "HTTP 400: token *** is malformed (warnings: saw ***)"


def test_read_timeout_is_a_transport_error(loopback: Loopback) -> None:
    def stall(handler: Handler, received: Received) -> None:
        loopback.release.wait(5)

    loopback.reply = stall
    transport = HFInference(endpoint=loopback.url, timeout=(2.0, 0.2))
    with pytest.raises(TransportError) as caught:
        transport.generate(PROMPT, Params())
    assert str(caught.value) == f"no answer from {loopback.url} within 0.2s"


def test_connection_refused_is_a_transport_error() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    with pytest.raises(TransportError) as caught:
        HFInference(endpoint=url, timeout=2.0).generate(PROMPT, Params())
    assert str(caught.value).startswith(f"could not connect to {url}: ")
    assert isinstance(caught.value.__cause__, urllib3.exceptions.NewConnectionError)  # urllib3 sends the request


def test_a_200_that_is_not_json_is_a_response_error(loopback: Loopback) -> None:
    loopback.reply = respond(200, b"<html>gateway</html>", content_type="text/html")
    with pytest.raises(ResponseError) as caught:
        HFInference(endpoint=loopback.url).generate(PROMPT, Params())
    assert str(caught.value) == (
        f"the response from {loopback.url} is not valid JSON "
        "(Expecting value: line 1 column 1 (char 0)): '<html>gateway</html>'"
    )


def test_stream_sends_stream_true_and_accepts_event_stream(loopback: Loopback) -> None:
    loopback.reply = events(token(" a"), b":\n\n", token(" b", final=" a b"))
    pieces, generation = drain(HFInference(endpoint=loopback.url).stream(PROMPT, Params(max_new_tokens=2)))
    assert pieces == [" a", " b"]
    assert generation == Generation(
        text=" a b", finish_reason="length", completion_tokens=2, backend="hf", model=loopback.url, seed=3
    )
    assert loopback.seen[0].body == request_body(PROMPT, Params(max_new_tokens=2), stream=True)
    assert loopback.seen[0].headers["Accept"] == "text/event-stream"


def test_stream_collects_logprobs_when_asked(loopback: Loopback) -> None:
    loopback.reply = events(
        token(" a", top_tokens=[{"id": 1, "text": " a", "logprob": -1.0, "special": False}]),
        token("</s>", special=True, final=" a", top_tokens=[]),
    )
    _, generation = drain(HFInference(endpoint=loopback.url).stream(PROMPT, Params(logprobs=1)))
    assert generation.logprobs == (TokenLogprob(" a", -1.0, ((" a", -1.0),)),)


def test_stream_delivers_text_the_token_pieces_missed(loopback: Loopback) -> None:
    loopback.reply = events(token(" caf"), token("", final=" café"))
    pieces, generation = drain(HFInference(endpoint=loopback.url).stream(PROMPT, Params()))
    assert pieces == [" caf", "é"]
    assert generation.text == "".join(pieces)


def test_stream_cut_mid_event_is_a_transport_error(loopback: Loopback) -> None:
    def cut(handler: Handler, received: Received) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "text/event-stream")
        handler.send_header("Connection", "close")
        handler.end_headers()
        handler.wfile.write(token(" a") + b'data:{"token":{"text":" b')
        handler.close_connection = True

    loopback.reply = cut
    pieces, error = drain_until_error(HFInference(endpoint=loopback.url).stream(PROMPT, Params()))
    assert pieces == [" a"]
    assert type(error) is TransportError
    assert error.message == f"the stream from {loopback.url} ended before its final event"
    assert error.partial == " a"


def test_stream_cut_mid_chunk_is_a_transport_error(loopback: Loopback) -> None:
    def cut(handler: Handler, received: Received) -> None:
        events(token(" a"), end=False)(handler, received)
        handler.wfile.write(b"400\r\ndata:")  # promises 1024 bytes, sends 5, hangs up

    loopback.reply = cut
    pieces, error = drain_until_error(HFInference(endpoint=loopback.url).stream(PROMPT, Params()))
    assert pieces == [" a"]
    assert type(error) is TransportError
    assert error.message == f"the connection to {loopback.url}/ was cut while reading the response"
    assert error.partial == " a"


def test_stream_stalling_mid_way_is_a_transport_error(loopback: Loopback) -> None:
    def stall(handler: Handler, received: Received) -> None:
        events(token(" a"), end=False)(handler, received)
        loopback.release.wait(5)

    loopback.reply = stall
    pieces, error = drain_until_error(HFInference(endpoint=loopback.url, timeout=(2.0, 0.2)).stream(PROMPT, Params()))
    assert pieces == [" a"]
    assert error.message == f"timed out waiting for more of the response from {loopback.url}/"
    assert error.partial == " a"


KEPT = " (kept 2 characters received before the failure in .partial)"


@pytest.mark.parametrize(
    ("payload", "kind", "message", "fields"),
    [
        (
            {"error": "Model is overloaded", "error_type": "overloaded"},
            RateLimitError,
            "Model is overloaded",
            {"retry_after": None},
        ),
        (
            {
                "error": "Input validation error: `inputs` tokens + `max_new_tokens` must be <= 2048. "
                "Given: 2000 `inputs` tokens and 64 `max_new_tokens`",
                "error_type": "validation",
            },
            ContextLimitError,
            "Input validation error: `inputs` tokens + `max_new_tokens` must be <= 2048. "
            f"Given: 2000 `inputs` tokens and 64 `max_new_tokens`\n{CONTEXT_HINT}",
            {"limit": 2048, "prompt_tokens": 2000},
        ),
        (
            {"error": "Input validation error: `temperature` must be strictly positive", "error_type": "validation"},
            APIError,
            "Input validation error: `temperature` must be strictly positive",
            {},
        ),
        (
            {"error": f"Request failed during generation: bad token {FAKE_TOKEN}", "error_type": "generation"},
            APIError,
            "Request failed during generation: bad token ***",
            {},
        ),
    ],
)
def test_error_events_inside_a_200_stream_map_like_http_errors(
    loopback: Loopback, payload: dict[str, Any], kind: type[CompleteError], message: str, fields: dict[str, Any]
) -> None:
    loopback.reply = events(token(" a"), event(payload))
    _, error = drain_until_error(HFInference(endpoint=loopback.url, token=FAKE_TOKEN).stream(PROMPT, Params()))
    assert type(error) is kind
    assert str(error) == message + KEPT
    assert (getattr(error, "status", "missing"), error.partial) == (None, " a")
    assert {name: getattr(error, name) for name in fields} == fields


def test_stream_http_errors_are_mapped_before_any_piece(loopback: Loopback) -> None:
    loopback.reply = json_reply(429, {"error": "Model is overloaded", "error_type": "overloaded"}, {"Retry-After": "3"})
    pieces, error = drain_until_error(HFInference(endpoint=loopback.url).stream(PROMPT, Params()))
    assert pieces == []
    assert type(error) is RateLimitError
    assert (str(error), error.retry_after) == ("HTTP 429: Model is overloaded", 3.0)


def test_a_server_that_ignores_stream_answers_in_one_piece(loopback: Loopback) -> None:
    loopback.reply = json_reply(200, [{"generated_text": " whole", "details": {"finish_reason": "length"}}])
    pieces, generation = drain(HFInference(endpoint=loopback.url).stream(PROMPT, Params()))
    assert pieces == [" whole"]
    assert generation == Generation(text=" whole", finish_reason="length", backend="hf", model=loopback.url)


def test_count_tokens_without_a_tokenize_route_says_none_once(loopback: Loopback) -> None:
    loopback.reply = json_reply(404, {"error": "No fast tokenizer or tokenizer.json for this model"})
    transport = HFInference(endpoint=loopback.url + "/")
    assert (transport.count_tokens("a"), transport.count_tokens("b")) == (None, None)
    assert [(seen.method, seen.path) for seen in loopback.seen] == [("POST", "/tokenize")]


def test_context_window_errors_are_mapped(loopback: Loopback) -> None:
    loopback.reply = json_reply(401, {"error": "Unauthorized"})
    with pytest.raises(AuthError) as caught:
        HFInference(endpoint=loopback.url).context_window()
    assert str(caught.value) == f"HTTP 401: Unauthorized\n{anonymous()}"
    assert [(seen.method, seen.path, seen.body) for seen in loopback.seen] == [("GET", "/info", None)]


# -- properties --------------------------------------------------------------------


class BytesSession:
    """A session whose every answer is ``body`` with ``content_type``, in one read."""

    def __init__(self, body: bytes, content_type: str = "text/event-stream") -> None:
        self.body = body
        self.content_type = content_type

    def request(self, method: str, url: str, **kwargs: Any) -> requests.Response:
        return response(self.body, headers={"Content-Type": self.content_type}, url=url)


# Arbitrary bytes fed to the stream (and to every other parser): tests/across/test_fuzz.py.

token_texts = st.lists(st.tuples(st.text(max_size=5), st.booleans()), max_size=8)


@settings(max_examples=100, deadline=None)
@given(token_texts)
def test_stream_pieces_always_add_up_to_the_generation_text(tokens: list[tuple[str, bool]]) -> None:
    visible = "".join(text for text, special in tokens if not special)
    parts = [token(text, special=special) for text, special in tokens]
    parts.append(token("</s>", special=True, final=visible))
    transport = HFInference(endpoint=TGI, session=BytesSession(b"".join(parts)))  # type: ignore[arg-type]
    pieces, generation = drain(transport.stream(PROMPT, Params()))
    assert "".join(pieces) == generation.text == visible


# -- the recorder (tests/helpers/record_cassettes.py) ------------------------------------------


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda scenario: scenario.cassette)
def test_every_recording_scenario_makes_the_request_its_cassette_holds(scenario: Scenario) -> None:
    with replay(scenario.cassette):
        scenario.run(Target(token=FAKE_TOKEN))


def test_every_hf_cassette_has_a_recording_scenario() -> None:
    assert sorted(path.name for path in CASSETTES.glob("hf-*.yaml")) == sorted(s.cassette for s in SCENARIOS)


def test_recorder_rewrites_the_live_address_and_labels_the_cassette(
    loopback: Loopback, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    def tgi_like(handler: Handler, received: Received) -> None:
        if received.path == "/tokenize":
            json_reply(200, [{"id": 1, "text": "The", "start": 0, "stop": 3}])(handler, received)
        elif received.path == "/info":
            json_reply(200, {"model_id": "m", "max_total_tokens": 2048})(handler, received)
        elif received.json().get("stream"):
            events(token(" a", final=" a"))(handler, received)
        else:
            json_reply(200, [{"generated_text": f" live at {loopback.url}"}])(handler, received)

    loopback.reply = tgi_like
    monkeypatch.setenv("TGI_URL", loopback.url)
    written = record_hf(directory=tmp_path)
    assert [path.name for path in written] == [
        "hf-object-form.yaml",
        "hf-logprobs.yaml",
        "hf-stream.yaml",
        "hf-tgi-tokenize.yaml",
        "hf-tgi-info.yaml",
        "hf-422-validation.yaml",
    ]
    text = (tmp_path / "hf-logprobs.yaml").read_text()
    assert text.startswith("# RECORDED from a TGI server on ")
    assert loopback.url not in text
    assert f"live at {REPLAY_TGI}" in text
    assert "skip hf-list-form.yaml: set HF_TOKEN to record it" in capsys.readouterr().out
