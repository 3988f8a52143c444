"""What a backend returns for one request: the text and how it came to be.

``Generation`` is the provenance a story node keeps for a model segment; every field
is checked on construction (``ParamsError``), and fields a backend does not report
are None. It does not measure anything itself: the caller times the request.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Literal

import attrs

from complete.errors import ParamsError
from complete.values import checks as arguments
from complete.values.surrogates import replaced

__all__ = ["FinishReason", "Generation", "TokenLogprob"]

FinishReason = Literal["length", "stop", "eos", "banned"]
""""length": ``max_new_tokens`` reached; "stop": a stop string; "eos": the model
ended its text; "banned": a banned phrase came back after every rewind
``complete.writing.banning`` allows, and the text ends before it."""

_FINISH_REASONS = ("length", "stop", "eos", "banned")


def _logprob(value: object, field: str = "logprob") -> float:
    allowed = "a number (a log probability)"
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ParamsError(field=field, value=value, allowed=allowed)
    try:
        return float(value)
    except OverflowError as exc:  # an int beyond the largest float
        raise ParamsError(field=field, value=value, allowed=allowed) from exc


def _model_text(value: Any) -> Any:
    """A model's text made valid: lone surrogates become U+FFFD (``complete.values.surrogates``)."""
    return replaced(value) if isinstance(value, str) else value


def _tuple_of_pairs(value: Any) -> tuple[tuple[str, float], ...]:
    allowed = "(token, logprob) pairs"
    if isinstance(value, str | bytes) or not isinstance(value, Iterable):
        raise ParamsError(field="top", value=value, allowed=allowed)
    pairs = []
    for pair in value:
        if isinstance(pair, str | bytes) or not isinstance(pair, Iterable) or len(pair := tuple(pair)) != 2:
            raise ParamsError(field="top", value=value, allowed=allowed)
        token = arguments.text("top", _model_text(pair[0]), "(token, logprob) pairs whose token is a str")
        pairs.append((token, _logprob(pair[1], "top")))
    return tuple(pairs)


@attrs.frozen
class TokenLogprob:
    """One generated token, its log probability and the top alternatives considered.

    ``top`` lists ``(token, logprob)`` pairs, most likely first; it may include the
    chosen token itself.
    """

    token: str = attrs.field(converter=_model_text, validator=arguments.validator(arguments.text))
    logprob: float = attrs.field(converter=_logprob)
    top: tuple[tuple[str, float], ...] = attrs.field(default=(), converter=_tuple_of_pairs)

    def to_dict(self) -> dict[str, Any]:
        return {"token": self.token, "logprob": self.logprob, "top": [list(pair) for pair in self.top]}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TokenLogprob:
        """Rebuild from ``to_dict()`` output; a missing or unknown key is a ``ParamsError``."""
        if not isinstance(data, Mapping) or not {"token", "logprob"} <= set(data) <= {"token", "logprob", "top"}:
            raise ParamsError(field="logprobs", value=data, allowed="objects with token, logprob and top")
        return cls(token=data["token"], logprob=data["logprob"], top=data.get("top", ()))


def _optional(kind: type, allowed: str) -> Any:
    return arguments.validator(arguments.optional(arguments.typed), kind, allowed)


def _finish_reason(value: object) -> FinishReason | None:
    return None if value is None else arguments.one_of("finish_reason", value, _FINISH_REASONS)


def _logprobs(value: Any) -> tuple[TokenLogprob, ...] | None:
    if value is None:
        return None
    if isinstance(value, str | bytes | Mapping) or not isinstance(value, Iterable):
        raise ParamsError(field="logprobs", value=value, allowed="a list of TokenLogprob")
    return tuple(item if isinstance(item, TokenLogprob) else TokenLogprob.from_dict(item) for item in value)


def _elapsed(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)):
        raise ParamsError(field="elapsed", value=value, allowed="a number of seconds, or None")


@attrs.frozen(kw_only=True)
class Generation:
    """The answer to one request.

    Why the model stopped, how many tokens it read and wrote, which backend and model
    wrote it (and, for a hosted model, which Inference Provider served it), the seed
    actually used, the time taken and, when asked for, per-token log probabilities.
    ``elapsed`` (seconds) is excluded from equality, so that the same request on a
    deterministic backend gives equal stories however long it took.

    >>> Generation(text=" and then", finish_reason="length", backend="local").finish_reason
    'length'
    """

    text: str = attrs.field(converter=_model_text, validator=arguments.validator(arguments.text))
    finish_reason: FinishReason | None = attrs.field(default=None, converter=_finish_reason)
    prompt_tokens: int | None = attrs.field(default=None, validator=_optional(int, "an integer or None"))
    completion_tokens: int | None = attrs.field(default=None, validator=_optional(int, "an integer or None"))
    backend: str | None = attrs.field(default=None, validator=_optional(str, "a str or None"))
    model: str | None = attrs.field(default=None, validator=_optional(str, "a str or None"))
    provider: str | None = attrs.field(default=None, validator=_optional(str, "a str or None"))
    """The Inference Provider the Hub's mapping named ("together"); ``model`` is then
    the Hugging Face model id, as the Hub names it."""
    seed: int | None = attrs.field(default=None, validator=_optional(int, "an integer or None"))
    logprobs: tuple[TokenLogprob, ...] | None = attrs.field(default=None, converter=_logprobs)
    rewinds: int | None = attrs.field(default=None, validator=_optional(int, "an integer or None"))
    """How many times a banned phrase was taken out and the text sampled again
    (``complete.writing.banning``); None when nothing was banned."""
    elapsed: float | None = attrs.field(default=None, eq=False, validator=_elapsed)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict; fields that are None are left out."""
        out: dict[str, Any] = {}
        for field in attrs.fields(Generation):
            value = getattr(self, field.name)
            if value is None:
                continue
            if field.name == "logprobs":
                value = [item.to_dict() for item in value]
            out[field.name] = value
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Generation:
        """Rebuild from ``to_dict()`` output; a missing text or an unknown key is a ``ParamsError``."""
        known = {field.name for field in attrs.fields(Generation)}
        for key in data:
            if key not in known:
                raise ParamsError(field=str(key), value=data[key], allowed="one of " + ", ".join(sorted(known)))
        if "text" not in data:
            raise ParamsError(field="text", value=None, allowed="a str (the generated text)")
        return cls(**data)
