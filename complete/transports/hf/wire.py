"""The Hugging Face text-generation wire: request bodies, answers and streamed events.

TGI, Inference Endpoints and the hf-inference provider all take ``{"inputs": ...,
"parameters": {...}}`` and answer in the same shapes: ``request_body`` builds the
body, ``parse_generation`` and ``TGIAnswer`` read the answers, ``refusal`` and
``classify`` map errors. Deliberately not done: sending requests (``HFInference``).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from typing import Any

import attrs

from complete.errors import APIError, CompleteError, ModelNotFoundError, RateLimitError, ResponseError
from complete.transports.hf.routing import ROUTER_URL
from complete.transports.http import server_errors
from complete.transports.http.answers import Reader
from complete.transports.http.edge import Response, json_or_none
from complete.values import samplers
from complete.values.generation import FinishReason, Generation, TokenLogprob
from complete.values.params import Params
from complete.values.samplers import wire_names

__all__ = ["Advice", "TGIAnswer", "classify", "left_out", "parse_generation", "refusal", "request_body"]

_SAMPLING = ("temperature", "top_k", "top_p", "typical_p")
"""The samplers whose presence makes TGI sample (and that it refuses when greedy)."""
_NO_FILTER = {"top_p": 1.0, "typical_p": 1.0}
_FINISH_REASONS: dict[str, FinishReason] = {"length": "length", "eos_token": "eos", "stop_sequence": "stop"}


def request_body(prompt: str, params: Params, *, stream: bool = False) -> dict[str, Any]:
    """The JSON body for ``prompt`` and ``params``.

    How ``Params`` become the request: each field that is set goes under the name this
    wire gives it (``"hf"`` in the field's wire names, ``complete.values.samplers``; the
    others are left out, and ``left_out`` lists them for ``HFInference`` to warn about
    once each), with ``return_full_text: false`` (TGI's root route would otherwise echo
    the prompt) and ``details: true`` (finish reason, token counts and the seed come
    back in ``details``) always. The rules of this wire beyond names:

    - greedy decoding, asked for with ``temperature=0`` or ``do_sample=False``, is
      ``do_sample: false`` with the samplers in ``_SAMPLING`` left out: TGI rejects a
      temperature of 0, and samples whenever one of them is present;
    - otherwise, when one of them is set and ``do_sample`` is not, ``do_sample: true``
      is sent, so a writer who sets a temperature gets sampling (TGI's own default is
      greedy);
    - ``top_p=1.0`` and ``typical_p=1.0`` mean "no filtering" and are left out (TGI
      accepts only values strictly between 0 and 1); ``logprobs=0`` is not sent (its
      ``top_n_tokens`` counts alternatives only).

    >>> request_body("Once", Params(temperature=0, top_k=30, max_new_tokens=8))["parameters"]
    {'return_full_text': False, 'details': True, 'max_new_tokens': 8, 'do_sample': False}
    >>> request_body("Once", Params(temperature=0.7, top_p=1.0))["parameters"]["do_sample"]
    True
    """
    parameters: dict[str, Any] = {"return_full_text": False, "details": True}
    greedy = params.temperature == 0 or params.do_sample is False
    sampling = False
    for name, wire in wire_names(type(params), "hf").items():
        value = getattr(params, name)
        if value is None or value == () or name == "do_sample" or (name == "logprobs" and not value):
            continue
        if name in _SAMPLING:
            if greedy or value == _NO_FILTER.get(name):
                continue
            sampling = True
        parameters[wire] = list(value) if isinstance(value, tuple) else value
    if greedy or params.do_sample or sampling:
        parameters["do_sample"] = not greedy
    body: dict[str, Any] = {"inputs": prompt, "parameters": parameters}
    if stream:
        body["stream"] = True
    return body


def left_out(params: Params) -> dict[str, Any]:
    """The parameters set in ``params`` that TGI's generate route has no field for.

    >>> left_out(Params(min_p=0.1, top_k=30, logit_bias={"Hi": 2}))
    {'min_p': 0.1, 'logit_bias': [['Hi', 2.0]]}
    """
    fields = attrs.fields_dict(type(params))
    taken = wire_names(type(params), "hf")
    return {
        name: value for name, value in params.to_dict().items() if name not in taken and samplers.of(fields[name]).sent
    }


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
    item = _first(data)
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
    return _generation(item["generated_text"], details, model=model, headers=headers or {}, logprobs=logprobs)


class TGIAnswer(Reader):
    """Reads one answer of the Hugging Face wire, whole or streamed.

    How answers become a ``Generation``: the list form ``[{"generated_text": ...}]``
    (the serverless API, TGI's root route) and the object form (TGI's ``/generate``)
    are both read; ``details.finish_reason`` "length" / "eos_token" / "stop_sequence"
    becomes "length" / "eos" / "stop"; ``generated_tokens`` the completion token count;
    the prompt's token count comes from ``details.input_length`` or TGI's
    ``x-prompt-tokens`` header. Per-token log probabilities, when ``Params.logprobs``
    is set, leave out special tokens (such as ``</s>``) so they line up with the text.
    A 2xx body that is an error (``{"error": ...}`` with no ``generated_text``) is
    raised as the same typed error as an error event in a stream.

    Streaming (``TGIAnswer``) reads TGI's server-sent events: one event per token
    (special tokens' text is not yielded), a final event with ``generated_text`` and
    ``details``, no ``[DONE]``; an error event becomes a typed error through the
    transport's mapping.
    """

    def __init__(self, params: Params, **settings: Any) -> None:
        super().__init__(params, **settings)
        self._logprobs: list[TokenLogprob] | None = [] if params.logprobs is not None else None
        self._final: dict[str, Any] | None = None

    @property
    def finished(self) -> bool:
        return self._final is not None

    def whole(self, data: Any, body: bytes, response: Response) -> Generation:
        item = _first(data)
        if isinstance(item, dict) and "error" in item and "generated_text" not in item:
            raise self._error(item, json.dumps(item)[:2000])
        return parse_generation(data, model=self.model, params=self.params, headers=response.headers, url=self.url)

    def event(self, data: str) -> str:
        try:
            decoded = json.loads(data)
        except ValueError as exc:
            raise ResponseError(f"a stream event from {self.url} is not JSON: {data[:200]!r}", body=data) from exc
        if not isinstance(decoded, dict):
            raise ResponseError(f"a stream event from {self.url} is not a JSON object: {data[:200]!r}", body=data)
        if "error" in decoded and "token" not in decoded:
            raise self._error(decoded, data[:2000])
        token = decoded.get("token")
        if not isinstance(token, dict):
            raise ResponseError(f"a stream event from {self.url} has no token: {data[:200]!r}")
        if decoded.get("generated_text") is not None:
            self._final = decoded
        text = token.get("text")
        if token.get("special") or not isinstance(text, str):
            return ""
        if self._logprobs is not None and text:
            top = decoded.get("top_tokens")
            if not _extend(self._logprobs, token, top if isinstance(top, list) else []):
                self._logprobs = None  # a malformed token: no log probabilities for this answer
        return text

    def final(self, text: str) -> Generation:
        final = self._final or {}
        generated = final.get("generated_text")
        if isinstance(generated, str) and generated.startswith(text):
            text = generated  # token texts that do not add up to the decoded text: the rest is delivered too
        logprobs = tuple(self._logprobs) if self._logprobs is not None else None
        return _generation(text, _mapping(final.get("details")), model=self.model, headers={}, logprobs=logprobs)

    def _error(self, data: Mapping[str, Any], fallback: str) -> CompleteError:
        return self._failed(server_errors.json_message(data) or fallback, data)


def _first(data: Any) -> Any:
    """The answer in ``data``: the first item of the list form, or the object form as it is."""
    return data[0] if isinstance(data, list) and data else data


def _generation(
    text: str,
    details: Mapping[str, Any],
    *,
    model: str | None,
    headers: Mapping[str, str],
    logprobs: tuple[TokenLogprob, ...] | None,
) -> Generation:
    """The ``Generation`` of ``text``, with what ``details`` (and the headers) say about it."""
    return Generation(
        text=text,
        finish_reason=_FINISH_REASONS.get(details.get("finish_reason", "")),
        prompt_tokens=_prompt_tokens(details, headers),
        completion_tokens=_integer(details.get("generated_tokens")),
        backend="hf",
        model=model,
        seed=_integer(details.get("seed")),
        logprobs=logprobs,
    )


def _mapping(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


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
    out: list[TokenLogprob] = []
    for index, token in enumerate(tokens):
        if not isinstance(token, dict):
            return None
        if token.get("special"):
            continue
        top = top_tokens[index] if index < len(top_tokens) and isinstance(top_tokens[index], list) else []
        if not _extend(out, token, top):
            return None
    return tuple(out)


def _extend(out: list[TokenLogprob], token: Mapping[str, Any], top: list[Any]) -> bool:
    """Append this token to ``out``; False (``out`` untouched) if it is malformed."""
    logprob = _number(token.get("logprob"))
    if not isinstance(token.get("text"), str) or logprob is None:
        return False
    alternatives = [
        (item["text"], number)
        for item in top
        if isinstance(item, dict)
        and isinstance(item.get("text"), str)
        and (number := _number(item.get("logprob"))) is not None
    ]
    out.append(TokenLogprob(token=token["text"], logprob=logprob, top=alternatives))
    return True


# --- refusals ------------------------------------------------------------------------------

_NOT_SERVED = re.compile(
    r"not supported by (?:provider|any provider)|model\b.*\b(?:is )?not (?:supported|available|found|served)"
    r"|model\b.*\bdoes not exist",
    re.IGNORECASE,
)
_WINDOW_HINT = (
    "The prompt and max_new_tokens together must fit the model's window: lower max_new_tokens, "
    "or give the Completer a window_size= so the oldest text is left out of the prompt."
)


@attrs.frozen
class Advice:
    """What to say under a refused token (``auth``) and under a model not served there
    (``not_served``): each depends on where the transport sends its requests."""

    auth: str
    not_served: str


def refusal(response: Response, body: bytes, *, secret: str | None, advice: Advice) -> CompleteError:
    """The typed error for an answer whose status is not 2xx, from the start of its body:
    the server's words (and TGI's ``warnings``), with ``secret`` scrubbed."""
    message = server_errors.server_message(response, body, [secret])
    data = json_or_none(body)
    fields = data if isinstance(data, dict) else {}
    warned = fields.get("warnings")
    if isinstance(warned, list) and warned:
        message = server_errors.scrub(f"{message} (warnings: {'; '.join(map(str, warned))})", [secret])
    error_type = fields.get("error_type")
    return classify(
        response.status_code,
        message,
        error_type=error_type if isinstance(error_type, str) else None,
        advice=advice,
        estimated_time=_number(fields.get("estimated_time")),
        headers=response.headers,
    )


def classify(
    status: int | None,
    message: str,
    *,
    error_type: str | None,
    advice: Advice,
    estimated_time: float | None = None,
    headers: Mapping[str, str] | None = None,
) -> CompleteError:
    """The error-tree class for an answer; ``status`` None for an error in a 2xx body
    or a stream's event; ``advice`` says what to do about a refused token and about a
    model that is not served there."""
    headers = headers or {}
    if status == 429 or error_type == "overloaded":
        return RateLimitError(status=status, message=message, retry_after=server_errors.retry_after(headers))
    if status is None or 400 <= status < 500:
        overflow = server_errors.context_limit_error(status, message, hint=_WINDOW_HINT)
        if overflow is not None:
            return overflow
    if status in (400, 422) and _NOT_SERVED.search(message):
        return ModelNotFoundError(status=status, message=message, hint=advice.not_served)
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
    return server_errors.status_error(
        status, message, headers, auth_hint=advice.auth, not_found_hint=advice.not_served, estimated_time=estimated_time
    )
