"""Lorebook files: SillyTavern World Info, NovelAI .lorebook, ours, and KoboldAI Lite's world info.

The files in tests/data/ are hand-written in the shapes those tools write, from
their source and documentation (each says so in its ``_fixture`` field); none was
exported by the tool itself.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from complete import Lorebook, LoreEntry, StoryFormatError
from complete.interchange import from_kobold, read_lorebook

DATA = Path(__file__).parents[1] / "data"


def test_a_sillytavern_world_info_file_is_read_with_what_it_uses_and_we_do_not_listed() -> None:
    loaded = read_lorebook(DATA / "sillytavern_world_info.json")
    assert loaded.format == "sillytavern"
    assert loaded.lorebook == Lorebook(
        [
            LoreEntry(("Mira", "the fox"), "Mira is a red fox who distrusts boats.", name="Mira", order=200),
            LoreEntry(
                ("/Skellig\\s+Varr/i",),
                "Storms on Skellig Varr last three days.",
                secondary=("storm", "night"),
                logic="and_all",
                name="Storm on the island",
                probability=0.5,
                position="depth",
                depth=2,
                case_sensitive=True,
                whole_words=False,
            ),
            LoreEntry((), "The story is told in the past tense.", name="Style", constant=True, order=50),
            LoreEntry(
                ("lighthouse",),
                "The lighthouse is dark.",
                secondary=("ship",),
                logic="not_any",
                enabled=False,
                position="before_memory",
            ),
        ]
    )
    assert loaded.ignored == (
        "group (1 entry)",
        "sticky (1 entry)",
        "position 2, placed after the memory (1 entry)",
        "cooldown (1 entry)",
    )


def test_a_novelai_lorebook_is_read_with_what_it_uses_and_we_do_not_listed() -> None:
    loaded = read_lorebook(DATA / "novelai.lorebook")
    assert loaded.format == "novelai"
    assert loaded.lorebook == Lorebook(
        [
            LoreEntry(("Mira", "fox"), "Mira is a red fox who distrusts boats.", name="Mira", order=400),
            LoreEntry(
                ("/skellig ?varr/i",),
                "[ Skellig Varr is a rock in the north sea. ]",
                name="Skellig Varr",
                constant=True,
                order=600,
            ),
            LoreEntry(("war",), "An old war.", name="War", enabled=False, order=400),
        ],
        scan_depth=500,  # the widest search range, 2,000 characters
    )
    assert loaded.ignored == (
        "keyRelative (1 entry)",
        "category (1 entry)",
        "contextConfig.reservedTokens (1 entry)",
        "searchRange differing between entries: the widest, 2000 characters, is used",
        "categories (1)",
    )


BOOK = Lorebook(
    [
        LoreEntry(("Mira", "/fox(es)?/i"), "Mira is a fox.", name="Mira", order=300, probability=0.25),
        LoreEntry("Varr", "An island.", secondary=["storm"], logic="not_all", position="depth", depth=1),
        LoreEntry((), "Past tense.", constant=True, position="before_memory", case_sensitive=True, enabled=False),
    ],
    scan_depth=None,
    budget=100,
    recursion=2,
)


def test_save_writes_sillytavern_world_info_that_loads_back_whole(tmp_path: Path) -> None:
    BOOK.save(tmp_path / "book.json")
    data = json.loads((tmp_path / "book.json").read_text(encoding="utf-8"))
    assert list(data["entries"]) == ["0", "1", "2"]
    assert data["entries"]["1"] | {} == {
        "uid": 1,
        "key": ["Varr"],
        "keysecondary": ["storm"],
        "comment": "",
        "content": "An island.",
        "constant": False,
        "selective": True,
        "selectiveLogic": 1,
        "addMemo": False,
        "order": 100,
        "position": 4,
        "disable": False,
        "probability": 100,
        "useProbability": True,
        "depth": 1,
        "caseSensitive": False,
        "matchWholeWords": True,
        "displayIndex": 1,
    }
    assert data["entries"]["0"]["probability"] == 25
    assert data["complete"] == {"scan_depth": None, "budget": 100, "recursion": 2}
    assert Lorebook.load(tmp_path / "book.json") == BOOK


def test_our_own_format_round_trips_and_is_told_apart_by_its_content(tmp_path: Path) -> None:
    data = BOOK.to_dict()
    assert (data["format"], data["version"], data["budget"]) == ("complete.lorebook", 1, 100)
    assert data["entries"][1]["keys"] == ["Varr"]
    assert Lorebook.from_dict(json.loads(json.dumps(data))) == BOOK
    (tmp_path / "ours.json").write_text(json.dumps(data), encoding="utf-8")
    assert read_lorebook(tmp_path / "ours.json").format == "complete"
    assert Lorebook.load(tmp_path / "ours.json") == BOOK


def test_load_warns_once_about_what_it_did_not_take() -> None:
    with pytest.warns(UserWarning, match="not taken") as caught:
        Lorebook.load(DATA / "novelai.lorebook")
    assert len(caught) == 1
    assert str(caught[0].message).endswith("novelai.lorebook: not taken: keyRelative (1 entry); category (1 entry); "
        "contextConfig.reservedTokens (1 entry); searchRange differing between entries: the widest, 2000 "
        "characters, is used; categories (1)")  # fmt: skip


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("[1]", "b.json: expected a lorebook object, found list"),
        ('{"name": "x"}', "b.json: entries: missing; this is not a lorebook"),
        ("{not json", "b.json: not valid JSON"),
        ('{"entries": 3}', "b.json: entries: expected an object of World Info entries"),
        (
            '{"entries": {"7": {"key": "Mira", "content": 5}}}',
            "b.json: entries.7.content: expected a string, found int",
        ),
        ('{"entries": {"7": {"key": [1], "content": ""}}}', "b.json: entries.7.key: a key or a list of keys"),
        ('{"entries": {"7": {"key": ["/(/"]}}}', "b.json: entries.7.key: a valid regular expression"),
        ('{"entries": {"7": {"key": ["a"], "selectiveLogic": 9}}}', "b.json: entries.7.selectiveLogic: expected 0, 1"),
        ('{"entries": {"7": {"key": ["a"], "probability": "x"}}}', "b.json: entries.7.probability: expected a number"),
        ('{"entries": {}, "complete": {"budget": -1}}', "b.json: complete.budget: an integer >= 0"),
        ('{"lorebookVersion": 5, "entries": {}}', "b.json: entries: expected a list of lorebook entries"),
        ('{"lorebookVersion": 5, "entries": [{"keys": "a", "text": 1}]}', "b.json: entries[0].text: expected a str"),
        (
            '{"lorebookVersion": 5, "entries": [{"keys": ["a"], "contextConfig": {"budgetPriority": 1.5}}]}',
            "b.json: entries[0].contextConfig.budgetPriority: an integer",
        ),
        ('{"format": "complete.lorebook", "version": 2}', "b.json: version: this file is format version 2"),
        (
            '{"format": "complete.lorebook", "version": 1, "entries": [{"keys": ["a"], "text": "", "colour": 1}]}',
            "b.json: entries[0]: unknown field(s) ['colour']",
        ),
    ],
)
def test_a_malformed_file_is_a_story_format_error_naming_the_field(tmp_path: Path, content: str, message: str) -> None:
    (tmp_path / "b.json").write_text(content, encoding="utf-8")
    with pytest.raises(StoryFormatError) as caught:
        read_lorebook(tmp_path / "b.json")
    assert str(caught.value).startswith(str(tmp_path / message))


def test_kobold_world_info_keeps_substring_keys_anti_keys_and_its_search_depth() -> None:
    save = {
        "prompt": "Hi",
        "wisearchdepth": 1000,
        "wiinsertlocation": 1,
        "worldinfo": [
            {"key": "Ann, Bo", "keysecondary": "", "keyanti": "storm", "content": "A.", "selective": True},
            {"key": "Cy", "keysecondary": "sea", "keyanti": "storm", "content": "C.", "selective": True},
            {"key": "", "content": "Always.", "constant": True, "widisabled": True, "probability": 0},
            {"key": "", "content": "No key: skipped, as Lite skips it."},
        ],
    }
    imported = from_kobold(save)
    assert imported.lorebook == Lorebook(
        [
            LoreEntry(("Ann", "Bo"), "A.", secondary=("storm",), logic="not_any", whole_words=False),
            LoreEntry(("Cy",), "C.", secondary=("sea",), whole_words=False),
            LoreEntry((), "Always.", constant=True, enabled=False, probability=0.0, whole_words=False),
        ],
        scan_depth=250,
    )
    assert imported.ignored == (
        "worldinfo keyanti beside keysecondary (1 entry)",
        "wiinsertlocation 1 (world info is placed after the memory)",
    )
    with pytest.raises(StoryFormatError, match=r"k: worldinfo\[0\]\.probability: a number from 0 to 1"):
        from_kobold({"prompt": "Hi", "worldinfo": [{"key": "a", "content": "b", "probability": "x"}]}, source="k")
    with pytest.raises(StoryFormatError, match="k: worldinfo: expected a list of entries, found dict"):
        from_kobold({"prompt": "Hi", "worldinfo": {}}, source="k")
