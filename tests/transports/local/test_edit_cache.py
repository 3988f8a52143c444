"""Continuing after an edit re-reads only what changed: the embedded engine's prompt cache
keeps the unchanged beginning, in the slot of the story before the edit (its counters
say how many prompt tokens each call read)."""

from __future__ import annotations

import contextlib
import io

from complete import Completer
from complete.transports.local.engine import LocalModel
from tests.helpers.local_model import model

__all__ = ["model"]  # the shared fixture

FIRST = (
    "The lighthouse keeper had not spoken to anyone in eleven days when the boat came. It was a small boat, "
    "painted the green of old copper, and the woman rowing it did not look up until its bow touched the stones.\n"
) * 4 + "The keeper closed the book and went up the stairs to light the lamp."
SECOND = (
    "In the desert city the merchants argued about the price of water, and the children sold shade by the "
    "hour under blankets stretched between the market stalls.\n"
) * 5


def _read(model: LocalModel, action: object) -> int:
    """Prompt tokens the engine read (not taken from its cache) while ``action()`` ran."""
    before = model._engine().metrics()["prompt_tokens_total"]
    with contextlib.redirect_stdout(io.StringIO()):
        action()  # type: ignore[operator]
    return int(model._engine().metrics()["prompt_tokens_total"] - before)


def test_an_edited_story_rereads_only_its_changed_end_in_its_own_slot(model: LocalModel) -> None:
    with contextlib.redirect_stdout(io.StringIO()):
        first = Completer(FIRST, transport=model, reformat=False, max_new_tokens=4, seed=1)
        second = Completer(SECOND, transport=model, reformat=False, max_new_tokens=4, seed=1)
    _read(model, first)
    _read(model, second)  # each story in a slot of its own
    story_tokens = model.count_tokens(first.text)
    sentence = model.count_tokens(" The keeper shut the book and climbed up to the lamp.")
    with contextlib.redirect_stdout(io.StringIO()):
        first.edit("closed the book and went up the stairs to light", "shut the book and climbed up to")
    read = _read(model, first)
    assert story_tokens > 150
    assert read <= sentence + 8  # the changed sentence and the new tokens' tail, not the story
    assert _read(model, second) <= 2  # the other story's slot was not taken
    with contextlib.redirect_stdout(io.StringIO()):
        first.undo()
        first.undo()  # back to the story before the edit: its beginning is still cached
    assert _read(model, first) <= sentence + 8
