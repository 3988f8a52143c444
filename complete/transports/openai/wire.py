"""OpenAI's completions wire as each compatible server speaks it: request bodies and answers.

``completion_body`` says what goes in a request for each server's dialect
(``DIALECTS``, built from the ``Params`` fields' own facts); ``CompletionAnswer``
reads what comes back. Deliberately not done: sending requests (``OpenAICompletions``
does), or asking a server which dialect it speaks (``detect``).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

import attrs

from complete.errors import ParamsError, ResponseError
from complete.transports import logit_bias
from complete.transports.http import server_errors
from complete.transports.http.answers import Reader
from complete.transports.http.edge import Response
from complete.values import samplers
from complete.values.generation import FinishReason, Generation, TokenLogprob
from complete.values.params import Params
from complete.values.samplers import wire_names

__all__ = ["DIALECTS", "CompletionAnswer", "Dialect", "completion_body"]


@attrs.frozen
class Dialect:
    """What one kind of server accepts: ``names`` maps each ``Params`` field it takes
    to the name it gives it on the wire (``complete.values.samplers``); ``tokenizer``
    says it has tokenize and window routes; ``stream_usage`` that it takes
    ``stream_options: {"include_usage": true}`` (token counts in a stream)."""

    name: str
    tokenizer: bool = False
    stream_usage: bool = False
    names: Mapping[str, str] = attrs.field(
        default=attrs.Factory(lambda self: wire_names(Params, self.name), takes_self=True)
    )


DIALECTS: Mapping[str, Dialect] = {
    "openai": Dialect("openai", stream_usage=True),
    "vllm": Dialect("vllm", stream_usage=True),
    "llama.cpp": Dialect("llama.cpp", tokenizer=True),
    "tgi": Dialect("tgi"),
    "ollama": Dialect("ollama", stream_usage=True),
}
"""The ``server=`` values and what each accepts (see the module docstring)."""

_LARGEST_SEED = {"llama.cpp": 2**32 - 2, "tgi": 2**64 - 1}
"""Seeds: llama.cpp's are 32-bit (2**32-1 is "random"), TGI's u64; OpenAI, vLLM and
Ollama take signed 64-bit integers."""


def completion_body(
    prompt: str,
    params: Params,
    dialect: Dialect,
    *,
    model: str | None,
    stream: bool,
    left_out: Callable[[str, object], None],
    token_ids: Callable[[str], list[int] | None] = lambda text: None,
) -> dict[str, Any]:
    """The request body for ``prompt`` and ``params`` in ``dialect``; ``left_out``
    hears of every parameter set that the dialect cannot take, ``token_ids`` turns
    the strings of a ``logit_bias`` into ids (``complete.transports.logit_bias``).

    What is sent. Every server gets ``prompt``, ``stream`` and ``max_tokens``
    (``max_new_tokens``); the other parameters go where that server takes them, under
    the name it gives them: each ``Params`` field says so itself
    (``complete.values.samplers``; the README's sampler table shows them all), and
    ``DIALECTS`` reads them from there. ``server=`` names the dialect; left out, the
    dialect is asked of the server once, before the first request (``detect_server``:
    llama-server answers ``/props``, vLLM ``/version``, Ollama ``/api/version``, TGI
    ``/info``; anything else is "openai"). The rules of this wire beyond names:
    ``do_sample=False`` is sent as ``temperature: 0`` (these servers have no
    ``do_sample``); a seed larger than the server takes is a ``ParamsError`` before
    sending (llama.cpp's are 32-bit and 2**32-1 means "random"; TGI's are u64, the
    others signed 64-bit); ``logprobs=0`` is sent to llama-server as 1 (it reports
    nothing for 0; the extra is cut when read); ``logit_bias`` takes another shape on
    each server (``complete.transports.logit_bias``).

    The names were checked against each server's schema: OpenAI's legacy completions
    API (``CreateCompletionRequest``), vLLM's ``CompletionRequest`` (2026), llama.cpp's
    ``llama-server`` (``tools/server/README.md``, ``server-schema.cpp``; live, with its
    ``/slots`` report, ``tests/transports/test_sampler_wire.py``), TGI 3.3's
    ``CompletionRequest`` (``router/src/lib.rs``) and Ollama's
    ``openai.CompletionRequest`` (``openai/openai.go``). llama-cpp-python's 0.3 server
    takes the classic samplers, min-p and the penalties, and silently ignores the rest.

    A parameter the chosen server cannot take is left out and a ``UserWarning`` says so,
    once per transport and parameter, naming the ``server=`` values that honour it.
    Nothing fails: a story written with ``top_k`` still continues on a server without it.
    ``banned`` is not sent at all: ``complete()`` keeps those phrases out itself.

    When streaming, "openai", "vllm" and "ollama" are also sent ``stream_options:
    {"include_usage": true}`` so that a stream reports token counts too (llama.cpp's
    servers and TGI do not document it; their streams carry no counts).
    """
    body: dict[str, Any] = {}
    if model is not None:
        body["model"] = model
    body["prompt"] = prompt
    largest = _LARGEST_SEED.get(dialect.name, 2**63 - 1)
    if params.seed is not None and params.seed > largest:
        raise ParamsError(
            field="seed",
            value=params.seed,
            allowed=f"an integer with 0 <= seed <= {largest} for a {dialect.name} server",
            hint=f"For a random seed each call: seed=Supplier(lambda: random.randrange({largest + 1})).",
        )
    for field in attrs.fields(type(params)):
        name, value = field.name, getattr(params, field.name)
        wire = dialect.names.get(name)
        if value is None or value == ():
            continue
        if wire is None:
            if samplers.of(field).sent:
                left_out(name, value)
        elif name == "do_sample":
            if value is False:
                body[wire] = 0.0  # greedy: these servers have no do_sample
        elif name == "logprobs" and dialect.name == "llama.cpp":
            body[wire] = max(1, value)  # llama-server reports nothing for 0; the extra is cut when read
        elif name == "logit_bias":
            body[wire] = logit_bias.wire_value(value, dialect.name, token_ids, left_out)
        else:
            body[wire] = list(value) if isinstance(value, tuple) else value
    body["stream"] = stream
    if stream and dialect.stream_usage:
        body["stream_options"] = {"include_usage": True}
    return body


class CompletionAnswer(Reader):
    """Reads one completions answer, whole or streamed.

    What is read. ``choices[0].text``; ``usage.prompt_tokens`` / ``completion_tokens``;
    ``model``; ``logprobs`` in OpenAI's legacy shape (``tokens``, ``token_logprobs``,
    ``top_logprobs``) or the newer ``{"content": [...]}`` shape (Ollama, llama-server),
    as ``TokenLogprob`` values. ``finish_reason``: "length" is "length"; TGI's
    "eos_token" is "eos" and "stop_sequence" is "stop"; OpenAI's "stop" cannot tell an
    end-of-text token from a stop string, so it is "stop" when the writer gave stop
    strings and "eos" when none were given (vLLM's ``stop_reason``, when present,
    decides instead: null means end of text). ``""`` or null means not finished, and a
    reason outside these (``content_filter``, ``abort``) is None.

    ``backend`` is recorded in its ``Generation``; ``cut_short(events)`` may raise a
    better error than a stream that ended before ``data: [DONE]``. With
    ``counts_end_of_text`` (llama.cpp's server), an answer that ended at the
    end-of-text token has that token left out of its count and log probabilities:
    the server counts it in ``completion_tokens`` and lists it, as "", last.
    """

    final_event = "'data: [DONE]' event"

    def __init__(
        self,
        params: Params,
        *,
        backend: str,
        cut_short: Callable[[int], None],
        counts_end_of_text: bool = False,
        **settings: Any,
    ) -> None:
        super().__init__(params, **settings)
        self.backend = backend
        self._cut_short = cut_short
        self._counts_end_of_text = counts_end_of_text
        self._done = False
        self._finish_reason: FinishReason | None = None
        self._prompt_tokens: int | None = None
        self._completion_tokens: int | None = None
        self._logprobs: list[TokenLogprob] = []

    @property
    def finished(self) -> bool:
        return self._done

    def whole(self, data: Any, body: bytes, response: Response) -> Generation:
        if isinstance(data, dict) and (data.get("error") or data.get("object") == "error"):
            raise self._failed(server_errors.json_message(data), data)
        choice = _first_choice(data, body)
        text = choice.get("text")
        if not isinstance(text, str):
            raise ResponseError(f"the answer from {self.url} has no text in choices[0]", body=body[:2000])
        usage = data.get("usage")
        usage = usage if isinstance(usage, dict) else {}
        model = data.get("model")
        return self._counted(
            text=text,
            finish_reason=_finish_reason(choice, self.params),
            prompt_tokens=_count(usage.get("prompt_tokens")),
            completion_tokens=_count(usage.get("completion_tokens")),
            backend=self.backend,
            model=model if isinstance(model, str) and model else self.model,
            seed=self.params.seed,
            logprobs=_logprobs(choice.get("logprobs"), body, keep=self._keep),
        )

    def event(self, data_text: str) -> str:
        if data_text.strip() == "[DONE]":
            self._done = True
            return ""
        raw = data_text.encode("utf-8", "surrogateescape")
        try:
            data = json.loads(data_text)
        except ValueError as exc:
            raise ResponseError(f"an event from {self.url} is not JSON: {data_text[:200]!r}", body=raw[:2000]) from exc
        if not isinstance(data, dict):
            raise ResponseError(f"an event from {self.url} is not a JSON object", body=raw[:2000])
        if data.get("error") or data.get("object") == "error":
            raise self._failed(server_errors.json_message(data) or data_text[:2000], data)
        model = data.get("model")
        if isinstance(model, str) and model:
            self.model = model
        usage = data.get("usage")
        if isinstance(usage, dict):
            self._prompt_tokens = _count(usage.get("prompt_tokens"))
            self._completion_tokens = _count(usage.get("completion_tokens"))
        if not data.get("choices"):  # a usage-only chunk (stream_options.include_usage)
            return ""
        choice = _first_choice(data, raw)
        text = choice.get("text", "")
        if not isinstance(text, str):
            raise ResponseError(f"an event from {self.url} has a non-text choices[0].text", body=raw[:2000])
        reason = _finish_reason(choice, self.params)
        if reason is not None:
            self._finish_reason = reason
        self._logprobs.extend(_logprobs(choice.get("logprobs"), raw, keep=self._keep) or ())
        return text

    def ended_early(self, events: int) -> None:
        self._cut_short(events)

    def final(self, text: str) -> Generation:
        return self._counted(
            text=text,
            finish_reason=self._finish_reason,
            prompt_tokens=self._prompt_tokens,
            completion_tokens=self._completion_tokens,
            backend=self.backend,
            model=self.model,
            seed=self.params.seed,
            logprobs=tuple(self._logprobs) if self._logprobs else None,
        )

    def _counted(self, **fields: Any) -> Generation:
        """The ``Generation`` of these fields, without a counted end-of-text token."""
        if self._counts_end_of_text and fields["finish_reason"] == "eos":
            used = fields["completion_tokens"]
            fields["completion_tokens"] = None if used is None else max(0, used - 1)
            logprobs = fields["logprobs"]
            if logprobs and logprobs[-1].token == "":
                fields["logprobs"] = logprobs[:-1] or None
        return Generation(**fields)

    @property
    def _keep(self) -> int | None:
        return 0 if self.params.logprobs == 0 else None


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
