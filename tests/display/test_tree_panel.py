"""The tree in the widget: a transparent button over each box (the options of one
ToggleButtons), a click goes to its node and the story pane and the drawing follow
(checked here without a front end, where a click is the option's index set as the
front end sets it; tests/across/test_tree_browser.py clicks in a real JupyterLab)."""

from __future__ import annotations

import re
from typing import Any

import pytest

from complete import Completer
from complete.display.tree_panel import HIT_CLASS
from complete.testing import ScriptedTransport
from tests.helpers.fake_kernel import notebook

__all__ = ["notebook"]  # the shared fixture
pytestmark = pytest.mark.usefixtures("notebook")


def current_nodes(tree: Any) -> list[str]:
    return re.findall(r'data-node="(\d+)" data-current="node"', tree.children[0].value)


def written(replies: list[str], calls: int, *, retry: bool = False) -> Completer:
    bloom = Completer("Once upon a time", transport=ScriptedTransport(replies))
    bloom.stream = False
    for _ in range(calls):
        bloom()
    if retry:
        bloom.retry()
    return bloom


def test_a_click_on_a_box_goes_to_its_node_and_the_story_and_tree_follow() -> None:
    bloom = written([" a fox.", " It ran.", " It hid."], 2, retry=True)
    box = bloom.widget()
    story, tree = box.children[-4], box.children[-1]
    _drawing, buttons = tree.children
    assert HIT_CLASS in buttons._dom_classes
    assert buttons.options == (("#0", 0), ("#1", 1), ("#2", 2), ("#3", 3))
    assert buttons.tooltips == (
        "#0 · prompt · Once upon a time",
        "#1 · model · a fox.",
        "#2 · model · It ran.",
        "#3 · model · It hid.",
    )
    assert (buttons.index, current_nodes(tree)) == (3, ["3"])
    buttons.index = 2  # a click on "It ran."
    assert bloom.text == "Once upon a time a fox. It ran."
    assert "It ran." in story.value
    assert "It hid." not in story.value
    assert (buttons.index, current_nodes(tree)) == (2, ["2"])
    buttons.index = 0
    assert (bloom.text, buttons.index, current_nodes(tree)) == ("Once upon a time", 0, ["0"])


def test_a_click_on_a_fold_goes_to_its_last_node_which_then_has_a_box_of_its_own() -> None:
    bloom = written([" a", " b", " c", " d"], 4)
    bloom.checkout(0)
    tree = bloom.widget().children[-1]
    buttons = tree.children[1]
    assert buttons.options == (("#0", 0), ("#3", 1), ("#4", 2))  # the prompt, #1…#3 folded, #4
    buttons.index = 1
    assert bloom.text == "Once upon a time a b c"
    assert buttons.options == (("#0", 0), ("#2", 1), ("#3", 2), ("#4", 3))
    assert (buttons.index, current_nodes(tree)) == (2, ["3"])


def test_each_button_is_placed_over_its_box_in_rules_scoped_to_its_panel() -> None:
    bloom = written([" upon", " a time", " there"], 2, retry=True)  # " a time" becomes a side branch
    first, second = bloom.widget().children[-1], bloom.widget().children[-1]
    scopes = [
        [name for name in tree._dom_classes if name.startswith("complete-tree-area-")] for tree in (first, second)
    ]
    assert len({scope[0] for scope in scopes}) == 2
    style = first.children[0].value
    hit = f".{scopes[0][0]} .{HIT_CLASS} .widget-toggle-button"
    assert f'{hit}[value="0"] {{ left: 8px; top: 8px; }}' in style
    assert f'{hit}[value="1"] {{ left: 8px; top: 40px; }}' in style
    assert f'{hit}[value="2"] {{ left: 32px; top: 72px; }}' in style
    assert f'{hit}[value="3"] {{ left: 8px; top: 104px; }}' in style


def test_the_tree_grows_with_continue() -> None:
    bloom = written([" upon", " a time", " there"], 0)
    box = bloom.widget()
    tree = box.children[-1]
    continue_button = next(b for b in box.children[-6].children if b.description == "Continue")
    assert tree.children[1].options == (("#0", 0),)
    continue_button.click()
    continue_button.click()
    assert tree.children[1].options == (("#0", 0), ("#1", 1), ("#2", 2))
    assert current_nodes(tree) == ["2"]
