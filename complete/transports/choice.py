"""Choosing a backend by name, and rebuilding one from a saved description.

With no backend named, the choice follows the original project's convention:
Hugging Face when a token is found (explicit, ``.hf_token`` in the
working directory, ``HF_TOKEN``, huggingface_hub's file), otherwise the embedded
local model, which needs no account and no network. The choice comes back with one
sentence saying which backend and model is used and why, for the ``Completer`` and
the command line to show. The token found is passed on as found (a
``FoundToken``), so a refusal names where it really came from.

Names: ``"hf"`` (a hosted model through Hugging Face Inference Providers, or an
Inference Endpoint / TGI server with ``url=``), ``"tgi"`` (a TGI server at ``url``,
same wire), ``"openai"`` (any OpenAI-compatible ``/v1/completions`` server at
``url``) and ``"local"`` (a GGUF in process; ``model=`` is a path or a Hugging Face
Hub name such as ``"user/repo:Q4_K_M"``, default the embedded SmolLM2; a wrong
path's advice names the argument as the writer typed it).
``server=`` names an OpenAI-compatible server's dialect, so that the samplers it
takes are sent (left out, the server is asked); ``token=`` is its API key, when it
wants one (never read from the environment: an OpenAI key is not sent to whatever
server ``url=`` names). ``provider=`` ("auto", the default, or a name such as
"together") belongs to hosted models: it implies ``"hf"`` when no backend is named,
and is refused with ``url=`` or another backend.

The default hosted model is still BLOOM (``bigscience/bloom``), the project's
historic model: no provider serves it today, so its first call raises a
``ModelNotFoundError`` that names the ways on (another model, an Inference
Endpoint, the local model) rather than silently writing with something else.

HTTP backends are wrapped in ``RetryingTransport`` so that a model still loading
or a rate limit is waited out, within bounds. This module does no I/O itself
beyond looking for a token file: a hosted model's provider is looked up on its
first request.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import attrs

from complete.errors import ParamsError
from complete.transports.base import Transport

if TYPE_CHECKING:
    from complete.transports.credentials import FoundToken
    from complete.transports.local.engine import LocalModel

__all__ = ["BACKENDS", "Choice", "choose", "from_description", "saved_transport"]

BACKENDS = ("hf", "tgi", "openai", "local")


@attrs.frozen
class Choice:
    """A transport and the sentence that explains why it was chosen."""

    transport: Transport
    reason: str


def choose(
    backend: str | None = None,
    *,
    model: str | None = None,
    url: str | None = None,
    token: str | bool | None = None,
    provider: str | None = None,
    server: str | None = None,
    model_argument: str = "model=",
) -> Choice:
    """The transport for ``backend`` (or the default choice when it is None).

    ``server`` names an OpenAI-compatible server's dialect ("vllm", "llama.cpp",
    "tgi", "ollama", "openai"); left out, the server is asked once what it is.
    ``token=False`` sends no token to Hugging Face (and so chooses the local model
    when no backend is named). ``model_argument`` is how the caller's writer names the model (``model=`` for a
    Completer, ``--model`` on the command line), for the advice when a GGUF path is
    wrong.
    """
    if token is not None and token is not False and not isinstance(token, str):
        raise ParamsError(
            field="token",
            value=type(token).__name__,
            allowed="a non-empty access token string, None to look for one, or False to send none",
        )
    if backend is not None and backend not in BACKENDS:
        raise ParamsError(field="backend", value=backend, allowed="one of " + ", ".join(map(repr, BACKENDS)))
    if server is not None and backend != "openai":
        raise ParamsError(
            field="server",
            value=server,
            allowed="None unless backend='openai'",
            hint="server= names the kind of OpenAI-compatible server at url=, for backend='openai'.",
        )
    if provider is not None and (url is not None or backend not in (None, "hf")):
        raise ParamsError(
            field="provider",
            value=provider,
            allowed="None unless the model is hosted (backend='hf' without url=)",
            hint="Providers serve hosted models; url= names your own server.",
        )
    if backend is None and provider is None:
        from complete.transports.credentials import find_token

        found = None if token is False else find_token(token)
        if found is not None:
            transport = _hf(model=model, url=url, token=found, provider=None)
            source = getattr(getattr(transport, "inner", None), "token_source", None)
            sent = (
                f"token from {source}"
                if source
                else (f"the token from {found.source} is not sent: not a Hugging Face address; pass token= to send one")
            )
            return Choice(transport, f"complete: using {_target(model, url, None)} ({sent}).")
        local = _local(model, model_argument)
        return Choice(
            local,
            f"complete: using the embedded local model {_model_name(local)} (no Hugging Face token found; "
            "with one in .hf_token or HF_TOKEN, hosted models are used through Inference Providers).",
        )
    if backend in (None, "hf", "tgi"):
        name = backend or "hf"
        if name == "tgi" and not url:
            raise ParamsError(field="url", value=url, allowed="the TGI server's address, e.g. http://127.0.0.1:8080")
        transport = _hf(model=model, url=url, token=token, provider=provider)
        return Choice(transport, f"complete: using {_target(model, url, provider)} (backend={name!r}).")
    if backend == "openai":
        from complete.transports.openai.completions import OpenAICompletions
        from complete.transports.retrying import RetryingTransport

        inner = OpenAICompletions(
            url or OpenAICompletions.DEFAULT_URL, model=model, api_key=token or None, server=server
        )
        kind = f"the {server} server" if server else "the OpenAI-compatible server"
        return Choice(RetryingTransport(inner), f"complete: using {kind} at {inner.base_url}.")
    local = _local(model, model_argument)
    return Choice(local, f"complete: using the local model {_model_name(local)} (backend='local').")


def from_description(description: dict[str, Any]) -> Transport:
    """Rebuild a transport from ``describe()`` output (as saved in a session file).

    Only what ``describe()`` writes is taken, each field checked
    (``complete.transports.saved``); secrets are never saved, and none in the
    description is used. An unknown backend name is a ``ParamsError``.
    """
    from complete.transports.saved import rebuild

    rebuilt = rebuild(description)
    if rebuilt is None:
        raise ParamsError(
            field="backend", value=description.get("backend"), allowed="a saved backend: 'hf', 'openai' or 'local'"
        )
    return rebuilt[0]


def saved_transport(description: Mapping[str, Any], *, token: str | None = None) -> Choice | None:
    """The transport a saved session's description names, with the sentence saying
    where it sends requests (to show before the first), or None when it names none
    this version can rebuild (then the default choice is made, and said). ``token``
    is the writer's own credential for it; a bad description is a ``StoryFormatError``."""
    from complete.transports.saved import rebuild

    rebuilt = rebuild(description, token=token)
    return None if rebuilt is None else Choice(*rebuilt)


def _hf(
    *, model: str | None, url: str | None, token: str | FoundToken | bool | None, provider: str | None
) -> Transport:
    from complete.transports.hf.inference import HFInference
    from complete.transports.retrying import RetryingTransport

    kwargs: dict[str, Any] = {"token": token, "provider": provider}
    if model:
        kwargs["model"] = model
    if url:
        kwargs["endpoint"] = url
    return RetryingTransport(HFInference(**kwargs))


def _target(model: str | None, url: str | None, provider: str | None) -> str:
    """What a Hugging Face choice writes with, in the words of the one-line notice."""
    from complete.transports.hf.inference import DEFAULT_MODEL

    if url:
        return f"the HF endpoint {url}"
    return f"Hugging Face Inference Providers, model {model or DEFAULT_MODEL}, provider {provider or 'auto'}"


def _local(model: str | None, argument: str) -> LocalModel:
    from complete.transports.local.engine import LocalModel

    return LocalModel(path=model, argument=argument)


def _model_name(local: LocalModel) -> str:
    from complete.transports.local.hub import label

    return label(local.path, local.file)
