"""The complete command: options, stdin, sessions, exit codes (scripted backend)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import attrs
import pytest

from complete import Params, Session, TransportError, Window, cli
from complete.interchange.session_json import read_session, write_session
from complete.testing import Cut, ScriptedTransport
from complete.values import samplers
from tests.conftest import child_environment
from tests.helpers.scripted_cli import run, script_cli


@pytest.fixture
def scripted(monkeypatch: pytest.MonkeyPatch) -> ScriptedTransport:
    transport = ScriptedTransport([" there was a fox.", " It ran."])
    transport.chosen = script_cli(monkeypatch, transport, "complete: using a scripted backend (test).")  # type: ignore[attr-defined]
    return transport


def test_prints_the_continuation_and_says_which_backend(
    scripted: ScriptedTransport, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(["Once upon a time"]) == (0, " there was a fox.\n")
    assert capsys.readouterr().err == "complete: using a scripted backend (test).\n"
    assert scripted.calls == [("Once upon a time", Params())]


def test_every_parameter_option_reaches_the_backend(scripted: ScriptedTransport) -> None:
    argv = ["--temperature", "0.5", "--top-k", "7", "--top-p", "0.9", "--max-new-tokens", "12"]
    argv += ["--repetition-penalty", "1.1", "--seed", "3", "--stop", ".", "--stop", "!", "--greedy", "--logprobs", "2"]
    argv += ["x"]
    assert run(argv)[0] == 0
    assert scripted.calls[0][1] == Params(
        temperature=0.5,
        top_k=7,
        top_p=0.9,
        max_new_tokens=12,
        repetition_penalty=1.1,
        seed=3,
        stop=(".", "!"),
        do_sample=False,
        logprobs=2,
    )


def test_backend_model_url_and_server_options_are_passed_on(scripted: ScriptedTransport) -> None:
    run(["--backend", "openai", "--model", "m", "--url", "http://127.0.0.1:9/v1", "--server", "vllm", "x"])
    settings = {"model": "m", "url": "http://127.0.0.1:9/v1", "provider": None, "server": "vllm"}
    chosen = [("openai", {**settings, "model_argument": "--model"})]
    assert scripted.chosen == chosen  # type: ignore[attr-defined]


def test_every_sampler_has_its_option(scripted: ScriptedTransport) -> None:
    options = [
        *["--min-p", "0.05", "--typical-p", "0.9", "--presence-penalty", "0.1", "--frequency-penalty", "0.2"],
        *["--repetition-window", "128", "--dry-multiplier", "0.8", "--dry-base", "1.75"],
        *["--dry-allowed-length", "2", "--dry-window", "256", "--dry-breaker", "\n", "--dry-breaker", ":"],
        *["--xtc-probability", "0.5", "--xtc-threshold", "0.1"],
        *["--mirostat", "2", "--mirostat-tau", "5", "--mirostat-eta", "0.1"],
    ]
    assert run([*options, "x"])[0] == 0
    assert scripted.calls[0][1] == Params(
        min_p=0.05,
        typical_p=0.9,
        presence_penalty=0.1,
        frequency_penalty=0.2,
        repetition_window=128,
        dry_multiplier=0.8,
        dry_base=1.75,
        dry_allowed_length=2,
        dry_window=256,
        dry_breakers=["\n", ":"],
        xtc_probability=0.5,
        xtc_threshold=0.1,
        mirostat=2,
        mirostat_tau=5.0,
        mirostat_eta=0.1,
    )


def test_prompt_from_stdin_full_output_and_streaming(scripted: ScriptedTransport) -> None:
    assert run(["-", "--full", "--stream"], stdin="Once upon\na time\n") == (0, "Once upon a time there was a fox.\n")


def test_save_then_resume_adds_your_words_and_continues(scripted: ScriptedTransport, tmp_path: Path) -> None:
    path = tmp_path / "s.json"
    run(["Once upon a time", "--save", str(path), "--seed", "4"])
    status, out = run(["--resume", str(path), "--save", str(path), "Then"])
    assert (status, out) == (0, " It ran.\n")
    assert scripted.calls[1] == ("Once upon a time there was a fox. Then", Params(seed=4))
    session = read_session(path)
    assert session.current.text == "Once upon a time there was a fox. Then It ran."
    assert [node.origin for node in session.current.path] == ["prompt", "model", "user", "model"]


def test_bad_parameter_exits_2_with_the_reason(scripted: ScriptedTransport, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["--top-p", "2", "x"]) == (2, "")
    allowed = samplers.of(attrs.fields(Params).top_p).allowed("top_p")  # the field's own words
    assert capsys.readouterr().err == f"complete: error: top_p=2.0 is not allowed: expected {allowed}\n"


def test_missing_prompt_exits_2(scripted: ScriptedTransport, capsys: pytest.CaptureFixture[str]) -> None:
    assert run([])[0] == 2
    assert "a prompt argument, '-' for standard input, or --resume" in capsys.readouterr().err


def test_unknown_option_is_an_argparse_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        cli.main(["--temprature", "1", "x"])
    assert caught.value.code == 2
    assert "unrecognized arguments: --temprature" in capsys.readouterr().err


def test_backend_failure_exits_1(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    transport = ScriptedTransport([TransportError("could not connect to http://127.0.0.1:9: refused")])
    script_cli(monkeypatch, transport)
    assert run(["x"]) == (1, "")
    assert capsys.readouterr().err.endswith("complete: error: could not connect to http://127.0.0.1:9: refused\n")


def test_missing_resume_file_exits_1(scripted: ScriptedTransport, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["--resume", "nope.json"]) == (1, "")
    assert "No such file or directory: 'nope.json'" in capsys.readouterr().err


def _command() -> list[str]:
    script = Path(sys.executable).parent / "complete"
    return [str(script)] if script.exists() else [sys.executable, "-m", "complete"]


def test_end_to_end_on_the_embedded_model(tmp_path: Path) -> None:
    env = child_environment()  # the same complete as this run's
    argv = [*_command(), "--backend", "local", "--seed", "5", "--max-new-tokens", "12", "--save", "s.json"]
    first = subprocess.run(
        [*argv, "Once upon a time"], capture_output=True, text=True, cwd=tmp_path, env=env, timeout=300
    )
    again = subprocess.run(
        [*argv, "Once upon a time"], capture_output=True, text=True, cwd=tmp_path, env=env, timeout=300
    )
    said = "complete: using the local model SmolLM2-135M-Instruct (Q4_1) (backend='local').\n"
    assert (first.returncode, first.stderr) == (0, said)
    assert first.stdout == again.stdout  # seeded: the same continuation
    assert len(first.stdout.strip()) > 10
    session = read_session(tmp_path / "s.json")
    assert session.current.text == "Once upon a time" + first.stdout[:-1]
    assert session.backend == {"backend": "local", "path": None, "n_ctx": 8192, "allow_eos": False}
    resume = [*_command(), "--resume", "s.json", "--max-new-tokens", "6"]
    resumed = subprocess.run(resume, capture_output=True, text=True, cwd=tmp_path, env=env, timeout=300)
    reused = "complete: the saved session's backend is the embedded model.\n"
    assert (resumed.returncode, resumed.stderr) == (0, reused)  # the saved backend is reused, and said
    assert resumed.stdout.strip()


# -- sessions: --resume continues the saved session and keeps it -------------------------


def _scripted(monkeypatch: pytest.MonkeyPatch, replies: list[object]) -> ScriptedTransport:
    transport = ScriptedTransport(replies)  # type: ignore[arg-type]
    script_cli(monkeypatch, transport, resumed=True)
    return transport


def test_resume_keeps_the_continuation_in_the_file_and_goes_on_from_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    transport = _scripted(monkeypatch, [" there was a fox.", " It ran.", " Away."])
    diary = tmp_path / "diary.json"
    run(["Once upon a time", "--save", str(diary)])
    assert run(["--resume", str(diary)]) == (0, " It ran.\n")
    assert read_session(diary).current.text == "Once upon a time there was a fox. It ran."
    assert len(read_session(diary).nodes) == 3
    assert run(["--resume", str(diary)]) == (0, " Away.\n")
    assert transport.calls[2][0] == "Once upon a time there was a fox. It ran."
    assert read_session(diary).current.text == "Once upon a time there was a fox. It ran. Away."


def test_resume_sends_the_saved_memory_and_note_and_uses_the_saved_params(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    transport = _scripted(monkeypatch, [" It ran."])
    path = tmp_path / "s.json"
    saved = Session.start("One.\n\nTwo.", params=Params(seed=4), window=Window(memory="A fable.", note="[Calm]"))
    write_session(path, saved.set_window(note_depth=1))
    assert run(["--resume", str(path), "--top-k", "5"]) == (0, " It ran.\n")
    assert transport.calls == [("A fable.\nOne.\n[Calm]\nTwo.", Params(seed=4, top_k=5))]
    assert read_session(path).params == Params(seed=4, top_k=5)  # options given change the saved ones


def test_resume_then_save_to_the_same_file_keeps_window_settings_and_redo(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    transport = _scripted(monkeypatch, [" It ran.", ""])
    path = tmp_path / "x.json"
    window = Window(memory="M", note="N", note_depth=2, size=4096)
    undone = Session.start("Once", params=Params(seed=1), window=window).append("upon").append("a time").undo()
    write_session(path, undone)
    assert run(["--resume", str(path), "--save", str(path)])[0] == 0
    after = read_session(path)
    assert (after.window, after.params) == (window, Params(seed=1))
    assert after.current.text == "Once upon It ran."
    assert after.undone == ()  # a new node clears the redo list, as in the Completer...
    assert [node.text for node in after.nodes] == ["Once", "Once upon", "Once upon a time", "Once upon It ran."]
    write_session(path, undone)
    assert run(["--resume", str(path), "--save", str(path)])[0] == 0  # the model returns nothing
    kept = read_session(path)
    assert [node.text for node in kept.undone] == ["Once upon a time"]  # ...and nothing else touches it
    assert (kept.window, kept.current.text) == (window, "Once upon")
    assert transport.calls[0][0] == "M\nN\nOnce upon"  # the saved memory and note, note_depth 2


def test_save_with_resume_writes_elsewhere_and_leaves_the_resumed_file(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    _scripted(monkeypatch, [" It ran."])
    source, copy = tmp_path / "a.json", tmp_path / "b.json"
    write_session(source, Session.start("Once"))
    before = source.read_bytes()
    assert run(["--resume", str(source), "--save", str(copy), "Then"]) == (0, " It ran.\n")
    assert source.read_bytes() == before
    assert read_session(copy).current.text == "Once Then It ran."


def test_resumed_words_join_by_the_append_rule(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    transport = _scripted(monkeypatch, [" she said."])
    path = tmp_path / "s.json"
    write_session(path, Session.start('He smiled. "'))
    run(["--resume", str(path), "Not today,"])
    assert transport.calls[0][0] == 'He smiled. "Not today,'


def test_ctrl_c_while_streaming_keeps_what_arrived_and_exits_130(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _scripted(monkeypatch, [Cut(" there was", KeyboardInterrupt())])
    path = tmp_path / "s.json"
    assert run(["Once upon a time", "--stream", "--save", str(path)]) == (130, " there was\n")
    assert capsys.readouterr().err.endswith(f"complete: interrupted; what arrived is kept in {path}\n")
    kept = read_session(path).current
    assert (kept.text, kept.interrupted) == ("Once upon a time there was", True)


def test_ctrl_c_before_any_text_still_saves_the_backend_for_resume(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _scripted(monkeypatch, [Cut("", KeyboardInterrupt())])
    path = tmp_path / "s.json"
    assert run(["Once upon a time", "--stream", "--save", str(path)]) == (130, "\n")
    assert capsys.readouterr().err.endswith(f"complete: interrupted; what arrived is kept in {path}\n")
    saved = read_session(path)
    assert saved.current.text == "Once upon a time"
    assert dict(saved.backend) == {"backend": "scripted", "model": "scripted"}


def test_an_empty_continuation_is_said_on_standard_error(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _scripted(monkeypatch, [""])
    assert run(["Once"]) == (0, "\n")
    assert capsys.readouterr().err.endswith("complete: the model returned no new text (finish reason: length)\n")


def test_a_failure_writes_no_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    _scripted(monkeypatch, [TransportError("refused")])
    path = tmp_path / "s.json"
    write_session(path, Session.start("Once"))
    before = path.read_bytes()
    assert run(["--resume", str(path), "Then"]) == (1, "")
    assert path.read_bytes() == before


def test_a_preset_is_the_start_and_the_options_given_win(scripted: ScriptedTransport) -> None:
    assert run(["--preset", "story", "--temperature", "1.1", "--max-new-tokens", "4", "x"])[0] == 0
    # the preset's bans are kept out above the transport (complete.writing.banning)
    assert scripted.calls == [("x", Params.preset("story").evolve(temperature=1.1, max_new_tokens=4, banned=()))]


def test_an_unknown_preset_exits_2_with_a_hint(scripted: ScriptedTransport, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["--preset", "stroy", "x"]) == (2, "")
    assert capsys.readouterr().err.endswith("expected one of 'story', 'greedy'. Did you mean 'story'?\n")
