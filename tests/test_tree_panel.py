"""The tree in the widget: a transparent button over each box, a click goes to its
node and the story pane and the drawing follow (checked here without a front end;
tests/test_tree_browser.py clicks in a real JupyterLab)."""

from __future__ import annotations

import re
from typing import Any

import pytest

from complete import Completer, display
from complete.testing import ScriptedTransport
from complete.tree_panel import HIT_CLASS


@pytest.fixture(autouse=True)
def notebook(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(display, "in_notebook", lambda: True)


def panel_of(bloom: Completer) -> tuple[Any, Any]:
    box = bloom.widget()
    story, tree = box.children[-4], box.children[-1]
    return story, tree


def current_nodes(tree: Any) -> list[str]:
    return re.findall(r'data-node="(\d+)" data-current="node"', tree.children[0].value)


def test_a_click_on_a_box_goes_to_its_node_and_the_story_and_tree_follow() -> None:
    bloom = Completer("Once upon a time", transport=ScriptedTransport([" a fox.", " It ran.", " It hid."]))
    bloom.stream = False
    bloom()
    bloom()
    bloom.retry()
    story, tree = panel_of(bloom)
    _drawing, *buttons = tree.children
    assert len(buttons) == 4  # the prompt, " a fox.", " It ran.", " It hid."
    assert all(HIT_CLASS in button._dom_classes for button in buttons)
    assert [button.tooltip for button in buttons] == [
        "#0 · prompt · Once upon a time",
        "#1 · model · a fox.",
        "#2 · model · It ran.",
        "#3 · model · It hid.",
    ]
    assert current_nodes(tree) == ["3"]
    buttons[2].click()
    assert bloom.text == "Once upon a time a fox. It ran."
    assert "It ran." in story.value
    assert "It hid." not in story.value
    assert current_nodes(tree) == ["2"]
    buttons[0].click()
    assert (bloom.text, current_nodes(tree)) == ("Once upon a time", ["0"])


def test_each_button_is_placed_over_its_box_in_rules_scoped_to_its_panel() -> None:
    bloom = Completer("Once", transport=ScriptedTransport([" upon", " a time", " there"]))
    bloom.stream = False
    bloom()
    bloom()
    bloom.retry()  # " a time" becomes a side branch, one column right
    _, first = panel_of(bloom)
    _, second = panel_of(bloom)
    scopes = [
        [name for name in tree._dom_classes if name.startswith("complete-tree-area-")] for tree in (first, second)
    ]
    assert len({scope[0] for scope in scopes}) == 2
    style = first.children[0].value
    scope = scopes[0][0]
    assert f".{scope} .complete-tree-slot-0 {{ left: 8px; top: 8px; }}" in style
    assert f".{scope} .complete-tree-slot-1 {{ left: 8px; top: 40px; }}" in style
    assert f".{scope} .complete-tree-slot-2 {{ left: 32px; top: 72px; }}" in style
    assert f".{scope} .complete-tree-slot-3 {{ left: 8px; top: 104px; }}" in style


def test_the_tree_grows_with_continue_and_reuses_its_buttons() -> None:
    bloom = Completer("Once", transport=ScriptedTransport([" upon", " a time", " there"]))
    bloom.stream = False
    box = bloom.widget()
    tree = box.children[-1]
    continue_button = next(b for b in box.children[-5].children if b.description == "Continue")
    assert len(tree.children) == 2  # the drawing and one button
    first_button = tree.children[1]
    continue_button.click()
    continue_button.click()
    assert len(tree.children) == 4
    assert tree.children[1] is first_button
    assert current_nodes(tree) == ["2"]
