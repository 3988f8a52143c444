"""KoboldAI (Lite, United, client) save files in.

The KoboldAI files in tests/data/ are hand-written from KoboldAI Lite's documented
save format (see complete/interchange/kobold.py), not exported by KoboldAI.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from complete import Lorebook, LoreEntry, Params, Story, StoryFormatError, Window
from complete.interchange import (
    KoboldImport,
    from_kobold,
    read_kobold,
)

DATA = Path(__file__).resolve().parents[1] / "data"


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
