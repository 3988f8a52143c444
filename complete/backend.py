"""Choosing a backend by name, and rebuilding one from a saved description.

With no backend named, the choice follows the original project's convention and
the design card: the Hugging Face Inference API when a token is found (explicit,
``.hf_token`` in the working directory, ``HF_TOKEN``, huggingface_hub's file),
otherwise the embedded local model, which needs no account and no network. The
choice comes back with one sentence saying which backend and model is used and
why, for the ``Completer`` and the command line to show.

Names: ``"hf"`` (Hugging Face Inference API, or an Inference Endpoint / TGI server
with ``url=``), ``"tgi"`` (a TGI server at ``url``, same wire), ``"openai"`` (any
OpenAI-compatible ``/v1/completions`` server at ``url``) and ``"local"`` (a GGUF in
process; ``model=`` is a path, default the embedded SmolLM2).

HTTP backends are wrapped in ``RetryingTransport`` so that a model still loading
or a rate limit is waited out, within bounds. This module does no I/O itself
beyond looking for a token file.
"""

from __future__ import annotations

from typing import Any

import attrs

from complete.errors import ParamsError
from complete.transports.base import Transport

__all__ = ["BACKENDS", "Choice", "choose", "from_description"]

BACKENDS = ("hf", "tgi", "openai", "local")


@attrs.frozen
class Choice:
    """A transport and the sentence that explains why it was chosen."""

    transport: Transport
    reason: str


def choose(
    backend: str | None = None, *, model: str | None = None, url: str | None = None, token: str | None = None
) -> Choice:
    """The transport for ``backend`` (or the default choice when it is None)."""
    if backend is not None and backend not in BACKENDS:
        raise ParamsError(field="backend", value=backend, allowed="one of " + ", ".join(map(repr, BACKENDS)))
    if backend is None:
        from complete.credentials import find_token

        found = find_token(token)
        if found is not None:
            transport = _hf(model=model, url=url, token=found.token)
            where = "HF endpoint " + url if url else f"Hugging Face Inference API, model {model or 'bigscience/bloom'}"
            return Choice(transport, f"complete: using the {where} (token from {found.source}).")
        local = _local(model)
        return Choice(
            local,
            f"complete: using the embedded local model {_model_name(local)} "
            "(no Hugging Face token found; pass backend='hf' and a token for BLOOM).",
        )
    if backend in ("hf", "tgi"):
        if backend == "tgi" and not url:
            raise ParamsError(field="url", value=url, allowed="the TGI server's address, e.g. http://127.0.0.1:8080")
        transport = _hf(model=model, url=url, token=token)
        target = f"endpoint {url}" if url else f"model {model or 'bigscience/bloom'}"
        return Choice(transport, f"complete: using Hugging Face/TGI, {target} (backend={backend!r}).")
    if backend == "openai":
        from complete.transports.openai import OpenAICompletions
        from complete.transports.retrying import RetryingTransport

        inner = OpenAICompletions(base_url=url, model=model) if url else OpenAICompletions(model=model)
        return Choice(RetryingTransport(inner), f"complete: using the OpenAI-compatible server at {inner.base_url}.")
    local = _local(model)
    return Choice(local, f"complete: using the local model {_model_name(local)} (backend='local').")


def from_description(description: dict[str, Any]) -> Transport:
    """Rebuild a transport from ``describe()`` output (as saved in a session file).

    Secrets are never saved, so a Hugging Face transport looks for its token again.
    An unknown backend name is a ``ParamsError``.
    """
    settings = dict(description)
    name = settings.pop("backend", None)
    if name == "hf":
        from complete.transports.hf import HFInference
        from complete.transports.retrying import RetryingTransport

        return RetryingTransport(HFInference(**settings))
    if name == "openai":
        from complete.transports.openai import OpenAICompletions
        from complete.transports.retrying import RetryingTransport

        return RetryingTransport(OpenAICompletions(**settings))
    if name == "local":
        from complete.transports.local import LocalModel

        return LocalModel(**settings)
    raise ParamsError(field="backend", value=name, allowed="a saved backend: 'hf', 'openai' or 'local'")


def _hf(*, model: str | None, url: str | None, token: str | None) -> Transport:
    from complete.transports.hf import HFInference
    from complete.transports.retrying import RetryingTransport

    kwargs: dict[str, Any] = {"token": token}
    if model:
        kwargs["model"] = model
    if url:
        kwargs["endpoint"] = url
    return RetryingTransport(HFInference(**kwargs))


def _local(model: str | None) -> Transport:
    from complete.transports.local import LocalModel

    return LocalModel(path=model)


def _model_name(transport: Transport) -> str:
    from pathlib import Path

    from complete.transports.base import describe

    path = describe(transport).get("path")
    return Path(path).name if path else "SmolLM2-135M-Instruct (Q4_1)"
