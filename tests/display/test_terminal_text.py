"""Text from a model never drives the terminal, and a lone surrogate never breaks a story.

A scripted model answers with the sequences a hostile or confused model could send:
OSC 52 (write the clipboard), OSC 0 (the window title), CSI 2J (clear the screen),
a carriage return, a bidirectional override. On a terminal, the Completer (streamed
or not, alternatives, ``print``) and the command line show them as escapes; the
only control sequences that reach the terminal are the library's own styling. The
story keeps the text exactly, and a pipe gets it exactly. Lone surrogates from the
writer are refused at the door with a ``ParamsError``; from a model they become
U+FFFD; either way every later operation still works.
"""

from __future__ import annotations

import io
import json
import re
import sys
from pathlib import Path

import pytest

from complete import Completer, cli
from complete.errors import ParamsError, StoryFormatError
from complete.interchange.session_json import read_session, session_dict
from complete.testing import ScriptedTransport
from complete.transports.hf.inference import HFInference
from complete.values.story import Story
from complete.writing.session import Session
from tests.helpers.fault_server import FaultServer, fault_server, hf_error, hf_generation, json_reply, without_info
from tests.helpers.scripted_cli import script_cli

__all__ = ["fault_server"]

HOSTILE = " \x1b]52;c;ZWNobyBwd25lZA==\x07copied \x1b]0;pwned\x07titled \x1b[2Jcleared \rover \u202eesrever\x9b31m"
SHOWN = (
    " \\x1b]52;c;ZWNobyBwd25lZA==\\x07copied \\x1b]0;pwned\\x07titled \\x1b[2Jcleared \\x0dover \\u202eesrever\\x9b31m"
)
OWN_STYLING = re.compile(r"\x1b\[[012]m")


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def obeyed(output: str) -> list[str]:
    """The control characters in ``output`` other than the library's own styling."""
    return [char for char in OWN_STYLING.sub("", output) if char in "\x1b\x07\r\x9b\u202e"]


@pytest.mark.parametrize("stream", [True, False])
def test_a_completer_on_a_terminal_shows_control_sequences_and_keeps_them_in_the_story(
    monkeypatch: pytest.MonkeyPatch, stream: bool
) -> None:
    terminal = Terminal()
    monkeypatch.setattr(sys, "stdout", terminal)  # in the test: pytest sets its capture after fixtures
    monkeypatch.setattr(sys, "stderr", Terminal())
    bloom = Completer("Once", transport=ScriptedTransport([HOSTILE, HOSTILE, HOSTILE]), stream=stream)
    bloom()
    print(bloom)
    bloom.alternatives(2)
    bloom.choose(0)
    shown = terminal.getvalue()
    assert obeyed(shown) == []
    assert "\\x1b]52;c;ZWNobyBwd25lZA==\\x07copied" in shown
    assert "\\x1b[2Jcleared" in shown
    assert "\x1b[1m" in shown  # the new part is still in bold
    assert bloom.text == "Once" + HOSTILE + HOSTILE
    assert bloom.story.segment == HOSTILE


def test_the_command_line_shows_escapes_on_a_terminal_and_the_exact_text_in_a_pipe(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    transport = ScriptedTransport([HOSTILE, HOSTILE, HOSTILE])
    script_cli(monkeypatch, transport)
    on_screen, streamed, piped = Terminal(), Terminal(), io.StringIO()
    assert cli.main(["Once"], stdout=on_screen) == 0
    assert cli.main(["--stream", "--full", "Once"], stdout=streamed) == 0
    assert cli.main(["Once"], stdout=piped) == 0
    assert on_screen.getvalue() == SHOWN + "\n"
    assert streamed.getvalue() == "Once" + SHOWN + "\n"
    assert piped.getvalue() == HOSTILE + "\n"


def test_a_servers_error_with_control_sequences_is_shown_harmlessly_by_the_command_line(
    fault_server: FaultServer, capsys: pytest.CaptureFixture[str]
) -> None:
    fault_server.always(json_reply(400, hf_error("bad \x1b]0;owned\x07 request")))
    assert cli.main(["--backend", "tgi", "--url", fault_server.url, "Once"], stdout=io.StringIO()) == 1
    err = capsys.readouterr().err
    assert "bad \\x1b]0;owned\\x07 request" in err
    assert "\x1b" not in err


@pytest.mark.parametrize(
    "attempt",
    [
        lambda bloom: bloom.append("x \ud800"),
        lambda bloom: bloom.set(stop=["\udfff"]),
        lambda bloom: setattr(bloom, "memory", "\ud83d alone"),
        lambda bloom: setattr(bloom, "note", "\udc80"),
        lambda bloom: bloom(stop=["\ud800"]),
    ],
    ids=["append", "stop", "memory", "note", "override"],
)
def test_lone_surrogates_from_the_writer_are_refused_and_the_story_stays_usable(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], attempt: object
) -> None:
    bloom = Completer("Once", transport=ScriptedTransport([" upon a time."]), stream=False)
    with pytest.raises(ParamsError, match="lone surrogate"):
        attempt(bloom)  # type: ignore[operator]
    bloom()
    print(bloom)
    bloom.export(tmp_path / "story.txt")
    bloom.export_jsonl(tmp_path / "story.jsonl")
    bloom.save(tmp_path / "story.json")
    assert bloom.text == "Once upon a time."
    assert (tmp_path / "story.txt").read_text() == "Once upon a time.\n"


def test_a_prompt_with_a_lone_surrogate_is_refused_at_the_door() -> None:
    with pytest.raises(ParamsError, match=r"A lone surrogate \('\\ud800'\) is at index 5"):
        Completer("Once \ud800 upon", transport=ScriptedTransport([]))
    with pytest.raises(ParamsError, match="lone surrogate"):
        Story.from_prompt("lone \ud800 surrogate")


def test_a_models_lone_surrogates_become_replacement_characters(
    fault_server: FaultServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    without_info(fault_server)
    fault_server.always(json_reply(200, hf_generation(" bad \ud800 text")))  # json.dumps writes "\ud800"
    bloom = Completer("Once", transport=HFInference(endpoint=fault_server.url), stream=False)
    bloom()
    bloom.stream = True
    bloom.transport = ScriptedTransport([" more \udc80"])
    bloom()
    print(bloom)
    bloom.export(tmp_path / "story.md")
    bloom.save(tmp_path / "story.json")
    assert bloom.text == "Once bad \ufffd text more \ufffd"
    assert read_session(tmp_path / "story.json").current.text == bloom.text


def test_a_file_holding_a_lone_surrogate_is_a_story_format_error(tmp_path: Path) -> None:
    data = session_dict(Session.start("Once"))
    data["nodes"][0]["segment"] = "lone \ud800"
    path = tmp_path / "old.json"
    path.write_text(json.dumps(data))  # ASCII, with the surrogate as a JSON escape
    with pytest.raises(StoryFormatError, match="lone surrogate"):
        read_session(path)
