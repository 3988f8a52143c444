"""Sampling parameters: one validated, immutable value shared by every backend.

``Params`` says *what* the writer wants (temperature, top_k, ...); each transport
decides how to say it on its own wire, and leaves out, with a one-time warning, what
its server would not take. Each field states its own facts (its range, what it does,
which server takes it under which name: ``complete.values.samplers``), and every
field is checked when the value is built, so a typo or an out-of-range number fails
at once with a ``ParamsError`` naming the field, the value and the allowed range,
before any network call or model load.

Decisions where backends disagree:

- ``None`` means "not set": transports send only the fields that are set and let
  the server use its own default. ``max_new_tokens`` is the exception: it defaults
  to 64 so that a continuation has the same length on every backend (llama.cpp's
  own default is 16 tokens, TGI's 20).
- ``seed`` takes 0 .. 2**64-1, as TGI and the Hugging Face API do (u64); a backend
  with narrower seeds refuses a larger one before sending, naming its range, rather
  than reduce it.
- every other count is limited to 2**31-1 and every other number to the largest
  32-bit float, as servers read them so (``top_k=10**100`` is an error here, not an
  HTTP 400 about an int32).
- The samplers beyond the classic ones are llama.cpp's, with the ranges its server
  takes, narrowed where another backend or plain sense is stricter: the presence and
  frequency penalties keep OpenAI's -2 .. 2; a DRY base below 1 (which llama.cpp
  silently replaces by 1.75) is an error here.
- ``stop`` and ``dry_breakers`` are "not set" when empty, so "no DRY breakers at all"
  (which llama.cpp refuses) cannot be asked for; a breaker that never occurs does it.

This module does no I/O and knows nothing of transports; the named presets are
plain settings in ``complete.values.presets``.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from typing import Any

import attrs

from complete.errors import ParamsError
from complete.values import presets, samplers
from complete.values.samplers import described, facts, on, sampler

__all__ = ["PARAM_NAMES", "Params", "check_names"]

_OPENAI = ("openai", "vllm", "llama.cpp", "tgi", "ollama")


Strings = str | Iterable[str]
"""One string, or several, where a field holds a tuple of them."""
Biases = Mapping[Any, float] | Iterable[tuple[int | str, float]]
"""``{token: bias}``, or ``(token, bias)`` pairs, a token being an id or a string."""


def _strings(name: str, value: Strings) -> tuple[str, ...]:
    checked: tuple[str, ...] = samplers.check(Params, name, value)
    return checked


def _stop(value: Strings) -> tuple[str, ...]:
    """The four fields below take more shapes than they hold, so each has a named
    converter typed for what it takes (type checkers read ``Params``' arguments from
    them); the field's ``Sampler`` checks the value."""
    return _strings("stop", value)


def _dry_breakers(value: Strings) -> tuple[str, ...]:
    return _strings("dry_breakers", value)


def _banned(value: Strings) -> tuple[str, ...]:
    return _strings("banned", value)


def _logit_bias(value: Biases) -> tuple[tuple[int | str, float], ...]:
    checked: tuple[tuple[int | str, float], ...] = samplers.check(Params, "logit_bias", value)
    return checked


@attrs.frozen(kw_only=True)
class Params:
    """How to sample a continuation; every field is validated on construction.

    >>> Params(temperature=1.0, top_k=30)
    Params(temperature=1.0, top_k=30, max_new_tokens=64)
    >>> Params(top_k=30).evolve(top_k=40).top_k
    40

    Every field but ``max_new_tokens`` defaults to "not set" (the backend's own
    default). Backends take what they can; a field set for a backend that cannot take
    it is left out with a one-time warning. The fields, what each takes and does:
    """

    temperature: float | None = sampler(
        "number", "how random each token's choice is", low=0, note="0 means greedy decoding", wire=on("all")
    )
    top_k: int | None = sampler(
        "integer", "sample among the k most likely tokens", low=1, wire=on("vllm", "llama.cpp", "hf")
    )
    top_p: float | None = sampler(
        "number",
        "nucleus sampling, among the likeliest tokens that add up to p",
        low=0,
        high=1,
        above=True,
        wire=on("all"),
    )
    max_new_tokens: int = sampler(
        "integer",
        "the continuation's length in tokens",
        default=64,
        low=1,
        wire=on(*((server, "max_tokens") for server in _OPENAI), "hf"),
    )
    repetition_penalty: float | None = sampler(
        "number",
        "divides the odds of tokens in the repetition window",
        low=0,
        above=True,
        note="1.0 means no penalty",
        wire=on("vllm", ("llama.cpp", "repeat_penalty"), "tgi", "hf"),
    )
    seed: int | None = sampler("integer", "makes sampling reproducible", low=0, high=2**64 - 1, wire=on("all"))
    stop: tuple[str, ...] = attrs.field(
        default=(), converter=_stop, metadata=facts("strings", "strings that end the text", wire=on("all"))
    )
    do_sample: bool | None = sampler(
        "switch",
        "False: always the likeliest token (greedy decoding)",
        wire=on(*((server, "temperature") for server in _OPENAI), "hf"),  # sent there as temperature 0
    )
    logprobs: int | None = sampler(
        "integer",
        "record each token's log probability and this many alternatives",
        low=0,
        high=20,
        note="alternatives reported per token",
        wire=on("openai", "vllm", "llama.cpp", "ollama", ("hf", "top_n_tokens")),
    )
    min_p: float | None = sampler(
        "number",
        "drop tokens less likely than min_p times the likeliest one",
        low=0,
        high=1,
        note="0 turns it off",
        wire=on("vllm", "llama.cpp"),
    )
    typical_p: float | None = sampler(
        "number",
        "locally typical sampling",
        low=0,
        high=1,
        above=True,
        note="1 turns it off",
        wire=on("llama.cpp", "hf"),
    )
    presence_penalty: float | None = sampler(
        "number",
        "against every token already in the repetition window",
        low=-2,
        high=2,
        note="0 means no penalty",
        wire=on("openai", "vllm", "llama.cpp", "ollama"),
    )
    frequency_penalty: float | None = sampler(
        "number",
        "against tokens by how often they are in the repetition window",
        low=-2,
        high=2,
        note="0 means no penalty",
        wire=on("all"),
    )
    repetition_window: int | None = sampler(
        "integer",
        "the last tokens the three penalties look at",
        low=0,
        note="tokens looked back at; 0 turns the penalties off",
        wire=on(("llama.cpp", "repeat_last_n")),
    )
    dry_multiplier: float | None = sampler(
        "number",
        "DRY: penalise a token that extends a sequence already written",
        low=0,
        note="0 turns DRY off",
        wire=on("llama.cpp"),
    )
    dry_base: float | None = sampler(
        "number", "DRY: how fast the penalty grows with the sequence's length", low=1, wire=on("llama.cpp")
    )
    dry_allowed_length: int | None = sampler(
        "integer", "DRY: repeated sequences this long go unpunished", low=0, wire=on("llama.cpp")
    )
    dry_window: int | None = sampler(
        "integer",
        "DRY: the last tokens it looks at",
        low=0,
        note="tokens looked back at; 0 turns DRY off",
        wire=on(("llama.cpp", "dry_penalty_last_n")),
    )
    dry_breakers: tuple[str, ...] = attrs.field(
        default=(),
        converter=_dry_breakers,
        metadata=facts("strings", "DRY: strings that end a sequence", wire=on(("llama.cpp", "dry_sequence_breakers"))),
    )
    xtc_probability: float | None = sampler(
        "number",
        "XTC: the chance of excluding the top choices",
        low=0,
        high=1,
        note="0 turns XTC off",
        wire=on("llama.cpp"),
    )
    xtc_threshold: float | None = sampler(
        "number",
        "XTC: the probability a choice needs to be excluded (all but the least likely)",
        low=0,
        high=1,
        note="above 0.5 XTC removes nothing",
        wire=on("llama.cpp"),
    )
    mirostat: int | None = sampler(
        "integer",
        "Mirostat: a feedback loop aiming at a steady surprise, instead of top-k, top-p and min-p",
        choices={0: "off", 1: "Mirostat", 2: "Mirostat 2.0"},
        wire=on("llama.cpp"),
    )
    mirostat_tau: float | None = sampler(
        "number", "Mirostat: the surprise it aims at", low=0, note="the target surprise", wire=on("llama.cpp")
    )
    mirostat_eta: float | None = sampler(
        "number", "Mirostat: how fast it adapts", low=0, above=True, note="the learning rate", wire=on("llama.cpp")
    )
    banned: tuple[str, ...] = attrs.field(
        default=(),
        converter=_banned,
        metadata=facts("phrases", "phrases never written (in any case); /.../ is a regular expression", sent=False),
    )
    logit_bias: tuple[tuple[int | str, float], ...] = attrs.field(
        default=(),
        converter=_logit_bias,
        metadata=facts(
            "bias",
            "added to a token's logits, for a token id or each token of a string (-100 bans it)",
            wire=on("openai", "vllm", "llama.cpp"),
        ),
    )

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
        for field in attrs.fields(type(self)):
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
        if isinstance(name, str) and name in _PRESETS:
            return _PRESETS[name]
        guess = difflib.get_close_matches(str(name), list(_PRESETS), n=1)
        raise ParamsError(
            field="preset",
            value=name,
            allowed="one of " + ", ".join(map(repr, _PRESETS)),
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


if Params.__doc__:  # None under python -OO
    Params.__doc__ += described(Params)

_PRESETS: Mapping[str, Params] = {name: Params(**settings) for name, settings in presets.PRESETS.items()}
"""Every preset as a ``Params`` value, built once."""

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
