"""The Hub's Inference Provider mapping: who serves a hosted model, for what, under which id.

``list_providers`` asks the Hub (``GET {hub}/api/models/{model}?expand=inferenceProviderMapping``,
as huggingface_hub does) once per model, Hub and token in a process; ``ModelProviders``
holds the answer and prints as a table. Deliberately not done: choosing a provider or
reaching one (``routing``), sending the request for text (``HFInference``), or
retrying (``RetryingTransport`` retries the whole call).
"""

from __future__ import annotations

import hashlib
import os
import re
import threading
from typing import Any, Protocol, runtime_checkable
from urllib.parse import urljoin, urlsplit

import attrs
import requests

from complete.errors import CompleteError, ModelNotFoundError, ParamsError, ResponseError
from complete.transports.credentials import FoundToken, token_for, token_places
from complete.transports.http import edge as http
from complete.transports.http import server_errors

__all__ = [
    "CHAT",
    "HUB_URL",
    "TEXT_GENERATION",
    "ModelProviders",
    "ProviderMapping",
    "check_model_id",
    "hub_url",
    "list_providers",
    "providers_of",
    "read_mapping",
]

HUB_URL = "https://huggingface.co"
TEXT_GENERATION = "text-generation"
CHAT = "conversational"

_MODEL_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*(/[A-Za-z0-9][A-Za-z0-9._-]*)?")
_REDIRECTS = (301, 302, 303, 307, 308)
_MAX_REDIRECTS = 5


@attrs.frozen
class ProviderMapping:
    """One provider's entry in a model's mapping."""

    provider: str
    provider_id: str
    task: str
    status: str


@attrs.frozen(repr=False)
class ModelProviders:
    """A model's Inference Providers, in the Hub's order.

    ``model`` is the id the Hub answered for (a renamed model's new id); ``asked``
    the id it was asked for. ``print()`` it, or let a notebook show it, for a table.
    """

    model: str
    asked: str
    hub: str
    entries: tuple[ProviderMapping, ...]

    def text_generation(self) -> tuple[ProviderMapping, ...]:
        """The entries that serve raw text generation, which continuing a story needs."""
        return tuple(entry for entry in self.entries if entry.task == TEXT_GENERATION)

    def auto(self) -> ProviderMapping | None:
        """The entry ``provider="auto"`` takes: the first live one serving text
        generation, else the first serving it at all (in staging, or failing its
        health check), else None."""
        generating = self.text_generation()
        live = [entry for entry in generating if entry.status == "live"]
        candidates = live or list(generating)
        return candidates[0] if candidates else None

    def __repr__(self) -> str:
        served = ", ".join(f"{entry.provider} ({entry.task}, {entry.status})" for entry in self.entries)
        return f"<ModelProviders {self.model}: {served or 'none'}>"

    def __str__(self) -> str:
        renamed = f" (asked as {self.asked})" if self.asked != self.model else ""
        head = f"Inference Providers for {self.model}{renamed}, from {self.hub}:"
        if not self.entries:
            return f"{head}\n  none: no provider serves it."
        rows = [("provider", "task", "status", "provider's id for it")]
        rows += [(entry.provider, entry.task, entry.status, entry.provider_id) for entry in self.entries]
        widths = [max(len(row[column]) for row in rows) for column in range(3)]
        lines = [head]
        lines += ["  " + "  ".join([*(row[i].ljust(widths[i]) for i in range(3)), row[3]]) for row in rows]
        chosen = self.auto()
        if chosen is None:
            lines.append("None serves it for text-generation, which continuing a story needs.")
        else:
            lines.append(f"provider='auto' continues stories through {chosen.provider}.")
        return "\n".join(lines)

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        """IPython and Jupyter show the table."""
        printer.text(str(self))


def hub_url(explicit: str | None = None) -> str:
    """The Hub's address: ``explicit``, else ``HF_ENDPOINT``, else https://huggingface.co."""
    return (explicit or os.environ.get("HF_ENDPOINT") or HUB_URL).rstrip("/")


def check_model_id(model: object) -> str:
    """``model`` if it is a Hub model id ("org/name" or "name"), else a ``ParamsError``."""
    if not isinstance(model, str) or not _MODEL_ID.fullmatch(model) or ".." in model:
        raise ParamsError(field="model", value=model, allowed="a Hugging Face model id such as 'org/name'")
    return model


def read_mapping(data: Any, *, asked: str, hub: str, url: str) -> ModelProviders:
    """The providers in a decoded answer of the Hub's model API (either form).

    >>> answer = {"id": "m/new", "inferenceProviderMapping": [
    ...     {"provider": "together", "providerId": "m-turbo", "task": "text-generation", "status": "live"}]}
    >>> read_mapping(answer, asked="m/old", hub="https://huggingface.co", url="...").entries
    (ProviderMapping(provider='together', provider_id='m-turbo', task='text-generation', status='live'),)
    """
    if not isinstance(data, dict):
        raise ResponseError(f"the answer from {url} is not a JSON object", body=repr(data)[:2000])
    mapping = data.get("inferenceProviderMapping")
    if isinstance(mapping, dict):
        items = [{**value, "provider": name} for name, value in mapping.items() if isinstance(value, dict)]
    elif isinstance(mapping, list):
        items = [value for value in mapping if isinstance(value, dict)]
    elif mapping is None:
        items = []
    else:
        raise ResponseError(
            f"the answer from {url} has an inferenceProviderMapping that is neither an object nor a list",
            body=repr(mapping)[:2000],
        )
    entries = tuple(
        ProviderMapping(
            provider=item["provider"],
            provider_id=item["providerId"],
            task=item["task"],
            status=item["status"] if isinstance(item.get("status"), str) else "unknown",
        )
        for item in items
        if all(isinstance(item.get(key), str) and item[key] for key in ("provider", "providerId", "task"))
    )
    model = data.get("id")
    return ModelProviders(
        model=model if isinstance(model, str) and model else asked, asked=asked, hub=hub, entries=entries
    )


_CACHE: dict[tuple[str, str, str], ModelProviders] = {}
_CACHE_LOCK = threading.Lock()


def list_providers(
    model: str,
    *,
    token: str | FoundToken | bool | None = None,
    hub: str | None = None,
    session: requests.Session | None = None,
    timeout: float | tuple[float, float] = http.DEFAULT_TIMEOUT,
    refresh: bool = False,
) -> ModelProviders:
    """Which Inference Providers serve ``model``, for which task, in what state.

    Asked of the Hub once per model, Hub and token in this process (``refresh=True``
    asks again). ``token=None`` looks for one as everywhere in ``complete`` (sent
    only to a Hugging Face Hub, see ``credentials.token_for``), ``False`` sends none; the
    mapping is public, but with a token its order follows your provider settings.
    ``print(list_providers("org/name"))`` shows a table.

    For each provider the Hub gives ``providerId`` (the provider's own id for the
    model), ``task`` ("text-generation": raw completions; "conversational": chat
    only) and ``status`` ("live"; "staging"; "error": its last health check failed).
    Older answers key the mapping by provider name, newer ones list entries with a
    ``provider`` field; both are read in the Hub's order. An entry without a name, id
    or task is left out; a missing status reads "unknown". A renamed model's redirect
    (307) is followed on the same host only, so the token never goes elsewhere. An
    unknown, private or gated model is a ``ModelNotFoundError`` (404, or 401 with
    ``X-Error-Code: RepoNotFound``); a refused token an ``AuthError`` naming its source.
    The Hub is ``hub=``, else ``HF_ENDPOINT``, else https://huggingface.co.
    """
    check_model_id(model)
    base = hub_url(hub)
    found, _ = token_for(token, [base])
    key = (base, model, _fingerprint(found))
    with _CACHE_LOCK:
        known = _CACHE.get(key)
    if known is not None and not refresh:
        return known
    if session is None:
        with requests.Session() as own:
            fetched = _fetch(model, found, base, own, timeout)
    else:
        fetched = _fetch(model, found, base, session, timeout)
    with _CACHE_LOCK:
        _CACHE[key] = fetched
    return fetched


def _fetch(
    model: str,
    found: FoundToken | None,
    hub: str,
    session: requests.Session,
    timeout: float | tuple[float, float],
) -> ModelProviders:
    secret = found.token if found is not None else None
    headers = http.headers("application/json", secret)
    url = f"{hub}/api/models/{model}?expand=inferenceProviderMapping"
    with server_errors.scrubbing(secret):
        for _ in range(_MAX_REDIRECTS + 1):
            response = http.post(session, url, {}, headers=headers, timeout=timeout, method="GET")
            location = response.headers.get("Location")
            if response.status_code in _REDIRECTS and location and _same_origin(url, urljoin(url, location)):
                http.read_error_body(response)
                url = urljoin(url, location)
                continue
            if not 200 <= response.status_code < 300:
                raise _hub_error(response, http.read_error_body(response), model=model, found=found, hub=hub)
            data = http.parse_json(http.read_body(response), url=url)
            return read_mapping(data, asked=model, hub=hub, url=url)
    raise ResponseError(f"the Hub redirected {model} more than {_MAX_REDIRECTS} times; last address {url}")


def _hub_error(
    response: http.Response, body: bytes, *, model: str, found: FoundToken | None, hub: str
) -> CompleteError:
    secret = found.token if found is not None else None
    message = server_errors.server_message(response, body, [secret])
    status = response.status_code
    code = response.headers.get("X-Error-Code", "")
    refused = status == 401 and response.headers.get("X-Error-Message") == "Invalid credentials in Authorization header"
    if code == "RepoNotFound" or status == 404 or (status == 401 and not refused):
        return ModelNotFoundError(
            status=status,
            message=message,
            hint=(
                f"The Hub at {hub} has no model {model} that this request may see: check the id "
                f"({hub}/{model}); a private or gated model needs a token allowed to read it. {token_places()}"
            ),
        )
    if found is None:
        auth_hint = f"No token was sent to the Hub (the request was anonymous). {token_places()}"
    else:
        auth_hint = f"The token from {found.source} was refused by the Hub at {hub}. {token_places()}"
    return server_errors.status_error(status, message, response.headers, auth_hint=auth_hint)


def _same_origin(first: str, second: str) -> bool:
    one, two = urlsplit(first), urlsplit(second)
    return (one.scheme, one.netloc) == (two.scheme, two.netloc)


def _fingerprint(found: FoundToken | None) -> str:
    """Which token asked, without keeping the token itself as a key."""
    return hashlib.sha256(found.token.encode("utf-8")).hexdigest() if found is not None else ""


@runtime_checkable
class _AsksItsHub(Protocol):
    """A hosted model's transport (``HFInference``), which asks with its own token and
    Hub; typed here by what it does, as ``complete.transports.hf.inference`` imports this module."""

    def providers(self, model: str | None = None) -> ModelProviders: ...


def providers_of(transport: object, model: str | None = None) -> ModelProviders:
    """The Inference Providers of ``model``, or of the hosted model ``transport``
    writes with (through a ``RetryingTransport`` too), asked with its token and Hub.

    Behind ``Completer.providers()``. A transport that is not a hosted model's needs
    ``model``; the token is then looked for as everywhere in ``complete``.
    """
    inner = getattr(transport, "inner", transport)
    if isinstance(inner, _AsksItsHub):
        return inner.providers(model)
    if model is None:
        raise ParamsError(
            field="model",
            value=None,
            allowed="a Hugging Face model id such as 'org/name'",
            hint="This story is not written with a hosted model, so name the one to look up.",
        )
    return list_providers(model)
