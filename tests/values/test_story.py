"""Story: a persistent tree node; sharing, caching, no recursion, JSON form."""

from __future__ import annotations

import contextlib
import json
import sys
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from complete import Generation, Params, ParamsError, Story, StoryFormatError, TokenLogprob
from tests.helpers.strategies import json_values


def test_from_prompt_reformats_unless_asked_not_to() -> None:
    assert Story.from_prompt("a\nb").text == "a b"
    assert Story.from_prompt("a\nb", reformat=False).text == "a\nb"


@pytest.mark.parametrize("prompt", ["", "   ", "\n\n\t"])
def test_blank_prompt_is_a_params_error(prompt: str) -> None:
    with pytest.raises(ParamsError, match="prompt="):
        Story.from_prompt(prompt)


def test_non_string_prompt_is_a_params_error() -> None:
    with pytest.raises(ParamsError) as caught:
        Story.from_prompt(42)  # type: ignore[arg-type]
    assert (caught.value.field, caught.value.allowed) == ("prompt", "a str")


def test_extend_shares_the_past_and_leaves_it_unchanged() -> None:
    root = Story.from_prompt("Once")
    a = root.extend(" upon", origin="model")
    b = root.extend(" more", origin="user")
    assert (root.text, a.text, b.text) == ("Once", "Once upon", "Once more")
    assert a.parent is root
    assert b.parent is root
    assert a.root is root
    assert root.root is root
    assert (a.depth, a.length, a.new_text) == (1, 9, " upon")


def test_only_the_root_is_a_prompt() -> None:
    with pytest.raises(ValueError, match="only a root story"):
        Story.from_prompt("x").extend("y", origin="prompt")


def test_segments_and_path() -> None:
    story = Story.from_prompt("A").extend("B").extend("C")
    assert story.segments == ("A", "B", "C")
    assert [node.segment for node in story.path] == ["A", "B", "C"]


def test_equality_is_by_value_and_hash_agrees() -> None:
    params = Params(seed=1)
    one = Story.from_prompt("A").extend("B", origin="model", params=params, generation=Generation(text="B"))
    two = Story.from_prompt("A").extend("B", origin="model", params=params, generation=Generation(text="B"))
    assert one == two
    assert hash(one) == hash(two)
    assert one != Story.from_prompt("A").extend("B", origin="user")
    assert one != Story.from_prompt("A")
    assert one != "A B"


def test_elapsed_time_does_not_affect_equality() -> None:
    a = Story.from_prompt("A").extend("B", origin="model", generation=Generation(text="B", elapsed=1.0))
    b = Story.from_prompt("A").extend("B", origin="model", generation=Generation(text="B", elapsed=2.0))
    assert a == b


def _deep(count: int) -> Story:
    story = Story.from_prompt("start")
    for index in range(count):
        story = story.extend(f" {index}", origin="model" if index % 2 else "user")
    return story


def test_ten_thousand_nodes_deep_without_recursion() -> None:
    depth = 10 * sys.getrecursionlimit()
    one, two = _deep(depth), _deep(depth)
    assert one == two
    assert hash(one) == hash(two)
    assert one.text.endswith(f" {depth - 1}")
    assert len(one.to_dict()["nodes"]) == depth + 1
    assert Story.from_dict(one.to_dict()) == one
    assert len(repr(one)) < 120
    assert one != _deep(depth - 1).extend(" x", origin="user")


def test_text_is_cached_and_a_child_takes_over_its_parents_cache() -> None:
    parent = Story.from_prompt("a").extend("b")
    assert parent.text == "ab"
    child = parent.extend("c")
    assert child.text == "abc"
    assert child._text == "abc"
    assert parent._text is None  # handed over to keep memory linear...
    assert parent.text == "ab"  # ...and rebuilt on demand


def test_repr_is_one_short_line() -> None:
    story = Story.from_prompt("x" * 1000).extend("y" * 500, origin="model")
    text = repr(story)
    assert "\n" not in text
    assert len(text) < 120
    assert text.startswith("Story(depth=1, length=1500, origin='model', new_text='…yyy")


def test_to_dict_is_stable_and_versioned() -> None:
    params = Params(temperature=0.5, stop=["\n"])
    generation = Generation(
        text=" b",
        finish_reason="length",
        completion_tokens=2,
        backend="local",
        seed=7,
        logprobs=(TokenLogprob(" b", -0.5, ((" b", -0.5), (" c", -1.5))),),
    )
    story = Story.from_prompt("a").extend(" b", origin="model", params=params, generation=generation, interrupted=True)
    assert story.to_dict() == {
        "format": "complete.story",
        "version": 1,
        "nodes": [
            {"segment": "a", "origin": "prompt"},
            {
                "segment": " b",
                "origin": "model",
                "params": {"temperature": 0.5, "max_new_tokens": 64, "stop": ["\n"]},
                "generation": {
                    "text": " b",
                    "finish_reason": "length",
                    "completion_tokens": 2,
                    "backend": "local",
                    "seed": 7,
                    "logprobs": [{"token": " b", "logprob": -0.5, "top": [[" b", -0.5], [" c", -1.5]]}],
                },
                "interrupted": True,
            },
        ],
    }
    assert Story.from_dict(json.loads(json.dumps(story.to_dict()))) == story


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ([], "expected a story object, found list"),
        ({"format": "other", "version": 1}, "format: expected 'complete.story', found 'other'"),
        ({"format": "complete.story", "version": 99, "nodes": []}, "version: this file is format version 99"),
        ({"format": "complete.story", "version": "1"}, "version: expected a positive integer, found '1'"),
        ({"format": "complete.story", "version": 1, "nodes": []}, "nodes: expected a non-empty list"),
        ({"format": "complete.story", "version": 1, "nodes": [{"segment": 1}]}, "nodes[0].segment: expected a string"),
        (
            {"format": "complete.story", "version": 1, "nodes": [{"segment": "a", "origin": "model"}]},
            "nodes[0].origin: the root has origin prompt, found 'model'",
        ),
        (
            {
                "format": "complete.story",
                "version": 1,
                "nodes": [{"segment": "a", "origin": "prompt"}, {"segment": "b", "origin": "prompt"}],
            },
            "nodes[1].origin: a node with a parent has origin model, user or edit, found 'prompt'",
        ),
        (
            {"format": "complete.story", "version": 1, "nodes": [{"segment": "a", "origin": "prompt", "x": 1}]},
            "nodes[0]: unknown field(s) ['x']",
        ),
        (
            {
                "format": "complete.story",
                "version": 1,
                "nodes": [{"segment": "a", "origin": "prompt", "params": {"top_k": 0}}],
            },
            "nodes[0].params: top_k=0 is not allowed",
        ),
        (
            {
                "format": "complete.story",
                "version": 1,
                "nodes": [{"segment": "a", "origin": "prompt", "generation": {"text": 3}}],
            },
            "nodes[0].generation:",
        ),
    ],
)
def test_from_dict_rejects_bad_data_naming_the_field(data: Any, message: str) -> None:
    with pytest.raises(StoryFormatError) as caught:
        Story.from_dict(data)
    assert str(caught.value).startswith(message)


node_like = st.fixed_dictionaries(
    {},
    optional={
        "segment": json_values,
        "origin": st.sampled_from(["prompt", "model", "user", "x"]) | json_values,
        "params": json_values,
        "generation": json_values,
        "interrupted": json_values,
    },
)


@given(
    st.fixed_dictionaries(
        {"format": st.just("complete.story") | json_values, "version": st.just(1) | json_values},
        optional={"nodes": st.lists(node_like, max_size=3) | json_values},
    )
    | json_values
)
def test_from_dict_on_arbitrary_json_raises_only_story_format_error(data: Any) -> None:
    with contextlib.suppress(StoryFormatError):
        Story.from_dict(data)


def test_prompt_text_is_the_whole_text() -> None:
    story = Story.from_prompt("One").extend(" two", origin="model")
    assert story.prompt_text() == "One two"


def test_a_story_written_by_an_earlier_version_reads_back() -> None:
    from tests.conftest import ROOT

    story = Story.from_dict(json.loads((ROOT / "tests" / "data" / "story_v1.json").read_text()))
    assert story.text == "The keeper lit the lamp and slept. Then the storm came. and then"
    assert [node.origin for node in story.path] == ["prompt", "model", "model", "user", "model"]
    assert story.interrupted is True
    assert story.root.to_dict() == {
        "format": "complete.story",
        "version": 1,
        "nodes": [{"segment": "The keeper lit", "origin": "prompt"}],
    }


@pytest.mark.parametrize(
    ("build", "field", "allowed"),
    [
        (lambda: Story(None, 5), "segment", "a str"),  # type: ignore[arg-type]
        (lambda: Story(None, "a", origin="user"), "origin", "'prompt' (a root story)"),
        (lambda: Story(None, "a", origin="writer"), "origin", "one of 'prompt', 'model', 'user', 'edit'"),  # type: ignore[arg-type]
        (lambda: Story("a", "b", origin="user"), "parent", "a Story or None"),  # type: ignore[arg-type]
        (lambda: Story(None, "a", params={"seed": 1}), "params", "a Params or None"),  # type: ignore[arg-type]
        (lambda: Story(None, "a", generation="b"), "generation", "a Generation or None"),  # type: ignore[arg-type]
        (lambda: Story(None, "a", interrupted=1), "interrupted", "True or False"),  # type: ignore[arg-type]
        (
            lambda: Story.from_prompt("a").extend("b", origin="prompt"),
            "origin",
            "'model', 'user' or 'edit' (only a root story has origin 'prompt')",
        ),
    ],
)
def test_a_bad_field_is_a_params_error_naming_it(build: Any, field: str, allowed: str) -> None:
    with pytest.raises(ParamsError) as caught:
        build()
    assert (caught.value.field, caught.value.allowed) == (field, allowed)
