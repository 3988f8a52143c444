"""Choosing lorebook entries for a prompt, and lore in the prompt window."""

from __future__ import annotations

import pytest

from complete import ContextLimitError, Lorebook, Params, Story, Window
from complete.writing.lore_selection import Fired, LeftOut, LoreChoice, choose, remembered
from complete.writing.window import build_prompt
from tests.helpers.word_counter import WordCounter


def words(text: str) -> int:
    return len(text.split())


def chosen(book: Lorebook, text: str, seed: int | None = None) -> LoreChoice:
    return choose(book, text, seed, words)


def fired(book: Lorebook, text: str, seed: int | None = None) -> list[tuple[str, str]]:
    return [(item.entry.label, item.key) for item in chosen(book, text, seed).fired]


# --- choosing ----------------------------------------------------------------------------


def test_keys_are_case_insensitive_whole_words_unless_asked() -> None:
    book = (
        Lorebook()
        .add("Ann", "Ann.")
        .add("Bo", "Bo.", case_sensitive=True)
        .add("Cy", "Cy.", whole_words=False)
        .add("old man", "Old man.")
        .add("C++", "Language.")
    )
    assert fired(book, "ann went annually to bo's house") == [("Ann", "Ann")]
    assert fired(book, "Bo, CYCLING") == [("Bo", "Bo"), ("Cy", "Cy")]
    assert fired(book, "the Old  man; an OLD MAN.") == [("old man", "old man")]
    assert fired(book, "I write c++ daily, not c++x") == [("C++", "C++")]
    assert fired(book, "c++x") == []


def test_a_slash_key_is_a_regular_expression_case_sensitive_unless_i() -> None:
    book = Lorebook().add("/fox(es)?\\b/", "Foxes.", name="foxes").add("/^Night/im", "Night.", name="night")
    assert fired(book, "Two Foxes and a fox") == [("foxes", "/fox(es)?\\b/")]
    assert fired(book, "Day.\nnight fell") == [("night", "/^Night/im")]
    assert fired(book, "Two Foxes") == []


@pytest.mark.parametrize(
    ("logic", "expected"),
    [
        ("and_any", [False, True, True]),
        ("and_all", [False, False, True]),
        ("not_any", [True, False, False]),
        ("not_all", [True, True, False]),
    ],
)
def test_secondary_keys_follow_their_logic(logic: str, expected: list[bool]) -> None:
    book = Lorebook().add("Mira", "M.", secondary=["boat", "sea"], logic=logic)
    texts = ["Mira ran.", "Mira saw a boat.", "Mira, the boat, the sea."]
    assert [bool(fired(book, text)) for text in texts] == expected
    assert fired(book, "a boat on the sea") == []  # secondary keys alone never fire an entry


def test_constant_disabled_and_scan_depth() -> None:
    book = Lorebook(scan_depth=2).add("Mira", "M.").add("x", "Always.", constant=True).add("Bo", "B.", enabled=False)
    # 2 tokens are 8 characters of the end: "Mira" at the start is not searched.
    assert fired(book, "Mira and Bo went far away") == [("x", "")]
    assert fired(book, "far away, Mira") == [("Mira", "Mira"), ("x", "")]
    assert fired(book.evolve(scan_depth=None), "Mira and Bo went far away") == [("Mira", "Mira"), ("x", "")]


def test_over_the_budget_the_lowest_order_entries_are_left_out() -> None:
    book = (
        Lorebook(budget=6)
        .add("a", "one two three four", order=300)
        .add("b", "one two three", order=200)
        .add("c", "one", order=100)
    )
    choice = chosen(book, "a b c")
    assert choice.fired == (Fired(book.entries[0], "a", 4),)
    assert choice.left_out == (LeftOut(book.entries[1], "b", "budget"), LeftOut(book.entries[2], "c", "budget"))


def test_probability_is_drawn_from_the_seed_reproducibly() -> None:
    book = Lorebook().add("Mira", "M.", probability=0.5)
    runs = [bool(fired(book, "Mira " + "x " * n, seed=7)) for n in range(40)]
    assert runs == [bool(fired(book, "Mira " + "x " * n, seed=7)) for n in range(40)]
    assert 5 < sum(runs) < 35  # about half
    assert [bool(fired(book, "Mira", seed=seed)) for seed in range(40)] != [True] * 40
    never = Lorebook().add("Mira", "M.", probability=0)
    assert chosen(never, "Mira").left_out == (LeftOut(never.entries[0], "Mira", "chance"),)


def test_recursion_lets_entries_text_trigger_others_to_a_bounded_depth() -> None:
    book = Lorebook().add("Mira", "Mira lives on Varr.").add("Varr", "Varr has a tower.").add("tower", "Tall.")
    assert fired(book, "Mira") == [("Mira", "Mira")]
    assert fired(book.evolve(recursion=1), "Mira") == [("Mira", "Mira"), ("Varr", "Varr")]
    assert fired(book.evolve(recursion=2), "Mira") == [("Mira", "Mira"), ("Varr", "Varr"), ("tower", "tower")]


def test_entries_enter_highest_order_first_and_the_book_order_breaks_ties() -> None:
    book = Lorebook().add("a", "A.", order=1).add("b", "B.", order=5).add("c", "C.", order=5)
    assert fired(book, "a b c") == [("b", "b"), ("c", "c"), ("a", "a")]


def test_token_counts_are_remembered_per_tokenizer_across_calls() -> None:
    counted: list[str] = []

    def count(text: str) -> int:
        counted.append(text)
        return 1

    owner = object()
    book = Lorebook().add("Mira", "M.").add("Bo", "B.")
    for _ in range(3):
        choose(book, "Mira Bo", None, remembered(owner, count))
    choose(book.add("Cy", "C."), "Mira Bo Cy", None, remembered(owner, count))
    assert counted == ["M.", "B.", "C."]


# --- the prompt window -------------------------------------------------------------------


STORY = Story.from_prompt("Mira woke.\n\nThe boat was gone.\n\nVarr was quiet.\n\nShe walked.")
BOOK = (
    Lorebook()
    .add("Mira", "[Mira: a fox]", order=200)
    .add("Varr", "[Varr: an island]")
    .add("walked", "[Top]", position="before_memory")
    .add("boat", "[Deep]", position="depth", depth=2)
)


def test_lore_is_its_own_part_at_each_entrys_position() -> None:
    prompt = build_prompt(STORY, Params(), WordCounter(None), Window(memory="M.", note="[N]", note_depth=1), BOOK)
    assert [(part.kind, part.text) for part in prompt.parts] == [
        ("lore", "[Top]"),
        ("memory", "M."),
        ("lore", "[Varr: an island]\n[Mira: a fox]"),  # higher order nearer the story
        ("story", "Mira woke.\nThe boat was gone."),
        ("lore", "[Deep]"),
        ("story", "Varr was quiet."),
        ("note", "[N]"),
        ("story", "She walked."),
    ]
    assert prompt.text == "\n".join(part.text for part in prompt.parts)


def test_without_a_lorebook_or_a_match_the_prompt_is_the_story() -> None:
    assert build_prompt(STORY, Params(), WordCounter(None), Window(), Lorebook()).text == STORY.text
    assert build_prompt(STORY, Params(), WordCounter(None), Window(), Lorebook().add("Bo", "B.")).text == STORY.text


def test_trimming_drops_story_before_lore_and_lore_lowest_order_first() -> None:
    book = Lorebook().add("Mira", "one two three", order=200).add("walked", "four five six seven")
    story = Story.from_prompt("Mira walked.\n\na b c d e f")
    window = Window(memory="mem")
    # memory 1 + lore 7 + story 8 is over 12 - 2: the story is cut to its last two words.
    prompt = build_prompt(story, Params(max_new_tokens=2), WordCounter(12), window, book)
    assert [(part.kind, part.text) for part in prompt.parts] == [
        ("memory", "mem"),
        ("lore", "four five six seven\none two three"),
        ("story", "e f"),
    ]
    assert prompt.trimmed == "Mira walked.\na b c d "
    tight = build_prompt(story, Params(max_new_tokens=2), WordCounter(7), window, book)
    assert [(part.kind, part.text) for part in tight.parts] == [
        ("memory", "mem"),
        ("lore", "one two three"),
        ("story", "f"),
    ]
    assert tight.lore.left_out == (LeftOut(book.entries[1], "walked", "window"),)
    with pytest.raises(ContextLimitError, match="memory and author's note \\(1 tokens\\)"):
        build_prompt(story, Params(max_new_tokens=2), WordCounter(2), window, book)


def test_describe_lists_what_fired_by_which_key_and_what_was_left_out() -> None:
    book = Lorebook(budget=3).add("Mira", "a fox", order=200).add("Varr", "an old island").add("x", "c", constant=True)
    prompt = build_prompt(STORY, Params(), WordCounter(100), Window(), book)
    assert prompt.describe().splitlines()[-3:] == [
        "  lore    'Mira' (key 'Mira', 2 tokens, order 200)",
        "  left out: lore 'Varr' (key 'Varr') over the lore budget",
        "  left out: lore 'x' (constant) over the lore budget",
    ]


def test_building_the_prompt_is_a_pure_function_of_its_inputs() -> None:
    book = BOOK.add("quiet", "[Q]", probability=0.5)
    first = build_prompt(STORY, Params(seed=3), WordCounter(100), Window(), book)
    assert build_prompt(STORY, Params(seed=3), WordCounter(100), Window(), book) == first
