"""Sampling parameters: one validated, immutable value shared by every backend.

``Params`` says *what* the writer wants (temperature, top_k, ...); each transport
decides how to say it on its own wire, and leaves out what its server would reject.
Every field is checked when the value is built, so a typo or an out-of-range number
fails at once with a ``ParamsError`` naming the field, the value and the allowed
range, before any network call or model load.

Decisions where backends disagree:

- ``None`` means "not set": HTTP transports send only the fields that are set and
  let the server use its own default. ``max_new_tokens`` is the exception: it
  defaults to 64 so that a continuation has the same length on every backend
  (llama.cpp's own default is 16 tokens, TGI's 20).
- ``seed`` is limited to 0 .. 2**32-1, the range every backend accepts (llama.cpp
  seeds are 32-bit).
- ``stop`` accepts one string or any iterable of strings and is kept as a tuple.
- ``logprobs`` is how many alternatives to report per generated token (0 .. 20);
  0 asks for the chosen token's own log probability only.

This module does no I/O and knows nothing of transports.
"""

from __future__ import annotations

import difflib
import sys
from collections.abc import Iterable, Mapping
from typing import Any

import attrs

from complete.errors import ParamsError

__all__ = ["Params"]

_SEED_MAX = 2**32 - 1


def _number(field: str, value: object, allowed: str) -> float:
    # abs(value) <= the largest float: false for NaN and inf, and for ints too big to convert.
    if isinstance(value, bool) or not isinstance(value, int | float) or not abs(value) <= sys.float_info.max:
        raise ParamsError(field=field, value=value, allowed=allowed)
    return float(value)


def _integer(field: str, value: object, allowed: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        # An integral float such as 30.0 is accepted: JSON and sliders produce them.
        if isinstance(value, float) and value.is_integer():
            return int(value)
        raise ParamsError(field=field, value=value, allowed=allowed)
    return value


def _temperature(value: object) -> float | None:
    if value is None:
        return None
    allowed = "a number >= 0 (0 means greedy decoding)"
    number = _number("temperature", value, allowed)
    if number < 0:
        raise ParamsError(field="temperature", value=value, allowed=allowed)
    return number


def _top_k(value: object) -> int | None:
    if value is None:
        return None
    allowed = "an integer >= 1"
    number = _integer("top_k", value, allowed)
    if number < 1:
        raise ParamsError(field="top_k", value=value, allowed=allowed)
    return number


def _top_p(value: object) -> float | None:
    if value is None:
        return None
    allowed = "a number with 0 < top_p <= 1"
    number = _number("top_p", value, allowed)
    if not 0 < number <= 1:
        raise ParamsError(field="top_p", value=value, allowed=allowed)
    return number


def _max_new_tokens(value: object) -> int:
    allowed = "an integer >= 1"
    number = _integer("max_new_tokens", value, allowed)
    if number < 1:
        raise ParamsError(field="max_new_tokens", value=value, allowed=allowed)
    return number


def _repetition_penalty(value: object) -> float | None:
    if value is None:
        return None
    allowed = "a number > 0 (1.0 means no penalty)"
    number = _number("repetition_penalty", value, allowed)
    if number <= 0:
        raise ParamsError(field="repetition_penalty", value=value, allowed=allowed)
    return number


def _seed(value: object) -> int | None:
    if value is None:
        return None
    allowed = f"an integer with 0 <= seed <= {_SEED_MAX}"
    number = _integer("seed", value, allowed)
    if not 0 <= number <= _SEED_MAX:
        raise ParamsError(field="seed", value=value, allowed=allowed)
    return number


def _stop(value: object) -> tuple[str, ...]:
    allowed = "a string or a list of non-empty strings"
    if value is None:
        return ()
    if isinstance(value, str):
        value = (value,)
    if isinstance(value, bytes | Mapping) or not isinstance(value, Iterable):
        raise ParamsError(field="stop", value=value, allowed=allowed)
    items = tuple(value)
    if not all(isinstance(item, str) and item for item in items):
        raise ParamsError(field="stop", value=value, allowed=allowed)
    return items


def _do_sample(value: object) -> bool | None:
    if value is None or isinstance(value, bool):
        return value
    raise ParamsError(field="do_sample", value=value, allowed="True, False or None")


def _logprobs(value: object) -> int | None:
    if value is None:
        return None
    allowed = "an integer with 0 <= logprobs <= 20 (alternatives reported per token)"
    number = _integer("logprobs", value, allowed)
    if not 0 <= number <= 20:
        raise ParamsError(field="logprobs", value=value, allowed=allowed)
    return number


@attrs.frozen(kw_only=True)
class Params:
    """How to sample a continuation; every field is validated on construction.

    >>> Params(temperature=1.0, top_k=30)
    Params(temperature=1.0, top_k=30, max_new_tokens=64)
    >>> Params(top_k=30).evolve(top_k=40).top_k
    40
    """

    temperature: float | None = attrs.field(default=None, converter=_temperature)
    top_k: int | None = attrs.field(default=None, converter=_top_k)
    top_p: float | None = attrs.field(default=None, converter=_top_p)
    max_new_tokens: int = attrs.field(default=64, converter=_max_new_tokens)
    repetition_penalty: float | None = attrs.field(default=None, converter=_repetition_penalty)
    seed: int | None = attrs.field(default=None, converter=_seed)
    stop: tuple[str, ...] = attrs.field(default=(), converter=_stop)
    do_sample: bool | None = attrs.field(default=None, converter=_do_sample)
    logprobs: int | None = attrs.field(default=None, converter=_logprobs)

    def __repr__(self) -> str:
        changed = ", ".join(f"{name}={value!r}" for name, value in self.to_dict().items())
        return f"Params({changed})"

    def evolve(self, **changes: Any) -> Params:
        """A copy with ``changes`` applied and validated; unknown names are rejected."""
        _check_names(changes)
        return attrs.evolve(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        """The fields that are set (not None, not empty), as plain JSON-ready values.

        ``max_new_tokens`` is always included.
        """
        out: dict[str, Any] = {}
        for field in attrs.fields(Params):
            value = getattr(self, field.name)
            if value is None or value == ():
                continue
            out[field.name] = list(value) if isinstance(value, tuple) else value
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Params:
        """Build from a mapping such as ``to_dict()`` wrote; unknown keys are errors.

        >>> Params.from_dict({"temprature": 0.7})
        Traceback (most recent call last):
        complete.errors.ParamsError: temprature=0.7 is not allowed: expected one of ... Did you mean 'temperature'?
        """
        if not isinstance(data, Mapping):
            raise ParamsError(field="params", value=data, allowed="a mapping of parameter names to values")
        _check_names(data)
        return cls(**data)


_NAMES = tuple(field.name for field in attrs.fields(Params))


def _check_names(data: Mapping[str, Any]) -> None:
    for key in data:
        if key in _NAMES:
            continue
        guess = difflib.get_close_matches(str(key), _NAMES, n=1)
        hint = f"Did you mean {guess[0]!r}?" if guess else ""
        raise ParamsError(field=str(key), value=data[key], allowed="one of " + ", ".join(_NAMES), hint=hint)
