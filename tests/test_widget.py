"""The ipywidgets panel drives the Completer it was made for and shows what it did.

The browser test (tests/across/test_browser.py) checks the same panel in a real
JupyterLab; these tests check, without a front end, exactly what the panel's
widgets hold after each action.
"""

from __future__ import annotations

from typing import Any

import pytest

from complete import Completer, Params, TransportError
from complete.display.render import render_html
from complete.testing import ScriptedTransport
from complete.widget import UNSET_CLASS, UNSET_NOTE
from tests.helpers.fake_kernel import notebook

__all__ = ["notebook"]  # the shared fixture


class Panel:
    """The parts of a panel, found by their place in it."""

    def __init__(self, box: Any) -> None:
        *rows, buttons, self.editor, self.story, self.messages, _style, self.tree = box.children
        self.sliders = {row.children[0].description: row.children[0] for row in rows}
        self.notes = {row.children[0].description: row.children[1] for row in rows}
        *buttons_only, self.lore = buttons.children
        self.buttons = {button.description: button for button in buttons_only}
        self.story_values: list[str] = []
        self.story.observe(lambda change: self.story_values.append(change["new"]), names="value")

    def click(self, label: str) -> None:
        self.buttons[label].click()

    def number_shown(self, name: str) -> bool:
        """Whether the slider's number is visible (it is hidden while the parameter is unset)."""
        return UNSET_CLASS not in self.sliders[name]._dom_classes


def test_unset_sliders_say_the_backend_default_applies_and_show_no_number() -> None:
    bloom = Completer("Once", transport=ScriptedTransport([]), top_k=30)
    panel = Panel(bloom.widget())
    assert (panel.sliders["top_k"].value, panel.number_shown("top_k"), panel.notes["top_k"].value) == (30, True, "")
    assert (panel.sliders["max_new_tokens"].value, panel.notes["max_new_tokens"].value) == (64, "")  # Params' own
    for name in ("temperature", "top_p", "min_p", "dry_multiplier"):
        assert (panel.number_shown(name), panel.notes[name].value) == (False, UNSET_NOTE)


def test_unset_sliders_name_the_defaults_a_backend_says_it_uses() -> None:
    class WithDefaults(ScriptedTransport):
        defaults = Params(temperature=0.8, min_p=0.05, dry_multiplier=2.0)

    panel = Panel(Completer("Once", transport=WithDefaults([]), top_k=30).widget())
    notes = {name: panel.notes[name].value for name in ("temperature", "top_p", "top_k", "min_p", "dry_multiplier")}
    assert notes == {
        "temperature": "default 0.8",
        "top_p": UNSET_NOTE,
        "top_k": "",
        "min_p": "default 0.05",
        "dry_multiplier": "default 2",
    }
    assert (panel.number_shown("temperature"), panel.number_shown("top_k")) == (False, True)


def test_the_panel_has_a_slider_for_each_sampler_it_offers_in_order() -> None:
    panel = Panel(Completer("Once", transport=ScriptedTransport([])).widget())
    sliders = ["temperature", "top_p", "top_k", "min_p", "dry_multiplier", "max_new_tokens"]
    assert list(panel.sliders) == [*sliders, "banned"]  # the last row: the banned phrases' text field
    assert list(panel.buttons) == ["Continue", "Retry", "Undo"]


def test_moving_the_min_p_and_dry_sliders_sets_those_parameters_and_shows_them() -> None:
    bloom = Completer("Once", transport=ScriptedTransport([]), dry_base=2.0)
    panel = Panel(bloom.widget())
    panel.sliders["min_p"].value = 0.05
    panel.sliders["dry_multiplier"].value = 0.8
    assert bloom.params == Params(min_p=0.05, dry_multiplier=0.8, dry_base=2.0)
    for name, shown in (("min_p", 0.05), ("dry_multiplier", 0.8)):
        assert (panel.sliders[name].value, panel.number_shown(name), panel.notes[name].value) == (shown, True, "")
    assert "min_p=0.05 dry_multiplier=0.8 dry_base=2.0" in panel.story.value


def test_a_value_beyond_a_sliders_range_widens_it_instead_of_showing_its_end() -> None:
    bloom = Completer("Once", transport=ScriptedTransport([]), temperature=3.5, top_k=500, dry_multiplier=4.0)
    panel = Panel(bloom.widget())
    shown = {name: (panel.sliders[name].value, panel.sliders[name].max) for name in ("temperature", "top_k")}
    assert shown == {"temperature": (3.5, 3.5), "top_k": (500, 500)}
    assert (panel.sliders["dry_multiplier"].value, panel.sliders["dry_multiplier"].max) == (4.0, 4.0)
    assert bloom.params == Params(temperature=3.5, top_k=500, dry_multiplier=4.0)


def test_moving_a_slider_sets_that_parameter_only_and_shows_it() -> None:
    bloom = Completer("Once", transport=ScriptedTransport([]), top_k=30)
    panel = Panel(bloom.widget())
    panel.sliders["temperature"].value = 0.7
    assert bloom.params == Params(top_k=30, temperature=0.7)
    assert (panel.number_shown("temperature"), panel.notes["temperature"].value) == (True, "")
    footer = "temperature=0.7 top_k=30 max_new_tokens=64 · scripted scripted"
    assert panel.story.value == render_html("Once", None, footer)


def test_the_story_shows_under_the_buttons_before_any_click() -> None:
    bloom = Completer("Once", transport=ScriptedTransport([]))
    assert Panel(bloom.widget()).story.value == render_html("Once", None, "max_new_tokens=64 · scripted scripted")


def test_continue_streams_into_the_story_pane_in_place(notebook: None) -> None:
    bloom = Completer("Once", transport=ScriptedTransport([" upon a time."]))
    panel = Panel(bloom.widget())
    panel.click("Continue")
    assert bloom.text == "Once upon a time."
    footer = "max_new_tokens=64 · scripted scripted"
    # the story so far was on screen already; then the first piece at once, then the
    # finished story with its facts
    assert panel.story_values[0] == render_html("Once upon", 4, footer)
    assert panel.story_values[-1] == bloom._repr_html_()
    assert "upon a time.</span>" in panel.story.value
    assert "finish: length" in panel.story.value


def test_continue_retry_and_undo_each_change_the_story_pane(notebook: None) -> None:
    bloom = Completer("Once", transport=ScriptedTransport([" a fox.", " a hen.", " a cat."]))
    panel = Panel(bloom.widget())
    shown = []
    for label in ("Continue", "Continue", "Retry", "Undo"):
        panel.click(label)
        shown.append(panel.story.value.split("<p")[1].split("</p>")[0].split(">", 1)[1])
    assert shown == [
        'Once<span class="complete-new" style="background: rgba(255, 196, 0, 0.28); border-radius: 3px; '
        'padding: 0 1px"> a fox.</span>',
        'Once a fox.<span class="complete-new" style="background: rgba(255, 196, 0, 0.28); border-radius: 3px; '
        'padding: 0 1px"> a hen.</span>',
        'Once a fox.<span class="complete-new" style="background: rgba(255, 196, 0, 0.28); border-radius: 3px; '
        'padding: 0 1px"> a cat.</span>',
        "Once a fox.",
    ]
    assert bloom.text == "Once a fox."


def test_an_error_in_a_click_shows_the_short_block_and_keeps_the_story(
    notebook: None, capsys: pytest.CaptureFixture[str]
) -> None:
    refused = TransportError("could not connect to http://127.0.0.1:9/v1/completions\nStart the server.")
    bloom = Completer("Once", transport=ScriptedTransport([" a", refused]))
    panel = Panel(bloom.widget())
    panel.click("Continue")
    capsys.readouterr()
    panel.click("Continue")
    assert bloom.text == "Once a"
    assert panel.story.value == bloom._repr_html_()
    assert capsys.readouterr().out.splitlines() == [
        "TransportError: could not connect to http://127.0.0.1:9/v1/completions",
        "Start the server.",
        "Full traceback: %tb verbose. Original exception: sys.last_value.__cause__",
    ]


def test_nothing_to_undo_is_said_and_the_story_stays(notebook: None, capsys: pytest.CaptureFixture[str]) -> None:
    bloom = Completer("Once", transport=ScriptedTransport([]))
    panel = Panel(bloom.widget())
    panel.click("Undo")
    assert capsys.readouterr().out == "Nothing to undo: the story is at its prompt.\n"
    assert panel.story.value == bloom._repr_html_()


def test_sliders_follow_parameters_set_elsewhere_after_the_next_action(notebook: None) -> None:
    bloom = Completer("Once", transport=ScriptedTransport([" a"]))
    panel = Panel(bloom.widget())
    bloom.set(top_p=0.9)
    panel.click("Continue")
    assert (panel.sliders["top_p"].value, panel.number_shown("top_p"), panel.notes["top_p"].value) == (0.9, True, "")
    assert bloom.params == Params(top_p=0.9)
