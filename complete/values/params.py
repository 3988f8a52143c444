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
- ``seed`` takes 0 .. 2**64-1, as TGI and the Hugging Face API do (u64). Backends
  with narrower seeds refuse a larger one before sending (``ParamsError``, naming
  their range), rather than reduce it: llama.cpp takes 0 .. 2**32-2 (its 2**32-1
  means "random"), the other OpenAI-compatible servers signed 64-bit integers.
- every other count is limited to 2**31-1 and every other number to the
  largest 32-bit float, as servers read them so (``top_k=10**100`` is an error
  here, not an HTTP 400 about an int32).
- ``stop`` accepts one string or any iterable of strings and is kept as a tuple.
- ``logprobs`` is how many alternatives to report per generated token (0 .. 20);
  0 asks for the chosen token's own log probability only.
- The samplers beyond those (min-p, typical, presence and frequency penalties, the
  penalty window, DRY, XTC, mirostat) are llama.cpp's, with the ranges its server
  takes (``tools/server/README.md`` and ``server-schema.cpp``) narrowed where another
  backend or plain sense is stricter: the presence and frequency penalties keep
  OpenAI's -2 .. 2, which every server that takes them accepts; a DRY base below 1
  (which llama.cpp silently replaces by 1.75) and an empty list of DRY breakers
  (which it refuses) are errors here. Each field's range is in ``Params``' docstring.
- ``stop`` and ``dry_breakers`` are "not set" when empty. llama.cpp refuses an empty
  list of DRY breakers, so "no breakers at all" cannot be asked for; a breaker that
  never occurs in the text does the same.

This module does no I/O and knows nothing of transports; named presets (values of
this class) live in ``complete.values.presets``.
"""

from __future__ import annotations

import difflib
import re
import sys
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import attrs

from complete.errors import ParamsError
from complete.values import checks as arguments
from complete.values.phrases import compile_phrase

__all__ = ["PARAM_NAMES", "Params", "check_names"]

_SEED_MAX = 2**64 - 1
_INT_MAX = 2**31 - 1
"""The largest count a server takes: llama.cpp, TGI and vLLM read them as 32-bit integers."""
_FLOAT_MAX = 3.4028234663852886e38
"""The largest number a server's 32-bit float holds (llama.cpp's samplers are floats)."""


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


def _optional_number(field: str, value: object, allowed: str, accept: Callable[[float], bool]) -> float | None:
    """None, or ``value`` as a float when ``accept`` says it is in range (and a
    server's 32-bit float can hold it)."""
    if value is None:
        return None
    number = _number(field, value, allowed)
    if not accept(number):
        raise ParamsError(field=field, value=value, allowed=allowed)
    if abs(number) > _FLOAT_MAX:
        raise ParamsError(field=field, value=value, allowed=f"{allowed}, at most {_FLOAT_MAX:.3g} (a 32-bit float)")
    return number


def _optional_integer(field: str, value: object, allowed: str, accept: Callable[[int], bool]) -> int | None:
    """None, or ``value`` as an int when ``accept`` says it is in range (and a
    server's 32-bit integer can hold it)."""
    if value is None:
        return None
    number = _integer(field, value, allowed)
    if not accept(number):
        raise ParamsError(field=field, value=value, allowed=allowed)
    if abs(number) > _INT_MAX and field != "seed":
        raise ParamsError(field=field, value=value, allowed=f"{allowed}, at most {_INT_MAX} (a 32-bit integer)")
    return number


def _strings(field: str, value: object) -> tuple[str, ...]:
    """One string or an iterable of non-empty strings, as a tuple; None is ()."""
    allowed = "a string or a list of non-empty strings"
    if value is None:
        return ()
    if isinstance(value, str):
        value = (value,)
    if isinstance(value, bytes | Mapping) or not isinstance(value, Iterable):
        raise ParamsError(field=field, value=value, allowed=allowed)
    items = tuple(value)
    if not all(isinstance(item, str) and item for item in items):
        raise ParamsError(field=field, value=value, allowed=allowed)
    for item in items:
        arguments.text(field, item)  # no lone surrogates (complete.values.surrogates)
    return items


def _temperature(value: object) -> float | None:
    return _optional_number("temperature", value, "a number >= 0 (0 means greedy decoding)", lambda n: n >= 0)


def _top_k(value: object) -> int | None:
    return _optional_integer("top_k", value, "an integer >= 1", lambda n: n >= 1)


def _top_p(value: object) -> float | None:
    return _optional_number("top_p", value, "a number with 0 < top_p <= 1", lambda n: 0 < n <= 1)


def _max_new_tokens(value: object) -> int:
    allowed = "an integer >= 1"
    number = _integer("max_new_tokens", value, allowed)
    if number < 1:
        raise ParamsError(field="max_new_tokens", value=value, allowed=allowed)
    if number > _INT_MAX:
        raise ParamsError(field="max_new_tokens", value=value, allowed=f"{allowed}, at most {_INT_MAX}")
    return number


def _repetition_penalty(value: object) -> float | None:
    return _optional_number("repetition_penalty", value, "a number > 0 (1.0 means no penalty)", lambda n: n > 0)


def _seed(value: object) -> int | None:
    allowed = f"an integer with 0 <= seed <= {_SEED_MAX}"
    return _optional_integer("seed", value, allowed, lambda n: 0 <= n <= _SEED_MAX)


def _stop(value: object) -> tuple[str, ...]:
    return _strings("stop", value)


def _do_sample(value: object) -> bool | None:
    if value is None or isinstance(value, bool):
        return value
    raise ParamsError(field="do_sample", value=value, allowed="True, False or None")


def _logprobs(value: object) -> int | None:
    allowed = "an integer with 0 <= logprobs <= 20 (alternatives reported per token)"
    return _optional_integer("logprobs", value, allowed, lambda n: 0 <= n <= 20)


def _min_p(value: object) -> float | None:
    return _optional_number("min_p", value, "a number with 0 <= min_p <= 1 (0 turns it off)", lambda n: 0 <= n <= 1)


def _typical_p(value: object) -> float | None:
    allowed = "a number with 0 < typical_p <= 1 (1 turns it off)"
    return _optional_number("typical_p", value, allowed, lambda n: 0 < n <= 1)


def _presence_penalty(value: object) -> float | None:
    allowed = "a number with -2 <= presence_penalty <= 2 (0 means no penalty)"
    return _optional_number("presence_penalty", value, allowed, lambda n: -2 <= n <= 2)


def _frequency_penalty(value: object) -> float | None:
    allowed = "a number with -2 <= frequency_penalty <= 2 (0 means no penalty)"
    return _optional_number("frequency_penalty", value, allowed, lambda n: -2 <= n <= 2)


def _repetition_window(value: object) -> int | None:
    allowed = "an integer >= 0 (tokens looked back at; 0 turns the penalties off)"
    return _optional_integer("repetition_window", value, allowed, lambda n: n >= 0)


def _dry_multiplier(value: object) -> float | None:
    return _optional_number("dry_multiplier", value, "a number >= 0 (0 turns DRY off)", lambda n: n >= 0)


def _dry_base(value: object) -> float | None:
    return _optional_number("dry_base", value, "a number >= 1", lambda n: n >= 1)


def _dry_allowed_length(value: object) -> int | None:
    return _optional_integer("dry_allowed_length", value, "an integer >= 0", lambda n: n >= 0)


def _dry_window(value: object) -> int | None:
    allowed = "an integer >= 0 (tokens looked back at; 0 turns DRY off)"
    return _optional_integer("dry_window", value, allowed, lambda n: n >= 0)


def _dry_breakers(value: object) -> tuple[str, ...]:
    return _strings("dry_breakers", value)


def _banned(value: object) -> tuple[str, ...]:
    phrases = _strings("banned", value)
    for phrase in phrases:
        try:
            compile_phrase(phrase)
        except re.error as exc:
            allowed = f"phrases, or regular expressions between slashes; {phrase!r} is not one ({exc})"
            raise ParamsError(field="banned", value=value, allowed=allowed) from exc
    return phrases


def _logit_bias(value: object) -> tuple[tuple[int | str, float], ...]:
    """Pairs of (token id or string, bias in -100 .. 100), from pairs or a mapping."""
    allowed = "{token: bias} or (token, bias) pairs: a token id >= 0 or a non-empty string, a bias in -100 .. 100"
    if value is None:
        return ()
    items = value.items() if isinstance(value, Mapping) else value
    if isinstance(items, str | bytes) or not isinstance(items, Iterable):
        raise ParamsError(field="logit_bias", value=value, allowed=allowed)
    pairs: list[tuple[int | str, float]] = []
    for item in items:
        pair = tuple(item) if isinstance(item, list | tuple) else ()
        if len(pair) != 2:
            raise ParamsError(field="logit_bias", value=value, allowed=allowed)
        token, bias = pair
        if isinstance(token, bool) or not (
            (isinstance(token, int) and token >= 0) or (isinstance(token, str) and token)
        ):
            raise ParamsError(field="logit_bias", value=value, allowed=allowed)
        number = _number("logit_bias", bias, allowed)
        if not -100 <= number <= 100:
            raise ParamsError(field="logit_bias", value=value, allowed=allowed)
        pairs.append((token, number))
    return tuple(pairs)


def _xtc_probability(value: object) -> float | None:
    allowed = "a number with 0 <= xtc_probability <= 1 (0 turns XTC off)"
    return _optional_number("xtc_probability", value, allowed, lambda n: 0 <= n <= 1)


def _xtc_threshold(value: object) -> float | None:
    allowed = "a number with 0 <= xtc_threshold <= 1 (above 0.5 XTC removes nothing)"
    return _optional_number("xtc_threshold", value, allowed, lambda n: 0 <= n <= 1)


def _mirostat(value: object) -> int | None:
    allowed = "0 (off), 1 (Mirostat) or 2 (Mirostat 2.0)"
    return _optional_integer("mirostat", value, allowed, lambda n: n in (0, 1, 2))


def _mirostat_tau(value: object) -> float | None:
    return _optional_number("mirostat_tau", value, "a number >= 0 (the target surprise)", lambda n: n >= 0)


def _mirostat_eta(value: object) -> float | None:
    return _optional_number("mirostat_eta", value, "a number > 0 (the learning rate)", lambda n: n > 0)


@attrs.frozen(kw_only=True)
class Params:
    """How to sample a continuation; every field is validated on construction.

    >>> Params(temperature=1.0, top_k=30)
    Params(temperature=1.0, top_k=30, max_new_tokens=64)
    >>> Params(top_k=30).evolve(top_k=40).top_k
    40

    Every field but ``max_new_tokens`` defaults to "not set" (the backend's own
    default). The fields, their ranges, and llama.cpp's default in brackets:

    - ``temperature`` >= 0, 0 is greedy [0.8]; ``top_k`` >= 1 [40];
      ``top_p`` in (0, 1] [0.95]; ``max_new_tokens`` >= 1 (64 here);
      ``seed`` in 0 .. 2**64-1 (llama.cpp: 2**32-2); ``stop``: strings that end the text;
      ``do_sample``: False for greedy decoding; ``logprobs`` in 0 .. 20.
    - ``min_p`` in [0, 1]: drop tokens less likely than ``min_p`` times the
      likeliest one [0.05]. ``typical_p`` in (0, 1]: locally typical sampling, 1 is
      off [1].
    - Penalties on tokens already in the last ``repetition_window`` tokens (an
      integer >= 0; 0 turns all three off [64]): ``repetition_penalty`` > 0,
      1 is none [1]; ``presence_penalty`` and ``frequency_penalty`` in [-2, 2],
      0 is none [0].
    - DRY ("don't repeat yourself") penalises a token that would extend a
      sequence already seen, by ``dry_multiplier * dry_base ** (length -
      dry_allowed_length)``: ``dry_multiplier`` >= 0, 0 is off [0]; ``dry_base``
      >= 1 [1.75]; ``dry_allowed_length`` an integer >= 0 [2]; ``dry_window`` an
      integer >= 0, the tokens looked back at, 0 is off [64 in llama.cpp's server];
      ``dry_breakers``: strings that end a sequence [newline, ``:``, ``"``, ``*``].
    - XTC ("exclude top choices") removes, with probability ``xtc_probability`` in
      [0, 1] (0 is off [0]), every token above ``xtc_threshold`` in [0, 1] but the
      least likely of them [0.1; above 0.5 nothing is removed].
    - Mirostat replaces top-k/top-p/min-p with a feedback loop aiming at a steady
      surprise: ``mirostat`` 0 (off [0]), 1 or 2; ``mirostat_tau`` >= 0, the
      target [5]; ``mirostat_eta`` > 0, the learning rate [0.1].
    - ``banned``: phrases that never appear in what a call adds, case-insensitive,
      ``"/.../"`` a regular expression (``complete.values.phrases``); ``complete()`` rewinds
      and samples again where one appears (``complete.writing.banning``), so no backend is
      sent them. ``logit_bias``: ``{token: bias}`` or pairs, a token id or a string
      (each of its tokens), bias -100 .. 100 added to the logits (-100 bans).

    Backends take what they can (see each transport); a field set for a backend
    that cannot take it is left out with a one-time warning.
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
    min_p: float | None = attrs.field(default=None, converter=_min_p)
    typical_p: float | None = attrs.field(default=None, converter=_typical_p)
    presence_penalty: float | None = attrs.field(default=None, converter=_presence_penalty)
    frequency_penalty: float | None = attrs.field(default=None, converter=_frequency_penalty)
    repetition_window: int | None = attrs.field(default=None, converter=_repetition_window)
    dry_multiplier: float | None = attrs.field(default=None, converter=_dry_multiplier)
    dry_base: float | None = attrs.field(default=None, converter=_dry_base)
    dry_allowed_length: int | None = attrs.field(default=None, converter=_dry_allowed_length)
    dry_window: int | None = attrs.field(default=None, converter=_dry_window)
    dry_breakers: tuple[str, ...] = attrs.field(default=(), converter=_dry_breakers)
    xtc_probability: float | None = attrs.field(default=None, converter=_xtc_probability)
    xtc_threshold: float | None = attrs.field(default=None, converter=_xtc_threshold)
    mirostat: int | None = attrs.field(default=None, converter=_mirostat)
    mirostat_tau: float | None = attrs.field(default=None, converter=_mirostat_tau)
    mirostat_eta: float | None = attrs.field(default=None, converter=_mirostat_eta)
    banned: tuple[str, ...] = attrs.field(default=(), converter=_banned)
    logit_bias: tuple[tuple[int | str, float], ...] = attrs.field(default=(), converter=_logit_bias)

    def __repr__(self) -> str:
        changed = ", ".join(f"{name}={value!r}" for name, value in self.to_dict().items())
        return f"Params({changed})"

    def evolve(self, **changes: Any) -> Params:
        """A copy with ``changes`` applied and validated; unknown names are rejected."""
        check_names(changes)
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
            out[field.name] = (
                [list(v) if isinstance(v, tuple) else v for v in value] if isinstance(value, tuple) else value
            )
        return out

    @classmethod
    def preset(cls, name: str) -> Params:
        """The preset called ``name`` (see ``complete.values.presets``); unknown names are errors.

        >>> Params.preset("greedy")
        Params(max_new_tokens=64, do_sample=False)
        >>> Params.preset("story").evolve(temperature=1.0).temperature
        1.0
        """
        # The presets are values of this class, so their module imports this one.
        from complete.values.presets import PRESETS

        if isinstance(name, str) and name in PRESETS:
            return PRESETS[name]
        guess = difflib.get_close_matches(str(name), list(PRESETS), n=1)
        raise ParamsError(
            field="preset",
            value=name,
            allowed="one of " + ", ".join(map(repr, PRESETS)),
            hint=f"Did you mean {guess[0]!r}?" if guess else "",
        )

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Params:
        """Build from a mapping such as ``to_dict()`` wrote; unknown keys are errors.

        >>> Params.from_dict({"temprature": 0.7})
        Traceback (most recent call last):
        complete.errors.ParamsError: temprature=0.7 is not allowed: expected one of ... Did you mean 'temperature'?
        """
        if not isinstance(data, Mapping):
            raise ParamsError(field="params", value=data, allowed="a mapping of parameter names to values")
        check_names(data)
        return cls(**data)


PARAM_NAMES = tuple(field.name for field in attrs.fields(Params))
"""Every field of ``Params``, in order."""


def check_names(data: Mapping[str, Any]) -> None:
    """Refuse a key that is not a field of ``Params``, naming the nearest one."""
    for key in data:
        if key in PARAM_NAMES:
            continue
        guess = difflib.get_close_matches(str(key), PARAM_NAMES, n=1)
        hint = f"Did you mean {guess[0]!r}?" if guess else ""
        raise ParamsError(field=str(key), value=data[key], allowed="one of " + ", ".join(PARAM_NAMES), hint=hint)
