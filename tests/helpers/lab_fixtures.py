"""The browser tests' fixtures over ``tests.helpers.lab``: one JupyterLab and one headless
Chromium per test module, a screenshot folder, and a page for each test.

Screenshots go to ``$COMPLETE_SCREENSHOTS`` when it is set (CI keeps them as
artifacts), else to a temporary folder named in the test output. A module lists the
fixtures it uses in ``__all__`` after importing them.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.helpers.lab import Lab, NotebookPage, kernel_environment, missing, start_browser, start_lab


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    why = missing()
    if why:  # the test extra installs the rest, and CI the programs: a gap is a broken set-up
        pytest.fail(why)
    environment = kernel_environment(tmp_path_factory.mktemp("hf_home"))
    with start_lab(tmp_path_factory.mktemp("lab"), environment) as running:
        yield running


@pytest.fixture(scope="module")
def browser(lab: Lab, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    with start_browser(tmp_path_factory.mktemp("chromium-profile")) as driver:
        yield driver


@pytest.fixture(scope="module")
def screenshots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    chosen = os.environ.get("COMPLETE_SCREENSHOTS")
    folder = Path(chosen) if chosen else tmp_path_factory.mktemp("screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    print(f"\nbrowser screenshots: {folder}")
    return folder


@pytest.fixture
def page(lab: Lab, browser: Any, screenshots: Path) -> Iterator[NotebookPage]:
    """The module's browser for one test; the kernels it started are shut down after."""
    yield NotebookPage(browser, lab, screenshots)
    lab.shut_down_kernels()
