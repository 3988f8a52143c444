"""Generation and TokenLogprob: checked on construction, with ParamsError, and round-tripped."""

from __future__ import annotations

from typing import Any

import pytest

from complete import Generation, ParamsError, TokenLogprob


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"text": 3}, "text"),
        ({"text": "a", "finish_reason": "done"}, "finish_reason"),
        ({"text": "a", "prompt_tokens": "7"}, "prompt_tokens"),
        ({"text": "a", "completion_tokens": True}, "completion_tokens"),
        ({"text": "a", "backend": 1}, "backend"),
        ({"text": "a", "model": ["m"]}, "model"),
        ({"text": "a", "seed": 1.5}, "seed"),
        ({"text": "a", "elapsed": "1 s"}, "elapsed"),
        ({"text": "a", "logprobs": 5}, "logprobs"),
        ({"text": "a", "logprobs": [{"token": "a"}]}, "logprobs"),
        ({"text": "a", "logprobs": [{"token": 1, "logprob": 0.0}]}, "token"),
    ],
)
def test_a_bad_field_is_a_params_error_naming_it(fields: dict[str, Any], field: str) -> None:
    with pytest.raises(ParamsError) as caught:
        Generation(**fields)
    assert caught.value.field == field


@pytest.mark.parametrize(
    ("args", "field"),
    [
        ((1, -0.5), "token"),
        (("a", "-0.5"), "logprob"),
        (("a", True), "logprob"),
        (("a", 10**400), "logprob"),
        (("a", -0.5, [("b",)]), "top"),
        (("a", -0.5, [(2, -1.0)]), "top"),
        (("a", -0.5, "ab"), "top"),
        (("a", -0.5, [("b", "x")]), "top"),
    ],
)
def test_a_bad_token_logprob_is_a_params_error_naming_the_field(args: tuple[Any, ...], field: str) -> None:
    with pytest.raises(ParamsError) as caught:
        TokenLogprob(*args)
    assert caught.value.field == field


def test_from_dict_refuses_unknown_and_missing_fields() -> None:
    with pytest.raises(ParamsError, match="texts='a' is not allowed: expected one of"):
        Generation.from_dict({"texts": "a"})
    with pytest.raises(ParamsError, match="text=None is not allowed"):
        Generation.from_dict({"seed": 1})
    with pytest.raises(ParamsError, match="expected objects with token, logprob and top"):
        TokenLogprob.from_dict({"token": "a", "logprob": 0.0, "rank": 1})


def test_to_dict_and_back() -> None:
    written = {"text": " a", "finish_reason": "stop", "prompt_tokens": 3, "seed": 2, "elapsed": 0.5}
    written["logprobs"] = [{"token": " a", "logprob": -1, "top": [[" a", -1], [" b", -2]]}]
    generation = Generation.from_dict(written)
    assert generation.logprobs == (TokenLogprob(" a", -1.0, ((" a", -1.0), (" b", -2.0))),)
    assert generation.to_dict() == {
        **written,
        "logprobs": [{"token": " a", "logprob": -1.0, "top": [[" a", -1.0], [" b", -2.0]]}],
    }
    assert Generation.from_dict(generation.to_dict()) == generation
