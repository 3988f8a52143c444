"""A token never shows: not in a repr, an error, a log line, a file, a cassette, the CLI.

``FAKE_TOKEN`` (tests/conftest.py) is threaded through every path that holds or
sends a token, and a loopback ``FaultServer`` plays a server that echoes it back
in every place a real one might (a JSON error, FastAPI's ``detail``, a warning,
``X-Error-Message``, plain text, an HTML page, a redirect's ``Location``, a 200 that
is not an answer, an event in a stream). Each test first proves the token really
went out (the server received it) and then that it came back nowhere.
"""

from __future__ import annotations

import io
import json
import logging
import traceback
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from complete import Completer, cli
from complete.errors import CompleteError
from complete.testing import recording
from complete.transports.base import Transport, describe
from complete.transports.choice import choose
from complete.transports.credentials import FoundToken, find_token
from complete.transports.hf.inference import HFInference
from complete.transports.openai.completions import OpenAICompletions
from complete.transports.retrying import RetryingTransport
from complete.values.params import Params
from complete.values.story import Story
from complete.writing.core import complete, complete_stream
from tests.conftest import FAKE_TOKEN
from tests.helpers.fault_server import (
    FaultServer,
    Reply,
    deadline,
    echo,
    events,
    json_reply,
    redirect,
    respond,
    sse,
)
from tests.helpers.fault_server import infoless_server as server

__all__ = ["server"]  # the shared fixture, by the name these tests use

PROMPT = "The lighthouse keeper climbed the stairs one last time."
PARAMS = Params(max_new_tokens=8)
TIMEOUT = (2.0, 5.0)
OPENAI_KEY = "sk-proj-SECRETsecretSECRETsecret0123456789"
"""An OpenAI-style key: not shaped like a Hugging Face token, so no pattern catches it."""


@pytest.fixture(autouse=True)
def _guard() -> Iterator[None]:
    with deadline(30):
        yield


def assert_hidden(*texts: object, secrets: tuple[str, ...] = (FAKE_TOKEN,)) -> None:
    for text in texts:
        shown = text if isinstance(text, str) else repr(text)
        for secret in secrets:
            assert secret not in shown


def shown_by(error: BaseException) -> list[str]:
    """Everything an error shows or keeps: str, repr, its fields, the whole traceback."""
    return [
        str(error),
        repr(error),
        repr(vars(error)),
        "".join(traceback.format_exception(error)),
    ]


# -- repr and str of everything that holds a token ------------------------------------


def test_no_object_holding_a_token_shows_it(server: FaultServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_ENDPOINT", server.url)  # the writer's own Hub: a found token may go there
    Path(".hf_token").write_text(FAKE_TOKEN + "\n")
    from_file = HFInference(endpoint=server.url)
    Path(".hf_token").unlink()
    monkeypatch.setenv("HF_TOKEN", FAKE_TOKEN)
    from_env = HFInference()
    monkeypatch.delenv("HF_TOKEN")
    explicit = HFInference(token=FAKE_TOKEN, base_url=f"{server.url}/models")
    provider = HFInference("meta-llama/Llama-3.1-8B", token=FAKE_TOKEN, provider="together")
    openai = OpenAICompletions(f"{server.url}/v1", api_key=FAKE_TOKEN, server="vllm")
    retrying = RetryingTransport(explicit)
    found = find_token(FAKE_TOKEN)
    choice = choose("hf", url=server.url, token=FAKE_TOKEN)
    server.always(json_reply(200, [{"generated_text": " and then"}]))
    bloom = Completer(PROMPT, transport=RetryingTransport(from_file), stream=False)
    bloom()
    objects: list[object] = [
        from_file,
        from_env,
        explicit,
        provider,
        provider._delegate,
        openai,
        retrying,
        found,
        FoundToken(FAKE_TOKEN, source="a test"),
        choice,
        choice.transport,
        bloom,
        bloom.last_request,
        bloom.story,
    ]
    assert [received.token for received in server.received] == [FAKE_TOKEN] * 2  # /info, then the request
    for thing in objects:
        assert_hidden(repr(thing), str(thing), f"{thing}", describe(thing))
    assert (from_env.token_source, from_file.token_source) == (
        "the HF_TOKEN environment variable",
        f".hf_token in {Path.cwd()}",
    )


def test_an_openai_key_never_shows_in_warnings(server: FaultServer) -> None:
    transport = OpenAICompletions(f"{server.url}/v1", api_key=OPENAI_KEY, server="openai")
    server.always(json_reply(200, {"choices": [{"text": " and then", "finish_reason": "length"}]}))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        transport.generate(PROMPT, Params(top_k=5, repetition_penalty=1.1))
    assert len(caught) == 2
    assert_hidden(*(str(warning.message) for warning in caught), secrets=(OPENAI_KEY,))
    assert server.received[0].token == OPENAI_KEY


# -- servers that echo the token ---------------------------------------------------------

Echo = Callable[[str], Reply]

ECHOES: dict[str, Echo] = {
    "json-error": lambda token: json_reply(400, {"error": f"Authorization: Bearer {token} is not valid"}),
    "json-warnings": lambda token: json_reply(
        500, {"error": "unknown error", "warnings": [f"token {token} throttled"]}
    ),
    "openai-error-object": lambda token: json_reply(
        401, {"error": {"message": f"Incorrect API key provided: {token}.", "type": "invalid_request_error"}}
    ),
    "fastapi-detail": lambda token: json_reply(
        422, {"detail": [{"loc": ["header", "authorization"], "msg": f"bad value {token}"}]}
    ),
    "x-error-message": lambda token: respond(403, b"", headers={"X-Error-Message": f"token {token} lacks access"}),
    "plain-text": lambda token: respond(500, f"upstream refused {token}".encode(), content_type="text/plain"),
    "html-page": lambda token: respond(
        502, f"<html><title>Bad token {token}</title></html>".encode(), content_type="text/html"
    ),
    "redirect-location": lambda token: redirect(302, f"https://login.example/?token={token}"),
    "rate-limit": lambda token: json_reply(429, {"error": f"slow down, {token}"}, headers={"Retry-After": "0"}),
    "200-error-body": lambda token: json_reply(200, {"error": f"token {token} expired"}),
    "200-not-json": lambda token: respond(200, f"token={token}".encode(), content_type="text/plain"),
    "200-wrong-shape": lambda token: json_reply(200, {"you sent": token}),
    "stream-error-event": lambda token: events(sse({"error": f"token {token} revoked", "error_type": "generation"})),
    "stream-bad-event": lambda token: events(f"data: not JSON at all {token}\n\n".encode()),
    "stream-error-object": lambda token: events(sse({"error": {"message": f"key {token} revoked"}})),
}


def echoing(build: Echo) -> Reply:
    return echo(lambda received: build(received.token))


TRANSPORTS: dict[str, Callable[[str, str], Transport]] = {
    "hf-endpoint": lambda url, token: HFInference(token=token, endpoint=url, timeout=TIMEOUT),
    "hf-serverless": lambda url, token: HFInference("gpt2", token=token, base_url=f"{url}/models", timeout=TIMEOUT),
    "openai": lambda url, token: OpenAICompletions(f"{url}/v1", "m", api_key=token, timeout=TIMEOUT),
}


def run(transport: Transport, mode: str) -> None:
    story = Story.from_prompt(PROMPT)
    if mode == "generate":
        complete(story, PARAMS, transport)
    else:
        list(complete_stream(story, PARAMS, transport))


def attempt(transport: Transport, mode: str) -> CompleteError:
    with pytest.raises(CompleteError) as caught:
        run(transport, mode)
    return caught.value


@pytest.mark.parametrize("mode", ["generate", "stream"])
@pytest.mark.parametrize("shape", ECHOES, ids=str)
@pytest.mark.parametrize("kind", TRANSPORTS, ids=str)
def test_a_token_echoed_by_the_server_never_reaches_an_error_or_a_log(
    server: FaultServer, caplog: pytest.LogCaptureFixture, kind: str, shape: str, mode: str
) -> None:
    token = OPENAI_KEY if kind == "openai" else FAKE_TOKEN
    server.always(echoing(ECHOES[shape]))
    transport = RetryingTransport(TRANSPORTS[kind](server.url, token), attempts=2, sleep=lambda _: None)
    caplog.set_level(logging.DEBUG)
    logging.getLogger("urllib3").setLevel(logging.DEBUG)
    error = attempt(transport, mode)
    assert {received.token for received in server.received} == {token}
    assert_hidden(*shown_by(error), caplog.text, secrets=(token,))
    for record in caplog.records:
        assert_hidden(record.getMessage(), record.args, secrets=(token,))
    assert any(record.name.startswith("urllib3") for record in caplog.records)  # the log was really captured


def test_the_scrubbed_words_are_still_the_servers(server: FaultServer) -> None:
    server.always(echoing(ECHOES["redirect-location"]))
    error = attempt(TRANSPORTS["hf-endpoint"](server.url, FAKE_TOKEN), "generate")
    assert str(error) == (
        "HTTP 302: Found\nThe server redirects to https://login.example/?token=***; "
        "requests are not followed there. Use that address directly."
    )
    server.always(echoing(ECHOES["200-wrong-shape"]))
    error = attempt(TRANSPORTS["openai"](server.url, OPENAI_KEY), "generate")
    assert (str(error), getattr(error, "body", None)) == (
        "the answer has no choices[0] (is this an OpenAI-compatible server?)",
        b'{"you sent": "***"}',
    )


# -- files and cassettes ---------------------------------------------------------------------


def test_saved_sessions_stories_and_exports_hold_no_token(server: FaultServer, tmp_path: Path) -> None:
    server.always(json_reply(200, [{"generated_text": " and then", "details": {"finish_reason": "length"}}]))
    bloom = Completer(PROMPT, transport=HFInference(token=FAKE_TOKEN, endpoint=server.url), stream=False)
    bloom()
    bloom.set(seed=3)
    bloom()
    bloom.save(tmp_path / "session.json")
    bloom.export(tmp_path / "story.md")
    bloom.export(tmp_path / "story.txt")
    (tmp_path / "story.json").write_text(json.dumps(bloom.story.to_dict()))
    again = Completer.load(tmp_path / "session.json", transport=HFInference(token=FAKE_TOKEN, endpoint=server.url))
    again.save(tmp_path / "again.json")
    assert [received.token for received in server.received] == [FAKE_TOKEN] * 3  # /info once, two requests
    files = sorted(tmp_path.iterdir())
    assert [path.name for path in files] == ["again.json", "session.json", "story.json", "story.md", "story.txt"]
    for path in files:
        assert_hidden(path.read_text())
    assert json.loads((tmp_path / "session.json").read_text())["backend"] == {
        "backend": "hf",
        "model": "bigscience/bloom",
        "endpoint": server.url,
    }


RECORDED: dict[str, Callable[[str], Reply]] = {
    "success": lambda token: json_reply(200, [{"generated_text": " and then"}]),
    "echo-in-body": lambda token: json_reply(400, {"error": f"bad token {token}"}),
    "echo-in-header": lambda token: respond(
        403, b'{"error": "forbidden"}', content_type="application/json", headers={"X-Error-Message": f"{token} denied"}
    ),
    "echo-in-location": lambda token: redirect(307, f"https://login.example/?token={token}"),
    "echo-in-stream": lambda token: events(sse({"error": f"token {token} revoked", "error_type": "generation"})),
}


@pytest.mark.parametrize("case", RECORDED, ids=str)
@pytest.mark.parametrize(("kind", "token"), [("hf-endpoint", FAKE_TOKEN), ("openai", OPENAI_KEY)])
def test_recorded_cassettes_hold_no_token(
    server: FaultServer, tmp_path: Path, case: str, kind: str, token: str
) -> None:
    server.always(echoing(RECORDED[case]))
    cassette = tmp_path / "cassette.yaml"
    transport = TRANSPORTS[kind](server.url, token)
    mode = "stream" if case == "echo-in-stream" else "generate"
    with recording(cassette, record_mode="all", secrets=[OPENAI_KEY]):
        try:
            if mode == "generate":
                transport.generate(PROMPT, PARAMS)
            else:
                list(transport.stream(PROMPT, PARAMS))
        except CompleteError as error:
            assert_hidden(*shown_by(error), secrets=(token,))
    text = cassette.read_text()
    assert server.received[0].token == token
    assert f"uri: {server.url}" in text  # something was recorded
    assert_hidden(text, secrets=(token,))


# -- the command line ----------------------------------------------------------------


CLI_CASES = [
    pytest.param(["--full"], json_reply(200, [{"generated_text": " and then"}]), 0, 1, id="generate"),
    pytest.param(
        ["--stream"],
        events(sse({"token": {"text": " and", "special": False}, "generated_text": " and", "details": None})),
        0,
        1,
        id="stream",
    ),
    pytest.param([], echoing(ECHOES["json-error"]), 1, 1, id="echoed-in-an-error"),
    pytest.param([], echoing(ECHOES["openai-error-object"]), 1, 1, id="echoed-in-a-401"),
    pytest.param([], echoing(ECHOES["x-error-message"]), 1, 1, id="echoed-in-a-header"),
    pytest.param([], echoing(ECHOES["rate-limit"]), 1, 4, id="echoed-while-retried"),
    pytest.param(["--stream"], echoing(ECHOES["stream-error-event"]), 1, 1, id="echoed-in-a-stream"),
]


@pytest.mark.parametrize(("argv", "reply", "status", "requests"), CLI_CASES)
def test_the_cli_never_prints_the_token_it_found(
    server: FaultServer,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
    tmp_path: Path,
    argv: list[str],
    reply: Reply,
    status: int,
    requests: int,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HF_ENDPOINT", server.url)  # the writer's own Hub: a found token may go there
    Path(".hf_token").write_text(f"  {FAKE_TOKEN}\n")
    caplog.set_level(logging.DEBUG)
    server.always(reply)
    out = io.StringIO()
    saved = tmp_path / "cli.json"
    code = cli.main(["--url", server.url, "--save", str(saved), *argv, PROMPT], stdout=out)
    err = capsys.readouterr()
    assert code == status, err.err
    assert [received.token for received in server.received] == [FAKE_TOKEN] * (1 + requests)  # /info, requests
    assert err.err.startswith(f"complete: using the HF endpoint {server.url} (token from .hf_token in {Path.cwd()}).")
    assert_hidden(out.getvalue(), err.out, err.err, caplog.text)
    if status == 0:
        assert_hidden(saved.read_text())
    else:
        assert not saved.exists()


def test_a_completer_that_found_the_token_shows_it_nowhere(
    server: FaultServer,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HF_ENDPOINT", server.url)  # the writer's own Hub: a found token may go there
    Path(".hf_token").write_text(FAKE_TOKEN)
    caplog.set_level(logging.DEBUG)
    server.script(
        events(sse({"token": {"text": " and", "special": False}, "generated_text": " and", "details": None})),
        echoing(ECHOES["json-error"]),
    )
    bloom = Completer(PROMPT, url=server.url)
    bloom()
    with pytest.raises(CompleteError) as caught:
        bloom()
    printed = capsys.readouterr()
    assert [received.token for received in server.received] == [FAKE_TOKEN] * 3  # /info once, two requests
    assert bloom.story.text == PROMPT + " and"
    assert_hidden(printed.out, printed.err, caplog.text, repr(bloom), str(bloom), *shown_by(caught.value))
