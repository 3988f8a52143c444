"""The widget's text box in real JupyterLab and headless Chromium: a writer types a change
into the story, clicks Continue, then Undo, and the page shows what Python would.

Assertions are on the page's text, as in tests/across/test_browser.py; the fixtures (a
JupyterLab server, a browser, a page) are tests/helpers/lab_fixtures.py's.
"""

from __future__ import annotations

from typing import Any

from tests.conftest import needs_programs
from tests.helpers.lab import BROWSER_PROGRAMS, INSTALL_BROWSER, NotebookPage
from tests.helpers.lab_fixtures import browser, lab, page, screenshots

pytestmark = needs_programs(BROWSER_PROGRAMS, INSTALL_BROWSER)

__all__ = ["browser", "lab", "page", "screenshots"]  # the fixtures this module uses

STORY = """\
from complete import Completer
from complete.testing import ScriptedTransport
b = Completer('The fox saw the fox.', transport=ScriptedTransport([' It ran.', ' It hid.']))
b()"""


def test_a_change_typed_into_the_widget_is_continued_and_undone_on_the_page(page: NotebookPage) -> None:
    from selenium.webdriver.common.keys import Keys

    page.open("edit.ipynb", [STORY, "b.widget()"])
    page.run(0)
    page.run(1)
    page.wait_for(lambda: page.texts(1, ".widget-button") == ["Continue", "Retry", "Undo"], "the widget's buttons")

    def box() -> Any:
        return page._cells()[1].find_element("css selector", ".complete-widget-editor textarea")

    def story() -> list[str]:
        return page.texts(1, ".complete-widget-story p")

    def highlighted() -> list[str]:
        return page.texts(1, ".complete-widget-story .complete-new")

    assert box().get_attribute("value") == "The fox saw the fox. It ran."
    assert story() == ["The fox saw the fox. It ran."]
    area = box()
    area.click()
    area.send_keys(Keys.END)
    for _ in range(len(". It ran.")):
        area.send_keys(Keys.ARROW_LEFT)
    for _ in range(len("fox")):
        area.send_keys(Keys.BACKSPACE)
    area.send_keys("owl")
    assert box().get_attribute("value") == "The fox saw the owl. It ran."
    page.screenshot("edit-1-typed")

    page.click(1, "Continue")
    page.wait_for(lambda: story() == ["The fox saw the owl. It ran. It hid."], "the edited story continued")
    assert highlighted() == ["It hid."]
    page.wait_for(lambda: box().get_attribute("value") == "The fox saw the owl. It ran. It hid.", "the box updated")
    page.screenshot("edit-2-continued")

    page.click(1, "Undo")
    page.wait_for(lambda: story() == ["The fox saw the owl. It ran."], "Undo to take back the continuation")
    page.click(1, "Undo")
    page.wait_for(lambda: story() == ["The fox saw the fox. It ran."], "Undo to take back the edit")
    assert box().get_attribute("value") == "The fox saw the fox. It ran."
    assert highlighted() == []
    page.screenshot("edit-3-undone")
