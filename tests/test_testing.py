"""The test doubles users get: scripted replies, replayed sessions, recordings."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from complete import Completer, Generation, Params, Story, TransportError, complete, complete_stream
from complete.testing import Cut, ReplayTransport, ScriptedTransport, recording
from tests.helpers.fault_server import json_reply, serve


def test_scripted_replies_in_order_and_calls_recorded() -> None:
    transport = ScriptedTransport([" a", Generation(text=" b", finish_reason="eos"), TransportError("down")])
    assert transport.generate("p1", Params()).text == " a"
    assert transport.generate("p2", Params(seed=3)).finish_reason == "eos"
    with pytest.raises(TransportError, match="down"):
        transport.generate("p3", Params())
    assert transport.calls == [("p1", Params()), ("p2", Params(seed=3)), ("p3", Params())]
    with pytest.raises(LookupError, match="no reply left for call 4"):
        transport.generate("p4", Params())


def test_scripted_stream_pieces_and_a_cut() -> None:
    transport = ScriptedTransport([" once upon", Cut(" a ti", TransportError("cut"))])
    items = list(complete_stream(Story.from_prompt("X"), Params(), transport))
    assert items[:-1] == [" once", " upon"]
    with pytest.raises(TransportError) as caught:
        list(complete_stream(Story.from_prompt("X"), Params(), transport))
    assert caught.value.partial == " a ti"


def test_a_saved_session_replays_exactly_with_no_backend(tmp_path: Path) -> None:
    bloom = Completer("Once", transport=ScriptedTransport([" upon", " a", " time"]), seed=1)
    bloom()
    bloom()
    bloom.retry()
    bloom.save(tmp_path / "s.json")
    saved = Completer.load(tmp_path / "s.json", transport=ScriptedTransport([]))

    replay = ReplayTransport.from_story(*saved.nodes)
    again = Completer("Once", transport=replay, seed=1)
    again()
    again()
    assert again.text == "Once upon a"
    again.retry()
    assert again.story == saved.story
    assert [prompt for prompt, _ in replay.calls] == ["Once", "Once upon", "Once upon"]
    with pytest.raises(LookupError, match="no recorded answer for a prompt ending 'Once upon time'"):
        replay.generate("Once upon time", Params())


def test_replay_works_with_the_pure_function() -> None:
    story = Story.from_prompt("A").extend(" b", origin="model", generation=Generation(text=" b", seed=4))
    assert complete(story.root, Params(), ReplayTransport.from_story(story)).text == "A b"


def test_recording_filters_the_token_and_drops_cookies(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CI", raising=False)
    from complete import HFInference

    cassette = tmp_path / "c.yaml"
    token = "hf_" + "Q" * 34
    with serve() as server, recording(cassette):
        server.always(json_reply(200, [{"generated_text": " ok"}], headers={"Set-Cookie": "session=abc"}))
        HFInference(endpoint=server.url, token=token).generate("Hi", Params())
    text = cassette.read_text()
    assert token not in text
    recorded = yaml.safe_load(text)["interactions"][0]
    assert "Authorization" not in recorded["request"]["headers"]
    assert "Set-Cookie" not in recorded["response"]["headers"]
    replayed = HFInference(endpoint=server.url, token=token)
    with recording(cassette, record_mode="none"):  # replays with no server
        generation = replayed.generate("Hi", Params())
    assert generation.text == " ok"


def test_recording_never_records_in_ci(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "1")
    with recording(tmp_path / "missing.yaml") as cassette:
        assert cassette.record_mode == "none"
