"""A sampling parameter's facts, stated once, on its ``Params`` field.

``sampler(...)`` declares a field together with its ``Sampler``: the values it takes
(checked when a ``Params`` is built, and said in the error), what it does in one line,
and the name each server gives it on the wire. Whatever needs those facts reads them
from the field (``of(field)``): the checks and their messages, the command line's
options and help, the wire modules' name tables, ``help(Params)``, and the README's
sampler table (a test compares it with the fields). A new sampler is one field; a
wire module changes only when its server takes the sampler under a rule of its own.

This module knows no ``Params`` and no transport and does no I/O: how a value is
sent (greedy decoding, seeds too large for a server, the shapes of a logit bias) is
each wire module's business.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import Any, Literal

import attrs

from complete.errors import ParamsError
from complete.values import checks
from complete.values.phrases import compile_phrase

__all__ = ["SERVERS", "Sampler", "Wire", "check", "described", "facts", "of", "on", "sampler", "wire_names"]

SERVERS = ("openai", "vllm", "llama.cpp", "tgi", "ollama", "hf")
"""The wires a sampler can travel on: the five dialects of OpenAI's completions API
(``complete.transports.openai.wire``; the embedded model speaks "llama.cpp") and "hf",
the Hugging Face text-generation wire (TGI's own route, ``complete.transports.hf.wire``)."""

Kind = Literal["number", "integer", "switch", "strings", "phrases", "bias"]
Wire = Mapping[str, str]

INT_MAX = 2**31 - 1
"""The largest count a server takes: llama.cpp, TGI and vLLM read them as 32-bit integers."""
FLOAT_MAX = 3.4028234663852886e38
"""The largest number a server's 32-bit float holds (llama.cpp's samplers are floats)."""

_WORDS: Mapping[str, str] = {
    "switch": "True, False or None",
    "strings": "a string or a list of non-empty strings",
    "phrases": "a string or a list of non-empty strings",
    "bias": "{token: bias} or (token, bias) pairs: a token id >= 0 or a non-empty string, a bias in -100 .. 100",
}


def on(*servers: str | tuple[str, str]) -> Wire:
    """The servers that take a sampler: a name alone takes it under the field's own
    name, a ``(server, wire name)`` pair under another; "all" is every server."""
    wire: dict[str, str] = {}
    for server in servers:
        name, renamed = server if isinstance(server, tuple) else (server, "")
        for one in SERVERS if name == "all" else (name,):
            if one not in SERVERS:
                raise ValueError(f"{one!r} is not one of the servers {SERVERS}")
            wire[one] = renamed
    return MappingProxyType(wire)


@attrs.frozen
class Sampler:
    """What one ``Params`` field is: its ``kind`` of value and range (``low`` ..
    ``high``, ``low`` itself excluded when ``above``; ``choices`` for a few named
    integers), ``note`` on what a value means, ``meaning`` in one line, the ``wire``
    name by server ("" for the field's own name), ``sent`` False for a field no
    server is sent (the writing layer acts on it), and whether None is ``optional``."""

    kind: Kind
    meaning: str
    low: float | None = None
    high: float | None = None
    above: bool = False
    note: str = ""
    choices: Mapping[int, str] = attrs.field(factory=dict)
    wire: Wire = attrs.field(factory=dict)
    sent: bool = True
    optional: bool = True

    def allowed(self, name: str) -> str:
        """The values this field takes, in the words of its error message.

        >>> Sampler("number", "nucleus sampling", low=0, high=1, above=True).allowed("top_p")
        'a number with 0 < top_p <= 1'
        """
        if self.kind in _WORDS:
            return _WORDS[self.kind]
        if self.choices:
            *first, (last, what) = self.choices.items()
            words = ", ".join(f"{value} ({said})" for value, said in first) + f" or {last} ({what})"
        else:
            lower = "<" if self.above else "<="
            words = "a number" if self.kind == "number" else "an integer"
            if self.low is not None and self.high is not None:
                words += f" with {self.low} {lower} {name} <= {self.high}"
            elif self.low is not None:
                words += f" {'>' if self.above else '>='} {self.low}"
        return f"{words} ({self.note})" if self.note else words

    def wire_name(self, field: str, server: str) -> str | None:
        """The name ``server`` gives this field, or None when it does not take it."""
        name = self.wire.get(server)
        return None if name is None else name or field

    def check(self, field: str, value: object) -> Any:
        """``value`` checked and normalised (an int for an integral float, a tuple for
        a list), or a ``ParamsError`` naming ``field``, the value and ``allowed``."""
        try:
            return self._normalised(field, value)
        except _RefusedError as refused:
            allowed = refused.said or self.allowed(field) + refused.beyond
            raise ParamsError(field=field, value=value, allowed=allowed) from refused.__cause__

    def _normalised(self, field: str, value: object) -> Any:
        if value is None and self.optional:
            return None
        if self.kind == "switch":
            if isinstance(value, bool):
                return value
            raise _RefusedError
        if self.kind == "bias":
            return _bias_pairs(value)
        if self.kind in ("strings", "phrases"):
            return _strings(field, value, phrases=self.kind == "phrases")
        number: float = _number(value) if self.kind == "number" else _integer(value)
        if not self._admits(number):
            raise _RefusedError
        if self.kind == "number" and abs(number) > FLOAT_MAX:
            raise _RefusedError(beyond=f", at most {FLOAT_MAX:.3g} (a 32-bit float)")
        if self.kind == "integer" and self.high is None and abs(number) > INT_MAX:  # a count with no bound of its own
            raise _RefusedError(beyond=f", at most {INT_MAX} (a 32-bit integer)")
        return number

    def _admits(self, number: float) -> bool:
        if self.choices:
            return number in self.choices
        low_ok = self.low is None or (number > self.low if self.above else number >= self.low)
        return low_ok and (self.high is None or number <= self.high)


def sampler(kind: Kind, meaning: str, *, default: Any = None, **facts: Any) -> Any:
    """A ``Params`` field with its ``Sampler`` in ``metadata["sampler"]``; its value is
    checked by the sampler on construction and on ``evolve``. (Typed ``Any``, so that a
    type checker takes the field's annotation as its type.)"""
    spec = Sampler(kind, meaning, optional=default is None, **facts)
    return attrs.field(
        default=default, converter=attrs.Converter(_checked, takes_field=True), metadata={"sampler": spec}
    )


def facts(kind: Kind, meaning: str, **facts: Any) -> dict[str, Sampler]:
    """The metadata of a field written as ``attrs.field(converter=...)`` with a named,
    typed converter of its own (a field that takes more shapes than it holds, such as
    one string for a tuple of them): type checkers read what ``Params`` takes only from
    an ``attrs.field`` written out. Its converter calls ``check``."""
    return {"sampler": Sampler(kind, meaning, optional=False, **facts)}


def check(params: type[Any], name: str, value: object) -> Any:
    """``value`` for ``params``' field ``name``, checked by the field's ``Sampler``."""
    return of(getattr(attrs.fields(params), name)).check(name, value)  # attrs keeps fields by name


def of(field: attrs.Attribute[Any]) -> Sampler:
    """The ``Sampler`` of a ``Params`` field."""
    spec: Sampler = field.metadata["sampler"]
    return spec


def wire_names(params: type[Any], server: str) -> Mapping[str, str]:
    """Field name -> wire name of every field of ``params`` that ``server`` takes, in field order."""
    fields = attrs.fields(params)
    return MappingProxyType(
        {field.name: name for field in fields if (name := of(field).wire_name(field.name, server)) is not None}
    )


def described(params: type[Any]) -> str:
    """One line per field of ``params``: its name, what it does and the values it takes
    (the end of ``Params``' docstring)."""
    lines = [
        f"    - ``{field.name}``: {of(field).meaning}; {of(field).allowed(field.name)}."
        for field in attrs.fields(params)
    ]
    return "\n" + "\n".join(lines) + "\n"


def _checked(value: object, field: attrs.Attribute[Any]) -> Any:
    return of(field).check(field.name, value)


class _RefusedError(Exception):
    """A value the sampler does not take; ``check`` says why in the field's words, or in
    ``said``, with ``beyond`` added (a limit of the servers' own)."""

    def __init__(self, *, said: str = "", beyond: str = "") -> None:
        super().__init__(said)
        self.said = said
        self.beyond = beyond


def _number(value: object) -> float:
    # abs(value) <= the largest float: false for NaN and inf, and for ints too big to convert.
    if isinstance(value, bool) or not isinstance(value, int | float) or not abs(value) <= sys.float_info.max:
        raise _RefusedError
    return float(value)


def _integer(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        # An integral float such as 30.0 is accepted: JSON and sliders produce them.
        if isinstance(value, float) and value.is_integer():
            return int(value)
        raise _RefusedError
    return value


def _strings(field: str, value: object, *, phrases: bool) -> tuple[str, ...]:
    """One string or an iterable of non-empty strings, as a tuple; None is ()."""
    if value is None:
        return ()
    if isinstance(value, str):
        value = (value,)
    if isinstance(value, bytes | Mapping) or not isinstance(value, Iterable):
        raise _RefusedError
    items = tuple(value)
    if not all(isinstance(item, str) and item for item in items):
        raise _RefusedError
    for item in items:
        checks.text(field, item)  # no lone surrogates (complete.values.surrogates)
        if phrases:
            try:
                compile_phrase(item)
            except re.error as exc:
                said = f"phrases, or regular expressions between slashes; {item!r} is not one ({exc})"
                raise _RefusedError(said=said) from exc
    return items


def _bias_pairs(value: object) -> tuple[tuple[int | str, float], ...]:
    """Pairs of (token id or string, bias in -100 .. 100), from pairs or a mapping."""
    if value is None:
        return ()
    items = value.items() if isinstance(value, Mapping) else value
    if isinstance(items, str | bytes) or not isinstance(items, Iterable):
        raise _RefusedError
    pairs: list[tuple[int | str, float]] = []
    for item in items:
        pair = tuple(item) if isinstance(item, list | tuple) else ()
        if len(pair) != 2:
            raise _RefusedError
        token, bias = pair
        if isinstance(token, bool) or not (
            (isinstance(token, int) and token >= 0) or (isinstance(token, str) and token)
        ):
            raise _RefusedError
        number = _number(bias)
        if not -100 <= number <= 100:
            raise _RefusedError
        pairs.append((token, number))
    return tuple(pairs)
