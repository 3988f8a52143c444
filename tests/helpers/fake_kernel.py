"""A notebook kernel as ``complete.display.cells`` and ``complete.display.live`` see it, without a kernel.

``install(monkeypatch)`` puts in ``sys.modules`` just what the display code asks of
IPython: a shell with a kernel and the header of the request it runs (which cell),
and ``IPython.display.display`` with display handles. What lands on the page is
kept per output, every in-place update included, so a test can say exactly what
the writer saw. The ``page`` fixture does that for one test; ``notebook`` only makes
the display code believe it runs in a kernel (``render.in_notebook``), as the widget
and the tree panel ask. The real front end is tested in tests/across/test_browser.py.
"""

from __future__ import annotations

import sys
import types
from typing import Any

import pytest

from complete.display import cells, render


class Page:
    """A notebook page as IPython's display functions reach it: each output's
    versions (its first rendering, then each in-place update), the running cell,
    and how often the kernel's stdout was flushed."""

    def __init__(self) -> None:
        self.outputs: list[list[dict[str, str]]] = []
        self.cell: str | None = "cell-1"
        self.flushes = 0

    def display(self, bundle: dict[str, str], raw: bool = False, display_id: bool = False) -> Any:
        assert raw, "bundles are displayed raw"
        self.outputs.append([bundle])
        index = len(self.outputs) - 1
        return types.SimpleNamespace(update=lambda new, raw: self.outputs[index].append(new)) if display_id else None

    def html(self, output: int) -> list[str]:
        """Every version output ``output`` showed, as HTML."""
        return [bundle["text/html"] for bundle in self.outputs[output]]


def install(monkeypatch: pytest.MonkeyPatch) -> Page:
    """A running kernel, for the rest of the test, whose displays land on the ``Page`` returned."""
    shown = Page()

    class Shell:
        kernel = object()

        @property
        def parent_header(self) -> dict[str, Any]:
            return {"msg_id": shown.cell, "msg_type": "execute_request"} if shown.cell else {}

    ipython = types.ModuleType("IPython")
    ipython.get_ipython = Shell  # type: ignore[attr-defined]
    ipython_display = types.ModuleType("IPython.display")
    ipython_display.display = shown.display  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "IPython", ipython)
    monkeypatch.setitem(sys.modules, "IPython.display", ipython_display)
    monkeypatch.setattr(cells, "flush_to_front_end", lambda: setattr(shown, "flushes", shown.flushes + 1))
    return shown


@pytest.fixture
def page(monkeypatch: pytest.MonkeyPatch) -> Page:
    """A running kernel for one test (``install``): the page its displays land on."""
    return install(monkeypatch)


@pytest.fixture
def notebook(monkeypatch: pytest.MonkeyPatch) -> None:
    """The Completer believes it runs in a kernel (the panel routes its renderings)."""
    monkeypatch.setattr(render, "in_notebook", lambda: True)
