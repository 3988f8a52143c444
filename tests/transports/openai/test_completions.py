"""OpenAICompletions: what it sends per server, what it reads, and every way it fails.

Three kinds of test, none reaching beyond loopback:

- a scripted loopback HTTP server (``Stub``) answers with exact bytes, so request
  bodies, error bodies, stream framing, cut connections and connection reuse are
  checked against a real socket;
- cassettes recorded for real against llama-cpp-python's server replay the
  recorded scenarios (``tests/helpers/record_openai_cassettes.py``) with exact values;
- end-to-end tests run live against that server (the ``llama_server`` fixture).
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Iterator
from typing import Any

import attrs
import pytest
import requests

from complete import (
    APIError,
    AuthError,
    Completer,
    ContextLimitError,
    Generation,
    ModelLoadingError,
    ModelNotFoundError,
    Params,
    ParamsError,
    RateLimitError,
    ResponseError,
    Story,
    TokenLogprob,
    TransportError,
    complete,
    complete_many,
    complete_stream,
)
from complete.testing import recording
from complete.transports.openai import completions as openai_transport
from complete.transports.openai.completions import DIALECTS, OpenAICompletions
from tests.conftest import CASSETTES
from tests.helpers.fault_server import FaultServer, Received, Reply, events, respond, sse
from tests.helpers.llama_server import API_KEY, MODEL_ALIAS, N_CTX
from tests.helpers.record_openai_cassettes import (
    LONG_PROMPT,
    PARAMS,
    PROMPT,
    REPLAY_BASE_URL,
    SCENARIOS,
    caught,
    transport,
)
from tests.helpers.streams import drain

KEY = "sk-SECRETsecretSECRETsecret0123456789"
CONTEXT_HINT = "Shorten the prompt (a Window trims the oldest text to fit), or lower max_new_tokens."

# -- a scripted loopback server --------------------------------------------------------


def json_reply(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Reply:
    body = json.dumps(data).encode()
    return respond(status, body, content_type="application/json", headers=headers, reason="Scripted")


def text_reply(text: str, status: int, content_type: str = "text/plain") -> Reply:
    return respond(status, text.encode(), content_type=content_type, reason="Scripted")


def sse_reply(*parts: bytes, cut: bool = False) -> Reply:
    """A chunked event stream; ``cut`` hangs up before its last chunk."""
    return events(*parts, end=not cut, content_type="text/event-stream; charset=utf-8")


def chunk(text: str, finish: str | None = None, **extra: Any) -> bytes:
    choice = {"text": text, "index": 0, "logprobs": None, "finish_reason": finish}
    return sse({"object": "text_completion", "model": "served", "choices": [choice], **extra})


def completion(text: str = " and then", finish: str | None = "length", **choice: Any) -> dict[str, Any]:
    return {
        "object": "text_completion",
        "model": "served-model",
        "choices": [{"text": text, "index": 0, "logprobs": None, "finish_reason": finish, **choice}],
        "usage": {"prompt_tokens": 5, "completion_tokens": 2, "total_tokens": 7},
    }


class Stub(FaultServer):
    """A ``FaultServer`` answering each request with the next of ``replies``;
    ``base_url`` is its ``/v1`` address."""

    def __init__(self) -> None:
        super().__init__()
        self.replies: list[Reply] = []

    def take(self, received: Received) -> Reply:
        super().take(received)
        return self.replies.pop(0) if self.replies else text_reply("nothing scripted", 599)

    @property
    def base_url(self) -> str:
        return f"{self.url}/v1"


@pytest.fixture
def stub() -> Iterator[Stub]:
    server = Stub()
    yield server
    server.close()


def openai(stub: Stub, server: str | None = "openai", **kwargs: Any) -> OpenAICompletions:
    return OpenAICompletions(stub.base_url, kwargs.pop("model", "m"), server=server, **kwargs)


# -- construction, repr, describe ----------------------------------------------------


def test_defaults_point_at_a_local_server() -> None:
    transport = OpenAICompletions()
    assert (transport.base_url, transport.model, transport.server) == ("http://127.0.0.1:8080/v1", None, None)
    assert transport.describe() == {
        "backend": "openai",
        "base_url": "http://127.0.0.1:8080/v1",
        "model": None,
        "server": None,
    }


def test_the_key_is_in_no_repr_str_or_description() -> None:
    transport = OpenAICompletions("https://example.invalid/v1/", "gpt", KEY, server="openai", backend_name="hf")
    assert repr(transport) == "OpenAICompletions(base_url='https://example.invalid/v1', model='gpt', server='openai')"
    assert transport.describe() == {
        "backend": "hf",
        "base_url": "https://example.invalid/v1",
        "model": "gpt",
        "server": "openai",
    }
    assert KEY not in transport.auth_hint + str(transport) + repr(transport.describe())


def test_an_unknown_server_is_a_params_error_listing_the_dialects() -> None:
    with pytest.raises(ParamsError) as caught_error:
        OpenAICompletions(server="vLLM")
    assert str(caught_error.value) == (
        "server='vLLM' is not allowed: expected one of 'openai', 'vllm', 'llama.cpp', 'tgi', 'ollama', "
        "or None to ask the server"
    )


@pytest.mark.parametrize("base_url", ["127.0.0.1:8080/v1", "ftp://host/v1", None])
def test_a_base_url_must_be_http(base_url: Any) -> None:
    with pytest.raises(ParamsError) as caught_error:
        OpenAICompletions(base_url)
    assert caught_error.value.field == "base_url"


# -- what is sent --------------------------------------------------------------------

ALL = Params(
    temperature=0.7, top_k=30, top_p=0.9, max_new_tokens=20, repetition_penalty=1.2, seed=5, stop=["\n\n", "THE END"]
)
STANDARD = {
    "model": "m",
    "prompt": "Once",
    "max_tokens": 20,
    "temperature": 0.7,
    "top_p": 0.9,
    "seed": 5,
    "stop": ["\n\n", "THE END"],
    "stream": False,
}


@pytest.mark.parametrize(
    ("server", "extras"),
    [
        ("openai", {}),
        ("vllm", {"top_k": 30, "repetition_penalty": 1.2}),
        ("llama.cpp", {"top_k": 30, "repeat_penalty": 1.2}),
        ("tgi", {"repetition_penalty": 1.2}),
        ("ollama", {}),
    ],
)
def test_each_server_gets_the_standard_fields_and_only_the_extras_it_takes(
    stub: Stub, server: str, extras: dict[str, Any]
) -> None:
    stub.replies.append(json_reply(completion()))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        openai(stub, server).generate("Once", ALL)
    assert stub.seen[0].body == {**STANDARD, **extras}
    assert (stub.seen[0].method, stub.seen[0].path) == ("POST", "/v1/completions")


def test_unset_parameters_are_not_sent_and_no_model_means_no_model_field(stub: Stub) -> None:
    stub.replies.append(json_reply(completion()))
    OpenAICompletions(stub.base_url, server="openai").generate("Once", Params())
    assert stub.seen[0].body == {"prompt": "Once", "max_tokens": 64, "stream": False}


def test_do_sample_false_is_greedy_temperature_zero(stub: Stub) -> None:
    stub.replies += [json_reply(completion()), json_reply(completion())]
    transport = openai(stub)
    transport.generate("Once", Params(temperature=1.3, do_sample=False))
    transport.generate("Once", Params(temperature=1.3, do_sample=True))
    assert [seen.body["temperature"] for seen in stub.seen] == [0.0, 1.3]


def test_logprobs_are_asked_for_where_the_server_takes_them(stub: Stub) -> None:
    stub.replies.append(json_reply(completion()))
    openai(stub, "vllm").generate("Once", Params(logprobs=3))
    assert stub.seen[0].body["logprobs"] == 3


def test_a_parameter_the_server_cannot_take_warns_once_per_transport_and_field(stub: Stub) -> None:
    stub.replies += [json_reply(completion()) for _ in range(4)]
    transport = openai(stub, "tgi")
    with warnings.catch_warnings(record=True) as caught_warnings:
        warnings.simplefilter("always")
        transport.generate("Once", Params(top_k=30, logprobs=2))
        transport.generate("Once", Params(top_k=40, logprobs=2))
        openai(stub, "tgi").generate("Once", Params(top_k=30))
        openai(stub, "tgi").generate("Once", Params(repetition_penalty=1.1))
    messages = [str(warning.message) for warning in caught_warnings]
    assert messages == [
        "top_k=30 is not sent: server='tgi' does not accept it on /v1/completions "
        "(it is honoured with server='vllm' or 'llama.cpp'). Pass the server= your server really is to use it.",
        "logprobs=2 is not sent: server='tgi' does not accept it on /v1/completions "
        "(it is honoured with server='openai' or 'vllm' or 'llama.cpp' or 'ollama'). "
        "Pass the server= your server really is to use it.",
        "top_k=30 is not sent: server='tgi' does not accept it on /v1/completions "
        "(it is honoured with server='vllm' or 'llama.cpp'). Pass the server= your server really is to use it.",
    ]
    assert all(warning.category is UserWarning for warning in caught_warnings)
    assert [("top_k" in seen.body, "logprobs" in seen.body) for seen in stub.seen] == [(False, False)] * 4
    assert stub.seen[3].body["repetition_penalty"] == 1.1


def test_each_dialect_takes_the_names_the_fields_give_it() -> None:
    assert dict(DIALECTS["tgi"].names) == {
        "temperature": "temperature",
        "top_p": "top_p",
        "max_new_tokens": "max_tokens",
        "repetition_penalty": "repetition_penalty",
        "seed": "seed",
        "stop": "stop",
        "do_sample": "temperature",
        "frequency_penalty": "frequency_penalty",
    }
    assert DIALECTS["llama.cpp"].names["dry_window"] == "dry_penalty_last_n"
    assert DIALECTS["llama.cpp"].names["repetition_penalty"] == "repeat_penalty"
    # llama-server takes every field; banned is no wire field (complete() keeps those phrases out)
    assert set(DIALECTS["llama.cpp"].names) == set(attrs.fields_dict(Params)) - {"banned"}


def test_the_api_key_is_sent_as_a_bearer_token_and_only_when_given(stub: Stub) -> None:
    stub.replies += [json_reply(completion()), json_reply(completion())]
    openai(stub, api_key=KEY).generate("Once", Params())
    openai(stub).generate("Once", Params())
    assert stub.seen[0].headers["Authorization"] == f"Bearer {KEY}"
    assert "Authorization" not in stub.seen[1].headers
    assert stub.seen[0].headers["Accept"] == "application/json"


# -- what is read --------------------------------------------------------------------


def test_a_completion_becomes_a_generation(stub: Stub) -> None:
    stub.replies.append(json_reply(completion(" and then", "length")))
    generation = openai(stub, backend_name="hf").generate("Once", Params(seed=9))
    assert generation == Generation(
        text=" and then",
        finish_reason="length",
        prompt_tokens=5,
        completion_tokens=2,
        backend="hf",
        model="served-model",
        seed=9,
    )


def test_without_model_or_usage_in_the_answer_the_configured_model_is_kept(stub: Stub) -> None:
    stub.replies.append(json_reply({"choices": [{"text": "x", "finish_reason": None}]}))
    generation = openai(stub, model="mine").generate("Once", Params())
    assert (generation.model, generation.prompt_tokens, generation.completion_tokens) == ("mine", None, None)
    assert generation.finish_reason is None


@pytest.mark.parametrize(
    ("choice", "stop", "expected"),
    [
        ({"finish_reason": "length"}, (), "length"),
        ({"finish_reason": "stop"}, (), "eos"),
        ({"finish_reason": "stop"}, ("\n",), "stop"),
        ({"finish_reason": "stop", "stop_reason": None}, ("\n",), "eos"),
        ({"finish_reason": "stop", "stop_reason": "\n"}, ("\n",), "stop"),
        ({"finish_reason": "stop", "stop_reason": 128009}, (), "eos"),
        ({"finish_reason": "eos_token"}, ("\n",), "eos"),
        ({"finish_reason": "stop_sequence"}, ("\n",), "stop"),
        ({"finish_reason": ""}, (), None),
        ({"finish_reason": None}, (), None),
        ({"finish_reason": "content_filter"}, (), None),
        ({}, (), None),
    ],
)
def test_finish_reasons(stub: Stub, choice: dict[str, Any], stop: tuple[str, ...], expected: str | None) -> None:
    stub.replies.append(json_reply({"choices": [{"text": "x", **choice}]}))
    assert openai(stub).generate("Once", Params(stop=stop)).finish_reason == expected


def test_legacy_logprobs_become_token_logprobs_most_likely_first(stub: Stub) -> None:
    logprobs = {
        "tokens": [" a", " b"],
        "token_logprobs": [-0.5, -2.0],
        "top_logprobs": [{" a": -0.5, " c": -1.5}, {" d": -1.0, " b": -2.0}],
        "text_offset": [0, 2],
    }
    stub.replies.append(json_reply(completion(" a b", logprobs=logprobs)))
    generation = openai(stub).generate("Once", Params(logprobs=1))
    assert generation.logprobs == (
        TokenLogprob(" a", -0.5, ((" a", -0.5), (" c", -1.5))),
        TokenLogprob(" b", -2.0, ((" d", -1.0), (" b", -2.0))),
    )


def test_content_shaped_logprobs_are_read_too(stub: Stub) -> None:
    logprobs = {
        "content": [
            {"token": " a", "logprob": -0.25, "top_logprobs": [{"token": " a", "logprob": -0.25}]},
            {"token": "!", "logprob": -3.0},
        ]
    }
    stub.replies.append(json_reply(completion(" a!", logprobs=logprobs)))
    assert openai(stub, "ollama").generate("Once", Params(logprobs=1)).logprobs == (
        TokenLogprob(" a", -0.25, ((" a", -0.25),)),
        TokenLogprob("!", -3.0, ()),
    )


def test_tgis_bare_list_of_logprobs_is_ignored(stub: Stub) -> None:
    stub.replies.append(json_reply(completion(logprobs=[-0.1, -0.2])))
    assert openai(stub, "tgi").generate("Once", Params()).logprobs is None


def test_malformed_logprobs_are_a_response_error(stub: Stub) -> None:
    stub.replies.append(json_reply(completion(logprobs={"tokens": [" a"], "token_logprobs": [-1.0, -2.0]})))
    with pytest.raises(ResponseError) as caught_error:
        openai(stub).generate("Once", Params(logprobs=1))
    assert str(caught_error.value).startswith("the logprobs in the answer are malformed")


@pytest.mark.parametrize(
    ("reply", "message"),
    [
        (
            json_reply({"object": "list", "data": []}),
            "the answer has no choices[0] (is this an OpenAI-compatible server?)",
        ),
        (json_reply({"choices": []}), "the answer has no choices[0] (is this an OpenAI-compatible server?)"),
        (json_reply({"choices": [{"text": None}]}), "the answer from {url} has no text in choices[0]"),
        (text_reply("<html>hello</html>", 200, "text/html"), "the response from {url}/completions is not valid JSON"),
    ],
)
def test_a_200_that_is_not_a_completion_is_a_response_error(stub: Stub, reply: Reply, message: str) -> None:
    stub.replies.append(reply)
    with pytest.raises(ResponseError) as caught_error:
        openai(stub).generate("Once", Params())
    assert str(caught_error.value).startswith(message.format(url=stub.base_url))
    assert caught_error.value.body


# -- errors ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("reply", "kind", "text"),
    [
        (
            json_reply(
                {"error": {"message": "Bad thing", "type": "invalid_request_error", "param": None, "code": None}}, 400
            ),
            APIError,
            "HTTP 400: Bad thing",
        ),
        (
            json_reply({"object": "error", "message": "Old vLLM says no", "type": "BadRequestError", "code": 400}, 400),
            APIError,
            "HTTP 400: Old vLLM says no",
        ),
        (
            json_reply(
                {"detail": [{"loc": ["body", "max_tokens"], "msg": "Input should be greater than or equal to 0"}]},
                422,
            ),
            APIError,
            "HTTP 422: max_tokens: Input should be greater than or equal to 0",
        ),
        (
            json_reply({"error": "Input validation error: `top_p` must be > 0.0", "error_type": "validation"}, 422),
            APIError,
            "HTTP 422: Input validation error: `top_p` must be > 0.0",
        ),
        (text_reply("<html><title>502 Bad Gateway</title></html>", 502, "text/html"), APIError, "HTTP 502: "),
    ],
)
def test_error_bodies_of_every_shape_give_the_servers_words(
    stub: Stub, reply: Reply, kind: type[Exception], text: str
) -> None:
    stub.replies.append(reply)
    with pytest.raises(kind) as caught_error:
        openai(stub).generate("Once", Params())
    assert type(caught_error.value) is kind
    assert str(caught_error.value).startswith(text)


def test_a_502_html_page_is_summarised() -> None:
    server = Stub()
    try:
        server.replies.append(text_reply("<html><title>502 Bad Gateway</title></html>", 502, "text/html"))
        with pytest.raises(APIError) as caught_error:
            OpenAICompletions(server.base_url, server="openai").generate("Once", Params())
    finally:
        server.close()
    assert str(caught_error.value) == "HTTP 502: the server answered with an HTML page: 502 Bad Gateway"
    assert caught_error.value.status == 502


@pytest.mark.parametrize("key", [None, KEY])
def test_401_is_an_auth_error_that_says_what_to_do_and_never_shows_the_key(stub: Stub, key: str | None) -> None:
    stub.replies.append(json_reply({"detail": f"Invalid API key {KEY}"}, 401))
    transport = openai(stub, api_key=key)
    with pytest.raises(AuthError) as caught_error:
        transport.generate("Once", Params())
    advice = (
        "Check the API key passed as api_key=."
        if key
        else "It may want an API key: pass api_key=... (sent as 'Authorization: Bearer ...')."
    )
    echoed = "***" if key else KEY  # a key we never had is not ours to hide
    assert str(caught_error.value) == (
        f"HTTP 401: Invalid API key {echoed}\nThe server at {stub.base_url} refused the request. {advice}"
    )
    assert caught_error.value.status == 401


def test_404_and_model_not_found_are_model_not_found_errors(stub: Stub) -> None:
    stub.replies += [
        json_reply({"detail": "Not Found"}, 404),
        json_reply({"error": {"message": "The model `x` does not exist", "code": "model_not_found"}}, 400),
    ]
    transport = openai(stub)
    hint = (
        f"Check base_url={stub.base_url!r} (OpenAI-compatible servers serve /v1/completions, "
        "so it usually ends in /v1) and model='m'."
    )
    for expected in ("HTTP 404: Not Found", "HTTP 400: The model `x` does not exist"):
        with pytest.raises(ModelNotFoundError) as caught_error:
            transport.generate("Once", Params())
        assert str(caught_error.value) == f"{expected}\n{hint}"


def test_429_is_a_rate_limit_error_with_retry_after(stub: Stub) -> None:
    stub.replies.append(json_reply({"error": {"message": "slow down"}}, 429, {"Retry-After": "7"}))
    with pytest.raises(RateLimitError) as caught_error:
        openai(stub).generate("Once", Params())
    assert (caught_error.value.retry_after, caught_error.value.status) == (7.0, 429)


def test_503_while_loading_is_a_model_loading_error(stub: Stub) -> None:
    stub.replies.append(
        json_reply({"error": {"code": 503, "message": "Loading model", "type": "unavailable_error"}}, 503)
    )
    with pytest.raises(ModelLoadingError) as caught_error:
        openai(stub, "llama.cpp").generate("Once", Params())
    assert (str(caught_error.value), caught_error.value.estimated_time) == ("HTTP 503: Loading model", None)


CONTEXT_ERRORS = [
    pytest.param(
        400,
        {
            "error": {
                "message": "This model's maximum context length is 2048 tokens, however you requested 2100 tokens "
                "(2036 in your prompt; 64 for the completion). Please reduce your prompt; or completion length.",
                "type": "invalid_request_error",
                "param": "messages",
                "code": "context_length_exceeded",
            }
        },
        2048,
        2036,
        id="llama-cpp-python/OpenAI",
    ),
    pytest.param(
        400,
        {
            "error": {
                "code": 400,
                "message": "request (4476 tokens) exceeds the available context size (4096 tokens), try increasing it",
                "type": "exceed_context_size_error",
                "n_prompt_tokens": 4476,
                "n_ctx": 4096,
            }
        },
        4096,
        4476,
        id="llama-server",
    ),
    pytest.param(
        400,
        {
            "error": {
                "code": 400,
                "message": "the request exceeds the available context size, try increasing the context size",
                "type": "invalid_request_error",
            }
        },
        None,
        None,
        id="llama-server-old",
    ),
    pytest.param(
        400,
        {
            "object": "error",
            "message": "This model's maximum context length is 2048 tokens. However, you requested 2100 tokens "
            "(2036 in the messages, 64 in the completion). Please reduce the length of the messages or completion.",
            "type": "BadRequestError",
            "param": None,
            "code": 400,
        },
        2048,
        2036,
        id="vllm-old-flat",
    ),
    pytest.param(
        400,
        {
            "error": {
                "message": "'max_tokens' or 'max_completion_tokens' is too large: 500. This model's maximum context "
                "length is 2048 tokens and your request has 1800 input tokens (500 > 2048 - 1800).",
                "type": "BadRequestError",
                "param": None,
                "code": 400,
            }
        },
        2048,
        1800,
        id="vllm",
    ),
    pytest.param(
        422,
        {
            "error": "Input validation error: `inputs` tokens + `max_new_tokens` must be <= 2048. "
            "Given: 2000 `inputs` tokens and 100 `max_new_tokens`",
            "error_type": "validation",
        },
        2048,
        2000,
        id="tgi",
    ),
    pytest.param(
        422,
        {
            "error": "Input validation error: `inputs` must have less than 1024 tokens. Given: 1500",
            "error_type": "validation",
        },
        1024,  # the window TGI names (its input-only limit), read as the HF transport reads it
        1500,
        id="tgi-input-only",
    ),
]


@pytest.mark.parametrize(("status", "body", "limit", "prompt_tokens"), CONTEXT_ERRORS)
def test_a_prompt_over_the_window_is_a_context_limit_error(
    stub: Stub, status: int, body: dict[str, Any], limit: int | None, prompt_tokens: int | None
) -> None:
    stub.replies.append(json_reply(body, status))
    with pytest.raises(ContextLimitError) as caught_error:
        openai(stub).generate("Once", Params())
    error = caught_error.value
    assert (error.status, error.limit, error.prompt_tokens) == (status, limit, prompt_tokens)
    inner = body.get("error", body)
    message = inner["message"] if isinstance(inner, dict) else inner
    assert str(error) == f"HTTP {status}: {message}\n{CONTEXT_HINT}"


@pytest.mark.parametrize(("status", "body", "limit", "prompt_tokens"), CONTEXT_ERRORS)
def test_the_same_errors_inside_a_stream_are_typed_too(
    stub: Stub, status: int, body: dict[str, Any], limit: int | None, prompt_tokens: int | None
) -> None:
    stub.replies.append(sse_reply(chunk(" so"), sse(body)))
    with pytest.raises(ContextLimitError) as caught_error:
        drain(openai(stub).stream("Once", Params()))
    assert (caught_error.value.limit, caught_error.value.prompt_tokens) == (limit, prompt_tokens)
    assert caught_error.value.partial == " so"


def test_a_server_echoing_the_key_in_an_error_never_shows_it(stub: Stub) -> None:
    stub.replies.append(json_reply({"error": {"message": f"key {KEY} is over quota"}}, 500))
    with pytest.raises(APIError) as caught_error:
        openai(stub, api_key=KEY).generate("Once", Params())
    assert str(caught_error.value) == "HTTP 500: key *** is over quota"


def test_a_refused_connection_is_a_transport_error() -> None:
    server = Stub()
    url = server.base_url
    server.close()
    with pytest.raises(TransportError) as caught_error:
        OpenAICompletions(url, server="openai").generate("Once", Params())
    assert str(caught_error.value).startswith(f"could not connect to {url}/completions")


# -- streaming -------------------------------------------------------------------


def test_a_stream_yields_each_piece_and_returns_the_generation(stub: Stub) -> None:
    stub.replies.append(
        sse_reply(
            b": keep-alive\n\n",
            chunk(" and"),
            chunk(" then", None, usage=None),
            chunk("", "length"),
            sse(b"[DONE]"),
        )
    )
    pieces, generation = drain(openai(stub, "llama.cpp").stream("Once", Params(seed=3)))
    assert pieces == [" and", " then"]
    assert generation == Generation(text=" and then", finish_reason="length", backend="openai", model="served", seed=3)
    assert stub.seen[0].body == {"model": "m", "prompt": "Once", "max_tokens": 64, "seed": 3, "stream": True}
    assert stub.seen[0].headers["Accept"] == "text/event-stream"


def test_openai_dialect_streams_ask_for_usage_and_read_the_usage_only_chunk(stub: Stub) -> None:
    usage = {"prompt_tokens": 4, "completion_tokens": 2, "total_tokens": 6}
    stub.replies.append(
        sse_reply(chunk(" a"), chunk(" b", "stop"), sse({"choices": [], "usage": usage}), sse(b"[DONE]"))
    )
    pieces, generation = drain(openai(stub, "vllm").stream("Once", Params()))
    assert stub.seen[0].body["stream_options"] == {"include_usage": True}
    assert (pieces, generation.finish_reason, generation.prompt_tokens, generation.completion_tokens) == (
        [" a", " b"],
        "eos",
        4,
        2,
    )


def test_tgi_streams_finish_reason_empty_until_the_last_chunk(stub: Stub) -> None:
    stub.replies.append(sse_reply(chunk(" a", ""), chunk(" b", ""), chunk("", "eos_token"), sse(b"[DONE]")))
    pieces, generation = drain(openai(stub, "tgi").stream("Once", Params()))
    assert (pieces, generation.finish_reason) == ([" a", " b"], "eos")
    assert "stream_options" not in stub.seen[0].body


def test_streamed_logprobs_are_collected(stub: Stub) -> None:
    stub.replies.append(
        sse_reply(
            sse({"choices": [{"text": " a", "logprobs": {"tokens": [" a"], "token_logprobs": [-1.0]}}]}),
            sse({"choices": [{"text": " b", "logprobs": {"tokens": [" b"], "token_logprobs": [-2.0]}}]}),
            sse(b"[DONE]"),
        )
    )
    _, generation = drain(openai(stub).stream("Once", Params(logprobs=0)))
    assert generation.logprobs == (TokenLogprob(" a", -1.0), TokenLogprob(" b", -2.0))


@pytest.mark.parametrize(
    ("error", "kind", "text"),
    [
        ({"error": {"message": "boom", "type": "server_error", "code": None}}, APIError, "boom"),
        ({"error": {"message": "slow down", "code": 429}}, RateLimitError, "HTTP 429: slow down"),
        ({"error": "Request failed during generation: OOM", "error_type": "generation"}, APIError, "Request failed"),
        ({"error": "Model is overloaded", "error_type": "overloaded"}, RateLimitError, "Model is overloaded"),
    ],
)
def test_an_error_event_mid_stream_is_typed_and_keeps_the_text_so_far(
    stub: Stub, error: dict[str, Any], kind: type[Exception], text: str
) -> None:
    stub.replies.append(sse_reply(chunk(" and"), chunk(" then"), sse(error)))
    stream = openai(stub).stream("Once", Params())
    assert [next(stream), next(stream)] == [" and", " then"]
    with pytest.raises(kind) as caught_error:
        next(stream)
    assert type(caught_error.value) is kind
    assert caught_error.value.partial == " and then"  # type: ignore[attr-defined]
    assert str(caught_error.value).startswith(text)
    assert str(caught_error.value).endswith("(kept 9 characters received before the failure in .partial)")


def test_trouble_after_done_does_not_spoil_a_finished_answer(stub: Stub) -> None:
    stub.replies.append(sse_reply(chunk(" and", "length"), sse(b"[DONE]"), b"\xff garbage", cut=True))
    pieces, generation = drain(openai(stub).stream("Once", Params()))
    assert (pieces, generation.text, generation.finish_reason) == ([" and"], " and", "length")


def test_chunks_without_choices_carry_no_text(stub: Stub) -> None:
    stub.replies.append(sse_reply(sse({"object": "text_completion"}), chunk(" a"), sse(b"[DONE]")))
    assert drain(openai(stub).stream("Once", Params()))[0] == [" a"]


def test_complete_stream_over_http_keeps_partial_text_and_the_story(stub: Stub) -> None:
    stub.replies.append(sse_reply(chunk(" and"), chunk(" then"), sse({"error": {"message": "boom"}})))
    story = Story.from_prompt("Once")
    before = story.to_dict()
    stream = complete_stream(story, Params(), openai(stub))
    assert [next(stream), next(stream)] == [" and", " then"]
    with pytest.raises(APIError) as caught_error:
        next(stream)
    assert (caught_error.value.partial, story.to_dict()) == (" and then", before)


def test_a_stream_without_done_is_a_transport_error_keeping_the_text(stub: Stub) -> None:
    stub.replies.append(sse_reply(chunk(" and"), chunk(" then", "length")))
    with pytest.raises(TransportError) as caught_error:
        drain(openai(stub).stream("Once", Params()))
    assert (
        caught_error.value.message
        == f"the stream from {stub.base_url}/completions ended before its final 'data: [DONE]' event"
    )
    assert caught_error.value.partial == " and then"


def test_a_connection_cut_mid_stream_is_a_transport_error_keeping_the_text(stub: Stub) -> None:
    stub.replies.append(sse_reply(chunk(" and"), chunk(" then"), cut=True))
    with pytest.raises(TransportError) as caught_error:
        drain(openai(stub).stream("Once", Params()))
    assert caught_error.value.message == (
        f"the connection to {stub.base_url}/completions was cut while reading the response"
    )
    assert caught_error.value.partial == " and then"


def test_an_event_that_is_not_json_is_a_response_error_keeping_the_text(stub: Stub) -> None:
    stub.replies.append(sse_reply(chunk(" and"), sse(b"{not json"), sse(b"[DONE]")))
    with pytest.raises(ResponseError) as caught_error:
        drain(openai(stub).stream("Once", Params()))
    assert caught_error.value.message == f"an event from {stub.base_url} is not JSON: '{{not json'"
    assert (caught_error.value.partial, caught_error.value.body) == (" and", b"{not json")


def test_bytes_that_are_not_utf8_in_a_stream_are_a_response_error(stub: Stub) -> None:
    stub.replies.append(sse_reply(chunk(" and"), b"data: \xff\n\n"))
    with pytest.raises(ResponseError) as caught_error:
        drain(openai(stub).stream("Once", Params()))
    assert (caught_error.value.message, caught_error.value.partial) == ("the event stream is not valid UTF-8", " and")


def test_an_error_status_on_a_stream_request_is_typed_with_nothing_partial(stub: Stub) -> None:
    stub.replies.append(json_reply({"error": {"message": "nope", "code": "model_not_found"}}, 404))
    with pytest.raises(ModelNotFoundError) as caught_error:
        drain(openai(stub).stream("Once", Params()))
    assert (caught_error.value.status, caught_error.value.partial) == (404, "")


def test_a_server_that_ignores_stream_and_answers_json_gives_one_piece(stub: Stub) -> None:
    stub.replies.append(json_reply(completion(" all at once", "length")))
    pieces, generation = drain(openai(stub).stream("Once", Params()))
    assert (pieces, generation.text, generation.prompt_tokens) == ([" all at once"], " all at once", 5)


def test_multibyte_text_split_across_events_and_reads_is_whole(stub: Stub) -> None:
    whole = chunk("café ") + chunk("📖") + sse(b"[DONE]")
    stub.replies.append(sse_reply(*(whole[at : at + 3] for at in range(0, len(whole), 3))))
    pieces, generation = drain(openai(stub).stream("Once", Params()))
    assert (pieces, generation.text) == (["café ", "📖"], "café 📖")


def test_requests_and_streams_share_one_kept_alive_connection(stub: Stub) -> None:
    stub.replies += [
        json_reply(completion()),
        sse_reply(chunk(" a"), sse(b"[DONE]")),
        json_reply(completion()),
        sse_reply(chunk(" b"), sse(b"[DONE]")),
    ]
    transport = openai(stub)
    transport.generate("Once", Params())
    drain(transport.stream("Once", Params()))
    transport.generate("Once", Params())
    drain(transport.stream("Once", Params()))
    assert (len(stub.seen), stub.connections) == (4, 1)


def test_closing_a_stream_early_closes_its_connection(stub: Stub) -> None:
    stub.replies += [sse_reply(chunk(" a"), chunk(" b"), sse(b"[DONE]")), json_reply(completion())]
    transport = openai(stub)
    stream = transport.stream("Once", Params())
    assert next(stream) == " a"
    stream.close()
    transport.generate("Once", Params())
    assert stub.connections == 2


# -- llama-cpp-python's empty stream, token counts, the window -----------------------

LLAMA_CONTEXT = {
    "error": {
        "message": "This model's maximum context length is 512 tokens, however you requested 702 tokens "
        "(701 in your prompt; 1 for the completion). Please reduce your prompt; or completion length.",
        "type": "invalid_request_error",
        "param": "messages",
        "code": "context_length_exceeded",
    }
}


def test_an_empty_llama_cpp_stream_is_probed_for_the_real_context_error(stub: Stub) -> None:
    stub.replies += [sse_reply(), json_reply(LLAMA_CONTEXT, 400), json_reply({"detail": "Not Found"}, 404)]
    transport = openai(stub, "llama.cpp")
    with pytest.raises(ContextLimitError) as caught_error:
        drain(transport.stream("Once", Params(max_new_tokens=8, logprobs=2)))
    assert (caught_error.value.limit, caught_error.value.prompt_tokens) == (512, 701)
    assert [seen.body for seen in stub.seen] == [
        {"model": "m", "prompt": "Once", "max_tokens": 8, "stream": True, "logprobs": 2},
        {"model": "m", "prompt": "Once", "max_tokens": 1, "stream": False},
    ]
    assert transport.context_window() == 512  # learned; llama-cpp-python has no /props
    assert stub.seen[-1].path == "/props"


def test_a_probe_that_succeeds_leaves_the_cut_stream_error(stub: Stub) -> None:
    stub.replies += [sse_reply(), json_reply(completion())]
    with pytest.raises(TransportError) as caught_error:
        drain(openai(stub, "llama.cpp").stream("Once", Params()))
    assert caught_error.value.message.endswith(
        "ended before its final 'data: [DONE]' event (no event at all was received)"
    )


DETECTED = [
    ([json_reply({"default_generation_settings": {"n_ctx": 512}, "total_slots": 1})], "llama.cpp", "/props"),
    ([json_reply({"detail": "Not Found"}, 404), json_reply({"version": "0.11.0"})], "vllm", "/version"),
    ([text_reply("404 page not found", 404)] * 2 + [json_reply({"version": "0.12.3"})], "ollama", "/api/version"),
    ([text_reply("", 404)] * 3 + [json_reply({"model_id": "gpt2", "max_total_tokens": 2048})], "tgi", "/info"),
    ([text_reply("<html>nothing here</html>", 200, "text/html")] + [text_reply("", 404)] * 3, "openai", "/info"),
]


@pytest.mark.parametrize(("answers", "dialect", "last"), DETECTED)
def test_the_dialect_is_asked_of_the_server_once(stub: Stub, answers: list[Reply], dialect: str, last: str) -> None:
    stub.replies += [*answers, json_reply(completion()), json_reply(completion())]
    transport = OpenAICompletions(stub.base_url, "m", KEY)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # top_k is not sent to some: that warning has its own test
        transport.generate("Once", Params(top_k=30))
        transport.generate("Once", Params(top_k=30))
    probes = [(seen.method, seen.path) for seen in stub.seen[: len(answers)]]
    assert probes == [("GET", path) for path in ("/props", "/version", "/api/version", "/info")[: len(answers)]]
    assert probes[-1] == ("GET", last)
    assert [seen.path for seen in stub.seen[len(answers) :]] == ["/v1/completions", "/v1/completions"]
    assert all(seen.headers["Authorization"] == f"Bearer {KEY}" for seen in stub.seen)
    assert (transport.server, transport.describe()["server"]) == (dialect, dialect)
    sent_top_k = "top_k" in stub.seen[-1].body
    assert sent_top_k == (dialect in ("llama.cpp", "vllm"))


def test_a_server_that_cannot_be_reached_fails_naming_its_completions_address() -> None:
    server = Stub()
    url = server.base_url
    server.close()
    transport = OpenAICompletions(url)
    with pytest.raises(TransportError) as caught_error:
        transport.generate("Once", Params())
    assert str(caught_error.value).startswith(f"could not connect to {url}/completions")
    assert transport.server is None


def test_a_server_that_could_not_be_asked_is_asked_again(stub: Stub, monkeypatch: pytest.MonkeyPatch) -> None:
    answers: list[str | TransportError] = [TransportError("refused"), "vllm"]

    def detect(*args: object) -> str:
        answer = answers.pop(0)
        if isinstance(answer, TransportError):
            raise answer
        return answer

    monkeypatch.setattr(openai_transport, "detect_server", detect)
    stub.replies += [json_reply(completion()), json_reply(completion())]
    transport = openai(stub, None)
    with warnings.catch_warnings(record=True) as caught_warnings:
        warnings.simplefilter("always")
        transport.generate("Once", Params(top_k=3))
        transport.generate("Once", Params(top_k=3))
    assert ["top_k" in seen.body for seen in stub.seen] == [False, True]
    assert (transport.server, answers, len(caught_warnings)) == ("vllm", [], 1)


def test_extra_body_is_sent_with_every_completion(stub: Stub) -> None:
    stub.replies += [json_reply(completion()), sse_reply(chunk(" a", "length"), sse(b"[DONE]"))]
    transport = openai(stub, "llama.cpp", extra_body={"ignore_eos": True})
    transport.generate("Once", Params())
    drain(transport.stream("Once", Params()))
    assert [seen.body["ignore_eos"] for seen in stub.seen] == [True, True]


def test_llama_cpp_is_asked_for_one_alternative_when_none_are_wanted(stub: Stub) -> None:
    logprobs = {"content": [{"token": " a", "logprob": -0.25, "top_logprobs": [{"token": " b", "logprob": -0.1}]}]}
    stub.replies.append(json_reply(completion(" a", logprobs=logprobs)))
    generation = openai(stub, "llama.cpp").generate("Once", Params(logprobs=0))
    assert stub.seen[0].body["logprobs"] == 1
    assert generation.logprobs == (TokenLogprob(" a", -0.25, ()),)


def test_other_servers_are_not_probed(stub: Stub) -> None:
    stub.replies.append(sse_reply())
    with pytest.raises(TransportError):
        drain(openai(stub, "vllm").stream("Once", Params()))
    assert len(stub.seen) == 1


def test_llama_cpp_python_counts_tokens_at_its_extras_route(stub: Stub) -> None:
    stub.replies += [json_reply({"count": 4}), json_reply({"count": 9})]
    transport = openai(stub, "llama.cpp")
    assert (transport.count_tokens("Once upon a time"), transport.count_tokens("longer")) == (4, 9)
    assert [(seen.path, seen.body) for seen in stub.seen] == [
        ("/extras/tokenize/count", {"input": "Once upon a time", "model": "m"}),
        ("/extras/tokenize/count", {"input": "longer", "model": "m"}),
    ]


def test_llama_server_counts_tokens_at_tokenize_and_reads_its_window_from_props(stub: Stub) -> None:
    stub.replies += [
        json_reply({"detail": "Not Found"}, 404),
        json_reply({"tokens": [1, 2, 3]}),
        json_reply({"tokens": [1]}),
        json_reply({"default_generation_settings": {"n_ctx": 4096}, "total_slots": 1}),
    ]
    transport = openai(stub, "llama.cpp")
    assert (transport.count_tokens("abc"), transport.count_tokens("a")) == (3, 1)
    assert (transport.context_window(), transport.context_window()) == (4096, 4096)
    assert [(seen.method, seen.path) for seen in stub.seen] == [
        ("POST", "/extras/tokenize/count"),
        ("POST", "/tokenize"),
        ("POST", "/tokenize"),
        ("GET", "/props"),
    ]
    assert stub.seen[1].body == {"content": "abc", "add_special": True}


def test_a_server_without_tokenize_routes_is_asked_once(stub: Stub) -> None:
    stub.replies += [json_reply({"detail": "Not Found"}, 404)] * 3
    transport = openai(stub, "llama.cpp")
    assert (transport.count_tokens("a"), transport.count_tokens("b")) == (None, None)
    assert (transport.context_window(), transport.context_window()) == (None, None)
    assert len(stub.seen) == 3


@pytest.mark.parametrize("server", ["openai", "vllm", "tgi", "ollama"])
def test_other_dialects_count_nothing_and_ask_nothing(stub: Stub, server: str) -> None:
    transport = openai(stub, server)
    assert (transport.count_tokens("abc"), transport.context_window()) == (None, None)
    assert stub.seen == []


# -- cassettes recorded against llama-cpp-python's server --------------------------------


def replay(name: str) -> Any:
    with recording(CASSETTES / f"{name}.yaml", record_mode="none"):
        return SCENARIOS[name](transport(REPLAY_BASE_URL))


def test_every_openai_cassette_says_how_it_was_recorded() -> None:
    for name in SCENARIOS:
        head = (CASSETTES / f"{name}.yaml").read_text(encoding="utf-8").splitlines()[:5]
        assert head[0].startswith(
            "# Recorded for real by tests/helpers/record_openai_cassettes.py (record_openai) on 20"
        )
        assert head[2].startswith("# llama-cpp-python 0.3.36) on loopback, serving SmolLM2-135M-Instruct.Q4_1.gguf")
        text = (CASSETTES / f"{name}.yaml").read_text(encoding="utf-8")
        assert "Authorization" not in text
        assert "/work/" not in text


def test_cassette_generate_with_logprobs() -> None:
    generation = replay("openai-generate")
    assert attrs.evolve(generation, logprobs=None) == Generation(
        text=" there was a wise old woman named Elara. She had",
        finish_reason="length",
        prompt_tokens=13,
        completion_tokens=12,
        backend="openai",
        model=MODEL_ALIAS,
        seed=7,
    )
    assert "".join(item.token for item in generation.logprobs) == generation.text
    assert generation.logprobs[0] == TokenLogprob(
        " there", -0.7410746216773987, ((" there", -0.7410746216773987), (" a", -2.0889711380004883))
    )
    # the server's repeat penalty made " had" win over a likelier " was": kept most likely first
    assert generation.logprobs[-1] == TokenLogprob(
        " had", -1.3787522315979004, ((" was", -0.716776430606842), (" had", -1.3787522315979004))
    )


def test_cassette_stream() -> None:
    pieces, generation = replay("openai-stream")
    assert pieces == [" there", " was", " a", " wise", " old", " woman", " named", " El", "ara", ".", " She", " had"]
    assert generation == Generation(
        text=" there was a wise old woman named Elara. She had",
        finish_reason="length",
        backend="openai",
        model=MODEL_ALIAS,
        seed=7,
    )


def test_cassette_prompt_over_the_window() -> None:
    error = replay("openai-context-limit")
    assert isinstance(error, ContextLimitError)
    assert (error.status, error.limit, error.prompt_tokens, error.partial) == (400, 1024, 1125, "")
    assert str(error) == (
        "HTTP 400: This model's maximum context length is 1024 tokens, however you requested 1137 tokens "
        "(1125 in your prompt; 12 for the completion). Please reduce your prompt; or completion length."
        f"\n{CONTEXT_HINT}"
    )


def test_cassette_streamed_prompt_over_the_window_is_probed() -> None:
    error = replay("openai-stream-context-limit")
    assert isinstance(error, ContextLimitError)
    assert (error.status, error.limit, error.prompt_tokens, error.partial) == (400, 1024, 1125, "")


def test_cassette_token_count() -> None:
    assert replay("openai-tokenize") == (13, None)


def test_cassette_story_replays_to_an_equal_story() -> None:
    story = replay("openai-story")
    assert story.segments == (
        PROMPT,
        " there was a wise old woman named Elara. She had",
        " a beautiful daughter named Aria, who",
    )
    assert [node.origin for node in story.path] == ["prompt", "model", "model"]
    assert [node.generation.backend for node in story.path[1:]] == ["openai", "openai"]
    assert replay("openai-story") == story


# -- live, against llama.cpp's own server with the embedded model ----------------------


def test_live_generate_and_stream_agree(llama_server: str) -> None:
    live = transport(llama_server, API_KEY)
    params = Params(max_new_tokens=6, temperature=0.0, seed=3)
    generation = live.generate(PROMPT, params)
    pieces, streamed = drain(live.stream(PROMPT, params))
    assert "".join(pieces) == streamed.text == generation.text
    assert (generation.finish_reason, streamed.finish_reason) == ("length", "length")
    assert (generation.completion_tokens, generation.model, streamed.model) == (6, MODEL_ALIAS, MODEL_ALIAS)
    assert generation.prompt_tokens == live.count_tokens(PROMPT)


def test_live_prompt_over_the_window_is_a_context_limit_error_streamed_or_not(llama_server: str) -> None:
    live = transport(llama_server, API_KEY)
    assert live.context_window() == N_CTX  # llama-server says it at /props
    prompt_tokens = live.count_tokens(LONG_PROMPT)
    assert prompt_tokens is not None
    assert prompt_tokens > N_CTX
    for error in (
        caught(lambda: live.generate(LONG_PROMPT, PARAMS)),
        caught(lambda: drain(live.stream(LONG_PROMPT, PARAMS))),
    ):
        assert isinstance(error, ContextLimitError)
        assert (error.status, error.limit, error.prompt_tokens, error.partial) == (400, N_CTX, prompt_tokens, "")
    assert live.generate(PROMPT, Params(max_new_tokens=1)).completion_tokens == 1  # the connection recovered


def test_live_end_of_text_is_left_out_of_the_count_and_the_logprobs(llama_server: str) -> None:
    live = transport(llama_server, API_KEY)
    chat = "<|im_start|>user\nSay hi.<|im_end|>\n<|im_start|>assistant\n"  # the model soon ends its text
    params = Params(max_new_tokens=60, temperature=0.7, seed=1, logprobs=0)
    whole = live.generate(chat, params)
    _, streamed = drain(live.stream(chat, params))
    for generation in (whole, streamed):
        assert generation.finish_reason == "eos"
        # llama-server counts the end-of-text token and lists it, as "", last
        tokens = requests.post(
            llama_server.removesuffix("/v1") + "/tokenize",
            json={"content": generation.text},
            headers={"Authorization": f"Bearer {API_KEY}"},
            timeout=30,
        ).json()["tokens"]
        assert generation.completion_tokens == len(tokens)
        assert generation.logprobs is not None
        assert "".join(item.token for item in generation.logprobs) == generation.text


def test_live_server_is_detected_as_llama_cpp_and_gets_its_parameters(llama_server: str) -> None:
    live = OpenAICompletions(llama_server, api_key=API_KEY)
    assert live.server is None
    generation = live.generate(PROMPT, Params(max_new_tokens=4, temperature=0.0, top_k=1, logprobs=0))
    assert live.server == "llama.cpp"
    assert live.describe()["server"] == "llama.cpp"
    assert generation.logprobs is not None
    assert [item.top for item in generation.logprobs] == [()] * len(generation.logprobs)
    assert "".join(item.token for item in generation.logprobs) == generation.text


def test_live_server_through_a_completer_gets_its_samplers(llama_server: str) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # top_k and min_p are taken: no warning that they were left out
        bloom = Completer(
            PROMPT, backend="openai", url=llama_server, token=API_KEY, max_new_tokens=4, temperature=0.0, top_k=1
        )
        bloom(min_p=0.05)
    assert bloom.transport.describe()["server"] == "llama.cpp"
    assert bloom.story.generation is not None
    assert (bloom.story.generation.backend, bloom.story.generation.completion_tokens) == ("openai", 4)


def test_live_requests_after_streams_reuse_or_renew_their_connections(llama_server: str) -> None:
    live = transport(llama_server, API_KEY)
    params = Params(max_new_tokens=2, temperature=0.0)
    answers = []
    for _ in range(10):  # llama-server closes a kept-alive connection after each stream
        answers.append("".join(live.stream(PROMPT, params)))
        answers.append(live.generate(PROMPT, params).text)
        assert live.count_tokens(PROMPT) is not None
    assert len(set(answers)) == 1


def test_live_story_continues_and_many_stories_match_one_by_one(llama_server: str) -> None:
    live = transport(llama_server, API_KEY)
    params = Params(max_new_tokens=4, temperature=0.0)
    stories = [Story.from_prompt(text) for text in ("The dragon", "She opened the door")]
    one_by_one = [complete(story, params, live) for story in stories]
    assert complete_many(stories, params, live, concurrency=2) == one_by_one
    *pieces, longer = complete_stream(one_by_one[0], params, live)
    assert isinstance(longer, Story)
    assert longer.segments == (*one_by_one[0].segments, "".join(map(str, pieces)))
    assert longer.generation is not None
    assert longer.generation.finish_reason == "length"
