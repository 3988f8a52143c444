"""The Hugging Face transport: hosted models through Inference Providers, Endpoints, TGI.

``HFInference`` reaches a model three ways:

- hosted (the default): the model's Inference Providers, as the Hub's mapping names
  them (``inference_providers``). ``provider="auto"`` (the default) takes the first
  live provider serving the model for text generation; a named one
  (``provider="together"``) is checked against the mapping (``provider_routing``).
  The mapping is asked for on the first request, not at construction, and once per
  model per process; the request then goes through the router
  (``https://router.huggingface.co/{provider}/...``) with the *provider's* id for
  the model. hf-inference takes the ``{"inputs": ..., "parameters": {...}}`` wire
  below; the other providers take OpenAI's completions wire, sent by
  ``OpenAICompletions``. Each ``Generation`` records the provider (``provider``)
  and the model's Hub id (``model``); ``route`` shows where requests go once
  resolved, and ``providers()`` lists the model's providers. ``hub_url=`` and
  ``router_url=`` (or ``HF_ENDPOINT`` and ``HF_ROUTER_URL``) point at another Hub
  or router;
- ``endpoint=``: an Inference Endpoint or a text-generation-inference (TGI) server;
  the native body is posted to its root URL, and ``/tokenize`` and ``/info`` give
  exact token counts and the model's window;
- ``base_url=``: a server that takes the native wire at ``{base_url}/{model}``, such
  as ``https://router.huggingface.co/hf-inference/models`` addressed directly, with no
  mapping asked for (the old ``api-inference.huggingface.co`` host is retired and
  answers 410 Gone).

How ``Params`` become the request (only what is set is sent):

- ``return_full_text: false`` always (TGI's root route would otherwise echo the
  prompt) and ``details: true`` always (finish reason, token counts and the seed
  come back in ``details``);
- greedy decoding, asked for with ``temperature=0`` or ``do_sample=False``, is
  ``do_sample: false`` with ``temperature``, ``top_k``, ``top_p`` and
  ``typical_p`` left out: TGI rejects a temperature of 0, and samples whenever one
  of those four is present;
- otherwise, when ``temperature``, ``top_k``, ``top_p`` or ``typical_p`` is set and
  ``do_sample`` is not, ``do_sample: true`` is sent, so a writer who sets a
  temperature gets sampling (TGI's own default is greedy);
- ``top_p=1.0`` and ``typical_p=1.0`` mean "no filtering" and are left out (TGI
  accepts only values strictly between 0 and 1); stop strings go under the wire
  name ``stop`` (TGI ignores ``stop_sequences``); ``logprobs=k`` (k >= 1) is sent
  as ``top_n_tokens: k``; ``repetition_penalty`` and ``frequency_penalty`` are sent
  as they are;
- the other samplers of ``Params`` (min-p, the presence penalty, the penalty
  window, DRY, XTC, mirostat) are not in TGI's ``GenerateParameters``
  (``router/src/lib.rs``, TGI 3.3, read with the project's source-search tools),
  so they are left out, and a ``UserWarning`` says so once per transport and
  parameter (``left_out`` lists them). A provider's OpenAI-compatible route
  (``provider=``) is the "openai" dialect of ``OpenAICompletions``, which warns
  the same way.

How answers become a ``Generation``: the list form ``[{"generated_text": ...}]``
(the serverless API, TGI's root route) and the object form (TGI's ``/generate``)
are both read; ``details.finish_reason`` "length" / "eos_token" / "stop_sequence"
becomes "length" / "eos" / "stop"; ``generated_tokens`` the completion token count;
the prompt's token count comes from ``details.input_length`` or TGI's
``x-prompt-tokens`` header. Per-token log probabilities, when ``Params.logprobs``
is set, leave out special tokens (such as ``</s>``) so they line up with the text.

Streaming reads TGI's server-sent events: one event per token (special tokens'
text is not yielded), a final event with ``generated_text`` and ``details``, no
``[DONE]``. An error event inside a 200 stream becomes the same typed error as the
HTTP answer would have (without an HTTP status); a stream that ends before its
final event is a ``TransportError``; either way ``.partial`` keeps the text so far.

Errors are mapped here, once: 401/403 ``AuthError`` (naming where the token came
from and listing where tokens are looked for), 404 or "model not supported"
``ModelNotFoundError`` (naming the ways on: ``endpoint=``, another ``model=``, the
local backend); a hosted model served only for chat, or by no provider, is a
``ModelNotFoundError`` before any text is asked for; 503 with
``estimated_time`` ``ModelLoadingError``, 429 or TGI's "overloaded"
``RateLimitError``, TGI's input-length messages ``ContextLimitError``, 410 an
``APIError`` keeping the server's migration hint, anything else ``APIError``; a 2xx
body of the wrong shape ``ResponseError`` (but a 2xx ``{"error": ...}`` becomes the
same typed error as an error event in a stream); connection problems
``TransportError``. Only the start of an error body is read
(``http.read_error_body``), and every error leaves here with the token scrubbed.

What this module deliberately does not do: retry (wrap it in
``RetryingTransport``), follow redirects (but the Hub's, for a renamed model), look
for a token more than once (at construction; a ``FoundToken`` passed in keeps its
source), or let the token reach a repr, message, log line or description.
"""

from __future__ import annotations

import json
import math
import re
import threading
import warnings
from collections.abc import Generator, Iterator, Mapping
from typing import TYPE_CHECKING, Any

import attrs
import requests

from complete.credentials import FoundToken, find_token, token_places
from complete.errors import (
    APIError,
    CompleteError,
    ContextLimitError,
    ModelNotFoundError,
    ParamsError,
    RateLimitError,
    ResponseError,
    TransportError,
)
from complete.generation import FinishReason, Generation, TokenLogprob
from complete.params import Params
from complete.transports import http
from complete.transports.inference_providers import ModelProviders, check_model_id, list_providers
from complete.transports.inference_providers import hub_url as _hub_url
from complete.transports.provider_routing import AUTO, ROUTER_URL, Route, choose_provider, route, ways_on
from complete.transports.provider_routing import router_url as _router_url
from complete.transports.sse import iter_events

if TYPE_CHECKING:
    from complete.transports.openai import OpenAICompletions

__all__ = ["DEFAULT_MODEL", "SERVERLESS_URL", "HFInference", "left_out", "parse_generation", "request_body"]

DEFAULT_MODEL = "bigscience/bloom"
"""The historic default, kept: no provider serves BLOOM today, and the error says the ways on."""
SERVERLESS_URL = f"{ROUTER_URL}/hf-inference/models"

_TAKEN = frozenset(
    {
        "temperature",
        "top_k",
        "top_p",
        "typical_p",
        "max_new_tokens",
        "repetition_penalty",
        "frequency_penalty",
        "seed",
        "stop",
        "do_sample",
        "logprobs",
    }
)
"""The ``Params`` fields ``request_body`` puts on the wire (when set)."""
_FINISH_REASONS: dict[str, FinishReason] = {"length": "length", "eos_token": "eos", "stop_sequence": "stop"}
_TOTAL_LIMIT = re.compile(
    r"`inputs` tokens \+ `max_new_tokens` must be <= (\d+)(?:\. Given: (\d+) `inputs` tokens)?", re.IGNORECASE
)
_INPUT_LIMIT = re.compile(r"`inputs` must have less than (\d+) tokens(?:\. Given: (\d+))?", re.IGNORECASE)
_NOT_SERVED = re.compile(
    r"not supported by (?:provider|any provider)|model\b.*\b(?:is )?not (?:supported|available|found|served)"
    r"|model\b.*\bdoes not exist",
    re.IGNORECASE,
)


def request_body(prompt: str, params: Params, *, stream: bool = False) -> dict[str, Any]:
    """The JSON body for ``prompt`` and ``params`` (see the module docstring).

    >>> request_body("Once", Params(temperature=0, top_k=30, max_new_tokens=8))["parameters"]
    {'return_full_text': False, 'details': True, 'max_new_tokens': 8, 'do_sample': False}
    >>> request_body("Once", Params(temperature=0.7, top_p=1.0))["parameters"]["do_sample"]
    True
    """
    parameters: dict[str, Any] = {"return_full_text": False, "details": True, "max_new_tokens": params.max_new_tokens}
    greedy = params.temperature == 0 or params.do_sample is False
    if greedy:
        parameters["do_sample"] = False
    else:
        knobs = {
            "temperature": params.temperature,
            "top_k": params.top_k,
            "top_p": None if params.top_p == 1.0 else params.top_p,
            "typical_p": None if params.typical_p == 1.0 else params.typical_p,
        }
        parameters.update((name, value) for name, value in knobs.items() if value is not None)
        if params.do_sample or any(value is not None for value in knobs.values()):
            parameters["do_sample"] = True
    if params.repetition_penalty is not None:
        parameters["repetition_penalty"] = params.repetition_penalty
    if params.frequency_penalty is not None:
        parameters["frequency_penalty"] = params.frequency_penalty
    if params.seed is not None:
        parameters["seed"] = params.seed
    if params.stop:
        parameters["stop"] = list(params.stop)
    if params.logprobs:
        parameters["top_n_tokens"] = params.logprobs
    body: dict[str, Any] = {"inputs": prompt, "parameters": parameters}
    if stream:
        body["stream"] = True
    return body


def left_out(params: Params) -> dict[str, Any]:
    """The parameters set in ``params`` that TGI's generate route has no field for.

    >>> left_out(Params(min_p=0.1, frequency_penalty=0.5, dry_multiplier=0.8))
    {'min_p': 0.1, 'dry_multiplier': 0.8}
    """
    return {name: value for name, value in params.to_dict().items() if name not in _TAKEN}


def parse_generation(
    data: Any,
    *,
    model: str | None,
    params: Params,
    headers: Mapping[str, str] | None = None,
    url: str = "the server",
) -> Generation:
    """A ``Generation`` from a decoded success body, list or object form.

    >>> parse_generation([{"generated_text": " there"}], model="m", params=Params()).text
    ' there'
    """
    item = data[0] if isinstance(data, list) and data else data
    if not isinstance(item, dict) or not isinstance(item.get("generated_text"), str):
        text = json.dumps(data, ensure_ascii=False)
        raise ResponseError(
            f"the answer from {url} is not a text-generation result (no generated_text): {text[:200]}",
            body=text[:2000],
        )
    details = _mapping(item.get("details"))
    logprobs = None
    if params.logprobs is not None and isinstance(details.get("tokens"), list):
        top = details.get("top_tokens")
        logprobs = _logprobs(details["tokens"], top if isinstance(top, list) else [])
    return Generation(
        text=item["generated_text"],
        finish_reason=_FINISH_REASONS.get(details.get("finish_reason", "")),
        prompt_tokens=_prompt_tokens(details, headers or {}),
        completion_tokens=_integer(details.get("generated_tokens")),
        backend="hf",
        model=model,
        seed=_integer(details.get("seed")),
        logprobs=logprobs,
    )


class HFInference:
    """Text generation through Hugging Face Inference Providers, an Endpoint or TGI.

    ``token=None`` looks for a token once, here (see ``complete.credentials``); a
    ``FoundToken`` is used as found, keeping its source. With none found, requests
    are anonymous, and a token file that cannot be read is an ``AuthError`` here
    rather than a surprise at the first request. One ``requests.Session`` is reused
    for every request, the Hub's included; pass ``session=`` to share one (or to
    record with vcrpy).

    >>> HFInference(token="hf_example")
    HFInference(model='bigscience/bloom', provider='auto', token from the token= argument)
    """

    def __init__(
        self,
        model: str = DEFAULT_MODEL,
        token: str | FoundToken | None = None,
        base_url: str | None = None,
        endpoint: str | None = None,
        provider: str | None = None,
        *,
        hub_url: str | None = None,
        router_url: str | None = None,
        session: requests.Session | None = None,
        timeout: float | tuple[float, float] = http.DEFAULT_TIMEOUT,
    ) -> None:
        _check_text("model", model, "a model id such as 'bigscience/bloom'")
        addresses = {"base_url": base_url, "endpoint": endpoint, "hub_url": hub_url, "router_url": router_url}
        for name, value in addresses.items():
            if value is not None and (not isinstance(value, str) or not value.startswith(("http://", "https://"))):
                raise ParamsError(field=name, value=value, allowed="an http:// or https:// URL, or None")
        if provider is not None:
            _check_text("provider", provider, "a provider name such as 'together', or None")
            if "/" in provider:
                raise ParamsError(field="provider", value=provider, allowed="a provider name such as 'together'")
        routes = {"base_url": base_url, "endpoint": endpoint, "provider": provider}
        chosen = [name for name, value in routes.items() if value is not None]
        if len(chosen) > 1:
            raise ParamsError(
                field=chosen[1], value=routes[chosen[1]], allowed=f"None when {chosen[0]}= is given (pick one route)"
            )
        direct = base_url is not None or endpoint is not None
        for name in ("hub_url", "router_url"):
            if direct and addresses[name] is not None:
                raise ParamsError(
                    field=name,
                    value=addresses[name],
                    allowed=f"None when {chosen[0]}= is given (the Hub and router serve hosted models only)",
                )
        if not direct:
            check_model_id(model)
        found = find_token(token)
        self._found = found
        self._token = found.token if found else None
        self.token_source = found.source if found else None
        self.model = model
        self.base_url = base_url
        self.endpoint = endpoint
        self.provider = None if direct else provider or AUTO
        self.hub_url = hub_url
        self.router_url = router_url
        self.timeout = timeout
        self.route: Route | None = None
        """Where a hosted model's requests go, once its provider is resolved (None before)."""
        self._hub = _hub_url(hub_url)
        self._router = _router_url(router_url)
        self._session = session if session is not None else http.new_session()
        self._window: int | None = None
        self._window_known = False
        self._tokenize_missing = False
        self._delegate: OpenAICompletions | None = None
        self._resolving = threading.Lock()
        self._lock = threading.Lock()
        self._warned: set[str] = set()

    def __repr__(self) -> str:
        settings = (
            ("base_url", self.base_url),
            ("endpoint", self.endpoint),
            ("provider", self.provider),
            ("hub_url", self.hub_url),
            ("router_url", self.router_url),
        )
        where = "".join(f", {name}={value!r}" for name, value in settings if value is not None)
        token = f"token from {self.token_source}" if self.token_source else "anonymous"
        return f"HFInference(model={self.model!r}{where}, {token})"

    @property
    def url(self) -> str | None:
        """Where ``generate`` and ``stream`` post; for a hosted model, known once its
        provider is resolved by the first request (None before)."""
        if self.endpoint is not None:
            return self.endpoint
        if self.base_url is not None:
            return f"{self.base_url.rstrip('/')}/{self.model}"
        if self.route is None:
            return None
        return self.route.url if self.route.wire.native else f"{self.route.url}/completions"

    def describe(self) -> dict[str, Any]:
        """The settings that rebuild this transport (``HFInference(**them)``); no token.

        ``provider`` is left out when it is "auto" (the default), so a rebuilt
        transport asks the Hub again rather than keeping a provider that may have
        stopped serving the model.
        """
        out: dict[str, Any] = {"backend": "hf", "model": self.model}
        for name in ("endpoint", "base_url", "provider", "hub_url", "router_url"):
            value = getattr(self, name)
            if value is not None and not (name == "provider" and value == AUTO):
                out[name] = value
        return out

    def providers(self, model: str | None = None, *, refresh: bool = False) -> ModelProviders:
        """The Inference Providers of ``model`` (default: this transport's), with this
        transport's token, Hub and session; see ``inference_providers.list_providers``."""
        return list_providers(
            model or self.model,
            token=self._found,
            hub=self._hub,
            session=self._session,
            timeout=self.timeout,
            refresh=refresh,
        )

    def generate(self, prompt: str, params: Params) -> Generation:
        """One request; the whole continuation."""
        _check_prompt(prompt)
        with http.scrubbing(self._token):
            self._resolve()
            if self._delegate is not None:
                return self._provenance(self._delegate.generate(prompt, params))
            self._warn_left_out(params)
            return self._provenance(self._generate(prompt, params))

    def _generate(self, prompt: str, params: Params) -> Generation:
        url = self._native_url()
        response = http.post(
            self._session, url, request_body(prompt, params), headers=self._headers(), timeout=self.timeout
        )
        if not 200 <= response.status_code < 300:
            raise self._http_error(response, http.read_error_body(response))
        data = http.parse_json(http.read_body(response), url=url)
        self._check_error_body(data)
        return parse_generation(data, model=self._model_name(), params=params, headers=response.headers, url=url)

    def stream(self, prompt: str, params: Params) -> Generator[str, None, Generation]:
        """One request; text pieces as they arrive; returns the final ``Generation``."""
        _check_prompt(prompt)
        with http.scrubbing(self._token):
            self._resolve()
            if self._delegate is not None:
                return self._provenance((yield from self._delegate.stream(prompt, params)))
            self._warn_left_out(params)
            return self._provenance((yield from self._stream(prompt, params)))

    def _stream(self, prompt: str, params: Params) -> Generator[str, None, Generation]:
        url = self._native_url()
        response = http.post(
            self._session,
            url,
            request_body(prompt, params, stream=True),
            headers=self._headers(accept="text/event-stream"),
            timeout=self.timeout,
        )
        if not 200 <= response.status_code < 300:
            raise self._http_error(response, http.read_error_body(response))
        content_type = response.headers.get("Content-Type", "")
        if content_type and "event-stream" not in content_type:
            # A server that ignores "stream" answers in one piece (JSON): pass it on as one.
            # Any other declared type (a proxy's HTML page, plain text) is read the same
            # way, so it fails as the ResponseError it is, not as a stream cut short.
            data = http.parse_json(http.read_body(response), url=url)
            self._check_error_body(data)
            generation = parse_generation(
                data, model=self._model_name(), params=params, headers=response.headers, url=url
            )
            if generation.text:
                yield generation.text
            return generation
        pieces: list[str] = []
        logprobs: list[TokenLogprob] | None = [] if params.logprobs is not None else None
        final: dict[str, Any] | None = None
        events = iter_events(http.iter_body(response))
        try:
            for event in events:
                data = self._event(event.data)
                token = data.get("token")
                if not isinstance(token, dict):
                    raise ResponseError(f"a stream event from {url} has no token: {event.data[:200]!r}")
                text = token.get("text")
                if not token.get("special") and isinstance(text, str) and text:
                    pieces.append(text)
                    if logprobs is not None:
                        top = data.get("top_tokens")
                        logprobs = _extend(logprobs, token, top if isinstance(top, list) else [])
                    yield text
                if data.get("generated_text") is not None:
                    final = data
                    break
            if final is None:
                raise TransportError(f"the stream from {url} ended before its final event")
        except CompleteError as error:
            error.partial = "".join(pieces)
            raise
        finally:
            if final is None:  # failed, or abandoned by the caller
                response.close()
        _drain(events, response)
        text = "".join(pieces)
        generated = final["generated_text"]
        if isinstance(generated, str) and generated.startswith(text) and generated != text:
            # Token texts that do not add up to the decoded text: deliver the rest too.
            yield generated[len(text) :]
            text = generated
        details = _mapping(final.get("details"))
        return Generation(
            text=text,
            finish_reason=_FINISH_REASONS.get(details.get("finish_reason", "")),
            prompt_tokens=_prompt_tokens(details, {}),
            completion_tokens=_integer(details.get("generated_tokens")),
            backend="hf",
            model=self._model_name(),
            seed=_integer(details.get("seed")),
            logprobs=tuple(logprobs) if logprobs is not None else None,
        )

    def _warn_left_out(self, params: Params) -> None:
        """One ``UserWarning`` per transport and parameter the wire cannot carry."""
        for name, value in left_out(params).items():
            with self._lock:
                if name in self._warned:
                    continue
                self._warned.add(name)
            warnings.warn(
                f"{name}={value!r} is not sent: the Hugging Face text-generation API (serverless, Inference "
                "Endpoints, TGI) has no such parameter. A llama.cpp server "
                "(OpenAICompletions(server='llama.cpp')) or the local model takes it.",
                UserWarning,
                stacklevel=3,
            )

    def count_tokens(self, text: str) -> int | None:
        """Tokens in ``text`` by the server's tokenizer (``endpoint=`` only, via TGI's
        ``/tokenize``); None for hosted models and base_url= servers, or when the server has no
        tokenizer route (404), which is then not asked again."""
        if self.endpoint is None or self._tokenize_missing:
            return None
        with http.scrubbing(self._token):
            return self._count_tokens(self.endpoint, text)

    def _count_tokens(self, endpoint: str, text: str) -> int | None:
        url = f"{endpoint.rstrip('/')}/tokenize"
        response = http.post(self._session, url, {"inputs": text}, headers=self._headers(), timeout=self.timeout)
        body = http.read_body(response)
        if response.status_code == 404:
            self._tokenize_missing = True
            return None
        if not 200 <= response.status_code < 300:
            raise self._http_error(response, body)
        data = http.parse_json(body, url=url)
        if not isinstance(data, list):
            raise ResponseError(f"the answer from {url} is not a list of tokens", body=body[:2000])
        return len(data)

    def context_window(self) -> int | None:
        """The model's window (TGI's ``max_total_tokens`` from ``/info``), asked once
        and remembered; None for hosted models and base_url= servers, or when there is no ``/info``."""
        if self.endpoint is None or self._window_known:
            return self._window
        with http.scrubbing(self._token):
            return self._context_window(self.endpoint)

    def _context_window(self, endpoint: str) -> int | None:
        url = f"{endpoint.rstrip('/')}/info"
        response = http.post(self._session, url, {}, headers=self._headers(), timeout=self.timeout, method="GET")
        body = http.read_body(response)
        if response.status_code == 404:
            self._window_known = True
            return None
        if not 200 <= response.status_code < 300:
            raise self._http_error(response, body)
        data = http.parse_json(body, url=url)
        window = _integer(data.get("max_total_tokens")) if isinstance(data, dict) else None
        if window is None:
            raise ResponseError(f"the answer from {url} has no max_total_tokens", body=body[:2000])
        self._window, self._window_known = window, True
        return window

    def _resolve(self) -> None:
        """For a hosted model, ask the Hub's mapping (once) which provider serves it
        and by which route; the OpenAI wire goes through an ``OpenAICompletions``."""
        if self.provider is None or self.route is not None:
            return
        with self._resolving:
            if self.route is not None:  # resolved by another thread meanwhile
                return
            providers = self.providers()
            chosen = route(choose_provider(providers, self.provider), model=providers.model, router=self._router)
            if not chosen.wire.native:
                from complete.transports.openai import OpenAICompletions

                delegate = OpenAICompletions(
                    base_url=chosen.url,
                    model=chosen.provider_id,
                    api_key=self._token,
                    server=chosen.wire.server,
                    session=self._session,
                    timeout=self.timeout,
                    backend_name="hf",
                )
                delegate.auth_hint = self._auth_hint()  # where HF tokens are looked for, not OpenAI's advice
                self._delegate = delegate
            self.route = chosen

    def _provenance(self, generation: Generation) -> Generation:
        """A hosted model's generation names the Hub's id for the model and its provider."""
        if self.route is None:
            return generation
        return attrs.evolve(generation, model=self.route.model, provider=self.route.provider)

    def _native_url(self) -> str:
        url = self.url
        assert url is not None, "a hosted model's route is resolved before any request"
        return url

    def _model_name(self) -> str:
        return self.endpoint if self.endpoint is not None else self.model

    def _headers(self, accept: str = "application/json") -> dict[str, str]:
        headers = {"Accept": accept}
        if self._token is not None:
            headers["Authorization"] = f"Bearer {self._token}"
        return headers

    def _check_error_body(self, data: Any) -> None:
        """A 2xx answer that is an error (``{"error": ...}``, no ``generated_text``) is
        raised as the same typed error as an error event in a stream."""
        item = data[0] if isinstance(data, list) and data else data
        if isinstance(item, dict) and "error" in item and "generated_text" not in item:
            message = http.scrub(http.json_message(item) or json.dumps(item)[:2000], [self._token])
            error_type = item.get("error_type")
            raise self._error(None, message, error_type=error_type if isinstance(error_type, str) else None)

    def _event(self, data: str) -> dict[str, Any]:
        try:
            decoded = json.loads(data)
        except ValueError as exc:
            raise ResponseError(f"a stream event from {self.url} is not JSON: {data[:200]!r}", body=data) from exc
        if not isinstance(decoded, dict):
            raise ResponseError(f"a stream event from {self.url} is not a JSON object: {data[:200]!r}", body=data)
        if "error" in decoded and "token" not in decoded:
            message = http.scrub(http.json_message(decoded) or data[:2000], [self._token])
            error_type = decoded.get("error_type")
            raise self._error(None, message, error_type=error_type if isinstance(error_type, str) else None)
        return decoded

    def _http_error(self, response: requests.Response, body: bytes) -> CompleteError:
        message = http.server_message(response, body, [self._token])
        data = http.json_or_none(body)
        fields = data if isinstance(data, dict) else {}
        warnings = fields.get("warnings")
        if isinstance(warnings, list) and warnings:
            message = http.scrub(f"{message} (warnings: {'; '.join(map(str, warnings))})", [self._token])
        error_type = fields.get("error_type")
        return self._error(
            response.status_code,
            message,
            error_type=error_type if isinstance(error_type, str) else None,
            estimated_time=_number(fields.get("estimated_time")),
            headers=response.headers,
        )

    def _error(
        self,
        status: int | None,
        message: str,
        *,
        error_type: str | None,
        estimated_time: float | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> CompleteError:
        """The error-tree class for an answer; ``status`` None for a stream's error event."""
        headers = headers or {}
        if status == 429 or error_type == "overloaded":
            return RateLimitError(status=status, message=message, retry_after=http.retry_after(headers))
        limit = _TOTAL_LIMIT.search(message) or _INPUT_LIMIT.search(message)
        if limit is not None and (status is None or 400 <= status < 500):
            return ContextLimitError(
                status=status,
                message=message,
                limit=int(limit.group(1)),
                prompt_tokens=int(limit.group(2)) if limit.group(2) else None,
                hint=(
                    "The prompt and max_new_tokens together must fit the model's window: lower max_new_tokens, "
                    "or give the Completer a window= so the oldest text is left out of the prompt."
                ),
            )
        if status == 404 or (status in (400, 422) and _NOT_SERVED.search(message)):
            return ModelNotFoundError(status=status, message=message, hint=self._not_served_hint())
        if status == 410:
            return APIError(
                status=status,
                message=message,
                hint=(
                    "That address is retired; the server's message says where to go. By default HFInference "
                    f"reaches hosted models through the router ({ROUTER_URL}), by the provider the Hub names: "
                    "leave base_url= unset unless you run another server."
                ),
            )
        if status is None:
            return APIError(status=None, message=message)
        return http.status_error(
            status,
            message,
            headers,
            auth_hint=self._auth_hint(),
            not_found_hint=self._not_served_hint(),
            estimated_time=estimated_time,
        )

    def _auth_hint(self) -> str:
        if self.token_source is None:
            return f"No token was sent (the request was anonymous). {token_places()}"
        return (
            f"The token from {self.token_source} was refused: check that it is valid and allowed to make calls "
            f"to Inference Providers (or to this endpoint). {token_places()}"
        )

    def _not_served_hint(self) -> str:
        ways = ways_on(self.model, self._hub)
        if self.endpoint is not None:
            return (
                f"Nothing serves text generation at {self.endpoint}: check the endpoint= address "
                f"(TGI and Inference Endpoints take requests at their root URL). {ways}"
            )
        if self.route is not None:
            return (
                f"{self.route.provider} did not serve {self.route.model} although the Hub's mapping names it "
                f"({self.route.status}); it may have stopped: see bloom.providers() for the others. {ways}"
            )
        if self.model.lower().startswith("bigscience/bloom"):
            return f"The server at {self.base_url} does not serve {self.model}: BLOOM is no longer served there. {ways}"
        return f"The server at {self.base_url} does not serve {self.model}. {ways}"


def _drain(events: Iterator[object], response: requests.Response) -> None:
    """Read what follows the final event (TGI sends nothing more) so the connection
    goes back to the pool; whatever happens there, the answer is already complete."""
    try:
        for _ in events:
            pass
    except CompleteError:
        pass
    finally:
        response.close()


def _mapping(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _check_prompt(prompt: object) -> None:
    if not isinstance(prompt, str):
        raise ParamsError(field="prompt", value=prompt, allowed="a str")


def _check_text(field: str, value: object, allowed: str) -> None:
    if not isinstance(value, str) or not value.strip():
        raise ParamsError(field=field, value=value, allowed=allowed)


def _integer(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return None
    return float(value)


def _prompt_tokens(details: Mapping[str, Any], headers: Mapping[str, str]) -> int | None:
    for key in ("input_length", "prompt_tokens"):
        found = _integer(details.get(key))
        if found is not None:
            return found
    header = headers.get("x-prompt-tokens", "")
    # isascii: "²".isdigit() is true; a length cap: int() refuses over 4300 digits.
    return int(header) if header.isascii() and header.isdigit() and len(header) < 20 else None


def _logprobs(tokens: list[Any], top_tokens: list[Any]) -> tuple[TokenLogprob, ...] | None:
    """Per-token log probabilities, special tokens left out; None if any is malformed."""
    out: list[TokenLogprob] | None = []
    for index, token in enumerate(tokens):
        if out is None or not isinstance(token, dict):
            return None
        if token.get("special"):
            continue
        top = top_tokens[index] if index < len(top_tokens) and isinstance(top_tokens[index], list) else []
        out = _extend(out, token, top)
    return tuple(out) if out is not None else None


def _extend(out: list[TokenLogprob] | None, token: Mapping[str, Any], top: list[Any]) -> list[TokenLogprob] | None:
    """``out`` plus this token; None (and None ever after) if it is malformed."""
    logprob = _number(token.get("logprob"))
    if out is None or not isinstance(token.get("text"), str) or logprob is None:
        return None
    alternatives = [
        (item["text"], number)
        for item in top
        if isinstance(item, dict)
        and isinstance(item.get("text"), str)
        and (number := _number(item.get("logprob"))) is not None
    ]
    out.append(TokenLogprob(token=token["text"], logprob=logprob, top=alternatives))
    return out
