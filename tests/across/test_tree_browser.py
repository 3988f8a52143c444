"""The branch tree in the widget, in real JupyterLab and headless Chromium (tests/helpers/lab.py):
a click on a node in the drawing changes the story on the page.

As in tests/across/test_browser.py, every assertion is on the page, never on the kernel's
state. The tree is built by pure Session code that this test runs too (``TREE``), so
that the test knows each node's index and text; screenshots go to
``$COMPLETE_SCREENSHOTS`` when it is set, else to a temporary folder.
"""

from __future__ import annotations

from typing import Any

from complete import Session
from complete.display.tree_layout import session_layout
from tests.conftest import needs_programs
from tests.helpers.lab import (
    BROWSER_PROGRAMS,
    INSTALL_BROWSER,
    NotebookPage,
)
from tests.helpers.lab_fixtures import browser, lab, page, screenshots

pytestmark = needs_programs(BROWSER_PROGRAMS, INSTALL_BROWSER)

__all__ = ["browser", "lab", "page", "screenshots"]  # the fixtures this module uses

TREE = """\
from complete import Completer, Session, Story
from complete.testing import ScriptedTransport
from complete.values.tree import Tree
things = ['wave', 'gull', 'storm', 'lamp', 'ship', 'bell', 'rope', 'tide', 'star', 'fog']
story = Story.from_prompt('The lighthouse keeper opened the door')
nodes, marks = [story], {}
while len(nodes) < 30:
    n = len(nodes)
    if n % 6 == 0:
        story = story.extend(f' I wrote of the {things[n % 10]} myself.', origin='user')
    else:
        story = story.extend(f' Then the {things[n % 10]} came, {n} times over.', origin='model')
    nodes.append(story)
    if n % 5 == 0:
        side = story.parent.extend(f' Or the {things[(n + 3) % 10]} left, at try {n}.', origin='model')
        nodes.append(side)
    if n == 10:
        nodes.append(side.extend(' The keeper wrote it <b>down</b> & slept.', origin='user'))
        nodes.append(side.extend(' The keeper forgot.', origin='model'))
    if n == 14:
        marks['the ship'] = story
session = Session(current=nodes[17], nodes=Tree(nodes[:30]), bookmarks=marks)"""


_OFFSETS = """
const area = arguments[0];
const hits = area.querySelectorAll('.complete-tree-hit .widget-toggle-button');
return Array.from(area.querySelectorAll('svg g[data-node]'), (g, i) => {
  const box = g.querySelector('rect[stroke-width]').getBoundingClientRect();
  const hit = hits[i].getBoundingClientRect();
  return [box.left - hit.left, box.top - hit.top, box.width - hit.width, box.height - hit.height];
});
"""
"""For each box, how far its button is from it (left, top, width, height), in pixels."""


def built() -> Session:
    scope: dict[str, Any] = {}
    exec(TREE, scope)  # the very code the notebook runs
    session = scope["session"]
    assert isinstance(session, Session)
    return session


def _words(text: str) -> str:
    return " ".join(text.split())


def test_a_click_on_a_node_of_the_tree_shows_the_story_there(page: NotebookPage) -> None:
    session = built()
    layout = session_layout(session)
    assert (len(session.nodes), len(layout.boxes), layout.columns) == (30, 25, 3)
    page.open("tree.ipynb", [TREE, "b = Completer(session, transport=ScriptedTransport([]))\nb.widget()", "b.tree()"])
    page.run(0)
    page.run(1)
    drawn = ".complete-tree-area svg g[data-node]"
    page.wait_for(lambda: len(page.texts(1, drawn)) == len(layout.boxes), "the tree's boxes in the widget")

    def story() -> str:
        return _words(" ".join(page.texts(1, ".complete-widget-story p")))

    def current() -> list[str | None]:
        found = page._cells()[1].find_elements("css selector", f"{drawn}[data-current='node']")
        return [element.get_attribute("data-node") for element in found]

    assert story() == _words(session.current.text)
    assert current() == ["17"]
    tree = page._cells()[1].find_element("css selector", ".complete-tree-area")
    offsets = page.driver.execute_script(_OFFSETS, tree)
    assert len(offsets) == len(layout.boxes)
    assert max(abs(value) for offset in offsets for value in offset) <= 1, offsets  # each button over its box
    shown = {box.node: box for box in layout.boxes}
    tree.screenshot(str(page.screenshots / "tree-1-opened.png"))

    for node, why in (
        (12, "a writer's node on a branch of a branch"),
        (14, "the bookmarked node"),
        (29, "the last node"),
    ):
        assert node in shown, why
        click_node(page, node)
        expected = _words(session.nodes[node].text)
        page.wait_for(lambda: story() == expected, f"the story at node {node}, {why}, after a click")  # noqa: B023
        page.wait_for(lambda: current() == [str(node)], f"node {node} drawn as the current one")  # noqa: B023
        assert page.outputs(1) == 1
        here = page._cells()[1].find_element("css selector", f"{drawn}[data-current='node']")
        page.driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", here)
        page.screenshot(f"tree-2-at-node-{node}")
    assert page.texts(1, f"{drawn}[data-node='14']")[0].endswith("★ the ship")
    assert page.texts(1, f"{drawn}[data-node='12']")[0].startswith("The keeper wrote it <b>down</b> & slept.")

    page.run(2)  # the same tree as a cell's output, at the node the widget went to
    output = [element.get_attribute("data-node") for element in _elements(page, 2, "svg g[data-current='node']")]
    at_end = session_layout(session.checkout(29))  # #17 and #18 fold once #17 is not current
    assert (len(page.texts(2, "svg g[data-node]")), output) == (len(at_end.boxes), ["29"])
    page.driver.execute_script("arguments[0].scrollIntoView({block: 'start'});", page._cells()[2])
    page.screenshot("tree-3-cell-output")


def _elements(page: NotebookPage, index: int, selector: str) -> list[Any]:
    return list(page._cells()[index].find_elements("css selector", f".jp-Cell-outputWrapper {selector}"))


def click_node(page: NotebookPage, node: int) -> None:
    """Click the middle of node ``node``'s box in the drawing, as a writer would (the
    click lands on whatever is on top there)."""
    from selenium.webdriver.common.action_chains import ActionChains

    box = page._cells()[1].find_element("css selector", f".complete-tree-area svg g[data-node='{node}']")
    page.driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", box)
    ActionChains(page.driver).move_to_element(box).click().perform()
