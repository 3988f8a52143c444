"""The panel's text box: the story editable in place, then Continue, Retry and Undo as in Python."""

from __future__ import annotations

from typing import Any

import pytest

from complete import Completer
from complete.testing import ScriptedTransport
from tests.helpers.fake_kernel import notebook

__all__ = ["notebook"]  # the shared fixture
pytestmark = pytest.mark.usefixtures("notebook")


def _panel(bloom: Completer) -> dict[str, Any]:
    box = bloom.widget()
    *_, buttons, editor, story, messages, _style, _tree = box.children
    parts = {button.description: button for button in buttons.children}
    return {**parts, "editor": editor, "story": story, "messages": messages}


def test_a_change_typed_in_the_box_is_an_edit_that_continue_continues_and_undo_takes_back() -> None:
    transport = ScriptedTransport([" It ran.", " It hid.", " It slept."])
    bloom = Completer("The fox saw the fox.", transport=transport)
    panel = _panel(bloom)
    assert panel["editor"].value == "The fox saw the fox."
    panel["Continue"].click()
    assert panel["editor"].value == "The fox saw the fox. It ran."
    panel["editor"].value = "The fox saw the owl. It ran."  # what the front end sends when the writer leaves the box
    assert (bloom.text, bloom.story.origin) == ("The fox saw the owl. It ran.", "edit")
    assert "complete-new" not in panel["story"].value
    assert "The fox saw the owl. It ran." in panel["story"].value
    panel["Continue"].click()
    assert transport.calls[1][0] == "The fox saw the owl. It ran."
    assert panel["editor"].value == "The fox saw the owl. It ran. It hid."
    panel["Retry"].click()
    assert transport.calls[2][0] == "The fox saw the owl. It ran."  # the retry keeps the edit
    assert panel["editor"].value == "The fox saw the owl. It ran. It slept."
    panel["Undo"].click()
    panel["Undo"].click()
    assert panel["editor"].value == "The fox saw the fox. It ran."
    assert bloom.text == "The fox saw the fox. It ran."


def test_a_button_applies_a_change_still_in_the_box_first() -> None:
    transport = ScriptedTransport([" It ran."])
    bloom = Completer("The fox saw the fox.", transport=transport)
    panel = _panel(bloom)
    panel["editor"].set_trait("value", "An owl saw the fox.")  # the box's value, before its change is seen
    panel["Continue"].click()
    assert transport.calls[0][0] == "An owl saw the fox."
    assert [node.origin for node in bloom.history] == ["prompt", "edit", "model"]


def test_an_emptied_box_is_refused_and_shows_the_story_again(capsys: pytest.CaptureFixture[str]) -> None:
    bloom = Completer("The fox saw the fox.", transport=ScriptedTransport([]))
    panel = _panel(bloom)
    panel["editor"].value = "   "
    assert bloom.text == "The fox saw the fox."
    assert panel["editor"].value == "The fox saw the fox."
    assert capsys.readouterr().out.splitlines() == [
        "ParamsError: text='   ' is not allowed: expected the story's new text (a str",
        "with some non-blank text)",
        "Full traceback: %tb verbose. Original exception: sys.last_value.__cause__",
    ]


def test_a_story_changed_in_another_cell_is_not_undone_by_the_box() -> None:
    transport = ScriptedTransport([" It ran.", " It hid."])
    bloom = Completer("The fox saw the fox.", transport=transport)
    panel = _panel(bloom)
    bloom()  # in another cell: the box still holds the text it was given
    panel["Continue"].click()
    assert transport.calls[1][0] == "The fox saw the fox. It ran."
    assert [node.origin for node in bloom.history] == ["prompt", "model", "model"]
    assert panel["editor"].value == "The fox saw the fox. It ran. It hid."
