"""The Hub's provider mapping, and hosted models continued through the providers it names.

Three kinds of tests, none touching the internet:

- the Hub's mapping and the provider routes from cassettes (``cassettes/hf-providers-*.yaml``:
  two transcribed from huggingface_hub's real recordings, the others hand-written), replayed
  with body matching, so the provider's id on the wire is checked by the match itself;
- loopback servers standing in for the Hub and the router (``HF_ENDPOINT`` and
  ``HF_ROUTER_URL`` point at them), driven through the public API only: ``Completer``,
  the command line, ``list_providers``;
- the pure parts: reading both forms of the mapping (choosing a provider and the routes
  are ``tests/transports/hf/test_routing.py``).
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from complete import APIError, AuthError, Completer, Generation, ModelNotFoundError, ParamsError, ResponseError, cli
from complete.transports.credentials import token_places
from complete.transports.hf.inference import HFInference
from complete.transports.hf.providers import (
    ModelProviders,
    ProviderMapping,
    hub_url,
    list_providers,
    providers_of,
    read_mapping,
)
from complete.transports.hf.routing import ways_on
from complete.values.params import Params
from complete.values.story import Story
from complete.writing.core import complete_stream
from tests.conftest import CASSETTES, FAKE_TOKEN
from tests.helpers.cassettes import replay
from tests.helpers.fault_server import FaultServer, json_reply, openai_chunk, redirect, respond, serve, sse
from tests.helpers.provider_mappings import HUB, MODEL, entry, served

PROMPT = "The lighthouse keeper climbed the stairs one last time."
PARAMS = Params(temperature=1.0, top_k=30, max_new_tokens=20)
PROVIDER_ID = "org/Base-Model-Turbo"


# -- reading the Hub's answer --------------------------------------------------------------


def test_the_older_object_form_and_the_newer_list_form_read_the_same() -> None:
    older = {
        "id": MODEL,
        "inferenceProviderMapping": {
            "together": {"providerId": PROVIDER_ID, "task": "text-generation", "status": "live"}
        },
    }
    newer = {
        "id": MODEL,
        "inferenceProviderMapping": [
            {"provider": "together", "providerId": PROVIDER_ID, "task": "text-generation", "status": "live"}
        ],
    }
    expected = served(entry("together", provider_id=PROVIDER_ID))
    assert read_mapping(older, asked=MODEL, hub=HUB, url="u") == expected
    assert read_mapping(newer, asked=MODEL, hub=HUB, url="u") == expected


def test_unusable_entries_are_left_out_and_a_missing_status_is_unknown() -> None:
    answer = {
        "inferenceProviderMapping": [
            "not an entry",
            {"provider": "a", "task": "text-generation", "status": "live"},  # no providerId
            {"provider": "", "providerId": "x", "task": "text-generation"},
            {"provider": "b", "providerId": "b-id", "task": "text-generation"},
        ]
    }
    providers = read_mapping(answer, asked="old/name", hub=HUB, url="u")
    assert providers == ModelProviders(
        model="old/name", asked="old/name", hub=HUB, entries=(entry("b", status="unknown", provider_id="b-id"),)
    )


@pytest.mark.parametrize(
    "answer",
    [{"id": MODEL}, {"id": MODEL, "inferenceProviderMapping": None}, {"id": MODEL, "inferenceProviderMapping": {}}],
)
def test_no_mapping_means_no_provider(answer: dict[str, Any]) -> None:
    assert read_mapping(answer, asked=MODEL, hub=HUB, url="u").entries == ()


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        ([], "the answer from https://huggingface.co/api/models/x is not a JSON object"),
        (
            {"inferenceProviderMapping": "together"},
            "the answer from https://huggingface.co/api/models/x has an inferenceProviderMapping "
            "that is neither an object nor a list",
        ),
    ],
)
def test_an_answer_of_another_shape_is_a_response_error(answer: Any, message: str) -> None:
    with pytest.raises(ResponseError) as caught:
        read_mapping(answer, asked=MODEL, hub=HUB, url="https://huggingface.co/api/models/x")
    assert str(caught.value) == message


def test_the_hub_follows_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    assert hub_url() == "https://huggingface.co"
    monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:1/")
    assert hub_url() == "http://127.0.0.1:1"
    assert hub_url("https://hub.example") == "https://hub.example"


def test_auto_takes_the_first_live_text_generation_entry_else_the_first_at_all() -> None:
    live = served(entry("together", task="conversational"), entry("novita", status="staging"), entry("featherless-ai"))
    assert live.auto() == entry("featherless-ai")
    assert live.text_generation() == (entry("novita", status="staging"), entry("featherless-ai"))
    staging = served(entry("novita", status="staging"), entry("deepinfra", status="error"))
    assert staging.auto() == entry("novita", status="staging")
    assert served(entry("together", task="conversational")).auto() is None


# -- cassettes: the Hub and the provider routes ------------------------------------------------


def test_a_model_is_continued_through_the_provider_the_mapping_names() -> None:
    transport = HFInference("meta-llama/Llama-3.1-8B", token=FAKE_TOKEN)
    with replay("hf-providers-together.yaml"):
        generation = transport.generate(PROMPT, PARAMS)
    assert generation == Generation(
        text=" Below him the sea was grey and restless, and the lamp had burned for forty years.",
        finish_reason="length",
        prompt_tokens=12,
        completion_tokens=20,
        backend="hf",
        model="meta-llama/Llama-3.1-8B",
        provider="together",
    )
    assert transport.url == "https://router.huggingface.co/together/v1/completions"
    assert transport.route is not None
    assert (transport.route.provider_id, transport.route.status) == ("meta-llama/Meta-Llama-3.1-8B-Reference", "live")


def test_a_hosted_model_streams_through_its_provider() -> None:
    story = Story.from_prompt(PROMPT)
    transport = HFInference("meta-llama/Llama-3.1-8B", token=FAKE_TOKEN)
    with replay("hf-providers-together-stream.yaml"):
        *pieces, longer = complete_stream(story, Params(temperature=1.0, top_k=30, max_new_tokens=4), transport)
    assert pieces == [" Below", " him", " the", " sea"]
    assert isinstance(longer, Story)
    assert longer.text == PROMPT + " Below him the sea"
    assert longer.generation is not None
    assert (longer.generation.provider, longer.generation.model, longer.generation.completion_tokens) == (
        "together",
        "meta-llama/Llama-3.1-8B",
        4,
    )


def test_a_mapping_naming_hf_inference_takes_the_native_wire() -> None:
    transport = HFInference("openai-community/gpt2", token=FAKE_TOKEN)
    with replay("hf-providers-hf-inference.yaml"):
        generation = transport.generate(PROMPT, PARAMS)
    assert generation == Generation(
        text=" He had counted them every night.", backend="hf", model="openai-community/gpt2", provider="hf-inference"
    )
    assert transport.url == "https://router.huggingface.co/hf-inference/models/openai-community/gpt2"


def test_a_model_served_only_for_chat_fails_before_any_text_is_asked_for() -> None:
    transport = HFInference("meta-llama/Meta-Llama-3-8B-Instruct", token=FAKE_TOKEN)
    with replay("hf-providers-chat-only.yaml") as cassette, pytest.raises(ModelNotFoundError) as caught:
        transport.generate(PROMPT, PARAMS)
    assert cassette.play_count == 1
    assert str(caught.value) == (
        "meta-llama/Meta-Llama-3-8B-Instruct is served only for chat, not for text-generation, which continuing a "
        "story needs: fireworks-ai (conversational, staging), together (conversational), hf-inference "
        f"(conversational)\n{ways_on('meta-llama/Meta-Llama-3-8B-Instruct')}"
    )


def test_a_renamed_model_is_followed_to_its_new_id() -> None:
    transport = HFInference("meta-llama/Meta-Llama-3.1-8B-Instruct", token=FAKE_TOKEN)
    with replay("hf-providers-renamed.yaml"):
        providers = transport.providers()
    assert providers == ModelProviders(
        model="meta-llama/Llama-3.1-8B-Instruct",
        asked="meta-llama/Meta-Llama-3.1-8B-Instruct",
        hub=HUB,
        entries=(ProviderMapping("sambanova", "Meta-Llama-3.1-8B-Instruct", "conversational", "live"),),
    )
    assert str(providers) == (
        "Inference Providers for meta-llama/Llama-3.1-8B-Instruct (asked as meta-llama/Meta-Llama-3.1-8B-Instruct), "
        "from https://huggingface.co:\n"
        "  provider   task            status  provider's id for it\n"
        "  sambanova  conversational  live    Meta-Llama-3.1-8B-Instruct\n"
        "None serves it for text-generation, which continuing a story needs."
    )


def test_the_default_model_bloom_is_served_by_no_provider_today() -> None:
    with replay("hf-providers-none.yaml"), pytest.raises(ModelNotFoundError) as caught:
        HFInference(token=FAKE_TOKEN).generate(PROMPT, PARAMS)
    assert str(caught.value) == (
        f"no Inference Provider serves bigscience/bloom: the Hub lists none for it\n{ways_on('bigscience/bloom')}"
    )


def test_the_mapping_is_asked_for_once_per_model_per_process() -> None:
    with replay("hf-providers-together.yaml") as cassette:
        HFInference("meta-llama/Llama-3.1-8B", token=FAKE_TOKEN).generate(PROMPT, PARAMS)
        again = HFInference("meta-llama/Llama-3.1-8B", token=FAKE_TOKEN)  # another transport, same model
        assert again.providers().model == "meta-llama/Llama-3.1-8B"
        assert cassette.play_count == 2  # the mapping and one continuation: the second transport asked nothing


# -- loopback Hub and router, through the public API -----------------------------------------


@pytest.fixture
def hub(monkeypatch: pytest.MonkeyPatch) -> Iterator[FaultServer]:
    """One loopback server standing in for both the Hub and the router, with a token in HF_TOKEN."""
    with serve() as server:
        monkeypatch.setenv("HF_ENDPOINT", server.url)
        monkeypatch.setenv("HF_ROUTER_URL", server.url)
        monkeypatch.setenv("HF_TOKEN", FAKE_TOKEN)
        yield server


def mapping(*entries: dict[str, str], model: str = MODEL) -> Any:
    return json_reply(200, {"id": model, "inferenceProviderMapping": list(entries)})


def together_stream(*texts: str) -> Any:
    chunks = [openai_chunk(text) for text in texts[:-1]] + [openai_chunk(texts[-1], "length")]
    return respond(200, b"".join([*chunks, sse(b"[DONE]")]), content_type="text/event-stream")


BASE_MAPPING = (
    {"provider": "hf-inference", "providerId": MODEL, "task": "conversational", "status": "live"},
    {"provider": "together", "providerId": PROVIDER_ID, "task": "text-generation", "status": "live"},
)


def test_a_writer_with_a_token_continues_a_hosted_model_through_its_provider(
    hub: FaultServer, capsys: pytest.CaptureFixture[str]
) -> None:
    hub.route(f"/api/models/{MODEL}", mapping(*BASE_MAPPING))
    hub.route("/together/v1/completions", together_stream(" Below", " him"))
    bloom = Completer(PROMPT, backend="hf", model=MODEL, temperature=1.0, top_k=30)
    assert capsys.readouterr().out == (
        "complete: using Hugging Face Inference Providers, model org/base-model, provider auto (backend='hf').\n"
    )
    bloom()
    bloom()
    asked, first, second = hub.received
    assert (asked.method, asked.path, asked.token) == (
        "GET",
        f"/api/models/{MODEL}?expand=inferenceProviderMapping",
        FAKE_TOKEN,
    )
    assert (first.method, first.path, first.token) == ("POST", "/together/v1/completions", FAKE_TOKEN)
    assert first.json() == {
        "model": PROVIDER_ID,
        "prompt": PROMPT,
        "max_tokens": 64,
        "temperature": 1.0,
        "stream": True,
        "stream_options": {"include_usage": True},
        "top_k": 30,
    }
    assert second.json()["prompt"] == PROMPT + " Below him"
    assert bloom.story.text == PROMPT + " Below him Below him"
    assert bloom.story.generation is not None
    assert (bloom.story.generation.provider, bloom.story.generation.model) == ("together", MODEL)
    Completer("Another story.", backend="hf", model=MODEL)()
    assert hub.requests(f"/api/models/{MODEL}") == 1  # once per model per process
    assert FAKE_TOKEN not in capsys.readouterr().out + repr(bloom)


def test_the_provider_is_kept_when_the_story_is_saved_and_loaded(hub: FaultServer, tmp_path: Path) -> None:
    hub.route(f"/api/models/{MODEL}", mapping(*BASE_MAPPING))
    hub.route("/together/v1/completions", together_stream(" Below", " him"))
    bloom = Completer(PROMPT, backend="hf", model=MODEL)
    bloom()
    bloom.save(tmp_path / "story.json")
    again = Completer.load(tmp_path / "story.json")
    assert again.story.generation == bloom.story.generation
    assert again.story.generation is not None
    assert (again.story.generation.provider, again.story.generation.model) == ("together", MODEL)
    assert again.transport.describe() == {"backend": "hf", "model": MODEL}  # "auto" again: the Hub is asked anew


def test_a_named_provider_is_used_and_a_staging_one_warns(hub: FaultServer) -> None:
    hub.route(
        f"/api/models/{MODEL}",
        mapping(
            *BASE_MAPPING,
            {"provider": "novita", "providerId": "novita-id", "task": "text-generation", "status": "staging"},
        ),
    )
    hub.route(
        "/novita/v3/openai/completions", json_reply(200, {"choices": [{"text": " ok", "finish_reason": "length"}]})
    )
    bloom = Completer(PROMPT, backend="hf", model=MODEL, provider="novita", stream=False)
    with pytest.warns(UserWarning, match="novita serves org/base-model in staging, meant for tests"):
        bloom()
    assert hub.received[-1].json()["model"] == "novita-id"
    assert bloom.text == PROMPT + " ok"


def test_a_token_refused_by_the_router_names_where_it_came_from(hub: FaultServer) -> None:
    hub.route(f"/api/models/{MODEL}", mapping(*BASE_MAPPING))
    hub.route("/together/v1/completions", json_reply(401, {"error": "Invalid credentials in Authorization header"}))
    bloom = Completer(PROMPT, model=MODEL)  # no backend named: the token in HF_TOKEN chooses Hugging Face
    with pytest.raises(AuthError) as caught:
        bloom()
    assert str(caught.value) == (
        "HTTP 401: Invalid credentials in Authorization header\n"
        "The token from the HF_TOKEN environment variable was refused: check that it is valid and allowed to make "
        f"calls to Inference Providers (or to this endpoint). {token_places()}"
    )
    assert bloom.text == PROMPT


def test_a_token_refused_by_the_hub_names_where_it_came_from(hub: FaultServer) -> None:
    hub.route(
        f"/api/models/{MODEL}",
        json_reply(
            401,
            {"error": "Invalid credentials in Authorization header"},
            headers={"X-Error-Message": "Invalid credentials in Authorization header"},
        ),
    )
    with pytest.raises(AuthError) as caught:
        Completer(PROMPT, model=MODEL)()
    assert str(caught.value) == (
        "HTTP 401: Invalid credentials in Authorization header\n"
        f"The token from the HF_TOKEN environment variable was refused by the Hub at {hub.url}. {token_places()}"
    )


@pytest.mark.parametrize(
    "reply",
    [
        json_reply(404, {"error": "Repository not found"}),
        json_reply(401, {"error": "Repository not found"}, headers={"X-Error-Code": "RepoNotFound"}),
    ],
    ids=["404", "401-repo-not-found"],
)
def test_a_model_the_hub_does_not_know_is_a_model_not_found_error(hub: FaultServer, reply: Any) -> None:
    hub.route("/api/models/org/typo", reply)
    with pytest.raises(ModelNotFoundError) as caught:
        list_providers("org/typo")
    assert str(caught.value).endswith(
        f"Repository not found\nThe Hub at {hub.url} has no model org/typo that this request may see: check the id "
        f"({hub.url}/org/typo); a private or gated model needs a token allowed to read it. {token_places()}"
    )


def test_a_redirect_to_another_host_is_not_followed_with_the_token(hub: FaultServer) -> None:
    with serve() as elsewhere:
        hub.route(f"/api/models/{MODEL}", redirect(307, f"{elsewhere.url}/api/models/{MODEL}"))
        with pytest.raises(APIError) as caught:
            list_providers(MODEL)
        assert elsewhere.received == []
    assert caught.value.status == 307
    assert f"The server redirects to {elsewhere.url}/api/models/{MODEL}; requests are not followed there" in str(
        caught.value
    )


def test_endless_redirects_are_a_response_error(hub: FaultServer) -> None:
    hub.route(f"/api/models/{MODEL}", redirect(307, f"/api/models/{MODEL}"))
    with pytest.raises(ResponseError) as caught:
        list_providers(MODEL)
    assert str(caught.value) == (
        f"the Hub redirected {MODEL} more than 5 times; last address {hub.url}/api/models/{MODEL}"
    )
    assert hub.requests(f"/api/models/{MODEL}") == 6


def test_refresh_asks_again_and_another_token_is_asked_separately(hub: FaultServer) -> None:
    hub.route(f"/api/models/{MODEL}", mapping(*BASE_MAPPING))
    first = list_providers(MODEL)
    assert list_providers(MODEL) is first
    assert list_providers(MODEL, refresh=True) == first
    list_providers(MODEL, token="hf_another_token_for_this_test")
    assert [seen.token for seen in hub.received] == [FAKE_TOKEN, FAKE_TOKEN, "hf_another_token_for_this_test"]


def test_the_writer_lists_a_models_providers_from_the_notebook(hub: FaultServer) -> None:
    hub.route(f"/api/models/{MODEL}", mapping(*BASE_MAPPING))
    table = Completer(PROMPT, backend="hf", model=MODEL).providers()
    assert str(table) == (
        f"Inference Providers for org/base-model, from {hub.url}:\n"
        "  provider      task             status  provider's id for it\n"
        "  hf-inference  conversational   live    org/base-model\n"
        "  together      text-generation  live    org/Base-Model-Turbo\n"
        "provider='auto' continues stories through together."
    )
    assert repr(table) == (
        "<ModelProviders org/base-model: hf-inference (conversational, live), together (text-generation, live)>"
    )
    printed: list[str] = []
    table._repr_pretty_(type("Printer", (), {"text": lambda self, text: printed.append(text)})(), cycle=False)
    assert printed == [str(table)]


def test_a_story_on_another_backend_names_the_model_to_look_up(hub: FaultServer) -> None:
    hub.route("/api/models/org/other", mapping(model="org/other"))
    from complete.testing import ScriptedTransport

    bloom = Completer(PROMPT, transport=ScriptedTransport([" ok"]))
    assert str(bloom.providers("org/other")) == (
        f"Inference Providers for org/other, from {hub.url}:\n  none: no provider serves it."
    )
    with pytest.raises(ParamsError) as caught:
        providers_of(bloom.transport)
    assert str(caught.value) == (
        "model=None is not allowed: expected a Hugging Face model id such as 'org/name'. "
        "This story is not written with a hosted model, so name the one to look up."
    )


def test_the_command_line_takes_a_provider(hub: FaultServer, capsys: pytest.CaptureFixture[str]) -> None:
    hub.route(f"/api/models/{MODEL}", mapping(*BASE_MAPPING))
    hub.route(
        "/together/v1/completions", json_reply(200, {"choices": [{"text": " Below him", "finish_reason": "length"}]})
    )
    out = io.StringIO()
    assert cli.main(["--model", MODEL, "--provider", "together", PROMPT], stdout=out) == 0
    assert out.getvalue() == " Below him\n"
    assert capsys.readouterr().err == (
        "complete: using Hugging Face Inference Providers, model org/base-model, provider together (backend='hf').\n"
    )
    assert json.loads(hub.received[-1].body)["model"] == PROVIDER_ID
    assert cli.main(["--backend", "local", "--provider", "together", PROMPT], stdout=out) == 2


# -- secrets -----------------------------------------------------------------------------------


def test_no_token_in_what_a_hosted_transport_shows(hub: FaultServer) -> None:
    hub.route(f"/api/models/{MODEL}", mapping(*BASE_MAPPING))
    hub.route("/together/v1/completions", json_reply(400, {"error": f"bad token {FAKE_TOKEN}"}))
    transport = HFInference(MODEL)
    with pytest.raises(APIError) as caught:
        transport.generate(PROMPT, Params())
    shown = [
        repr(transport),
        str(transport.describe()),
        repr(transport.route),
        str(transport.providers()),
        str(caught.value),
    ]
    assert all(FAKE_TOKEN not in text for text in shown)
    assert str(caught.value) == "HTTP 400: bad token ***"


def test_no_provider_cassette_records_a_token_header_or_a_cookie() -> None:
    leaks = [
        path.name
        for path in sorted(CASSETTES.glob("hf-providers-*.yaml"))
        if any(word in path.read_text() for word in ("Authorization", "Cookie", "hf_"))
    ]
    assert leaks == []
