"""Lorebook values: entries, their checks, the book's settings."""

from __future__ import annotations

import pytest

from complete import Lorebook, LoreEntry, ParamsError

# --- values ------------------------------------------------------------------------------


def test_an_entry_takes_one_key_or_several_and_adding_is_one_line() -> None:
    book = Lorebook().add("Mira", "Mira is a fox.").add(["Skellig Varr", "the island"], "A rock.", order=50)
    assert book.entries == (
        LoreEntry(("Mira",), "Mira is a fox."),
        LoreEntry(("Skellig Varr", "the island"), "A rock.", order=50),
    )
    assert repr(book) == "<Lorebook: 2 entries (Mira, Skellig Varr); scan_depth=512, budget=512, recursion=0>"
    assert book.evolve(budget=10).budget == 10
    assert len(book) == 2
    assert [entry.label for entry in book] == ["Mira", "Skellig Varr"]


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"keys": ["/fox(/"]}, "keys='/fox(/' is not allowed: expected a valid regular expression"),
        ({"keys": [3]}, "keys=(3,) is not allowed: expected a key or a list of keys, each a non-blank str"),
        ({"keys": 3}, "keys=3 is not allowed"),
        ({"secondary": [" "]}, "secondary=(' ',) is not allowed"),
        ({"probability": 1.5}, "probability=1.5 is not allowed: expected a number from 0 to 1"),
        ({"probability": True}, "probability=True is not allowed"),
        ({"logic": "and"}, "logic='and' is not allowed: expected one of 'and_any', 'and_all', 'not_any', 'not_all'"),
        ({"position": "top"}, "position='top' is not allowed"),
        ({"order": 1.5}, "order=1.5 is not allowed"),
        ({"depth": -1}, "depth=-1 is not allowed"),
        ({"text": None}, "text=None is not allowed: expected a str"),
        ({"constant": 1}, "constant=1 is not allowed: expected True or False"),
    ],
)
def test_an_invalid_entry_is_a_value_error_naming_the_field_and_the_entry(
    options: dict[str, object], message: str
) -> None:
    values: dict[str, object] = {"keys": ["Mira"], "text": "A fox.", "name": "The fox", **options}
    with pytest.raises(ParamsError) as caught:
        LoreEntry(**values)  # type: ignore[arg-type]
    assert isinstance(caught.value, ValueError)
    assert str(caught.value).startswith(message)
    assert str(caught.value).endswith("In lore entry 'The fox'.")


def test_bad_book_settings_are_params_errors() -> None:
    with pytest.raises(ParamsError, match="entries\\[0\\]"):
        Lorebook(["Mira"])  # type: ignore[list-item]
    with pytest.raises(ParamsError, match="budget=-1"):
        Lorebook(budget=-1)
    with pytest.raises(ParamsError, match="recursion=11"):
        Lorebook(recursion=11)
    assert Lorebook(scan_depth=None).scan_depth is None
