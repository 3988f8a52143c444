"""The complete command: options, stdin, sessions, exit codes (scripted backend)."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import pytest

from complete import Params, TransportError, cli
from complete.backend import Choice
from complete.interchange.session_json import read_session
from complete.testing import ScriptedTransport


@pytest.fixture
def scripted(monkeypatch: pytest.MonkeyPatch) -> ScriptedTransport:
    transport = ScriptedTransport([" there was a fox.", " It ran."])
    chosen: list[tuple[object, ...]] = []

    def choose(backend: str | None = None, **kwargs: object) -> Choice:
        chosen.append((backend, kwargs))
        return Choice(transport, "complete: using a scripted backend (test).")

    monkeypatch.setattr(cli, "choose", choose)
    transport.chosen = chosen  # type: ignore[attr-defined]
    return transport


def run(argv: list[str], stdin: str = "") -> tuple[int, str]:
    out = io.StringIO()
    status = cli.main(argv, stdin=io.StringIO(stdin), stdout=out)
    return status, out.getvalue()


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


def test_backend_model_and_url_options_are_passed_on(scripted: ScriptedTransport) -> None:
    run(["--backend", "openai", "--model", "m", "--url", "http://127.0.0.1:9/v1", "x"])
    assert scripted.chosen == [("openai", {"model": "m", "url": "http://127.0.0.1:9/v1"})]  # type: ignore[attr-defined]


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
    assert capsys.readouterr().err == (
        "complete: error: top_p=2.0 is not allowed: expected a number with 0 < top_p <= 1\n"
    )


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
    monkeypatch.setattr(cli, "choose", lambda *a, **k: Choice(transport, "complete: scripted."))
    assert run(["x"]) == (1, "")
    assert capsys.readouterr().err.endswith("complete: error: could not connect to http://127.0.0.1:9: refused\n")


def test_missing_resume_file_exits_1(scripted: ScriptedTransport, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["--resume", "nope.json"]) == (1, "")
    assert "No such file or directory: 'nope.json'" in capsys.readouterr().err


def _command() -> list[str]:
    script = Path(sys.executable).parent / "complete"
    return [str(script)] if script.exists() else [sys.executable, "-m", "complete"]


def test_end_to_end_on_the_embedded_model(tmp_path: Path) -> None:
    argv = [*_command(), "--backend", "local", "--seed", "5", "--max-new-tokens", "12", "--save", "s.json"]
    first = subprocess.run([*argv, "Once upon a time"], capture_output=True, text=True, cwd=tmp_path, timeout=300)
    again = subprocess.run([*argv, "Once upon a time"], capture_output=True, text=True, cwd=tmp_path, timeout=300)
    said = "complete: using the local model SmolLM2-135M-Instruct (Q4_1) (backend='local').\n"
    assert (first.returncode, first.stderr) == (0, said)
    assert first.stdout == again.stdout  # seeded: the same continuation
    assert len(first.stdout.strip()) > 10
    session = read_session(tmp_path / "s.json")
    assert session.current.text == "Once upon a time" + first.stdout[:-1]
    assert session.backend == {"backend": "local", "path": None, "n_ctx": 8192, "allow_eos": False}
    resume = [*_command(), "--resume", "s.json", "--max-new-tokens", "6"]
    resumed = subprocess.run(resume, capture_output=True, text=True, cwd=tmp_path, timeout=300)
    assert (resumed.returncode, resumed.stderr) == (0, "")  # the saved backend is reused, silently
    assert resumed.stdout.strip()
