"""Continuing a hosted model's story: which Inference Provider, and by which route.

``choose_provider`` picks the entry of a model's provider mapping to write with;
``route`` says where its raw completions go under the router and on which wire.
Deliberately not done: asking the Hub (``providers``) or sending the request
(``HFInference``, through ``OpenAICompletions`` for the OpenAI wire).
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Mapping

import attrs

from complete.errors import ModelNotFoundError
from complete.transports.hf.providers import (
    CHAT,
    HUB_URL,
    TEXT_GENERATION,
    ModelProviders,
    ProviderMapping,
)

__all__ = [
    "AUTO",
    "MODELS_PAGE",
    "ROUTER_URL",
    "ROUTES",
    "Route",
    "Wire",
    "choose_provider",
    "route",
    "router_url",
    "ways_on",
]

ROUTER_URL = "https://router.huggingface.co"
AUTO = "auto"
MODELS_PAGE = f"{HUB_URL}/models?inference_provider=all&pipeline_tag=text-generation"
"""Models some provider serves, listed by the Hub (check one with ``list_providers``)."""


@attrs.frozen
class Wire:
    """How one provider takes raw completions: the path after ``{router}/{provider}``,
    and either TGI's native wire (``native``) or OpenAI's in a ``server`` dialect."""

    path: str
    native: bool = False
    server: str = "openai"


ROUTES: Mapping[str, Wire] = {
    "hf-inference": Wire("/models", native=True),
    "together": Wire("/v1", server="vllm"),
    "featherless-ai": Wire("/v1", server="vllm"),
    "novita": Wire("/v3/openai", server="vllm"),
    "deepinfra": Wire("/v1/openai"),
}
"""Providers with a known text-generation route, read from huggingface_hub 2.4's
provider helpers (``inference/_providers/*.py``), all under ``{router}/{provider}``:
hf-inference takes TGI's native wire at ``/models/{providerId}``; together,
featherless-ai and novita OpenAI completions in the "vllm" dialect (their APIs
document ``top_k`` and ``repetition_penalty``); deepinfra, and any other provider
(``_OTHER``, huggingface_hub's default route), OpenAI completions with standard
fields only. Not checked against live servers: whether together and featherless-ai
accept ``stream_options`` in a stream (novita documents it), and which extra fields
deepinfra takes."""
_OTHER = Wire("/v1")


@attrs.frozen
class Route:
    """Where a hosted model's continuations go, as resolved from its mapping.

    ``url`` is the address posted to on the native wire, and the ``/v1``-style base
    of ``/completions`` on the OpenAI wire.
    """

    model: str
    provider: str
    provider_id: str
    status: str
    url: str
    wire: Wire


def router_url(explicit: str | None = None) -> str:
    """The router's address: ``explicit``, else ``HF_ROUTER_URL``, else https://router.huggingface.co.

    ``HF_ROUTER_URL`` is complete's own variable (huggingface_hub has none; the name
    is huggingface.js's constant).
    """
    return (explicit or os.environ.get("HF_ROUTER_URL") or ROUTER_URL).rstrip("/")


def choose_provider(providers: ModelProviders, provider: str = AUTO) -> ProviderMapping:
    """The entry to continue stories through: the first live text-generation one for
    "auto", else the named one, checked; warns when it is not live.

    One difference from huggingface_hub's "auto", which takes the mapping's first
    provider whatever its task: continuing a story needs raw text generation, so the
    first *live* text-generation provider is taken (a staging or failing one, with a
    ``UserWarning``, when none is live). The errors say what to do: a model served
    only for chat, one no provider serves, a provider that does not serve it.

    >>> served = ModelProviders("m", "m", "https://huggingface.co", (
    ...     ProviderMapping("together", "m-chat", "conversational", "live"),
    ...     ProviderMapping("featherless-ai", "m", "text-generation", "live")))
    >>> choose_provider(served).provider
    'featherless-ai'
    """
    if provider == AUTO:
        chosen = providers.auto()
        if chosen is None:
            raise _not_served(providers)
    else:
        named = [entry for entry in providers.entries if entry.provider == provider]
        if not named:
            raise _not_by(providers, provider)
        chosen = next((entry for entry in named if entry.task == TEXT_GENERATION), named[0])
        if chosen.task != TEXT_GENERATION:
            raise _not_for_stories(providers, named)
    _warn_unless_live(providers.model, chosen)
    return chosen


def route(entry: ProviderMapping, *, model: str, router: str) -> Route:
    """How to reach ``entry``'s provider for text generation (see ``ROUTES``)."""
    wire = ROUTES.get(entry.provider, _OTHER)
    base = f"{router.rstrip('/')}/{entry.provider}{wire.path}"
    url = f"{base}/{entry.provider_id}" if wire.native else base
    return Route(
        model=model, provider=entry.provider, provider_id=entry.provider_id, status=entry.status, url=url, wire=wire
    )


def _warn_unless_live(model: str, entry: ProviderMapping) -> None:
    if entry.status == "live":
        return
    if entry.status == "staging":
        text = f"{entry.provider} serves {model} in staging, meant for tests: requests may fail."
    elif entry.status == "error":
        text = f"{entry.provider}'s latest health check of {model} did not pass: requests may fail."
    else:
        text = f"the Hub lists {model} on {entry.provider} with status {entry.status!r}: requests may fail."
    warnings.warn(text, UserWarning, stacklevel=2)


def ways_on(model: str, hub: str = HUB_URL) -> str:
    """What a writer can do when nothing continues ``model``: the advice in errors."""
    return (
        f'Ways on: another model with model="..." that a provider serves for text-generation (see {MODELS_PAGE}; '
        'bloom.providers("org/name") says who serves one); '
        f'endpoint="https://..." for an Inference Endpoint or a TGI server running {model} (its page: {hub}/{model}); '
        'or the embedded local model, Completer(..., backend="local"), which needs no account or network.'
    )


def _listed(entries: tuple[ProviderMapping, ...] | list[ProviderMapping]) -> str:
    return ", ".join(
        f"{entry.provider} ({entry.task}{'' if entry.status == 'live' else ', ' + entry.status})" for entry in entries
    )


def _not_served(providers: ModelProviders) -> ModelNotFoundError:
    if not providers.entries:
        return ModelNotFoundError(
            status=None,
            message=f"no Inference Provider serves {providers.model}: the Hub lists none for it",
            hint=ways_on(providers.model, providers.hub),
        )
    return _not_for_stories(providers, list(providers.entries))


def _not_for_stories(providers: ModelProviders, entries: list[ProviderMapping]) -> ModelNotFoundError:
    kind = "only for chat" if all(entry.task == CHAT for entry in entries) else "only for other tasks"
    return ModelNotFoundError(
        status=None,
        message=(
            f"{providers.model} is served {kind}, not for text-generation, which continuing a story needs: "
            f"{_listed(entries)}"
        ),
        hint=_elsewhere(providers),
    )


def _not_by(providers: ModelProviders, provider: str) -> ModelNotFoundError:
    listed = _listed(providers.entries) if providers.entries else "none"
    return ModelNotFoundError(
        status=None,
        message=f"{provider} does not serve {providers.model}; the Hub lists: {listed}",
        hint=_elsewhere(providers),
    )


def _elsewhere(providers: ModelProviders) -> str:
    """The providers that do continue stories with this model, else the ways on."""
    generating = providers.text_generation()
    if not generating:
        return ways_on(providers.model, providers.hub)
    choice = ", ".join(f'provider="{entry.provider}"' for entry in generating)
    return f'Providers that serve it for text-generation: {choice}, or provider="auto".'
