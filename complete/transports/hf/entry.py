"""Hugging Face's entries in the table of backends: "hf", and "tgi" for a TGI server.

"hf" is a hosted model through Inference Providers (``provider=`` picks one), or an
Inference Endpoint / TGI server with ``url=``; "tgi" is the same wire at ``url``,
which it needs. When no backend is named, "hf" offers itself when a token is found
(or a provider named); the token found is passed on as found (a ``FoundToken``), so
that a refusal names where it really came from. Both are wrapped in
``RetryingTransport``, so that a model still loading or a rate limit is waited out.

The default hosted model is still BLOOM (``bigscience/bloom``), the project's
historic model: no provider serves it today, so its first call raises a
``ModelNotFoundError`` that names the ways on rather than silently writing with
something else. Nothing heavy is imported until a transport is built.
"""

from __future__ import annotations

from typing import Any

from complete.errors import ParamsError
from complete.transports import saved_fields as fields
from complete.transports.base import Transport
from complete.transports.credentials import FoundToken, find_token
from complete.transports.entry import Backend, Choice, Keywords, refused

__all__ = ["HF", "TGI"]


def _transport(keywords: Keywords, token: str | FoundToken | bool | None) -> Transport:
    from complete.transports.hf.inference import HFInference
    from complete.transports.retrying import RetryingTransport

    settings: dict[str, Any] = {"token": token, "provider": keywords.provider}
    if keywords.model:
        settings["model"] = keywords.model
    if keywords.url:
        settings["endpoint"] = keywords.url
    return RetryingTransport(HFInference(**settings))


def _target(keywords: Keywords) -> str:
    """What a Hugging Face choice writes with, in the words of the one-line notice."""
    from complete.transports.hf.inference import DEFAULT_MODEL

    if keywords.url:
        return f"the HF endpoint {keywords.url}"
    model, provider = keywords.model or DEFAULT_MODEL, keywords.provider or "auto"
    return f"Hugging Face Inference Providers, model {model}, provider {provider}"


def _build(keywords: Keywords) -> Choice:
    name = keywords.backend or "hf"
    if name == "tgi" and not keywords.url:
        raise ParamsError(field="url", value=None, allowed="the TGI server's address, e.g. http://127.0.0.1:8080")
    if keywords.provider is not None and keywords.url is not None:
        raise refused("provider", keywords.provider, ["hf"])
    transport = _transport(keywords, keywords.token)
    return Choice(transport, f"complete: using {_target(keywords)} (backend={name!r}).")


def _offer(keywords: Keywords) -> Choice | None:
    """The choice when no backend is named: with a provider, or a token found."""
    if keywords.provider is not None:
        return _build(keywords)
    found = None if isinstance(keywords.token, bool) else find_token(keywords.token)
    if found is None:
        return None
    transport = _transport(keywords, found)
    source = getattr(getattr(transport, "inner", None), "token_source", None)
    sent = (
        f"token from {source}"
        if source
        else f"the token from {found.source} is not sent: not a Hugging Face address; pass token= to send one"
    )
    return Choice(transport, f"complete: using {_target(keywords)} ({sent}).")


def _rebuild(settings: dict[str, Any], token: str | None) -> Choice:
    from complete.transports.hf.inference import HFInference
    from complete.transports.retrying import RetryingTransport

    hf = HFInference(token=token, **settings)
    where = hf.endpoint or hf.base_url or f"Hugging Face Inference Providers ({hf.hub_url or 'the Hub'})"
    sent = f"token from {hf.token_source}" if hf.token_source else "no token is sent"
    return Choice(RetryingTransport(hf), f"complete: the saved session's backend is {where} ({sent}).")


HF = Backend(
    name="hf",
    takes={"model", "url", "token", "provider"},
    build=_build,
    saved={
        "model": fields.text,
        "endpoint": fields.address,
        "base_url": fields.address,
        "provider": fields.optional_text,
        "hub_url": fields.address,
        "router_url": fields.address,
    },
    rebuild=_rebuild,
    offer=_offer,
)
TGI = Backend(name="tgi", takes={"model", "url", "token"}, build=_build)
