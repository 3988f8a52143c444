"""Params: validation names field, value and range; round trips (dicts, JSON, session files, JSONL); did-you-mean."""

from __future__ import annotations

import contextlib
import json
import math
import typing
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from complete import Params, ParamsError, Story
from complete.interchange import from_jsonl, to_jsonl
from complete.interchange.session_json import read_session, write_session
from complete.values import params as params_module
from complete.values import samplers
from complete.writing.session import Session
from tests.helpers.strategies import params_strategy


def test_defaults_are_unset_except_length() -> None:
    assert Params().to_dict() == {"max_new_tokens": 64}


def test_readme_parameters_are_kept() -> None:
    params = Params(temperature=1.0, top_k=30)
    assert (params.temperature, params.top_k, params.max_new_tokens) == (1.0, 30, 64)
    assert repr(params) == "Params(temperature=1.0, top_k=30, max_new_tokens=64)"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("temperature", -0.1),
        ("temperature", math.nan),
        ("temperature", "hot"),
        ("temperature", True),
        ("top_k", 0),
        ("top_k", 2.5),
        ("top_p", 0),
        ("top_p", 1.01),
        ("max_new_tokens", 0),
        ("max_new_tokens", None),
        ("repetition_penalty", 0),
        ("seed", -1),
        ("seed", 2**64),
        ("stop", [""]),
        ("stop", [1]),
        ("stop", b"x"),
        ("do_sample", "yes"),
        ("logprobs", 21),
        ("min_p", -0.01),
        ("min_p", 1.5),
        ("typical_p", 0),
        ("typical_p", 1.01),
        ("presence_penalty", -2.01),
        ("presence_penalty", math.inf),
        ("frequency_penalty", 2.5),
        ("repetition_window", -1),
        ("repetition_window", 64.5),
        ("dry_multiplier", -0.5),
        ("dry_base", 0.99),
        ("dry_allowed_length", -1),
        ("dry_allowed_length", "2"),
        ("dry_window", -1),
        ("dry_breakers", [""]),
        ("dry_breakers", {"\n": 1}),
        ("dry_breakers", 7),
        ("xtc_probability", 1.01),
        ("xtc_threshold", -0.1),
        ("mirostat", 3),
        ("mirostat", True),
        ("mirostat_tau", -1),
        ("mirostat_eta", 0),
    ],
)
def test_bad_values_name_field_value_and_range(field: str, value: Any) -> None:
    allowed = samplers.of(attrs.fields_dict(Params)[field]).allowed(field)  # the field's own words
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


def test_the_fields_that_take_more_shapes_than_they_hold_say_so_to_type_checkers() -> None:
    """``Params(stop="\\n")`` and ``Params(logit_bias={...})`` work, so ``__init__``'s
    annotations (what mypy's and pyright's attrs support read from a named converter)
    take those shapes, while the fields hold tuples."""
    taken = typing.get_type_hints(Params.__init__, vars(params_module))
    held = typing.get_type_hints(Params, vars(params_module))
    strings = str | Iterable[str]
    assert {name: taken[name] for name in ("stop", "dry_breakers", "banned")} == dict.fromkeys(
        ("stop", "dry_breakers", "banned"), strings
    )
    assert taken["logit_bias"] == Mapping[Any, float] | Iterable[tuple[int | str, float]]
    assert {name: held[name] for name in ("stop", "banned", "logit_bias")} == {
        "stop": tuple[str, ...],
        "banned": tuple[str, ...],
        "logit_bias": tuple[tuple[int | str, float], ...],
    }
    given = Params(stop="\n", dry_breakers="\n", banned="as an ai", logit_bias={"x": -100, 15: 2})
    assert (given.stop, given.dry_breakers, given.banned, given.logit_bias) == (
        ("\n",),
        ("\n",),
        ("as an ai",),
        (("x", -100.0), (15, 2.0)),
    )
    with pytest.raises(ParamsError, match=r"^stop=3 is not allowed: expected a string or a list of non-empty strings"):
        Params(stop=3)  # type: ignore[arg-type]
