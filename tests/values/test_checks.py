"""Argument checks: each failure is a ParamsError naming the argument and what is allowed."""

from __future__ import annotations

from typing import Any

import attrs
import pytest

from complete import ParamsError
from complete.values.checks import integer, one_of, optional, text, typed, validator


@pytest.mark.parametrize(
    ("check", "value", "message"),
    [
        (lambda v: integer("n", v, low=1, high=3), 0, "n=0 is not allowed: expected an integer from 1 to 3"),
        (lambda v: integer("n", v, low=1, high=3), True, "n=True is not allowed: expected an integer from 1 to 3"),
        (lambda v: integer("n", v, low=1, high=3), 2.0, "n=2.0 is not allowed: expected an integer from 1 to 3"),
        (lambda v: integer("n", v, low=0), -1, "n=-1 is not allowed: expected an integer >= 0"),
        (lambda v: integer("n", v, high=9), 10, "n=10 is not allowed: expected an integer <= 9"),
        (lambda v: integer("n", v), "1", "n='1' is not allowed: expected an integer"),
        (lambda v: text("t", v), b"x", "t=b'x' is not allowed: expected a str"),
        (lambda v: text("t", v, "a word", empty=False), "", "t='' is not allowed: expected a word"),
        (lambda v: text("t", v, "a word", blank=False), " \n", "t=' \\n' is not allowed: expected a word"),
        (lambda v: typed("p", v, int, "a count"), False, "p=False is not allowed: expected a count"),
        (lambda v: one_of("c", v, ("a", "b")), "z", "c='z' is not allowed: expected one of 'a', 'b'"),
    ],
)
def test_a_failed_check_says_what_was_given_and_what_is_allowed(check: Any, value: object, message: str) -> None:
    with pytest.raises(ParamsError) as caught:
        check(value)
    assert str(caught.value) == message


def test_a_passed_check_returns_the_value() -> None:
    assert integer("n", 3, low=1, high=3) == 3
    assert text("t", " ", empty=False) == " "
    assert typed("p", 5, int, "a count") == 5
    assert one_of("c", "a", ("a", "b")) == "a"
    assert optional(integer)("n", None, low=1) is None
    with pytest.raises(ParamsError, match="n=0"):
        optional(integer)("n", 0, low=1)


def test_a_validator_names_the_attribute() -> None:
    @attrs.frozen
    class Lines:
        count: int = attrs.field(validator=validator(integer, low=0))

    with pytest.raises(ParamsError) as caught:
        Lines(-2)
    assert (caught.value.field, caught.value.value) == ("count", -2)
    assert Lines(2).count == 2
