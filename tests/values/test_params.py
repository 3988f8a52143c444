"""Params: validation names field, value and range; round trips (dicts, JSON, session files, JSONL); did-you-mean."""

from __future__ import annotations

import contextlib
import json
import math
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from complete import Params, ParamsError, Story
from complete.interchange import from_jsonl, to_jsonl
from complete.interchange.session_json import read_session, write_session
from complete.writing.session import Session


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
        ("seed", -1, "an integer with 0 <= seed <= 18446744073709551615"),
        ("seed", 2**64, "an integer with 0 <= seed <= 18446744073709551615"),
        ("stop", [""], "a string or a list of non-empty strings"),
        ("stop", [1], "a string or a list of non-empty strings"),
        ("stop", b"x", "a string or a list of non-empty strings"),
        ("do_sample", "yes", "True, False or None"),
        ("logprobs", 21, "an integer with 0 <= logprobs <= 20 (alternatives reported per token)"),
        ("min_p", -0.01, "a number with 0 <= min_p <= 1 (0 turns it off)"),
        ("min_p", 1.5, "a number with 0 <= min_p <= 1 (0 turns it off)"),
        ("typical_p", 0, "a number with 0 < typical_p <= 1 (1 turns it off)"),
        ("typical_p", 1.01, "a number with 0 < typical_p <= 1 (1 turns it off)"),
        ("presence_penalty", -2.01, "a number with -2 <= presence_penalty <= 2 (0 means no penalty)"),
        ("presence_penalty", math.inf, "a number with -2 <= presence_penalty <= 2 (0 means no penalty)"),
        ("frequency_penalty", 2.5, "a number with -2 <= frequency_penalty <= 2 (0 means no penalty)"),
        ("repetition_window", -1, "an integer >= 0 (tokens looked back at; 0 turns the penalties off)"),
        ("repetition_window", 64.5, "an integer >= 0 (tokens looked back at; 0 turns the penalties off)"),
        ("dry_multiplier", -0.5, "a number >= 0 (0 turns DRY off)"),
        ("dry_base", 0.99, "a number >= 1"),
        ("dry_allowed_length", -1, "an integer >= 0"),
        ("dry_allowed_length", "2", "an integer >= 0"),
        ("dry_window", -1, "an integer >= 0 (tokens looked back at; 0 turns DRY off)"),
        ("dry_breakers", [""], "a string or a list of non-empty strings"),
        ("dry_breakers", {"\n": 1}, "a string or a list of non-empty strings"),
        ("dry_breakers", 7, "a string or a list of non-empty strings"),
        ("xtc_probability", 1.01, "a number with 0 <= xtc_probability <= 1 (0 turns XTC off)"),
        ("xtc_threshold", -0.1, "a number with 0 <= xtc_threshold <= 1 (above 0.5 XTC removes nothing)"),
        ("mirostat", 3, "0 (off), 1 (Mirostat) or 2 (Mirostat 2.0)"),
        ("mirostat", True, "0 (off), 1 (Mirostat) or 2 (Mirostat 2.0)"),
        ("mirostat_tau", -1, "a number >= 0 (the target surprise)"),
        ("mirostat_eta", 0, "a number > 0 (the learning rate)"),
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
    params = Params(repetition_window=256.0, dry_allowed_length=3.0, dry_window=512.0, mirostat=2.0)
    assert (params.repetition_window, params.dry_allowed_length, params.dry_window, params.mirostat) == (256, 3, 512, 2)
    assert all(type(value) is int for value in (params.repetition_window, params.dry_window, params.mirostat))


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("min_p", 0),
        ("min_p", 1),
        ("typical_p", 1),
        ("presence_penalty", -2),
        ("presence_penalty", 2),
        ("frequency_penalty", -2),
        ("frequency_penalty", 2),
        ("repetition_window", 0),
        ("dry_multiplier", 0),
        ("dry_base", 1),
        ("dry_allowed_length", 0),
        ("dry_window", 0),
        ("xtc_probability", 0),
        ("xtc_probability", 1),
        ("xtc_threshold", 0),
        ("xtc_threshold", 1),
        ("mirostat", 0),
        ("mirostat", 2),
        ("mirostat_tau", 0),
    ],
)
def test_the_ends_of_each_range_are_accepted_and_shown(field: str, value: float) -> None:
    params = Params(**{field: value})
    assert getattr(params, field) == value
    assert params.to_dict() == {"max_new_tokens": 64, field: value}


def test_repr_and_to_dict_show_only_the_samplers_that_are_set() -> None:
    params = Params(min_p=0.1, dry_multiplier=0.8, dry_breakers="\n", mirostat=0)
    assert repr(params) == "Params(max_new_tokens=64, min_p=0.1, dry_multiplier=0.8, dry_breakers=['\\n'], mirostat=0)"
    assert params.to_dict() == {
        "max_new_tokens": 64,
        "min_p": 0.1,
        "dry_multiplier": 0.8,
        "dry_breakers": ["\n"],
        "mirostat": 0,
    }


def test_dry_breakers_take_one_string_or_a_list_and_keep_a_tuple() -> None:
    assert Params(dry_breakers="\n").dry_breakers == ("\n",)
    assert Params(dry_breakers=["\n", ":", "THE END"]).dry_breakers == ("\n", ":", "THE END")
    assert Params(dry_breakers=[]).dry_breakers == ()
    assert Params(dry_breakers=[]).to_dict() == {"max_new_tokens": 64}


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
    seed=st.none() | st.integers(0, 2**64 - 1),
    stop=st.lists(st.text(min_size=1), max_size=3),
    do_sample=st.none() | st.booleans(),
    logprobs=st.none() | st.integers(0, 20),
    min_p=st.none() | st.floats(0, 1),
    typical_p=st.none() | st.floats(0.001, 1),
    presence_penalty=st.none() | st.floats(-2, 2),
    frequency_penalty=st.none() | st.floats(-2, 2),
    repetition_window=st.none() | st.integers(0, 100_000),
    dry_multiplier=st.none() | st.floats(0, 100),
    dry_base=st.none() | st.floats(1, 10),
    dry_allowed_length=st.none() | st.integers(0, 100),
    dry_window=st.none() | st.integers(0, 100_000),
    dry_breakers=st.lists(st.text(min_size=1, max_size=4), max_size=5),
    xtc_probability=st.none() | st.floats(0, 1),
    xtc_threshold=st.none() | st.floats(0, 1),
    mirostat=st.none() | st.sampled_from([0, 1, 2]),
    mirostat_tau=st.none() | st.floats(0, 20),
    mirostat_eta=st.none() | st.floats(0.001, 1),
)


@given(params_strategy)
def test_to_dict_round_trips(params: Params) -> None:
    assert Params.from_dict(params.to_dict()) == params


@given(params_strategy)
def test_to_dict_round_trips_through_json_text(params: Params) -> None:
    assert Params.from_dict(json.loads(json.dumps(params.to_dict()))) == params


@given(st.dictionaries(st.text(max_size=20), st.none() | st.integers() | st.floats() | st.text() | st.booleans()))
def test_from_dict_on_arbitrary_dicts_raises_only_params_error(data: dict[str, Any]) -> None:
    with contextlib.suppress(ParamsError):
        Params.from_dict(data)


def test_an_enormous_int_is_named_without_failing_to_print() -> None:
    with pytest.raises(ParamsError) as caught:
        Params(top_k=-(10**5000))
    assert str(caught.value).startswith("top_k=<an int of 16610 bits> is not allowed")


@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(params_strategy)
def test_every_sampler_survives_a_session_file_and_jsonl(tmp_path: Path, params: Params) -> None:
    story = Story.from_prompt("Once").extend(" upon", origin="model", params=params)
    write_session(tmp_path / "story.json", Session(current=story, params=params))
    loaded = read_session(tmp_path / "story.json")
    assert (loaded.params, loaded.current.params) == (params, params)
    assert from_jsonl(to_jsonl(story)).current.params == params
