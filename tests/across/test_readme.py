"""Every usage line of the original README, against recorded HTTP (no network).

The seed's workflow: a token in ``.hf_token`` in the working directory, a
``Completer`` made with the README's prompt and ``temperature=1.0, top_k=30``,
``bloom()`` run again and again, ``print(bloom)`` after an error, and two
independent ``Completer`` objects. The default hosted model is still BLOOM, reached
through the provider the Hub's mapping names: the session shows it as it ran when
BLOOM was served, the error shows what the Hub says of it today (no provider).
The cassettes are described in cassettes/README.md.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from complete import Completer, ModelNotFoundError
from complete.testing import recording
from tests.conftest import CASSETTES, FAKE_TOKEN
from tests.helpers.seed_prompt import SEED_PROMPT
from tests.helpers.seed_prompt import SEED_REFORMATTED as REFORMATTED

FIRST = ' your service." I nod, but the truth is'
SECOND = " that nobody freed the sky. We only stopped selling it."


@pytest.fixture
def hf_token_file(_no_real_credentials: Path) -> Path:
    path = _no_real_credentials / ".hf_token"
    path.write_text(FAKE_TOKEN + "\n")
    return path


def test_the_seed_readme_session(hf_token_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with recording(CASSETTES / "hf-readme-session.yaml", record_mode="none") as cassette:
        bloom = Completer(SEED_PROMPT, temperature=1.0, top_k=30)
        assert capsys.readouterr().out == (
            "complete: using Hugging Face Inference Providers, model bigscience/bloom, provider auto "
            f"(token from .hf_token in {hf_token_file.parent}).\n"
        )
        assert bloom.story.text == REFORMATTED  # "The prompt is reformatted"

        assert bloom() is None  # "retrieve a completion ... and print it"
        shown = capsys.readouterr().out
        assert " ".join((REFORMATTED + FIRST).split()) in " ".join(shown.split())  # piped: plain text
        assert shown.startswith("Sometimes I marvel")  # "All text is displayed, not just new text."

        bloom()  # "To ask for further completion, just execute that cell again."
        assert " ".join((FIRST + SECOND).split()) in " ".join(capsys.readouterr().out.split())
        assert cassette.play_count == 3  # the Hub's mapping, asked once, then two continuations
        assert cassette.all_played

    assert bloom.story.text == REFORMATTED + FIRST + SECOND
    print(bloom)  # "simply print the Completer object"
    printed = capsys.readouterr().out
    assert " ".join(printed.split()) == " ".join((REFORMATTED + FIRST + SECOND).split())
    assert "⟦" not in printed
    assert FAKE_TOKEN not in printed + repr(bloom)


def test_prompt_alone_uses_the_defaults(hf_token_file: Path) -> None:
    bloom = Completer(SEED_PROMPT)  # "it is fine to omit the keyword arguments"
    assert bloom.params.to_dict() == {"max_new_tokens": 64}


def test_an_error_shows_the_api_message_and_print_still_works(
    hf_token_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bloom = Completer("The lighthouse keeper climbed the stairs one last time.", temperature=1.0, top_k=30)
    with (
        recording(CASSETTES / "hf-providers-none.yaml", record_mode="none"),
        pytest.raises(ModelNotFoundError) as caught,
    ):
        bloom()
    message = str(caught.value)
    # "you'll see the message from the HuggingFace API": what the Hub says of BLOOM today
    assert message.startswith("no Inference Provider serves bigscience/bloom: the Hub lists none for it\n")
    assert "https://huggingface.co/bigscience/bloom" in message
    assert 'endpoint="https://..."' in message
    assert 'backend="local"' in message
    capsys.readouterr()
    print(bloom)
    assert capsys.readouterr().out == "The lighthouse keeper climbed the stairs one last time.\n"


def test_completer_objects_are_independent(hf_token_file: Path) -> None:
    first = Completer(SEED_PROMPT, temperature=1.0, top_k=30)
    second = Completer("A different story.", temperature=0.5)
    with recording(CASSETTES / "hf-readme-session.yaml", record_mode="none"):
        first()
    assert second.story.text == "A different story."
    assert second.params.temperature == 0.5
    assert first.params.top_k == 30
    assert first.story.text == REFORMATTED + FIRST


def test_ci_runs_the_readme_test_command() -> None:
    from tests.conftest import ROOT

    readme = (ROOT / "README.md").read_text()
    block = readme.split("<!-- test-command -->", 1)[1].split("<!-- /test-command -->", 1)[0]
    command = block.strip().removeprefix("```sh").removesuffix("```").strip()
    assert " pip install '.[test]' " in command  # not editable: the tests see what a writer installs
    assert command.endswith(" && pytest")  # not python -m pytest, which puts the checkout first on sys.path
    assert (ROOT / ".ci" / "run").read_text().rstrip("\n").splitlines()[-1] == command


def test_the_notebook_command_opens_the_walk_through_in_jupyterlab() -> None:
    from tests.conftest import ROOT

    readme = (ROOT / "README.md").read_text()
    block = readme.split("<!-- notebook-command -->", 1)[1].split("<!-- /notebook-command -->", 1)[0]
    command = block.strip().removeprefix("```sh").removesuffix("```").strip()
    assert "pip install '.[local,notebook]'" in command
    assert command.endswith("jupyter lab examples.ipynb")


def test_the_notebook_extra_brings_a_kernel_of_this_environment_and_jupyterlab() -> None:
    import shutil
    import sys
    from pathlib import Path

    from jupyter_client.kernelspec import KernelSpecManager

    spec = KernelSpecManager().get_kernel_spec("python3")
    assert Path(spec.resource_dir).is_relative_to(sys.prefix)  # the environment's own, not a user-level one
    assert spec.argv[0] == "python"  # which Jupyter runs as the environment's own interpreter
    assert shutil.which("jupyter-lab", path=str(Path(sys.executable).parent)) is not None
