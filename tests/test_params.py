"""Params: validation names field, value and range; round trips; did-you-mean."""

from __future__ import annotations

import contextlib
import math
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from complete import Params, ParamsError


def test_defaults_are_unset_except_length() -> None:
    assert Params().to_dict() == {"max_new_tokens": 64}


def test_readme_parameters_are_kept() -> None:
    params = Params(temperature=1.0, top_k=30)
    assert (params.temperature, params.top_k, params.max_new_tokens) == (1.0, 30, 64)
    assert repr(params) == "Params(temperature=1.0, top_k=30, max_new_tokens=64)"


@pytest.mark.parametrize(
    ("field", "value", "allowed"),
    [
        ("temperature", -0.1, "a number >= 0 (0 means greedy decoding)"),
        ("temperature", math.nan, "a number >= 0 (0 means greedy decoding)"),
        ("temperature", "hot", "a number >= 0 (0 means greedy decoding)"),
        ("temperature", True, "a number >= 0 (0 means greedy decoding)"),
        ("top_k", 0, "an integer >= 1"),
        ("top_k", 2.5, "an integer >= 1"),
        ("top_p", 0, "a number with 0 < top_p <= 1"),
        ("top_p", 1.01, "a number with 0 < top_p <= 1"),
        ("max_new_tokens", 0, "an integer >= 1"),
        ("max_new_tokens", None, "an integer >= 1"),
        ("repetition_penalty", 0, "a number > 0 (1.0 means no penalty)"),
        ("seed", -1, "an integer with 0 <= seed <= 4294967295"),
        ("seed", 2**32, "an integer with 0 <= seed <= 4294967295"),
        ("stop", [""], "a string or a list of non-empty strings"),
        ("stop", [1], "a string or a list of non-empty strings"),
        ("stop", b"x", "a string or a list of non-empty strings"),
        ("do_sample", "yes", "True, False or None"),
        ("logprobs", 21, "an integer with 0 <= logprobs <= 20 (alternatives reported per token)"),
    ],
)
def test_bad_values_name_field_value_and_range(field: str, value: Any, allowed: str) -> None:
    with pytest.raises(ParamsError) as caught:
        Params(**{field: value})
    error = caught.value
    assert (error.field, error.allowed) == (field, allowed)
    assert error.value is value or (isinstance(value, float) and math.isnan(value))
    assert str(error) == f"{field}={value!r} is not allowed: expected {allowed}"
    assert isinstance(error, ValueError)


def test_stop_accepts_one_string_or_a_list_and_keeps_a_tuple() -> None:
    assert Params(stop="\n").stop == ("\n",)
    assert Params(stop=["a", "b"]).stop == ("a", "b")


def test_integral_floats_are_accepted_for_integer_fields() -> None:
    assert Params(top_k=30.0, max_new_tokens=20.0).top_k == 30


def test_from_dict_rejects_unknown_keys_with_a_hint() -> None:
    with pytest.raises(ParamsError) as caught:
        Params.from_dict({"temprature": 0.7})
    assert caught.value.field == "temprature"
    assert str(caught.value).endswith("Did you mean 'temperature'?")


def test_from_dict_without_close_match_has_no_hint() -> None:
    with pytest.raises(ParamsError) as caught:
        Params.from_dict({"zzz": 1})
    assert "Did you mean" not in str(caught.value)


def test_evolve_validates_and_rejects_unknown_names() -> None:
    params = Params(top_k=30)
    assert params.evolve(top_k=40) == Params(top_k=40)
    assert params == Params(top_k=30)
    with pytest.raises(ParamsError):
        params.evolve(top_k=0)
    with pytest.raises(ParamsError, match="Did you mean 'top_p'"):
        params.evolve(top_pp=0.5)


def test_from_dict_rejects_non_mappings() -> None:
    with pytest.raises(ParamsError):
        Params.from_dict([("top_k", 3)])  # type: ignore[arg-type]


params_strategy = st.builds(
    Params,
    temperature=st.none() | st.floats(0, 5),
    top_k=st.none() | st.integers(1, 1000),
    top_p=st.none() | st.floats(0.001, 1),
    max_new_tokens=st.integers(1, 4096),
    repetition_penalty=st.none() | st.floats(0.01, 3),
    seed=st.none() | st.integers(0, 2**32 - 1),
    stop=st.lists(st.text(min_size=1), max_size=3),
    do_sample=st.none() | st.booleans(),
    logprobs=st.none() | st.integers(0, 20),
)


@given(params_strategy)
def test_to_dict_round_trips(params: Params) -> None:
    assert Params.from_dict(params.to_dict()) == params


@given(st.dictionaries(st.text(max_size=20), st.none() | st.integers() | st.floats() | st.text() | st.booleans()))
def test_from_dict_on_arbitrary_dicts_raises_only_params_error(data: dict[str, Any]) -> None:
    with contextlib.suppress(ParamsError):
        Params.from_dict(data)


def test_an_enormous_int_is_named_without_failing_to_print() -> None:
    with pytest.raises(ParamsError) as caught:
        Params(top_k=-(10**5000))
    assert str(caught.value).startswith("top_k=<an int of 16610 bits> is not allowed")
