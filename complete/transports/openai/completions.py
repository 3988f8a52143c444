"""Any OpenAI-compatible ``/v1/completions`` server: vLLM, llama.cpp, TGI, Ollama, OpenAI.

``OpenAICompletions`` sends the plain-text completions request (not chat: a story is
continued, not answered) over the shared HTTP edge and reads the answer, whole or
streamed. Deliberately not done: retrying (``RetryingTransport``), the chat API, or
sending or showing the API key anywhere but the Authorization header.
"""

from __future__ import annotations

import threading
from collections.abc import Generator, Mapping
from typing import Any

import requests

from complete.errors import (
    APIError,
    CompleteError,
    ModelLoadingError,
    ModelNotFoundError,
    ParamsError,
    RateLimitError,
    ResponseError,
    TransportError,
)
from complete.transports import logit_bias
from complete.transports.deadline import DEFAULT_DEADLINE, check_seconds, stream_within, within
from complete.transports.http import answers, server_errors
from complete.transports.http import edge as http
from complete.transports.http.unsent import Unsent
from complete.transports.openai.detect import detect_server
from complete.transports.openai.wire import DIALECTS, CompletionAnswer, Dialect, completion_body
from complete.values import checks as arguments
from complete.values.generation import Generation
from complete.values.params import Params

__all__ = ["DIALECTS", "OpenAICompletions", "detect_server"]

_UNKNOWN = object()


class OpenAICompletions:
    """A transport for any server with an OpenAI-compatible ``/v1/completions`` route.

    ``server`` names the dialect ("openai", "vllm", "llama.cpp", "tgi", "ollama"),
    which decides the extra parameters sent; None (the default) asks the server once,
    at the first request (see ``detect_server``). ``backend_name`` is recorded in every
    ``Generation`` (``HFInference(provider=...)`` uses "hf"). ``extra_body`` is sent
    as it is in every completion request, beside what ``Params`` say (the embedded
    engine sends llama-server's ``ignore_eos`` that way); ``name`` is what the
    waiting line calls the server (default: its host and port).


    Errors. ``{"error": {"message", "type", "code"}}``, vLLM's older flat ``{"object":
    "error", "message"}``, FastAPI's ``{"detail": [...]}`` and TGI's ``{"error": "...",
    "error_type"}`` all give the server's own words; status codes map through
    ``server_errors.status_error``. ``context_length_exceeded`` (OpenAI, vLLM, llama-cpp-python),
    ``exceed_context_size_error`` (llama-server) and the messages these servers send for a
    prompt that does not fit (TGI's "must be <= N" included) become ``ContextLimitError``
    with ``limit`` and ``prompt_tokens`` when the message says them. In a stream, an
    ``error`` event becomes the same typed error, the text received so far is kept in
    ``.partial``, and a stream that ends without ``data: [DONE]`` is a
    ``TransportError``. A stream request answered with any declared type but an event
    stream is read whole as JSON (a server that ignores ``stream``), so a proxy's HTML
    page is the ``ResponseError`` it is. Only the start of an error body is read
    (``http.read_error_body``). llama-cpp-python answers a streamed request whose prompt does
    not fit with an empty 200 stream; for ``server="llama.cpp"`` an empty, unfinished
    stream is therefore followed by one non-streamed probe (``max_tokens: 1``) so that
    the writer gets the server's real ``ContextLimitError`` instead of a cut stream.

    Token counts. For ``server="llama.cpp"`` only, ``count_tokens`` asks the server's
    tokenizer (llama-cpp-python's ``/extras/tokenize/count``, else llama-server's
    ``/tokenize``), and ``context_window`` reads llama-server's ``/props``; the
    llama-cpp-python server has no such route, so there the window is learned from the
    first ``ContextLimitError`` it reports. Other dialects return None from both.

    >>> transport = OpenAICompletions("http://127.0.0.1:8080/v1", api_key="sk-secret", server="llama.cpp")
    >>> transport
    OpenAICompletions(base_url='http://127.0.0.1:8080/v1', model=None, server='llama.cpp')
    >>> transport.describe()
    {'backend': 'openai', 'base_url': 'http://127.0.0.1:8080/v1', 'model': None, 'server': 'llama.cpp'}
    """

    DEFAULT_URL = "http://127.0.0.1:8080/v1"
    """Where a server started with its own defaults listens (llama-server, TGI's docs)."""

    def __init__(
        self,
        base_url: str = DEFAULT_URL,
        model: str | None = None,
        api_key: str | None = None,
        *,
        server: str | None = None,
        session: requests.Session | None = None,
        timeout: float | tuple[float, float] = http.DEFAULT_TIMEOUT,
        deadline: float = DEFAULT_DEADLINE,
        backend_name: str = "openai",
        extra_body: Mapping[str, Any] | None = None,
        name: str | None = None,
    ) -> None:
        arguments.url("base_url", base_url)
        if server is not None and server not in DIALECTS:
            allowed = "one of " + ", ".join(map(repr, DIALECTS)) + ", or None to ask the server"
            raise ParamsError(field="server", value=server, allowed=allowed)
        if model is not None and not isinstance(model, str):
            raise ParamsError(field="model", value=model, allowed="a model name (str) or None")
        self.base_url = base_url.rstrip("/")
        self.model = model
        self.server = server
        self.timeout = timeout
        self.deadline = check_seconds(deadline)
        """Seconds a call may take in all (``complete.transports.deadline``)."""
        self.backend_name = backend_name
        self.session = session if session is not None else http.new_session()
        self.auth_hint = f"The server at {self.base_url} refused the request. " + (
            "Check the API key passed as api_key=."
            if api_key
            else "It may want an API key: pass api_key=... (sent as 'Authorization: Bearer ...')."
        )
        """Said under a 401/403; ``HFInference`` replaces it with its token advice."""
        self._api_key = api_key or None
        self._extra_body = dict(extra_body or {})
        self._name = name
        self._root = self.base_url.removesuffix("/v1")
        self._lock = threading.Lock()
        self._unsent = Unsent()
        self._token_route: object = _UNKNOWN
        self._window: object = _UNKNOWN
        self._learned_window: int | None = None

    def __repr__(self) -> str:
        return f"OpenAICompletions(base_url={self.base_url!r}, model={self.model!r}, server={self.server!r})"

    def describe(self) -> dict[str, Any]:
        """What this transport is, for saving a session; never the API key."""
        return {
            "backend": self.backend_name or "openai",
            "base_url": self.base_url,
            "model": self.model,
            "server": self.server,
        }

    @property
    def _dialect(self) -> Dialect:
        """The server's dialect: as given, or asked of the server once.

        The server is asked under the lock, so parallel first requests ask it once.
        A server that cannot be reached is not asked: the request goes out with the
        standard fields and fails as it would have, naming the address the writer
        gave, and the server is asked again before the next request.
        """
        server = self.server
        if server is None:
            with self._lock:
                server = self.server
                if server is None:
                    try:
                        with server_errors.scrubbing(self._api_key):
                            server = detect_server(
                                self.session, self._root, self._headers("application/json"), self.timeout
                            )
                    except TransportError:
                        return DIALECTS["openai"]
                    self.server = server
        return DIALECTS[server]

    # -- the protocol ---------------------------------------------------------------

    def generate(self, prompt: str, params: Params) -> Generation:
        """One request; the whole continuation."""
        arguments.text("prompt", prompt)
        with within(self.deadline), server_errors.scrubbing(self._api_key):
            url = f"{self.base_url}/completions"
            response = self._send(url, self._body(prompt, params, stream=False))
            return answers.read_whole(response, self._answer(params, url, {}), url=url)

    def stream(self, prompt: str, params: Params) -> Generator[str, None, Generation]:
        """One request; yields text pieces as they arrive and returns the Generation.

        A failure part-way raises the typed error with the text so far in ``.partial``.
        """
        return stream_within(self.deadline, self._streaming(prompt, params))

    def _streaming(self, prompt: str, params: Params) -> Generator[str, None, Generation]:
        arguments.text("prompt", prompt)
        with server_errors.scrubbing(self._api_key):
            url = f"{self.base_url}/completions"
            request = self._body(prompt, params, stream=True)
            response = self._send(url, request, accept="text/event-stream")
            return (yield from answers.read_stream(response, self._answer(params, url, request), url=url))

    def _answer(self, params: Params, url: str, request: Mapping[str, Any]) -> CompletionAnswer:
        def cut_short(events: int) -> None:
            if not events and self._dialect.name == "llama.cpp":
                self._probe(url, request)

        return CompletionAnswer(
            params,
            model=self.model,
            backend=self.backend_name,
            url=self.base_url,
            refused=self._error,
            failed=lambda message, data: self._classify(None, message, data),
            cut_short=cut_short,
            counts_end_of_text=self._dialect.name == "llama.cpp",
        )

    # -- token counts (llama.cpp only) ------------------------------------------------

    def count_tokens(self, text: str) -> int | None:
        """Tokens the server's tokenizer reads for ``text`` (BOS included), or None.

        Only ``server="llama.cpp"`` has a tokenize route; other dialects return None.
        """
        if not self._dialect.tokenizer or self._token_route is None:
            return None
        with server_errors.scrubbing(self._api_key):
            return self._count_tokens(text)

    def _count_tokens(self, text: str) -> int | None:
        routes: tuple[str, ...] = ("extras", "tokenize") if self._token_route is _UNKNOWN else (str(self._token_route),)
        for route in routes:
            url: str
            body: dict[str, Any]
            if route == "extras":
                url, body = f"{self._root}/extras/tokenize/count", {"input": text}
                if self.model is not None:
                    body["model"] = self.model
            else:
                url, body = f"{self._root}/tokenize", {"content": text, "add_special": True}
            data = self._json(url, body)
            if data is None:
                continue
            tokens = data.get("tokens")
            count = data.get("count") if route == "extras" else len(tokens) if isinstance(tokens, list) else None
            if not isinstance(count, int) or isinstance(count, bool):
                raise ResponseError(f"{url} answered without a token count: {data!r:.200}", body=repr(data)[:2000])
            self._token_route = route
            return count
        self._token_route = None
        return None

    def token_ids(self, text: str) -> list[int] | None:
        """The ids of ``text``'s tokens, no special tokens (llama.cpp, vLLM; else None)."""
        with server_errors.scrubbing(self._api_key):
            return logit_bias.ask_ids(self._dialect.name, self._root, self.model, text, self._json)

    def context_window(self) -> int | None:
        """The model's window in tokens, if the server says it (llama.cpp only).

        llama-server's ``/props`` is read once; llama-cpp-python's server has no such
        route, so its window is known after it first reports a ``ContextLimitError``.
        """
        if not self._dialect.tokenizer:
            return None
        if self._window is _UNKNOWN:
            with server_errors.scrubbing(self._api_key):
                data = self._json(f"{self._root}/props", None)
            settings = data.get("default_generation_settings") if data else None
            size = settings.get("n_ctx") if isinstance(settings, dict) else None
            if size is None and data:
                size = data.get("n_ctx")
            self._window = size if isinstance(size, int) and not isinstance(size, bool) and size > 0 else None
        return self._window if isinstance(self._window, int) else self._learned_window

    # -- requests ----------------------------------------------------------------

    def _headers(self, accept: str) -> dict[str, str]:
        return http.headers(accept, self._api_key)

    def _send(self, url: str, body: Mapping[str, Any] | None, accept: str = "application/json") -> http.Response:
        method = "POST" if body is not None else "GET"
        headers = self._headers(accept)
        return http.post(
            self.session, url, body or {}, headers=headers, timeout=self.timeout, method=method, name=self._name
        )

    def _json(self, url: str, body: Mapping[str, Any] | None) -> dict[str, Any] | None:
        """A small JSON request to a side route; None when the server lacks the route."""
        data = answers.read_side_route(self._send(url, body), url=url, refused=self._error)
        if data is not None and not isinstance(data, dict):
            raise ResponseError(f"{url} answered with JSON that is not an object", body=repr(data)[:2000])
        return data

    def _body(self, prompt: str, params: Params, *, stream: bool) -> dict[str, Any]:
        warn, ids = self._warn, self.token_ids
        body = completion_body(
            prompt, params, self._dialect, model=self.model, stream=stream, left_out=warn, token_ids=ids
        )
        body.update(self._extra_body)
        return body

    def _warn(self, name: str, value: object) -> None:
        honour = " or ".join(repr(dialect.name) for dialect in DIALECTS.values() if name in dialect.names)
        why = (
            f"server={self.server!r} does not accept it on /v1/completions (it is honoured with "
            f"server={honour}). Pass the server= your server really is to use it."
        )
        self._unsent.tell(name, value, why, stacklevel=4)

    def _probe(self, url: str, request: Mapping[str, Any]) -> None:
        """After an empty stream from llama-cpp-python, ask once without streaming.

        That server reports a prompt over its window only outside a stream; a probe
        of one token returns that error (raised here) or nothing (the caller then
        raises the cut stream as it is).
        """
        probe = {key: value for key, value in request.items() if key != "logprobs"}
        probe.update(stream=False, max_tokens=1)
        try:
            response = self._send(url, probe)
        except TransportError:
            # That server resets the connection the failed stream came on, and the
            # pool may hand it out again before noticing: one fresh try.
            response = self._send(url, probe)
        if not 200 <= response.status_code < 300:
            raise self._error(response, http.read_error_body(response))
        http.read_body(response)

    def _error(self, response: http.Response, body: bytes) -> CompleteError:
        message = server_errors.server_message(response, body, [self._api_key])
        data = http.json_or_none(body)
        return self._classify(response.status_code, message, data, response.headers)

    def _classify(
        self, status: int | None, message: str, data: object, headers: Mapping[str, str] | None = None
    ) -> CompleteError:
        """The error-tree class for an error body (``status`` is None inside a stream)."""
        message = server_errors.scrub(message, [self._api_key])
        fields = _error_fields(data)
        kind, code = str(fields.get("type") or ""), fields.get("code")
        if status is None and isinstance(code, int) and not isinstance(code, bool) and 400 <= code < 600:
            status = code
        lowered = message.lower()
        overflow = server_errors.context_limit_error(
            status,
            message,
            fields,
            hint="Shorten the prompt (a Window trims the oldest text to fit), or lower max_new_tokens.",
        )
        if overflow is not None:
            if overflow.limit is not None and self.server is not None and DIALECTS[self.server].tokenizer:
                self._learned_window = overflow.limit
            return overflow
        if code == "model_not_found" or kind in ("not_found_error", "NotFoundError"):
            return ModelNotFoundError(status=status, message=message, hint=self._not_found_hint())
        estimate = server_errors.estimated_time(fields) or server_errors.estimated_time(data)
        if status == 503 and ("loading" in lowered or kind == "unavailable_error" or estimate is not None):
            return ModelLoadingError(status=status, message=message, estimated_time=estimate)
        if status is None:
            if code == "rate_limit_exceeded" or kind in ("overloaded", "rate_limit_error"):
                return RateLimitError(status=None, message=message)
            return APIError(status=None, message=message)
        return server_errors.status_error(
            status, message, headers or {}, auth_hint=self.auth_hint, not_found_hint=self._not_found_hint()
        )

    def _not_found_hint(self) -> str:
        return (
            f"Check base_url={self.base_url!r} (OpenAI-compatible servers serve /v1/completions, "
            f"so it usually ends in /v1) and model={self.model!r}."
        )


def _error_fields(data: object) -> dict[str, Any]:
    """The object holding ``type``/``code`` in any error body shape, or {}."""
    if not isinstance(data, dict):
        return {}
    error = data.get("error")
    if isinstance(error, dict):
        return error
    if isinstance(error, str):
        return {"type": data.get("error_type")}
    return data
