"""A backend added from outside the package: a transport, its entry, one ``register`` call.

The toy backend here is the whole of what a new backend needs: a transport class and
a ``Backend`` entry (in the package they are its folder: the transport's module and
``entry.py``), registered in the table, which in the package is one line of
``complete.transports.backends``. It then works end to end, with no other change:
the ``Completer``, the command line's ``--backend``, a session saved and loaded,
and the backend line. The last tests check that the built-in backends are as
contained: each name is written only in its own folder, and the keyword set only
once.
"""

from __future__ import annotations

import argparse
import ast
import inspect
import io
import json
import subprocess
import sys
from collections.abc import Generator, Mapping
from pathlib import Path
from typing import Any

import attrs
import pytest

from complete import Completer, Generation, Params, ParamsError, StoryFormatError, cli
from complete.transports import backends, saved_fields
from complete.transports.entry import KEYWORDS, Backend, Choice, Keywords
from tests.conftest import child_environment

PACKAGE = Path(__file__).resolve().parents[2] / "complete"


class Toy:
    """Writes its word once per token asked for, up to three."""

    def __init__(self, model: str | None = None) -> None:
        self.model = model or "la"

    def generate(self, prompt: str, params: Params) -> Generation:
        text = f" {self.model}" * min(params.max_new_tokens, 3)
        return Generation(text=text, finish_reason="length", backend="toy", model=self.model)

    def stream(self, prompt: str, params: Params) -> Generator[str, None, Generation]:
        generation = self.generate(prompt, params)
        yield generation.text
        return generation

    def describe(self) -> dict[str, Any]:
        return {"backend": "toy", "model": self.model}


def _label(description: Mapping[str, Any]) -> str:
    return f"toy ({description.get('model')})"


TOY = Backend(
    name="toy",
    takes={"model"},
    build=lambda keywords: Choice(Toy(keywords.model), f"complete: using the toy, word {keywords.model or 'la'}."),
    saved={"model": saved_fields.text},
    rebuild=lambda settings, token: Choice(Toy(**settings), "complete: the saved session's backend is the toy."),
    label=_label,
)


@pytest.fixture(autouse=True)
def toy(monkeypatch: pytest.MonkeyPatch) -> Backend:
    monkeypatch.setattr(backends, "_TABLE", dict(backends._TABLE))  # the registration ends with the test
    return backends.register(TOY)


def test_a_completer_writes_with_it_and_the_backend_line_names_it(capsys: pytest.CaptureFixture[str]) -> None:
    bloom = Completer("Once", backend="toy", model="lo", stream=False)
    assert capsys.readouterr().out == "complete: using the toy, word lo.\n"
    bloom()
    assert bloom.story.text == "Once lo lo lo"
    assert bloom.session.backend == {"backend": "toy", "model": "lo"}
    footer = capsys.readouterr().out.splitlines()[-1]
    assert footer.startswith("max_new_tokens=64 · toy (lo) · finish: length, ")  # then the seconds it took
    assert repr(bloom) == "<Completer: 13 characters in 2 segments, 2 nodes; toy (lo)>"


def test_the_command_line_takes_it(capsys: pytest.CaptureFixture[str]) -> None:
    out = io.StringIO()
    assert cli.main(["--backend", "toy", "--max-new-tokens", "2", "Once"], stdout=out) == 0
    assert out.getvalue() == " la la\n"
    assert capsys.readouterr().err == "complete: using the toy, word la.\n"


def test_a_session_saved_with_it_is_loaded_with_it_and_checked(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bloom = Completer("Once", backend="toy", model="lo")
    bloom()
    bloom.save(tmp_path / "s.json")
    capsys.readouterr()
    again = Completer.load(tmp_path / "s.json", stream=False)
    assert capsys.readouterr().out == "complete: the saved session's backend is the toy.\n"
    assert isinstance(again.transport, Toy)
    assert (again.transport.model, again.story.text) == ("lo", "Once lo lo lo")
    data = json.loads((tmp_path / "s.json").read_text())
    data["backend"]["token"] = "hf_from_a_stranger"
    (tmp_path / "s.json").write_text(json.dumps(data))
    with pytest.raises(StoryFormatError) as caught:
        Completer.load(tmp_path / "s.json")
    assert str(caught.value).endswith(
        "backend.token: a saved backend holds no credentials and no request settings; 'toy' has model"
    )


def test_it_refuses_the_keywords_it_does_not_take() -> None:
    with pytest.raises(ParamsError) as caught:
        Completer("Once", backend="toy", url="http://127.0.0.1:9")
    assert str(caught.value) == (
        "url='http://127.0.0.1:9' is not allowed: expected None unless backend is one of 'hf', 'tgi', 'openai'"
    )
    with pytest.raises(ParamsError) as caught:
        Completer("Once", backend="toy", token="sk-secret")
    assert str(caught.value) == (  # a secret is named by its type, as a token of the wrong type is
        "token='str' is not allowed: expected None unless backend is one of 'hf', 'tgi', 'openai'"
    )


def test_the_completer_and_the_command_line_take_the_keyword_set_as_written_once() -> None:
    signature = inspect.signature(Completer.__init__).parameters
    assert [name for name in signature if name in KEYWORDS] == list(KEYWORDS)
    assert all(signature[name].default is None for name in KEYWORDS)
    parser = cli._parser()
    group = next(group for group in parser._action_groups if group.title == "backend")
    options = {action.dest: action for action in group._group_actions if action.dest != "deadline"}
    secret = [field.name for field in attrs.fields(Keywords) if field.metadata.get("command_line") is False]
    assert (list(options), secret) == ([name for name in KEYWORDS if name != "token"], ["token"])
    assert options["backend"].choices == ("hf", "tgi", "openai", "local", "toy")
    assert options["server"].choices == ("openai", "vllm", "llama.cpp", "tgi", "ollama")
    assert all(isinstance(action, argparse.Action) and action.help for action in options.values())


READ_THE_TABLE = """
import sys
from complete import Completer
from complete.transports import backends
from complete.transports.saved import check_backend
check_backend({"backend": "openai", "base_url": "http://127.0.0.1:9/v1", "model": None})
assert backends.label({"backend": "local", "path": None}) == "local SmolLM2-135M-Instruct", backends.names()
heavy = {"requests", "xllamacpp", "complete.transports.hf.inference", "complete.transports.local.engine"}
print(sorted(heavy & set(sys.modules)))
from complete.transports.hf import HFInference
from complete.transports.local import LocalModel
from complete.transports.openai import OpenAICompletions
print(HFInference.__name__, LocalModel.__name__, OpenAICompletions.__name__, "requests" in sys.modules)
"""


def test_the_table_is_read_without_loading_any_transport() -> None:
    result = subprocess.run(
        [sys.executable, "-c", READ_THE_TABLE], capture_output=True, text=True, env=child_environment(), check=True
    )
    assert result.stdout == "[]\nHFInference LocalModel OpenAICompletions True\n"


# Besides each backend's folder, where a built-in backend's name may be written as a
# string: the same words naming the dialects of OpenAI-compatible servers.
SAMPLER_FACTS = {"values/params.py", "values/samplers.py"}
"""Where each sampler says which servers take it, under the servers' dialect names."""
DIALECT_NAMES = {
    "hf": SAMPLER_FACTS,
    "openai": {"transports/openai/wire.py", "transports/openai/completions.py", "transports/hf/routing.py"}
    | SAMPLER_FACTS,
    "tgi": {"transports/openai/wire.py", "transports/openai/completions.py", "transports/openai/detect.py"}
    | SAMPLER_FACTS,
}


def _written(path: Path) -> set[str]:
    """The strings in ``path``'s code (docstrings left out: they may name anything)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    documents = {
        id(statement.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef)
        for statement in node.body
        if isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Constant)
    }
    return {
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in documents
    }


def test_a_built_in_backends_name_is_written_only_in_its_folder() -> None:
    folders = {"hf": "hf", "tgi": "hf", "openai": "openai", "local": "local"}
    assert tuple(folders) == backends.names()[:4]
    modules = {str(path.relative_to(PACKAGE)): _written(path) for path in PACKAGE.rglob("*.py")}
    for name, folder in folders.items():
        where = {module for module, strings in modules.items() if name in strings}
        outside = {module for module in where if not module.startswith(f"transports/{folder}/")}
        assert outside <= DIALECT_NAMES.get(name, set()), name
        assert f"transports/{folder}/entry.py" in where
    table = (PACKAGE / "transports" / "backends.py").read_text(encoding="utf-8")
    assert [folder for folder in ("hf", "openai", "local") if f"complete.transports.{folder}.entry" in table] == [
        "hf",
        "openai",
        "local",
    ]
