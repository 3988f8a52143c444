"""Backend choice: HF when a token is found, else the local model, said in one line;
the token found passed on with its source; ``provider=`` for hosted models only."""

from __future__ import annotations

from pathlib import Path

import pytest

from complete import AuthError, Completer, HFInference, LocalModel, OpenAICompletions, ParamsError, RetryingTransport
from complete.transports.choice import choose, from_description
from complete.transports.credentials import token_places
from complete.values.params import Params
from tests.conftest import FAKE_TOKEN
from tests.helpers.fault_server import json_reply, serve


def test_without_a_token_the_embedded_model_is_chosen() -> None:
    chosen = choose()
    assert isinstance(chosen.transport, LocalModel)
    assert chosen.transport.path is None
    assert chosen.reason == (
        "complete: using the embedded local model SmolLM2-135M-Instruct (Q4_1) (no Hugging Face token found; "
        "with one in .hf_token or HF_TOKEN, hosted models are used through Inference Providers)."
    )


def test_a_token_file_chooses_the_hugging_face_api() -> None:
    workdir = Path.cwd()  # an empty temporary folder (see conftest)
    (workdir / ".hf_token").write_text(FAKE_TOKEN)
    chosen = choose()
    assert isinstance(chosen.transport, RetryingTransport)
    assert isinstance(chosen.transport.inner, HFInference)
    assert chosen.transport.describe() == {"backend": "hf", "model": "bigscience/bloom"}
    assert chosen.reason == (
        "complete: using Hugging Face Inference Providers, model bigscience/bloom, provider auto "
        f"(token from .hf_token in {workdir})."
    )
    assert chosen.transport.inner.token_source == f".hf_token in {workdir}"
    assert FAKE_TOKEN not in chosen.reason + repr(chosen)


def test_hf_token_environment_variable_and_a_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_TOKEN", FAKE_TOKEN)
    chosen = choose(url="http://127.0.0.1:8080")
    endpoint = "http://127.0.0.1:8080"
    assert chosen.transport.describe() == {"backend": "hf", "model": "bigscience/bloom", "endpoint": endpoint}
    assert chosen.reason == (
        f"complete: using the HF endpoint {endpoint} (the token from the HF_TOKEN environment variable is not sent: "
        "not a Hugging Face address; pass token= to send one)."
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


def test_a_refused_token_names_the_environment_variable_it_came_from(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_TOKEN", FAKE_TOKEN)
    with serve() as server:
        server.always(json_reply(401, {"error": "Invalid credentials in Authorization header"}))
        monkeypatch.setenv("HF_ENDPOINT", server.url)  # the writer's own Hub: a found token may go there
        chosen = choose(url=server.url)
        with pytest.raises(AuthError) as caught:
            chosen.transport.generate("Once", Params())
    assert str(caught.value) == (
        "HTTP 401: Invalid credentials in Authorization header\n"
        "The token from the HF_TOKEN environment variable was refused: check that it is valid and allowed to make "
        f"calls to Inference Providers (or to this endpoint). {token_places()}"
    )
    assert [received.token for received in server.received] == [FAKE_TOKEN]
    assert FAKE_TOKEN not in str(caught.value) + repr(chosen)


def test_a_named_backend_finds_the_token_itself_and_names_its_source(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_TOKEN", FAKE_TOKEN)
    assert choose("hf").transport.inner.token_source == "the HF_TOKEN environment variable"  # type: ignore[attr-defined]
    assert choose("hf", token=FAKE_TOKEN).transport.inner.token_source == "the token= argument"  # type: ignore[attr-defined]


def test_a_provider_means_a_hosted_model() -> None:
    chosen = choose(model="org/name", provider="together")  # no token, no backend named: still Hugging Face
    assert chosen.transport.describe() == {"backend": "hf", "model": "org/name", "provider": "together"}
    assert chosen.reason == (
        "complete: using Hugging Face Inference Providers, model org/name, provider together (backend='hf')."
    )
    named = choose("hf", model="org/name")
    assert (
        named.reason
        == "complete: using Hugging Face Inference Providers, model org/name, provider auto (backend='hf')."
    )


@pytest.mark.parametrize(
    ("settings", "backend"),
    [
        ({"backend": "local"}, "local"),
        ({"backend": "openai", "url": "http://127.0.0.1:8000/v1"}, "openai"),
        ({"backend": "hf", "url": "http://127.0.0.1:8080"}, "hf"),
        ({"url": "http://127.0.0.1:8080"}, None),
    ],
)
def test_a_provider_is_refused_where_no_hosted_model_is_used(settings: dict[str, str], backend: str | None) -> None:
    with pytest.raises(ParamsError) as caught:
        choose(**settings, provider="together")
    assert str(caught.value) == (
        "provider='together' is not allowed: expected None unless the model is hosted (backend='hf' without url=). "
        "Providers serve hosted models; url= names your own server."
    )
    with pytest.raises(ParamsError):
        Completer("Once", provider="together", **settings)


def test_an_openai_compatible_server_can_be_named_and_given_its_key() -> None:
    key = "sk-" + "key" * 10
    chosen = choose("openai", url="http://127.0.0.1:9/v1", model="m", server="vllm", token=key)
    assert isinstance(chosen.transport, RetryingTransport)
    inner = chosen.transport.inner
    assert isinstance(inner, OpenAICompletions)
    assert (inner.base_url, inner.model, inner.server) == ("http://127.0.0.1:9/v1", "m", "vllm")
    assert inner._headers("application/json")["Authorization"] == f"Bearer {key}"
    assert chosen.reason == "complete: using the vllm server at http://127.0.0.1:9/v1."
    assert key not in chosen.reason + repr(chosen) + str(chosen.transport.describe())


def test_without_server_an_openai_compatible_server_is_asked_what_it_is() -> None:
    inner = choose("openai", url="http://127.0.0.1:9/v1").transport.inner  # type: ignore[attr-defined]
    assert inner.server is None


@pytest.mark.parametrize("backend", [None, "hf", "tgi", "local"])
def test_server_belongs_to_openai_compatible_servers_only(backend: str | None) -> None:
    with pytest.raises(ParamsError) as caught:
        choose(backend, url="http://127.0.0.1:9", server="vllm")
    assert str(caught.value) == (
        "server='vllm' is not allowed: expected None unless backend='openai'. "
        "server= names the kind of OpenAI-compatible server at url=, for backend='openai'."
    )


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"url": "http://127.0.0.1:9"}, "url='http://127.0.0.1:9' is not allowed"),
        ({"token": "hf_x"}, "token='str' is not allowed"),  # a credential is named by its type only
    ],
)
def test_the_local_model_refuses_a_server_address_or_a_token(settings: dict[str, str], message: str) -> None:
    with pytest.raises(ParamsError) as caught:
        choose("local", **settings)
    assert str(caught.value) == f"{message}: expected None unless backend is one of 'hf', 'tgi', 'openai'"
