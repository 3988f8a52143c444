"""A hosted model's Inference Provider mapping, built by hand for the routing and provider tests."""

from __future__ import annotations

from complete.transports.hf.providers import ModelProviders, ProviderMapping

HUB = "https://huggingface.co"
MODEL = "org/base-model"


def entry(provider: str, task: str = "text-generation", status: str = "live", provider_id: str = "") -> ProviderMapping:
    """One provider's line of the mapping (its id defaults to ``provider/MODEL``)."""
    return ProviderMapping(
        provider=provider, provider_id=provider_id or f"{provider}/{MODEL}", task=task, status=status
    )


def served(*entries: ProviderMapping, model: str = MODEL) -> ModelProviders:
    """The mapping the Hub gives for ``model``: these entries, in this order."""
    return ModelProviders(model=model, asked=model, hub=HUB, entries=entries)
