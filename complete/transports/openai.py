"""Any OpenAI-compatible ``/v1/completions`` server: vLLM, llama.cpp, TGI, Ollama, OpenAI.

``OpenAICompletions`` sends the plain-text completions request (not chat: a story is
continued, not answered) and reads the answer, whole or as server-sent events. It is
built on the shared HTTP edge (``complete.transports.http``) and SSE reader
(``complete.transports.sse``), so connection failures, timeouts and error bodies
become the same ``complete.errors`` classes as for every other server.

What is sent. Every server gets ``prompt``, ``max_tokens`` (``max_new_tokens``),
``stream``, and, when set, ``model``, ``temperature``, ``top_p``, ``seed`` and ``stop``.
``do_sample=False`` is sent as ``temperature: 0`` (greedy), because these servers have
no ``do_sample``. The other parameters are extras that only some servers take, so
``server=`` names the dialect and only what that server accepts is sent ("yes": under
the field's own name; a name: under that name; "no": left out). Left out, the dialect
is asked of the server once, before the first request (``detect_server``:
llama-server answers ``/props``, vLLM ``/version``, Ollama ``/api/version``, TGI
``/info``; anything else is "openai"):

==================  ======  ====  =========================  ===  ======
``Params`` field    openai  vllm  llama.cpp                  tgi  ollama
==================  ======  ====  =========================  ===  ======
top_k               no      yes   yes                        no   no
repetition_penalty  no      yes   ``repeat_penalty``         yes  no
logprobs            yes     yes   yes                        no   yes
min_p               no      yes   yes                        no   no
typical_p           no      no    yes                        no   no
presence_penalty    yes     yes   yes                        no   yes
frequency_penalty   yes     yes   yes                        yes  yes
repetition_window   no      no    ``repeat_last_n``          no   no
dry_multiplier      no      no    yes                        no   no
dry_base            no      no    yes                        no   no
dry_allowed_length  no      no    yes                        no   no
dry_window          no      no    ``dry_penalty_last_n``     no   no
dry_breakers        no      no    ``dry_sequence_breakers``  no   no
xtc_probability     no      no    yes                        no   no
xtc_threshold       no      no    yes                        no   no
mirostat            no      no    yes                        no   no
mirostat_tau        no      no    yes                        no   no
mirostat_eta        no      no    yes                        no   no
==================  ======  ====  =========================  ===  ======

Checked against (read with the project's source-search tools):

- "openai": OpenAI's legacy completions API, ``CreateCompletionRequest`` in its
  OpenAPI description (``frequency_penalty`` and ``presence_penalty`` -2 .. 2,
  ``logprobs``; no top-k or other samplers).
- "vllm": vLLM's ``CompletionRequest`` (``vllm/entrypoints/openai/completion/
  protocol.py``, 2026): the OpenAI fields plus ``top_k``, ``min_p`` and
  ``repetition_penalty`` among its sampling extras; no typical-p, penalty window,
  DRY, XTC or mirostat.
- "llama.cpp": llama.cpp's ``llama-server`` (``tools/server/README.md``,
  ``server-schema.cpp``; live, xllamacpp 2026.10.11549): every sampler of
  ``Params``, under the names in ``complete.transports.llama_samplers``, which the
  embedded engine shares. llama-cpp-python's 0.3 server (``CreateCompletionRequest``
  in ``llama_cpp/server/types.py``) takes ``top_k``, ``min_p``, ``repeat_penalty``,
  the presence and frequency penalties and ``logprobs``, and silently ignores the
  rest: it has no typical-p, penalty window, DRY or XTC, and calls mirostat
  ``mirostat_mode``.
- "tgi": text-generation-inference 3.3's ``CompletionRequest``
  (``router/src/lib.rs``): ``repetition_penalty`` and ``frequency_penalty`` only.
  (TGI's own schema, 2.x and 3.x, lists ``repetition_penalty``, so it is sent.)
- "ollama": Ollama's ``openai.CompletionRequest`` (``openai/openai.go``, 2026):
  ``frequency_penalty``, ``presence_penalty`` and ``logprobs`` (older versions
  ignore logprobs); no top-k.

A parameter the chosen server cannot take is left out and a ``UserWarning`` says so,
once per transport and parameter, naming the ``server=`` values that honour it.
Nothing fails: a story written with ``top_k`` still continues on a server without it.

When streaming, "openai", "vllm" and "ollama" are also sent ``stream_options:
{"include_usage": true}`` so that a stream reports token counts too (llama.cpp's
servers and TGI do not document it; their streams carry no counts).

What is read. ``choices[0].text``; ``usage.prompt_tokens`` / ``completion_tokens``;
``model``; ``logprobs`` in OpenAI's legacy shape (``tokens``, ``token_logprobs``,
``top_logprobs``) or the newer ``{"content": [...]}`` shape (Ollama, llama-server),
as ``TokenLogprob`` values. ``finish_reason``: "length" is "length"; TGI's
"eos_token" is "eos" and "stop_sequence" is "stop"; OpenAI's "stop" cannot tell an
end-of-text token from a stop string, so it is "stop" when the writer gave stop
strings and "eos" when none were given (vLLM's ``stop_reason``, when present,
decides instead: null means end of text). ``""`` or null means not finished, and a
reason outside these (``content_filter``, ``abort``) is None.

Errors. ``{"error": {"message", "type", "code"}}``, vLLM's older flat ``{"object":
"error", "message"}``, FastAPI's ``{"detail": [...]}`` and TGI's ``{"error": "...",
"error_type"}`` all give the server's own words; status codes map through
``http.status_error``. ``context_length_exceeded`` (OpenAI, vLLM, llama-cpp-python),
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

This module deliberately does not retry (see ``retrying.py``), does not speak the
chat API, and never sends or shows the API key anywhere but the Authorization
header: not in ``repr``, ``describe()``, errors (scrubbed even where a server echoes
it) or warnings.
"""

from __future__ import annotations

import json
import re
import threading
import warnings
from collections.abc import Generator, Mapping
from typing import Any

import attrs
import requests

from complete.errors import (
    APIError,
    CompleteError,
    ContextLimitError,
    ModelLoadingError,
    ModelNotFoundError,
    ParamsError,
    RateLimitError,
    ResponseError,
    TransportError,
)
from complete.generation import FinishReason, Generation, TokenLogprob
from complete.params import Params
from complete.transports import http, sse
from complete.transports.llama_samplers import LLAMA_SERVER_NAMES

__all__ = ["DIALECTS", "Dialect", "OpenAICompletions", "detect_server"]


@attrs.frozen
class Dialect:
    """What one kind of server accepts beyond the standard completion fields.

    ``extras`` maps a ``Params`` field to the name that server gives it on the wire;
    ``tokenizer`` says it has tokenize and window routes; ``stream_usage`` that it
    takes ``stream_options: {"include_usage": true}`` (token counts in a stream).
    """

    name: str
    extras: Mapping[str, str]
    tokenizer: bool = False
    stream_usage: bool = False


def _same_names(*fields: str) -> dict[str, str]:
    return {field: field for field in fields}


DIALECTS: Mapping[str, Dialect] = {
    "openai": Dialect("openai", _same_names("presence_penalty", "frequency_penalty", "logprobs"), stream_usage=True),
    "vllm": Dialect(
        "vllm",
        _same_names("top_k", "min_p", "repetition_penalty", "presence_penalty", "frequency_penalty", "logprobs"),
        stream_usage=True,
    ),
    "llama.cpp": Dialect("llama.cpp", {**LLAMA_SERVER_NAMES, "logprobs": "logprobs"}, tokenizer=True),
    "tgi": Dialect("tgi", _same_names("repetition_penalty", "frequency_penalty")),
    "ollama": Dialect("ollama", _same_names("presence_penalty", "frequency_penalty", "logprobs"), stream_usage=True),
}
"""The ``server=`` values and what each accepts (see the module docstring)."""

_STANDARD = frozenset({"temperature", "top_p", "max_new_tokens", "seed", "stop", "do_sample"})
_EXTRAS = tuple(name for name in attrs.fields_dict(Params) if name not in _STANDARD)
"""Every other field: sent where the dialect takes it, else warned about, never silently dropped."""
_DONE = "[DONE]"
_UNKNOWN = object()

_CONTEXT_MARKERS = (
    "maximum context length",
    "exceeds the available context size",
    "exceed context window",
    "`inputs` tokens + `max_new_tokens` must be",
    "`inputs` must have less than",
)
_LIMIT = (
    re.compile(r"maximum context length is (\d+)"),
    re.compile(r"available context size \((\d+) tokens\)"),
    re.compile(r"exceed context window of (\d+)"),
    re.compile(r"`max_new_tokens` must be <= (\d+)"),
)
_PROMPT_TOKENS = (
    re.compile(r"\((\d+) in your prompt"),
    re.compile(r"\((\d+) in the messages"),
    re.compile(r"your request has (\d+) input tokens"),
    re.compile(r"request \((\d+) tokens\) exceeds"),
    re.compile(r"Requested tokens \((\d+)\)"),
    re.compile(r"Given: (\d+) `inputs` tokens"),
    re.compile(r"must have less than \d+ tokens\. Given: (\d+)"),
)


_PROBES: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    # route, dialect, keys its JSON answer has (any of them)
    ("props", "llama.cpp", ("default_generation_settings", "total_slots")),
    ("version", "vllm", ("version",)),
    ("api/version", "ollama", ("version",)),
    ("info", "tgi", ("model_id",)),
)


def detect_server(
    session: requests.Session, root: str, headers: Mapping[str, str], timeout: float | tuple[float, float]
) -> str:
    """The dialect of the server at ``root`` (its address without ``/v1``), asked of it.

    llama-server answers ``GET /props``, vLLM ``GET /version``, Ollama ``GET
    /api/version`` and TGI ``GET /info``, each with a JSON object that names what it
    is; the routes are asked in that order and the first that answers so wins. A
    server that answers none of them (OpenAI itself, llama-cpp-python's server, a
    proxy) is "openai": the standard fields only. A server that cannot be reached
    raises the ``TransportError`` the completion itself would have raised.
    """
    for route, name, keys in _PROBES:
        response = http.post(session, f"{root}/{route}", {}, headers=headers, timeout=timeout, method="GET")
        body = http.read_error_body(response)
        data = http.json_or_none(body) if response.status_code == 200 else None
        if isinstance(data, dict) and any(key in data for key in keys):
            return name
    return "openai"


class OpenAICompletions:
    """A transport for any server with an OpenAI-compatible ``/v1/completions`` route.

    ``server`` names the dialect ("openai", "vllm", "llama.cpp", "tgi", "ollama"),
    which decides the extra parameters sent; None (the default) asks the server once,
    at the first request (see ``detect_server``). ``backend_name`` is recorded in every
    ``Generation`` (``HFInference(provider=...)`` uses "hf"). ``extra_body`` is sent
    as it is in every completion request, beside what ``Params`` say (the embedded
    engine sends llama-server's ``ignore_eos`` that way).

    >>> transport = OpenAICompletions("http://127.0.0.1:8080/v1", api_key="sk-secret", server="llama.cpp")
    >>> transport
    OpenAICompletions(base_url='http://127.0.0.1:8080/v1', model=None, server='llama.cpp')
    >>> transport.describe()
    {'backend': 'openai', 'base_url': 'http://127.0.0.1:8080/v1', 'model': None, 'server': 'llama.cpp'}
    """

    def __init__(
        self,
        base_url: str = "http://127.0.0.1:8080/v1",
        model: str | None = None,
        api_key: str | None = None,
        *,
        server: str | None = None,
        session: requests.Session | None = None,
        timeout: float | tuple[float, float] = http.DEFAULT_TIMEOUT,
        backend_name: str = "openai",
        extra_body: Mapping[str, Any] | None = None,
    ) -> None:
        if not isinstance(base_url, str) or not base_url.startswith(("http://", "https://")):
            raise ParamsError(field="base_url", value=base_url, allowed="an http:// or https:// URL")
        if server is not None and server not in DIALECTS:
            allowed = "one of " + ", ".join(map(repr, DIALECTS)) + ", or None to ask the server"
            raise ParamsError(field="server", value=server, allowed=allowed)
        if model is not None and not isinstance(model, str):
            raise ParamsError(field="model", value=model, allowed="a model name (str) or None")
        self.base_url = base_url.rstrip("/")
        self.model = model
        self.server = server
        self.timeout = timeout
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
        self._known_dialect = DIALECTS[server] if server is not None else None
        self._root = self.base_url.removesuffix("/v1")
        self._lock = threading.Lock()
        self._warned: set[str] = set()
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
        """The server's dialect: as given, or asked of the server once."""
        dialect = self._known_dialect
        if dialect is None:
            with http.scrubbing(self._api_key):
                name = detect_server(self.session, self._root, self._headers("application/json"), self.timeout)
            with self._lock:
                if self._known_dialect is None:
                    self._known_dialect = DIALECTS[name]
                    self.server = name
                dialect = self._known_dialect
        return dialect

    # -- the protocol ---------------------------------------------------------------

    def generate(self, prompt: str, params: Params) -> Generation:
        """One request; the whole continuation."""
        _check_prompt(prompt)
        with http.scrubbing(self._api_key):
            return self._generate(prompt, params)

    def _generate(self, prompt: str, params: Params) -> Generation:
        url = f"{self.base_url}/completions"
        response = self._send(url, self._body(prompt, params, stream=False))
        if response.status_code != 200:
            raise self._error(response, http.read_error_body(response))
        body = http.read_body(response)
        return self._generation(http.parse_json(body, url=url), params, body)

    def stream(self, prompt: str, params: Params) -> Generator[str, None, Generation]:
        """One request; yields text pieces as they arrive and returns the Generation.

        A failure part-way raises the typed error with the text so far in ``.partial``.
        """
        _check_prompt(prompt)
        with http.scrubbing(self._api_key):
            return (yield from self._stream(prompt, params))

    def _stream(self, prompt: str, params: Params) -> Generator[str, None, Generation]:
        url = f"{self.base_url}/completions"
        request = self._body(prompt, params, stream=True)
        response = self._send(url, request, accept="text/event-stream")
        pieces: list[str] = []
        try:
            if response.status_code != 200:
                raise self._error(response, http.read_error_body(response))
            content_type = response.headers.get("Content-Type", "")
            if content_type and "event-stream" not in content_type:
                # A server that ignores "stream": true answers with one JSON body. Any
                # other declared type (a proxy's HTML page, plain text) is read the same
                # way, so it fails as the ResponseError it is, not as a stream cut short.
                body = http.read_body(response)
                generation = self._generation(http.parse_json(body, url=url), params, body)
                if generation.text:
                    pieces.append(generation.text)
                    yield generation.text
                return generation
            state = _StreamState(model=self.model)
            events = sse.iter_events(http.iter_body(response))
            done = False
            for event in events:
                if event.data.strip() == _DONE:
                    done = True
                    break
                piece = self._chunk(state, event.data, params)
                if piece:
                    pieces.append(piece)
                    yield piece
            if not done:
                if not state.events and self._dialect.name == "llama.cpp":
                    self._probe(url, request)
                raise TransportError(
                    f"the stream from {url} ended before its final 'data: [DONE]' event"
                    + (" (no event at all was received)" if not state.events else "")
                )
            try:
                for _ in events:  # read to the end so the connection can be reused
                    pass
            except CompleteError:
                pass  # the answer is complete; only the connection is lost
            return Generation(
                text="".join(pieces),
                finish_reason=state.finish_reason,
                prompt_tokens=state.prompt_tokens,
                completion_tokens=state.completion_tokens,
                backend=self.backend_name,
                model=state.model,
                seed=params.seed,
                logprobs=tuple(state.logprobs) if state.logprobs else None,
            )
        except CompleteError as error:
            error.partial = "".join(pieces)
            raise
        finally:
            response.close()

    # -- token counts (llama.cpp only) ------------------------------------------------

    def count_tokens(self, text: str) -> int | None:
        """Tokens the server's tokenizer reads for ``text`` (BOS included), or None.

        Only ``server="llama.cpp"`` has a tokenize route; other dialects return None.
        """
        if not self._dialect.tokenizer or self._token_route is None:
            return None
        with http.scrubbing(self._api_key):
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
            count = data.get("count") if route == "extras" else _length(data.get("tokens"))
            if not isinstance(count, int) or isinstance(count, bool):
                raise ResponseError(f"{url} answered without a token count: {data!r:.200}", body=json.dumps(data))
            self._token_route = route
            return count
        self._token_route = None
        return None

    def context_window(self) -> int | None:
        """The model's window in tokens, if the server says it (llama.cpp only).

        llama-server's ``/props`` is read once; llama-cpp-python's server has no such
        route, so its window is known after it first reports a ``ContextLimitError``.
        """
        if not self._dialect.tokenizer:
            return None
        if self._window is _UNKNOWN:
            with http.scrubbing(self._api_key):
                data = self._json(f"{self._root}/props", None)
            settings = data.get("default_generation_settings") if data else None
            size = settings.get("n_ctx") if isinstance(settings, dict) else None
            if size is None and data:
                size = data.get("n_ctx")
            self._window = size if isinstance(size, int) and not isinstance(size, bool) and size > 0 else None
        return self._window if isinstance(self._window, int) else self._learned_window

    # -- requests ----------------------------------------------------------------

    def _headers(self, accept: str) -> dict[str, str]:
        headers = {"Accept": accept}
        if self._api_key:
            headers["Authorization"] = f"Bearer {self._api_key}"
        return headers

    def _send(self, url: str, body: Mapping[str, Any] | None, accept: str = "application/json") -> requests.Response:
        method = "POST" if body is not None else "GET"
        return http.post(
            self.session, url, body or {}, headers=self._headers(accept), timeout=self.timeout, method=method
        )

    def _json(self, url: str, body: Mapping[str, Any] | None) -> dict[str, Any] | None:
        """A small JSON request to a side route; None when the server lacks the route."""
        response = self._send(url, body)
        content = http.read_body(response)
        if response.status_code in (404, 405):
            return None
        if response.status_code != 200:
            raise self._error(response, content)
        data = http.parse_json(content, url=url)
        if not isinstance(data, dict):
            raise ResponseError(f"{url} answered with JSON that is not an object", body=content[:2000])
        return data

    def _body(self, prompt: str, params: Params, *, stream: bool) -> dict[str, Any]:
        body: dict[str, Any] = {}
        if self.model is not None:
            body["model"] = self.model
        body["prompt"] = prompt
        body["max_tokens"] = params.max_new_tokens
        temperature = 0.0 if params.do_sample is False else params.temperature
        if temperature is not None:
            body["temperature"] = temperature
        if params.top_p is not None:
            body["top_p"] = params.top_p
        if params.seed is not None:
            body["seed"] = params.seed
        if params.stop:
            body["stop"] = list(params.stop)
        body["stream"] = stream
        dialect = self._dialect
        if stream and dialect.stream_usage:
            body["stream_options"] = {"include_usage": True}
        for name in _EXTRAS:
            value = getattr(params, name)
            if value is None or value == ():
                continue
            wire = dialect.extras.get(name)
            if wire is None:
                self._warn(name, value)
            elif name == "logprobs" and dialect.name == "llama.cpp":
                body[wire] = max(1, value)  # llama-server reports nothing for 0; the extra is cut when read
            else:
                body[wire] = list(value) if isinstance(value, tuple) else value
        body.update(self._extra_body)
        return body

    def _warn(self, name: str, value: object) -> None:
        with self._lock:
            if name in self._warned:
                return
            self._warned.add(name)
        honour = " or ".join(repr(dialect.name) for dialect in DIALECTS.values() if name in dialect.extras)
        warnings.warn(
            f"{name}={value!r} is not sent: server={self.server!r} does not accept it on /v1/completions "
            f"(it is honoured with server={honour}). Pass the server= your server really is to use it.",
            UserWarning,
            stacklevel=4,
        )

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
        if response.status_code != 200:
            raise self._error(response, http.read_error_body(response))
        http.read_body(response)

    # -- answers -----------------------------------------------------------------

    def _generation(self, data: Any, params: Params, body: bytes) -> Generation:
        if isinstance(data, dict) and (data.get("error") or data.get("object") == "error"):
            raise self._classify(None, http.json_message(data), data)
        choice = _first_choice(data, body)
        text = choice.get("text")
        if not isinstance(text, str):
            raise ResponseError(f"the answer from {self.base_url} has no text in choices[0]", body=body[:2000])
        usage = data.get("usage")
        usage = usage if isinstance(usage, dict) else {}
        model = data.get("model")
        return Generation(
            text=text,
            finish_reason=_finish_reason(choice, params),
            prompt_tokens=_count(usage.get("prompt_tokens")),
            completion_tokens=_count(usage.get("completion_tokens")),
            backend=self.backend_name,
            model=model if isinstance(model, str) and model else self.model,
            seed=params.seed,
            logprobs=_logprobs(choice.get("logprobs"), body, keep=0 if params.logprobs == 0 else None),
        )

    def _chunk(self, state: _StreamState, data_text: str, params: Params) -> str:
        """Fold one streamed event into ``state``; returns its text piece."""
        state.events += 1
        raw = data_text.encode("utf-8", "surrogateescape")
        try:
            data = json.loads(data_text)
        except ValueError as exc:
            raise ResponseError(
                f"an event from {self.base_url} is not JSON: {data_text[:200]!r}", body=raw[:2000]
            ) from exc
        if not isinstance(data, dict):
            raise ResponseError(f"an event from {self.base_url} is not a JSON object", body=raw[:2000])
        if data.get("error") or data.get("object") == "error":
            raise self._classify(None, http.json_message(data) or data_text[:2000], data)
        model = data.get("model")
        if isinstance(model, str) and model:
            state.model = model
        usage = data.get("usage")
        if isinstance(usage, dict):
            state.prompt_tokens = _count(usage.get("prompt_tokens"))
            state.completion_tokens = _count(usage.get("completion_tokens"))
        if not data.get("choices"):  # a usage-only chunk (stream_options.include_usage)
            return ""
        choice = _first_choice(data, raw)
        text = choice.get("text", "")
        if not isinstance(text, str):
            raise ResponseError(f"an event from {self.base_url} has a non-text choices[0].text", body=raw[:2000])
        reason = _finish_reason(choice, params)
        if reason is not None:
            state.finish_reason = reason
        logprobs = _logprobs(choice.get("logprobs"), raw, keep=0 if params.logprobs == 0 else None)
        if logprobs:
            state.logprobs.extend(logprobs)
        return text

    def _error(self, response: requests.Response, body: bytes) -> CompleteError:
        message = http.server_message(response, body, [self._api_key])
        data = http.json_or_none(body)
        return self._classify(response.status_code, message, data, response.headers)

    def _classify(
        self, status: int | None, message: str, data: object, headers: Mapping[str, str] | None = None
    ) -> CompleteError:
        """The error-tree class for an error body (``status`` is None inside a stream)."""
        message = http.scrub(message, [self._api_key])
        fields = _error_fields(data)
        kind, code = str(fields.get("type") or ""), fields.get("code")
        if status is None and isinstance(code, int) and not isinstance(code, bool) and 400 <= code < 600:
            status = code
        lowered = message.lower()
        if (
            code in ("context_length_exceeded", "context_window_exceeded")
            or kind == "exceed_context_size_error"
            or any(marker.lower() in lowered for marker in _CONTEXT_MARKERS)
        ):
            limit = _int_field(fields, "n_ctx") or _search(_LIMIT, message)
            prompt_tokens = _int_field(fields, "n_prompt_tokens") or _search(_PROMPT_TOKENS, message)
            if limit is not None and self._known_dialect is not None and self._known_dialect.tokenizer:
                self._learned_window = limit
            return ContextLimitError(
                status=status,
                message=message,
                limit=limit,
                prompt_tokens=prompt_tokens,
                hint="Shorten the prompt (a Window trims the oldest text to fit), or lower max_new_tokens.",
            )
        if code == "model_not_found" or kind in ("not_found_error", "NotFoundError"):
            return ModelNotFoundError(status=status, message=message, hint=self._not_found_hint())
        if status == 503 and ("loading" in lowered or kind == "unavailable_error"):
            return ModelLoadingError(status=status, message=message)
        if status is None:
            if code == "rate_limit_exceeded" or kind in ("overloaded", "rate_limit_error"):
                return RateLimitError(status=None, message=message)
            return APIError(status=None, message=message)
        return http.status_error(
            status, message, headers or {}, auth_hint=self.auth_hint, not_found_hint=self._not_found_hint()
        )

    def _not_found_hint(self) -> str:
        return (
            f"Check base_url={self.base_url!r} (OpenAI-compatible servers serve /v1/completions, "
            f"so it usually ends in /v1) and model={self.model!r}."
        )


@attrs.define
class _StreamState:
    """What a stream has said so far, besides its text."""

    model: str | None = None
    events: int = 0
    finish_reason: FinishReason | None = None
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    logprobs: list[TokenLogprob] = attrs.Factory(list)


def _check_prompt(prompt: object) -> None:
    if not isinstance(prompt, str):
        raise ParamsError(field="prompt", value=prompt, allowed="a str")


def _first_choice(data: Any, body: bytes) -> dict[str, Any]:
    choices = data.get("choices") if isinstance(data, dict) else None
    if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
        raise ResponseError("the answer has no choices[0] (is this an OpenAI-compatible server?)", body=body[:2000])
    return choices[0]


def _finish_reason(choice: Mapping[str, Any], params: Params) -> FinishReason | None:
    reason = choice.get("finish_reason")
    if reason == "length":
        return "length"
    if reason in ("eos_token", "eos"):
        return "eos"
    if reason == "stop_sequence":
        return "stop"
    if reason == "stop":
        if "stop_reason" in choice:  # vLLM: null for end of text, the stop string, or a stop token id
            return "stop" if isinstance(choice["stop_reason"], str) else "eos"
        return "stop" if params.stop else "eos"
    return None


def _count(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


def _length(value: object) -> int | None:
    return len(value) if isinstance(value, list) else None


def _logprobs(value: object, body: bytes, *, keep: int | None) -> tuple[TokenLogprob, ...] | None:
    """Per-token log probabilities from either shape servers use, or None; each
    token's alternatives cut to ``keep`` when it is given (``logprobs=0`` asks for
    none, and llama-server is asked for one to report anything at all)."""
    if not isinstance(value, dict):
        return None  # absent, or TGI's bare list of floats (no tokens to pair them with)
    try:
        if isinstance(value.get("content"), list):
            return tuple(
                TokenLogprob(
                    item["token"],
                    item["logprob"],
                    tuple((alt["token"], alt["logprob"]) for alt in item.get("top_logprobs") or ())[:keep],
                )
                for item in value["content"]
            )
        tokens, chosen = value.get("tokens"), value.get("token_logprobs")
        if not isinstance(tokens, list) or not isinstance(chosen, list):
            return None
        tops = value.get("top_logprobs") or [None] * len(tokens)
        out = []
        for token, logprob, top in zip(tokens, chosen, tops, strict=True):
            if logprob is None:
                continue
            pairs = sorted((top or {}).items(), key=lambda pair: -float(pair[1]))
            out.append(TokenLogprob(token, logprob, pairs[:keep]))
        return tuple(out)
    except (KeyError, TypeError, ValueError) as exc:
        raise ResponseError(f"the logprobs in the answer are malformed ({exc})", body=body[:2000]) from exc


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


def _int_field(fields: Mapping[str, Any], name: str) -> int | None:
    value = fields.get(name)
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None


def _search(patterns: tuple[re.Pattern[str], ...], message: str) -> int | None:
    for pattern in patterns:
        found = pattern.search(message)
        if found:
            return int(found.group(1))
    return None
