"""A story file someone shares decides where requests go, never with what credential.

Each case is a session file whose ``backend`` block (or top level) was written by
someone else: credentials, request bodies and settings the library never writes are
refused with a ``StoryFormatError`` naming the field; a backend pointing at a server
that is not Hugging Face's is rebuilt without the writer's token, says where it goes
before the first request, and gets a credential only when the writer gives one. A
loopback ``FaultServer`` plays the server the file names and records what arrived.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from complete import Completer, cli
from complete.errors import AuthError, ModelNotFoundError, StoryFormatError
from complete.interchange.session_json import read_session, session_dict
from complete.transports.choice import choose
from complete.transports.credentials import hugging_face_host
from complete.values.params import Params
from complete.writing.session import Session
from tests.conftest import FAKE_TOKEN
from tests.helpers.fault_server import (
    FaultServer,
    fault_server,
    hf_generation,
    json_reply,
    openai_completion,
    without_info,
)

__all__ = ["fault_server"]

PROMPT = "The lighthouse keeper climbed the stairs one last time."


def session_file(path: Path, backend: dict[str, Any], **top: Any) -> Path:
    data = session_dict(Session.start(PROMPT))
    data["backend"] = backend
    data.update(top)
    path.write_text(json.dumps(data))
    return path


HOSTILE_BLOCKS = [
    ({"backend": "openai", "base_url": "http://127.0.0.1:9/v1", "api_key": "sk-mine"}, "backend.api_key"),
    ({"backend": "hf", "endpoint": "http://127.0.0.1:9", "token": "hf_theirs"}, "backend.token"),
    (
        {"backend": "openai", "base_url": "http://127.0.0.1:9/v1", "extra_body": {"prompt": "INJECTED"}},
        "backend.extra_body",
    ),
    ({"backend": "hf", "model": "gpt2", "timeout": "abc"}, "backend.timeout"),
    ({"backend": "hf", "model": "gpt2", "session": {}}, "backend.session"),
    ({"backend": "hf", "model": "gpt2", "nonsense": 1}, "backend.nonsense"),
    ({"backend": "local", "n_ctx": 2_000_000_000}, "backend.n_ctx"),
    ({"backend": "local", "n_ctx": "4096"}, "backend.n_ctx"),
    ({"backend": "local", "allow_eos": "yes"}, "backend.allow_eos"),
    ({"backend": "local", "n_threads": 99999}, "backend.n_threads"),
    ({"backend": "openai", "base_url": 123}, "backend.base_url"),
    ({"backend": "openai", "base_url": "file:///etc/passwd"}, "backend.base_url"),
    ({"backend": "openai", "base_url": "http://127.0.0.1:9/v1", "server": "evil"}, "backend.server"),
    ({"backend": "openai", "base_url": "http://127.0.0.1:9/v1", "model": 5}, "backend.model"),
    ({"backend": "hf", "model": ["gpt2"]}, "backend.model"),
    ({"backend": "hf", "model": "gpt2", "provider": {"name": "x"}}, "backend.provider"),
    ({"backend": "hf", "model": "gpt2", "hub_url": "ftp://hub"}, "backend.hub_url"),
    ({"backend": "hf", "model": "../../etc"}, "backend.model"),
]


@pytest.mark.parametrize(("block", "field"), HOSTILE_BLOCKS)
def test_a_backend_block_with_anything_the_library_never_writes_is_refused(
    tmp_path: Path, block: dict[str, Any], field: str
) -> None:
    path = session_file(tmp_path / "shared.json", block)
    with pytest.raises(StoryFormatError) as caught:
        Completer.load(path)
    assert str(caught.value).startswith(f"{path}: {field}"), str(caught.value)


def test_unknown_top_level_fields_and_offered_nodes_that_are_not_alternatives_are_refused(tmp_path: Path) -> None:
    with pytest.raises(StoryFormatError, match=r"the file: unknown field\(s\) \['evil'\]"):
        read_session(session_file(tmp_path / "a.json", {"backend": "local"}, evil=1))
    with pytest.raises(StoryFormatError, match=r"offered\[0\]: expected a continuation of the current node"):
        read_session(session_file(tmp_path / "b.json", {"backend": "local"}, offered=[0]))


def test_a_shared_file_naming_another_server_gets_no_token_and_says_where(
    tmp_path: Path, fault_server: FaultServer, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("HF_TOKEN", FAKE_TOKEN)
    without_info(fault_server)
    fault_server.always(json_reply(200, hf_generation(" and then")))
    path = session_file(
        tmp_path / "shared.json", {"backend": "hf", "model": "bigscience/bloom", "endpoint": fault_server.url}
    )
    bloom = Completer.load(path, stream=False)
    said = capsys.readouterr().out
    assert said.startswith(f"complete: the saved session's backend is {fault_server.url} (no token is sent).\n")
    assert fault_server.received == []  # said before any request
    bloom()
    assert [received.token for received in fault_server.received] == ["", ""]  # /info, the request
    assert bloom.story.new_text == " and then"


def test_a_shared_file_naming_another_hub_gets_no_token_either(
    tmp_path: Path, fault_server: FaultServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HF_TOKEN", FAKE_TOKEN)
    fault_server.always(json_reply(404, {"error": "Repository not found"}))
    block = {"backend": "hf", "model": "gpt2", "hub_url": fault_server.url, "router_url": fault_server.url}
    bloom = Completer.load(session_file(tmp_path / "shared.json", block), stream=False)
    with pytest.raises(ModelNotFoundError):
        bloom()
    assert [received.token for received in fault_server.received] == [""]  # the Hub's mapping, asked anonymously


def test_the_writer_can_give_a_loaded_session_its_credential(
    tmp_path: Path, fault_server: FaultServer, capsys: pytest.CaptureFixture[str]
) -> None:
    fault_server.always(json_reply(200, openai_completion(" and then")))
    block = {"backend": "openai", "base_url": f"{fault_server.url}/v1", "model": "m", "server": "openai"}
    bloom = Completer.load(session_file(tmp_path / "mine.json", block), token="sk-mine", stream=False)
    assert capsys.readouterr().out.startswith(
        f"complete: the saved session's backend is the server at {fault_server.url}/v1 (with the API key given)."
    )
    bloom()
    assert [received.token for received in fault_server.received] == ["sk-mine"]
    assert "sk-mine" not in json.dumps(session_dict(bloom.session))


def test_resuming_a_shared_file_from_the_command_line_sends_no_token(
    tmp_path: Path, fault_server: FaultServer, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    Path(".hf_token").write_text(FAKE_TOKEN)
    without_info(fault_server)
    fault_server.always(json_reply(200, hf_generation(" and then")))
    path = session_file(
        tmp_path / "shared.json", {"backend": "hf", "model": "bigscience/bloom", "endpoint": fault_server.url}
    )
    assert cli.main(["--resume", str(path)]) == 0
    err = capsys.readouterr().err
    assert err.startswith(f"complete: the saved session's backend is {fault_server.url} (no token is sent).\n")
    assert {received.token for received in fault_server.received} == {""}


def test_the_environments_token_goes_to_hugging_face_only(
    fault_server: FaultServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HF_TOKEN", FAKE_TOKEN)
    fault_server.always(json_reply(401, {"error": "Invalid credentials"}))
    tgi = choose("tgi", url=fault_server.url).transport
    with pytest.raises(AuthError) as caught:
        tgi.generate(PROMPT, Params(max_new_tokens=4))
    assert str(caught.value).startswith(
        "HTTP 401: Invalid credentials\nThe token from the HF_TOKEN environment variable was not sent: "
        f"{fault_server.url} is not a Hugging Face address"
    )
    given = choose("tgi", url=fault_server.url, token="hf_given").transport
    with pytest.raises(AuthError):
        given.generate(PROMPT, Params(max_new_tokens=4))
    monkeypatch.setenv("HF_ENDPOINT", fault_server.url)  # the writer's own Hub: their token may go there
    configured = choose("hf", url=fault_server.url).transport
    with pytest.raises(AuthError):
        configured.generate(PROMPT, Params(max_new_tokens=4))
    none = choose("hf", url=fault_server.url, token=False).transport
    with pytest.raises(AuthError):
        none.generate(PROMPT, Params(max_new_tokens=4))
    assert [received.token for received in fault_server.received] == ["", "hf_given", FAKE_TOKEN, ""]


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://huggingface.co", True),
        ("https://router.huggingface.co/v1", True),
        ("https://abc.us-east-1.aws.endpoints.huggingface.cloud", True),
        ("http://huggingface.co", False),
        ("https://huggingface.co.evil.example", False),
        ("https://evilhuggingface.co", False),
        ("https://huggingface.co@evil.example/", False),
        ("http://127.0.0.1:8080", False),
        ("https://api.openai.com/v1", False),
    ],
)
def test_which_addresses_are_hugging_faces(url: str, expected: bool) -> None:
    assert hugging_face_host(url) is expected
