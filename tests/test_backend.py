"""Backend choice: HF when a token is found, else the local model, said in one line."""

from __future__ import annotations

from pathlib import Path

import pytest

from complete import HFInference, LocalModel, OpenAICompletions, ParamsError, RetryingTransport
from complete.backend import choose, from_description
from tests.conftest import FAKE_TOKEN


def test_without_a_token_the_embedded_model_is_chosen() -> None:
    chosen = choose()
    assert isinstance(chosen.transport, LocalModel)
    assert chosen.transport.path is None
    assert chosen.reason == (
        "complete: using the embedded local model SmolLM2-135M-Instruct (Q4_1) "
        "(no Hugging Face token found; pass backend='hf' and a token for BLOOM)."
    )


def test_a_token_file_chooses_the_hugging_face_api() -> None:
    workdir = Path.cwd()  # an empty temporary folder (see conftest)
    (workdir / ".hf_token").write_text(FAKE_TOKEN)
    chosen = choose()
    assert isinstance(chosen.transport, RetryingTransport)
    assert isinstance(chosen.transport.inner, HFInference)
    assert chosen.transport.describe() == {"backend": "hf", "model": "bigscience/bloom"}
    assert chosen.reason == (
        f"complete: using the Hugging Face Inference API, model bigscience/bloom (token from .hf_token in {workdir})."
    )
    assert FAKE_TOKEN not in chosen.reason + repr(chosen)


def test_hf_token_environment_variable_and_a_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_TOKEN", FAKE_TOKEN)
    chosen = choose(url="http://127.0.0.1:8080")
    endpoint = "http://127.0.0.1:8080"
    assert chosen.transport.describe() == {"backend": "hf", "model": "bigscience/bloom", "endpoint": endpoint}
    assert chosen.reason == (
        f"complete: using the HF endpoint {endpoint} (token from the HF_TOKEN environment variable)."
    )


def test_named_backends() -> None:
    tgi = choose("tgi", url="http://127.0.0.1:8080")
    assert tgi.transport.describe()["endpoint"] == "http://127.0.0.1:8080"
    openai = choose("openai", url="http://127.0.0.1:8000/v1", model="m")
    assert isinstance(openai.transport, RetryingTransport)
    assert isinstance(openai.transport.inner, OpenAICompletions)
    assert openai.reason == "complete: using the OpenAI-compatible server at http://127.0.0.1:8000/v1."
    local = choose("local")
    assert isinstance(local.transport, LocalModel)


def test_unknown_backend_and_tgi_without_url_are_params_errors() -> None:
    with pytest.raises(ParamsError) as caught:
        choose("bloom")
    assert str(caught.value) == "backend='bloom' is not allowed: expected one of 'hf', 'tgi', 'openai', 'local'"
    with pytest.raises(ParamsError, match="the TGI server's address"):
        choose("tgi")


@pytest.mark.parametrize(
    "description",
    [
        {"backend": "hf", "model": "gpt2"},
        {"backend": "openai", "base_url": "http://127.0.0.1:8000/v1", "model": "m", "server": "vllm"},
        {"backend": "local", "path": None, "n_ctx": 1024, "allow_eos": False},
    ],
)
def test_saved_descriptions_rebuild_the_same_backend(description: dict[str, object]) -> None:
    assert from_description(description).describe() == description  # type: ignore[attr-defined]


def test_an_unknown_saved_backend_is_a_params_error() -> None:
    with pytest.raises(ParamsError, match="a saved backend"):
        from_description({"backend": "scripted"})
