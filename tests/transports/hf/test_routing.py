"""Choosing a hosted model's Inference Provider, and the route each provider takes.

Pure functions on ``ModelProviders`` values: what "auto" takes, how a named
provider is checked, the errors and their advice, the warnings for providers that
are not live, and the route and wire per provider.
"""

from __future__ import annotations

import re
import warnings

import pytest

from complete import ModelNotFoundError
from complete.transports.hf.routing import Wire, choose_provider, route, router_url, ways_on
from tests.helpers.provider_mappings import HUB, MODEL, entry, served

MODELS_PAGE = "https://huggingface.co/models?inference_provider=all&pipeline_tag=text-generation"


# -- choosing a provider ---------------------------------------------------------------------


def test_auto_takes_the_first_live_provider_serving_text_generation() -> None:
    providers = served(
        entry("together", task="conversational"),
        entry("novita", status="staging"),
        entry("featherless-ai"),
        entry("deepinfra"),
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # choosing a live provider warns of nothing
        assert choose_provider(providers) == entry("featherless-ai")


@pytest.mark.parametrize(
    ("status", "warning"),
    [
        ("staging", "novita serves org/base-model in staging, meant for tests: requests may fail."),
        ("error", "novita's latest health check of org/base-model did not pass: requests may fail."),
        ("paused", "the Hub lists org/base-model on novita with status 'paused': requests may fail."),
    ],
)
def test_a_provider_that_is_not_live_is_a_warning_not_an_error(status: str, warning: str) -> None:
    providers = served(entry("together", task="conversational"), entry("novita", status=status))
    for asked in ("auto", "novita"):
        with pytest.warns(UserWarning, match=re.escape(warning)) as caught:
            assert choose_provider(providers, asked) == entry("novita", status=status)
        assert [str(item.message) for item in caught] == [warning]


def test_a_named_provider_is_checked_against_the_mapping() -> None:
    providers = served(entry("together", task="conversational"), entry("featherless-ai"), entry("together"))
    assert choose_provider(providers, "together") == entry("together")  # its text-generation entry
    with pytest.raises(ModelNotFoundError) as caught:
        choose_provider(providers, "groq")
    assert str(caught.value) == (
        "groq does not serve org/base-model; the Hub lists: together (conversational), featherless-ai "
        "(text-generation), together (text-generation)\n"
        'Providers that serve it for text-generation: provider="featherless-ai", provider="together", '
        'or provider="auto".'
    )
    assert caught.value.status is None


def test_a_named_provider_for_a_model_nobody_serves_names_the_ways_on() -> None:
    with pytest.raises(ModelNotFoundError) as caught:
        choose_provider(served(), "together")
    assert str(caught.value) == f"together does not serve org/base-model; the Hub lists: none\n{ways_on(MODEL, HUB)}"


def test_a_named_provider_serving_only_chat_points_to_the_ones_that_generate() -> None:
    providers = served(entry("together", task="conversational"), entry("featherless-ai"))
    with pytest.raises(ModelNotFoundError) as caught:
        choose_provider(providers, "together")
    assert str(caught.value) == (
        "org/base-model is served only for chat, not for text-generation, which continuing a story needs: "
        "together (conversational)\n"
        'Providers that serve it for text-generation: provider="featherless-ai", or provider="auto".'
    )


def test_a_model_served_only_for_chat_says_what_to_do() -> None:
    providers = served(entry("together", task="conversational"), entry("groq", task="conversational", status="staging"))
    with pytest.raises(ModelNotFoundError) as caught:
        choose_provider(providers)
    assert str(caught.value) == (
        "org/base-model is served only for chat, not for text-generation, which continuing a story needs: "
        f"together (conversational), groq (conversational, staging)\n{ways_on(MODEL, HUB)}"
    )


def test_a_model_served_for_other_tasks_says_so() -> None:
    with pytest.raises(ModelNotFoundError) as caught:
        choose_provider(served(entry("fal-ai", task="text-to-image")))
    assert str(caught.value).startswith(
        "org/base-model is served only for other tasks, not for text-generation, which continuing a story needs: "
        "fal-ai (text-to-image)\n"
    )


def test_the_advice_names_another_model_the_page_an_endpoint_and_the_local_model() -> None:
    assert ways_on("bigscience/bloom") == (
        f'Ways on: another model with model="..." that a provider serves for text-generation (see {MODELS_PAGE}; '
        'bloom.providers("org/name") says who serves one); endpoint="https://..." for an Inference Endpoint or a '
        "TGI server running bigscience/bloom (its page: https://huggingface.co/bigscience/bloom); "
        'or the embedded local model, Completer(..., backend="local"), which needs no account or network.'
    )


# -- routes ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("provider", "url", "wire"),
    [
        ("hf-inference", "https://r.example/hf-inference/models/p/id", Wire("/models", native=True)),
        ("together", "https://r.example/together/v1", Wire("/v1", server="vllm")),
        ("featherless-ai", "https://r.example/featherless-ai/v1", Wire("/v1", server="vllm")),
        ("novita", "https://r.example/novita/v3/openai", Wire("/v3/openai", server="vllm")),
        ("deepinfra", "https://r.example/deepinfra/v1/openai", Wire("/v1/openai", server="openai")),
        ("newcomer", "https://r.example/newcomer/v1", Wire("/v1", server="openai")),
    ],
)
def test_each_provider_is_reached_by_its_text_generation_route(provider: str, url: str, wire: Wire) -> None:
    resolved = route(entry(provider, provider_id="p/id"), model=MODEL, router="https://r.example/")
    assert (resolved.url, resolved.wire, resolved.provider_id, resolved.model) == (url, wire, "p/id", MODEL)


def test_the_router_follows_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    assert router_url() == "https://router.huggingface.co"
    monkeypatch.setenv("HF_ROUTER_URL", "http://127.0.0.1:2/")
    assert router_url() == "http://127.0.0.1:2"
    assert router_url("https://router.example") == "https://router.example"
