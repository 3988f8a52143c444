"""Interchange: JSONL trees, plain text, Markdown and KoboldAI save files.

The KoboldAI files in tests/data/ are hand-written from KoboldAI Lite's documented
save format (see complete/interchange.py), not exported by KoboldAI.
"""

from __future__ import annotations

import contextlib
import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from complete import Generation, Lorebook, LoreEntry, Params, Story, StoryFormatError, TokenLogprob, Window
from complete.interchange import (
    KoboldImport,
    from_jsonl,
    from_kobold,
    from_markdown,
    from_text,
    read_jsonl,
    read_kobold,
    read_markdown,
    read_text,
    to_jsonl,
    to_markdown,
    to_text,
    write_jsonl,
    write_markdown,
    write_text,
)
from tests.helpers.strategies import story_nodes
from tests.values.test_params import params_strategy

DATA = Path(__file__).resolve().parents[1] / "data"


def _tree() -> tuple[Story, Story, Story, Story]:
    root = Story.from_prompt("Once")
    generation = Generation(
        text=" upon",
        finish_reason="length",
        completion_tokens=1,
        backend="local",
        seed=3,
        logprobs=[TokenLogprob(" upon", -0.25, top=[(" upon", -0.25), (" there", -2.0)])],
    )
    model = root.extend(" upon", origin="model", params=Params(logprobs=2, seed=3), generation=generation)
    user = model.extend(" a time", origin="user")
    cut = root.extend(" in", origin="model", generation=Generation(text=" in"), interrupted=True)
    return root, model, user, cut


# --- JSONL -----------------------------------------------------------------------------


def test_jsonl_has_a_header_and_one_line_per_node_parents_first() -> None:
    _root, _model, user, cut = _tree()
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
    root, model, user, cut = _tree()
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
    _root, _model, user, _cut = _tree()
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


# --- plain text and Markdown ------------------------------------------------------------


def test_text_export_is_the_story_and_a_final_newline(tmp_path: Path) -> None:
    _root, _model, user, _cut = _tree()
    assert to_text(user) == "Once upon a time\n"
    path = tmp_path / "story.txt"
    write_text(path, user)
    assert path.read_text(encoding="utf-8") == "Once upon a time\n"
    assert read_text(path) == Story.from_prompt("Once upon a time")


def test_text_import_can_reformat_hard_wrapped_text() -> None:
    assert from_text("Once upon\na time\n\nThe end.\n", reformat=True).text == "Once upon a time\nThe end."
    assert from_text("Once upon\na time").text == "Once upon\na time"


@pytest.mark.parametrize("reader", [read_text, read_markdown])
def test_blank_text_files_are_rejected_naming_the_file(tmp_path: Path, reader: object) -> None:
    path = tmp_path / "blank.txt"
    path.write_text("  \n", encoding="utf-8")
    with pytest.raises(StoryFormatError, match=r"blank\.txt: no text to import \(the file is empty or blank\)"):
        reader(path)  # type: ignore[operator]


def test_markdown_escapes_what_markdown_would_act_on() -> None:
    story = Story.from_prompt(
        "# Not a heading, *not* _emphasis_ & <b>not html</b> [a](b) `c` | ~d~ \\e\n"
        "- not a list\n"
        "+ nor this\n"
        "12. nor this\n"
        "3) nor this\n"
        "    not code\n"
        "\n"
        "2024 was a year. A - b + c.",
        reformat=False,
    )
    assert to_markdown(story) == (
        "\\# Not a heading, \\*not\\* \\_emphasis\\_ \\& \\<b\\>not html\\</b\\> "
        "\\[a\\](b) \\`c\\` \\| \\~d\\~ \\\\e\n\n"
        "\\- not a list\n\n"
        "\\+ nor this\n\n"
        "12\\. nor this\n\n"
        "3\\) nor this\n\n"
        "&#32;&#32;&#32;&#32;not code\n\n"
        "\n\n"
        "2024 was a year. A - b + c.\n"
    )
    assert from_markdown(to_markdown(story)) == story


def test_markdown_file_round_trip(tmp_path: Path) -> None:
    _root, _model, user, _cut = _tree()
    path = tmp_path / "story.md"
    write_markdown(path, user)
    assert read_markdown(path).text == user.text


@given(st.text(st.characters(codec="utf-8")).filter(str.strip))
@settings(max_examples=300)
def test_markdown_and_text_round_trip_any_text(text: str) -> None:
    story = Story.from_prompt(text, reformat=False)
    assert from_markdown(to_markdown(story)) == story
    assert from_text(to_text(story)) == story


def test_markdown_with_an_impossible_character_reference_is_rejected() -> None:
    with pytest.raises(StoryFormatError, match=r"notes\.md: a character reference is not a Unicode character"):
        from_markdown("&#99999999; hello", source="notes.md")


# --- KoboldAI -----------------------------------------------------------------------------


def test_a_kobold_lite_save_becomes_a_story_with_memory_note_and_settings() -> None:
    imported = read_kobold(DATA / "kobold_lite_story.json")
    assert [(node.segment, node.origin) for node in imported.story.path] == [
        ("The lighthouse keeper had not spoken to anyone in three years.", "prompt"),
        (" Then, one grey morning, a boat appeared on the horizon.", "user"),
        ("\nMara watched it come closer,", "user"),
        (" her hand on the cold railing.", "user"),
    ]
    assert imported == KoboldImport(
        story=imported.story,
        memory="Mara is the lighthouse keeper. The island is called Skellig Varr.",
        note="[Author's note: Style: quiet, melancholy]",
        authors_note="Style: quiet, melancholy",
        note_template="[Author's note: <|>]",
        params=Params(temperature=0.7, top_p=0.92, repetition_penalty=1.07, max_new_tokens=120),
        lorebook=Lorebook(
            [
                LoreEntry("Mara", "Mara is sixty and distrusts boats.", whole_words=False),
                LoreEntry(
                    ("boat", "ship"),
                    "The boat belongs to the mainland post.",
                    name="The boat",
                    secondary=("Mara",),
                    probability=0.5,
                    whole_words=False,
                ),
            ],
            scan_depth=None,
        ),
        ignored=(
            "1 inline image (removed from the text)",
            "worldinfo wigroup (1 entry)",
        ),
    )
    assert imported.window(note_depth=2) == Window(
        memory="Mara is the lighthouse keeper. The island is called Skellig Varr.",
        note="[Author's note: Style: quiet, melancholy]",
        note_depth=2,
    )


def test_a_kobold_save_with_file_version_reads_actions_in_javascript_key_order() -> None:
    imported = read_kobold(DATA / "kobold_united_story.json")
    assert imported.story.segments == (
        "It was the last train out of the city.",
        " The carriage was half empty,",
        " and the lights flickered.",
        " Nobody spoke.",
    )
    assert (imported.memory, imported.note, imported.note_template) == ("", "Keep it tense.", "<|>")
    assert imported.params is None
    assert imported.ignored == ()


def test_a_minimal_kobold_client_save_and_an_empty_prompt() -> None:
    imported = from_kobold({"prompt": "", "actions": ["Hello", " world"], "authorsnote": "dark", "anotetemplate": "N"})
    assert imported.story.segments == ("Hello", " world")
    assert imported.story.root.origin == "prompt"
    assert imported.note == "dark"
    assert from_kobold({"prompt": "Hi", "memory": None, "savedsettings": None}).memory == ""


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("not json", "k.json: not valid JSON (Expecting value: line 1 column 1 (char 0))"),
        ("[]", "k.json: expected a KoboldAI save object, found list"),
        ('{"name": "Bob"}', "k.json: prompt: missing; this is not a KoboldAI story save"),
        ('{"prompt": 3}', "k.json: prompt: expected a string, found int"),
        ('{"prompt": "Hi", "actions": "x"}', "k.json: actions: expected a list of strings, found str"),
        ('{"prompt": "Hi", "actions": ["a", 2]}', "k.json: actions[1]: expected a string, found int"),
        ('{"prompt": "Hi", "memory": ["m"]}', "k.json: memory: expected a string, found list"),
        ('{"prompt": "Hi", "authorsnote": 1}', "k.json: authorsnote: expected a string, found int"),
        ('{"prompt": "", "actions": [" ", ""]}', "k.json: prompt and actions: the save holds no story text"),
        ('{"prompt": "Hi", "file_version": 2, "actions": []}', "k.json: actions: a save with file_version keeps"),
        (
            '{"prompt": "Hi", "file_version": 2, "actions": {"actions": {"0": {"Text": "a"}}}}',
            'k.json: actions.actions["0"]["Selected Text"]: expected a string',
        ),
        ('{"prompt": "Hi", "savedsettings": [1]}', "k.json: savedsettings: expected an object, found list"),
        (
            '{"prompt": "Hi", "savedsettings": {"temperature": "hot"}}',
            "k.json: savedsettings.temperature: 'hot' cannot be used: a number >= 0",
        ),
        (
            '{"prompt": "Hi", "savedsettings": {"top_k": true}}',
            "k.json: savedsettings.top_k: True cannot be used: an integer >= 1",
        ),
    ],
)
def test_malformed_kobold_files_name_the_file_and_field(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "k.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(StoryFormatError) as caught:
        read_kobold(path)
    assert str(caught.value).startswith(str(tmp_path / message))


def test_a_kobold_file_with_a_byte_order_mark_is_read(tmp_path: Path) -> None:
    path = tmp_path / "k.json"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps({"prompt": "Hi"}).encode())
    assert read_kobold(path).story == Story.from_prompt("Hi")


@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=4),
        lambda inner: (
            st.lists(inner, max_size=3)
            | st.dictionaries(
                st.sampled_from(
                    [
                        "prompt",
                        "actions",
                        "memory",
                        "authorsnote",
                        "file_version",
                        "savedsettings",
                        "temperature",
                        "Selected Text",
                        "0",
                        "worldinfo",
                    ]
                ),
                inner,
                max_size=5,
            )
        ),
        max_leaves=12,
    )
)
@settings(max_examples=300)
def test_any_json_either_reads_as_a_kobold_save_or_is_a_story_format_error(data: object) -> None:
    try:
        imported = from_kobold(data)
    except StoryFormatError:
        return
    assert imported.story.text.strip()
