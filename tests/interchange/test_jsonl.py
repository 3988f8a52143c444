"""Whole story trees as JSON lines: the header, one line per node, and every malformed file refused."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from complete import Story, StoryFormatError
from complete.interchange import (
    from_jsonl,
    read_jsonl,
    to_jsonl,
    write_jsonl,
)
from tests.helpers.stories import four_nodes
from tests.helpers.strategies import params_strategy, story_nodes

DATA = Path(__file__).resolve().parents[1] / "data"


def test_jsonl_has_a_header_and_one_line_per_node_parents_first() -> None:
    _root, _model, user, cut = four_nodes()
    lines = [json.loads(line) for line in to_jsonl([user, cut], current=user).splitlines()]
    assert lines == [
        {"format": "complete.nodes", "version": 1, "current": 2},
        {"id": 0, "parent_id": None, "text": "Once", "origin": "prompt", "provenance": {}},
        {
            "id": 1,
            "parent_id": 0,
            "text": " upon",
            "origin": "model",
            "provenance": {
                "params": {"max_new_tokens": 64, "seed": 3, "logprobs": 2},
                "generation": {
                    "text": " upon",
                    "finish_reason": "length",
                    "completion_tokens": 1,
                    "backend": "local",
                    "seed": 3,
                    "logprobs": [{"token": " upon", "logprob": -0.25, "top": [[" upon", -0.25], [" there", -2.0]]}],
                },
            },
        },
        {"id": 2, "parent_id": 1, "text": " a time", "origin": "user", "provenance": {}},
        {
            "id": 3,
            "parent_id": 0,
            "text": " in",
            "origin": "model",
            "provenance": {"generation": {"text": " in"}, "interrupted": True},
        },
    ]


def test_jsonl_round_trip_keeps_every_node_its_parent_and_the_current_one(tmp_path: Path) -> None:
    root, model, user, cut = four_nodes()
    path = tmp_path / "story.jsonl"
    write_jsonl(path, [root, model, user, cut], current=model)
    tree = read_jsonl(path)
    assert tree.nodes == (root, model, user, cut)
    assert tree.current == model
    assert tree.current is tree.nodes[1]
    assert tree.nodes[2].parent is tree.nodes[1]
    assert tree.nodes[3].parent is tree.nodes[0]
    assert tree.nodes[3].interrupted is True
    assert path.read_text(encoding="utf-8").endswith("\n")


def test_a_single_story_exports_its_path_and_is_current() -> None:
    _root, _model, user, _cut = four_nodes()
    tree = from_jsonl(to_jsonl(user))
    assert [node.segment for node in tree.nodes] == ["Once", " upon", " a time"]
    assert tree.current == user


def test_without_current_the_last_line_is_current_and_string_ids_are_read() -> None:
    text = (
        '{"format": "complete.nodes", "version": 1}\n'
        '{"id": "a", "parent_id": null, "text": "Hi", "origin": "prompt"}\n'
        '{"id": "b", "parent_id": "a", "text": " there", "origin": "user", "provenance": {}}\n'
        "\n"
    )
    tree = from_jsonl(text)
    assert tree.current == Story.from_prompt("Hi").extend(" there", origin="user")


def test_nodes_of_two_trees_cannot_be_exported_together() -> None:
    with pytest.raises(ValueError, match="one root"):
        to_jsonl([Story.from_prompt("A"), Story.from_prompt("B")])


HEADER = '{"format": "complete.nodes", "version": 1}'
ROOT = '{"id": 0, "parent_id": null, "text": "Hi", "origin": "prompt"}'


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "f.jsonl: empty; expected a header line and story nodes"),
        (HEADER + "\n", "f.jsonl: no story nodes after the header"),
        ("{nope\n", "f.jsonl, line 1: not valid JSON (Expecting property name enclosed in double quotes"),
        ("[1]\n", "f.jsonl, line 1: expected a JSON object, found list"),
        (
            ROOT + "\n",
            "f.jsonl, line 1: format: expected 'complete.nodes', found None (the first line is the header)",
        ),
        ('{"format": "complete.nodes", "version": 3}\n', "f.jsonl, line 1: version: this file is format version 3"),
        ('{"format": "complete.nodes", "version": "1"}\n', "f.jsonl, line 1: version: expected a positive integer"),
        ('{"format": "complete.nodes", "version": 1, "x": 1}\n', "f.jsonl, line 1: unknown header field(s) ['x']"),
        (
            HEADER + "\n\n" + ROOT + "\n" + ROOT,
            "f.jsonl, line 4: id: 0 appears twice (first on line 3)",
        ),
        (
            HEADER + "\n" + ROOT + '\n{"id": 1, "parent_id": 0, "text": "a", "origin": "user", "extra": 1}',
            "f.jsonl, line 3: unknown field(s) ['extra']; a node has id, parent_id, text, origin, provenance",
        ),
        (
            HEADER + "\n" + ROOT + '\n{"id": true, "parent_id": 0, "text": "a", "origin": "user"}',
            "f.jsonl, line 3: id: expected an integer or a string, found True",
        ),
        (
            HEADER + "\n" + ROOT + '\n{"id": 1, "parent_id": 7, "text": "a", "origin": "user"}',
            "f.jsonl, line 3: parent_id: no earlier line has id 7 (parents come before children)",
        ),
        (
            HEADER + "\n" + ROOT + '\n{"id": 1, "parent_id": null, "text": "a", "origin": "prompt"}',
            "f.jsonl, line 3: parent_id: null, but line 2 is already the root; a file holds one story tree",
        ),
        (
            HEADER + '\n{"id": 0, "parent_id": null, "text": "Hi", "origin": "user"}',
            "f.jsonl, line 2: origin: the root has origin prompt, found 'user'",
        ),
        (
            HEADER + "\n" + ROOT + '\n{"id": 1, "parent_id": 0, "text": "a", "origin": "prompt"}',
            "f.jsonl, line 3: origin: a node with a parent has origin model, user or edit, found 'prompt'",
        ),
        (
            HEADER + '\n{"id": 0, "parent_id": null, "text": 5, "origin": "prompt"}',
            "f.jsonl, line 2: text: expected a string, found 5",
        ),
        (
            HEADER + "\n" + ROOT + '\n{"id": 1, "parent_id": 0, "text": "a", "origin": "user", "provenance": []}',
            "f.jsonl, line 3: provenance: expected an object, found list",
        ),
        (
            HEADER + "\n" + ROOT + '\n{"id": 1, "parent_id": 0, "text": "a", "origin": "user", "provenance": {"p": 1}}',
            "f.jsonl, line 3: provenance: unknown field(s) ['p']; provenance has params, generation, interrupted",
        ),
        (
            HEADER
            + "\n"
            + ROOT
            + '\n{"id": 1, "parent_id": 0, "text": "a", "origin": "model", "provenance": {"params": {"top_p": 3}}}',
            "f.jsonl, line 3: provenance.params: top_p=3 is not allowed",
        ),
        (
            HEADER
            + "\n"
            + ROOT
            + '\n{"id": 1, "parent_id": 0, "text": "a", "origin": "model", "provenance": {"interrupted": 1}}',
            "f.jsonl, line 3: provenance.interrupted: expected true or false, found 1",
        ),
        (
            '{"format": "complete.nodes", "version": 1, "current": 9}\n' + ROOT,
            "f.jsonl, line 1: current: no line has id 9",
        ),
    ],
)
def test_malformed_jsonl_names_the_file_line_and_field(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "f.jsonl"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(StoryFormatError) as caught:
        read_jsonl(path)
    assert str(caught.value).startswith(str(tmp_path / message))


def test_a_jsonl_file_written_by_an_earlier_version_reads_back() -> None:
    tree = read_jsonl(DATA / "tree_v1.jsonl")
    assert [node.segment for node in tree.nodes] == [
        "The keeper lit",
        " the lamp",
        " and watched the sea.",
        " and slept.",
        " Then the storm came.",
        " and then",
    ]
    assert tree.current is tree.nodes[3]
    assert tree.nodes[5].parent is tree.nodes[4]
    assert tree.nodes[5].interrupted is True


def test_jsonl_that_is_not_utf8_is_rejected_with_the_file_name(tmp_path: Path) -> None:
    path = tmp_path / "f.jsonl"
    path.write_bytes(b"\xff\xfe")
    with pytest.raises(StoryFormatError, match=r"f\.jsonl: not UTF-8 text \(invalid start byte at byte 0\)"):
        read_jsonl(path)


texts = st.text(st.characters(codec="utf-8"), max_size=10)


@st.composite
def trees(draw: st.DrawFn) -> tuple[list[Story], Story]:
    nodes = draw(story_nodes(texts, params_strategy))
    return nodes, draw(st.sampled_from(nodes))


@given(trees())
@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
def test_jsonl_round_trips_any_tree_exactly(tree: tuple[list[Story], Story]) -> None:
    nodes, current = tree
    read = from_jsonl(to_jsonl(nodes, current=current))
    assert read.nodes == tuple(nodes)
    assert read.current == current
    position = {id(node): index for index, node in enumerate(nodes)}
    assert read.current is read.nodes[position[id(current)]]
    for original, again in zip(nodes, read.nodes, strict=True):
        if original.parent is None:
            assert again.parent is None
        else:
            assert again.parent is read.nodes[position[id(original.parent)]]


@given(st.text(max_size=200))
@settings(max_examples=200)
def test_any_text_either_reads_as_jsonl_or_is_a_story_format_error(text: str) -> None:
    with contextlib.suppress(StoryFormatError):
        from_jsonl(text)


@given(
    st.lists(
        st.dictionaries(
            st.sampled_from(["id", "parent_id", "text", "origin", "provenance"]),
            st.none()
            | st.integers(-1, 2)
            | st.text(max_size=3)
            | st.dictionaries(
                st.sampled_from(["params", "generation", "interrupted"]),
                st.none()
                | st.booleans()
                | st.integers()
                | st.dictionaries(st.text(max_size=5), st.integers(), max_size=2),
                max_size=3,
            ),
        ),
        max_size=4,
    )
)
@settings(max_examples=200)
def test_node_shaped_lines_either_read_or_are_story_format_errors(lines: list[dict[str, object]]) -> None:
    text = HEADER + "\n" + "\n".join(json.dumps(line) for line in lines)
    with contextlib.suppress(StoryFormatError):
        from_jsonl(text)
