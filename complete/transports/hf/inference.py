"""The Hugging Face transport: hosted models through Inference Providers, Endpoints, TGI.

``HFInference`` reaches a hosted model through the router and its providers, an
Inference Endpoint or TGI server (``endpoint=``), or a native-wire server at
``base_url=``. Deliberately not done: retrying (wrap it in ``RetryingTransport``),
following redirects (but the Hub's, for a renamed model), or letting the token reach
a repr, message, log line or description.
"""

from __future__ import annotations

import threading
from collections.abc import Generator, Mapping
from typing import TYPE_CHECKING, Any

import attrs
import requests

from complete.errors import CompleteError, ParamsError, ResponseError
from complete.transports.credentials import FoundToken, token_for, token_places
from complete.transports.deadline import DEFAULT_DEADLINE, check_seconds, stream_within, within
from complete.transports.hf.providers import ModelProviders, check_model_id, list_providers
from complete.transports.hf.providers import hub_url as _hub_url
from complete.transports.hf.routing import AUTO, ROUTER_URL, Route, choose_provider, route, ways_on
from complete.transports.hf.routing import router_url as _router_url
from complete.transports.hf.wire import Advice, TGIAnswer, classify, left_out, refusal, request_body
from complete.transports.http import answers, server_errors
from complete.transports.http import edge as http
from complete.transports.http.unsent import Unsent
from complete.values import checks as arguments
from complete.values.generation import Generation
from complete.values.params import Params

if TYPE_CHECKING:
    from complete.transports.openai.completions import OpenAICompletions

__all__ = ["DEFAULT_MODEL", "SERVERLESS_URL", "HFInference"]

DEFAULT_MODEL = "bigscience/bloom"
"""The historic default, kept: no provider serves BLOOM today, and the error says the ways on."""
SERVERLESS_URL = f"{ROUTER_URL}/hf-inference/models"

_UNKNOWN = object()


class HFInference:
    """Text generation through Hugging Face Inference Providers, an Endpoint or TGI.

    ``token=None`` looks for a token once, here (see ``complete.transports.credentials``); a
    ``FoundToken`` is used as found, keeping its source. A token found in the
    environment or a file is sent only to Hugging Face's own hosts (``endpoint=`` or
    ``base_url=`` elsewhere gets one only from ``token=``); ``token=False`` sends none.
    With none, requests are anonymous, and a token file that cannot be read is an ``AuthError`` here
    rather than a surprise at the first request. One ``requests.Session`` is reused
    for every request, the Hub's included; pass ``session=`` to share one (one from
    ``http.new_session`` is sent through urllib3's pool directly, any other through
    its own ``request``, with its adapters, auth and hooks).

    - hosted (the default): the model's Inference Providers, as the Hub's mapping names
      them (``complete.transports.hf.providers``). ``provider="auto"`` (the default) takes the first
      live provider serving the model for text generation; a named one
      (``provider="together"``) is checked against the mapping (``routing``).
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

    Requests to hf-inference, Endpoints and TGI go out on the Hugging Face wire
    (``complete.transports.hf.wire``; a sampler it has no field for is warned about once
    per transport); a provider's OpenAI-compatible route goes through
    ``OpenAICompletions``, which warns the same way. Answers are read, whole or
    streamed, by ``answers``; ``.partial`` keeps the text that arrived before a failure.

    Errors are mapped once, by the wire's ``refusal`` and ``classify``, with this
    transport's advice: where the token came from and where tokens are looked for (401,
    403), and the ways on for a model that is not served (``endpoint=``, another
    ``model=``, the local backend); a hosted model served only for chat, or by no
    provider, is a ``ModelNotFoundError`` before any text is asked for. Every error
    leaves here with the token scrubbed.


    >>> HFInference(token="hf_example")
    HFInference(model='bigscience/bloom', provider='auto', token from the token= argument)
    """

    def __init__(
        self,
        model: str = DEFAULT_MODEL,
        token: str | FoundToken | bool | None = None,
        base_url: str | None = None,
        endpoint: str | None = None,
        provider: str | None = None,
        *,
        hub_url: str | None = None,
        router_url: str | None = None,
        session: requests.Session | None = None,
        timeout: float | tuple[float, float] = http.DEFAULT_TIMEOUT,
        deadline: float = DEFAULT_DEADLINE,
    ) -> None:
        arguments.text("model", model, "a model id such as 'bigscience/bloom'", blank=False)
        addresses = {"base_url": base_url, "endpoint": endpoint, "hub_url": hub_url, "router_url": router_url}
        for name, value in addresses.items():
            if value is not None:
                arguments.url(name, value, "an http:// or https:// URL, or None")
        if provider is not None:
            arguments.text("provider", provider, "a provider name such as 'together', or None", blank=False)
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
        self._hub = _hub_url(hub_url)
        self._router = _router_url(router_url)
        found, self._withheld = token_for(token, [endpoint or base_url or ""] if direct else [self._hub, self._router])
        self._found = found
        self._token = found.token if found else None
        self.model = model
        self.base_url = base_url
        self.endpoint = endpoint
        self.provider = None if direct else provider or AUTO
        self.hub_url = hub_url
        self.router_url = router_url
        self.timeout = timeout
        self.deadline = check_seconds(deadline)
        """Seconds a call may take in all (``complete.transports.deadline``)."""
        self.route: Route | None = None
        """Where a hosted model's requests go, once its provider is resolved (None before)."""
        self._session = session if session is not None else http.new_session()
        self._window: object = _UNKNOWN
        self._tokenize_missing = False
        self._delegate: OpenAICompletions | None = None
        self._resolving = threading.Lock()
        self._unsent = Unsent()

    def __repr__(self) -> str:
        settings = ("base_url", "endpoint", "provider", "hub_url", "router_url")
        where = "".join(f", {name}={getattr(self, name)!r}" for name in settings if getattr(self, name) is not None)
        token = f"token from {self.token_source}" if self.token_source else "anonymous"
        return f"HFInference(model={self.model!r}{where}, {token})"

    @property
    def token_source(self) -> str | None:
        """Where the token came from (None: requests are anonymous)."""
        return self._found.source if self._found else None

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
        transport's token, Hub and session; see ``providers.list_providers``."""
        return list_providers(
            model or self.model,
            token=self._found or False,
            hub=self._hub,
            session=self._session,
            timeout=self.timeout,
            refresh=refresh,
        )

    def generate(self, prompt: str, params: Params) -> Generation:
        """One request; the whole continuation."""
        arguments.text("prompt", prompt)
        with within(self.deadline), server_errors.scrubbing(self._token):
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
        return answers.read_whole(response, self._answer(params, url), url=url)

    def stream(self, prompt: str, params: Params) -> Generator[str, None, Generation]:
        """One request; text pieces as they arrive; returns the final ``Generation``.

        The whole stream, like ``generate``, ends within ``deadline`` seconds."""
        return stream_within(self.deadline, self._streaming(prompt, params))

    def _streaming(self, prompt: str, params: Params) -> Generator[str, None, Generation]:
        arguments.text("prompt", prompt)
        with server_errors.scrubbing(self._token):
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
        return (yield from answers.read_stream(response, self._answer(params, url), url=url))

    def _answer(self, params: Params, url: str) -> TGIAnswer:
        return TGIAnswer(
            params,
            model=self._model_name(),
            url=url,
            refused=self._http_error,
            failed=self._failed,
        )

    def _warn_left_out(self, params: Params) -> None:
        """One ``UserWarning`` per transport and parameter the wire cannot carry."""
        why = (
            "the Hugging Face text-generation API (serverless, Inference Endpoints, TGI) has no such parameter. "
            "A llama.cpp server (OpenAICompletions(server='llama.cpp')) or the local model takes it."
        )
        for name, value in left_out(params).items():
            self._unsent.tell(name, value, why, stacklevel=3)

    def count_tokens(self, text: str) -> int | None:
        """Tokens in ``text`` by the server's tokenizer (``endpoint=`` only, via TGI's
        ``/tokenize``); None for hosted models and base_url= servers, or when the server has no
        tokenizer route (404), which is then not asked again."""
        if self.endpoint is None or self._tokenize_missing:
            return None
        with server_errors.scrubbing(self._token):
            return self._count_tokens(self.endpoint, text)

    def _count_tokens(self, endpoint: str, text: str) -> int | None:
        url = f"{endpoint.rstrip('/')}/tokenize"
        response = http.post(self._session, url, {"inputs": text}, headers=self._headers(), timeout=self.timeout)
        data = answers.read_side_route(response, url=url, refused=self._http_error)
        if data is None:
            self._tokenize_missing = True
            return None
        if not isinstance(data, list):
            raise ResponseError(f"the answer from {url} is not a list of tokens", body=repr(data)[:2000])
        return len(data)

    def context_window(self) -> int | None:
        """The model's window (TGI's ``max_total_tokens`` from ``/info``), asked once
        and remembered; None for hosted models and base_url= servers, or when there is no ``/info``."""
        if self.endpoint is None:
            return None
        if self._window is _UNKNOWN:
            with server_errors.scrubbing(self._token):
                self._window = self._context_window(self.endpoint)
        return self._window if isinstance(self._window, int) else None

    def _context_window(self, endpoint: str) -> int | None:
        url = f"{endpoint.rstrip('/')}/info"
        response = http.post(self._session, url, {}, headers=self._headers(), timeout=self.timeout, method="GET")
        data = answers.read_side_route(response, url=url, refused=self._http_error)
        if data is None:
            return None
        window = data.get("max_total_tokens") if isinstance(data, dict) else None
        if not isinstance(window, int) or isinstance(window, bool):
            raise ResponseError(f"the answer from {url} has no max_total_tokens", body=repr(data)[:2000])
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
                from complete.transports.openai.completions import OpenAICompletions

                delegate = OpenAICompletions(
                    base_url=chosen.url,
                    model=chosen.provider_id,
                    api_key=self._token,
                    server=chosen.wire.server,
                    session=self._session,
                    timeout=self.timeout,
                    deadline=self.deadline,
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
        return http.headers(accept, self._token)

    def _http_error(self, response: http.Response, body: bytes) -> CompleteError:
        return refusal(response, body, secret=self._token, advice=self._advice())

    def _failed(self, message: str, data: Mapping[str, Any]) -> CompleteError:
        """The typed error for an error carried in a 2xx body or a stream's event."""
        error_type = data.get("error_type")
        message = server_errors.scrub(message, [self._token])
        return classify(
            None, message, error_type=error_type if isinstance(error_type, str) else None, advice=self._advice()
        )

    def _advice(self) -> Advice:
        return Advice(auth=self._auth_hint(), not_served=self._not_served_hint())

    def _auth_hint(self) -> str:
        if self._withheld:
            return f"{self._withheld} {token_places()}"
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
