"""What a backend returns for one request: the text and how it came to be.

``Generation`` is the provenance a story node keeps for a model segment: why the
model stopped, how many tokens it read and wrote, which backend and model wrote it
(and, for a hosted model, which Hugging Face Inference Provider served it), the
seed actually used, the time taken and, when asked for, per-token log
probabilities. Fields a backend does not report are ``None``.

``elapsed`` (seconds) is measured by the caller and excluded from equality, so that
the same request on a deterministic backend gives equal stories however long it took.
"""

from __future__ import annotations

from typing import Any, Literal

import attrs

__all__ = ["FinishReason", "Generation", "TokenLogprob"]

FinishReason = Literal["length", "stop", "eos"]

_FINISH_REASONS = ("length", "stop", "eos")


def _tuple_of_pairs(value: Any) -> tuple[tuple[str, float], ...]:
    pairs = []
    for token, logprob in value:
        if not isinstance(token, str):
            raise TypeError(f"alternative token must be a str, not {type(token).__name__}")
        pairs.append((token, float(logprob)))
    return tuple(pairs)


@attrs.frozen
class TokenLogprob:
    """One generated token, its log probability and the top alternatives considered.

    ``top`` lists ``(token, logprob)`` pairs, most likely first; it may include the
    chosen token itself.
    """

    token: str = attrs.field(validator=attrs.validators.instance_of(str))
    logprob: float = attrs.field(converter=float)
    top: tuple[tuple[str, float], ...] = attrs.field(default=(), converter=_tuple_of_pairs)

    def to_dict(self) -> dict[str, Any]:
        return {"token": self.token, "logprob": self.logprob, "top": [list(pair) for pair in self.top]}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TokenLogprob:
        return cls(token=data["token"], logprob=data["logprob"], top=data.get("top", ()))


def _optional(kind: type | tuple[type, ...]) -> Any:
    return attrs.validators.optional(attrs.validators.instance_of(kind))


def _finish_reason(value: object) -> FinishReason | None:
    if value is None or value in _FINISH_REASONS:
        return value  # type: ignore[return-value]
    raise ValueError(f"finish_reason must be one of {_FINISH_REASONS} or None, not {value!r}")


def _logprobs(value: Any) -> tuple[TokenLogprob, ...] | None:
    if value is None:
        return None
    return tuple(item if isinstance(item, TokenLogprob) else TokenLogprob.from_dict(item) for item in value)


@attrs.frozen(kw_only=True)
class Generation:
    """The answer to one request.

    >>> Generation(text=" and then", finish_reason="length", backend="local").finish_reason
    'length'
    """

    text: str = attrs.field(validator=attrs.validators.instance_of(str))
    finish_reason: FinishReason | None = attrs.field(default=None, converter=_finish_reason)
    prompt_tokens: int | None = attrs.field(default=None, validator=_optional(int))
    completion_tokens: int | None = attrs.field(default=None, validator=_optional(int))
    backend: str | None = attrs.field(default=None, validator=_optional(str))
    model: str | None = attrs.field(default=None, validator=_optional(str))
    provider: str | None = attrs.field(default=None, validator=_optional(str))
    """The Inference Provider the Hub's mapping named ("together"); ``model`` is then
    the Hugging Face model id, as the Hub names it."""
    seed: int | None = attrs.field(default=None, validator=_optional(int))
    logprobs: tuple[TokenLogprob, ...] | None = attrs.field(default=None, converter=_logprobs)
    elapsed: float | None = attrs.field(default=None, eq=False, validator=_optional((int, float)))

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
    def from_dict(cls, data: dict[str, Any]) -> Generation:
        return cls(**data)
