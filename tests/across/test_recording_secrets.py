"""Recordings and error excerpts scrub every credential that was sent, whatever its shape.

A loopback ``FaultServer`` echoes the ``Authorization`` header's content (and the
key alone) back in its body and in a response header. ``recording()`` is given no
``secrets=``: it must learn each credential from the requests themselves, so keys
that match no pattern (a short Hugging Face token, an OpenAI project key, a
llama-server key) are scrubbed by value from the cassette, and
vcrpy's own log lines (which show each response before it is recorded) never show
them. Error excerpts are scrubbed before they are cut, so no start of a token shows.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from complete.errors import APIError, CompleteError, ResponseError
from complete.testing import recording
from complete.transports.hf.inference import HFInference
from complete.transports.http.edge import EXCERPT_CHARS
from complete.transports.openai.completions import OpenAICompletions
from complete.values.params import Params
from tests.helpers.fault_server import (
    FaultServer,
    Received,
    Reply,
    echo,
    fault_server,
    json_reply,
    respond,
    without_info,
)

__all__ = ["fault_server"]

PROMPT = "The lighthouse keeper climbed the stairs one last time."
PARAMS = Params(max_new_tokens=4)
KEYS = {
    "short-hf-token": "hf_short1234",
    "openai-project-key": "sk-proj-AbC_dEf-123",
    "llama-server-key": "local-key-42",
}


def echoed(received: Received) -> Reply:
    value = received.headers.get("Authorization", "")
    key = value.removeprefix("Bearer ")
    body = {"choices": [{"text": f" seen {key}", "index": 0, "finish_reason": "length"}], "auth": value}
    return json_reply(200, body, headers={"X-Seen-Authorization": value, "X-Seen-Key": key})


@pytest.mark.parametrize("key", list(KEYS.values()), ids=list(KEYS))
def test_a_cassette_never_holds_a_credential_the_requests_sent(
    fault_server: FaultServer, tmp_path: Path, caplog: pytest.LogCaptureFixture, key: str
) -> None:
    caplog.set_level(logging.DEBUG)
    fault_server.always(echo(echoed))
    cassette = tmp_path / "cassette.yaml"
    transport = OpenAICompletions(f"{fault_server.url}/v1", "m", api_key=key, server="openai")
    with recording(cassette, record_mode="all"):
        generation = transport.generate(PROMPT, PARAMS)
    assert generation.text == f" seen {key}"  # the server did get it, and said it back
    text = cassette.read_text()
    assert "X-Seen-Key" in text
    assert key not in text
    assert key[: len(key) // 2] not in text.replace("***", "")
    assert "uthorization: [Bearer" not in text
    assert "Appending request" in caplog.text  # vcrpy's log line was there, and scrubbed
    assert key not in caplog.text


def test_an_hf_token_too_short_for_any_pattern_is_scrubbed(fault_server: FaultServer, tmp_path: Path) -> None:
    without_info(fault_server)
    fault_server.always(
        echo(lambda received: respond(400, json.dumps({"error": received.headers["Authorization"]}).encode()))
    )
    cassette = tmp_path / "cassette.yaml"
    with recording(cassette, record_mode="all"), pytest.raises(APIError) as caught:
        HFInference(endpoint=fault_server.url, token="hf_tiny").generate(PROMPT, PARAMS)
    assert "hf_tiny" not in str(caught.value)
    assert "hf_tiny" not in cassette.read_text()


def test_an_error_excerpt_is_scrubbed_before_it_is_cut(fault_server: FaultServer) -> None:
    token = "hf_" + "Secret" * 6
    padding = "x" * (EXCERPT_CHARS - 8)
    fault_server.always(json_reply(400, {"error": f"{padding} {token}"}))
    with pytest.raises(APIError) as caught:
        HFInference(endpoint=fault_server.url, token=token).generate(PROMPT, PARAMS)
    message = str(caught.value)
    assert message.endswith("x ***")
    assert token[:6] not in message


def test_a_cut_body_excerpt_shows_no_start_of_the_token(fault_server: FaultServer) -> None:
    token = "sk-" + "Secret" * 6
    body = ("<" + "y" * 190 + " " + token + " more").encode()  # the 200-character excerpt cuts the key
    fault_server.always(respond(200, body, content_type="application/json"))
    with pytest.raises(ResponseError) as caught:
        OpenAICompletions(f"{fault_server.url}/v1", "m", api_key=token, server="openai").generate(PROMPT, PARAMS)
    shown = str(caught.value)
    assert "is not valid JSON" in shown
    assert token[:7] not in shown
    assert isinstance(caught.value, CompleteError)
