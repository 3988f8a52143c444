"""Rendering: wrapped text with marks, ANSI, HTML, and the live streaming view."""

from __future__ import annotations

import io
import sys
import types
from typing import Any

import pytest

from complete import display
from complete.display import LiveView, render_html, render_text


def test_plain_marks_survive_wrapping() -> None:
    text = "The sky was wide and blue. Then a little plane came by."
    assert render_text(text, 27, width=24, style="plain") == (
        "The sky was wide and\nblue. ⟦Then a little\nplane came by.⟧"
    )


def test_no_marks_when_nothing_is_new() -> None:
    assert render_text("a b\nc", None, width=10, style="plain") == "a b\nc"
    assert render_text("a b", 3, width=10, style="plain") == "a b"


def test_ansi_reopens_bold_after_each_line_break() -> None:
    assert render_text("aa bb cc", 3, width=5, style="ansi") == "aa\n\x1b[1mbb\x1b[0m\n\x1b[1mcc\x1b[0m"


def test_html_escapes_and_highlights_across_paragraphs() -> None:
    markup = render_html("a <x>\nb & c", 2, footer="top_k=3")
    assert '<p style="margin: 0 0 0.7em 0">a <span class="complete-new"' in markup
    assert "&lt;x&gt;</span></p>" in markup
    assert "b &amp; c</span></p>" in markup
    assert 'class="complete-params"' in markup
    assert ">top_k=3</div>" in markup


def test_html_without_new_part_has_no_highlight() -> None:
    assert "complete-new" not in render_html("a\nb", None)


def test_terminal_live_view_wraps_streamed_pieces() -> None:
    out = io.StringIO()
    view = LiveView(notebook=False, out=out, width=20)
    view.start("Once upon a time there", "footer")
    for piece in [" was", " a", " wond", "erful", " fox", "\n", "The", " end."]:
        view.piece(piece)
    view.finish("", 0, "footer")
    assert out.getvalue() == "Once upon a time\nthere⟦ was a wonderful\nfox\nThe end.⟧\nfooter\n"


class FakeHandle:
    def __init__(self) -> None:
        self.updates: list[str] = []

    def update(self, obj: Any) -> None:
        self.updates.append(obj.data)


@pytest.fixture
def fake_notebook(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    shown: dict[str, Any] = {"displays": [], "handle": FakeHandle()}

    class HTML:
        def __init__(self, data: str) -> None:
            self.data = data

    def show(obj: Any, display_id: bool = False) -> FakeHandle | None:
        shown["displays"].append(obj.data)
        return shown["handle"] if display_id else None

    ipython = types.ModuleType("IPython")
    ipython.get_ipython = lambda: types.SimpleNamespace(kernel=object())  # type: ignore[attr-defined]
    ipython_display = types.ModuleType("IPython.display")
    ipython_display.HTML = HTML  # type: ignore[attr-defined]
    ipython_display.display = show  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "IPython", ipython)
    monkeypatch.setitem(sys.modules, "IPython.display", ipython_display)
    return shown


def test_in_notebook_detects_a_kernel(fake_notebook: dict[str, Any]) -> None:
    assert display.in_notebook() is True


def test_not_in_notebook_without_ipython(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delitem(sys.modules, "IPython", raising=False)
    assert display.in_notebook() is False


def test_notebook_stream_updates_one_handle_and_throttles(
    fake_notebook: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = iter([0.0, 0.01, 0.02, 0.2, 0.21])
    monkeypatch.setattr(display.time, "monotonic", lambda: next(clock))
    view = LiveView(notebook=True, out=io.StringIO())
    view.start("Old", "f")
    for piece in [" a", " b", " c", " d", " e"]:
        view.piece(piece)
    view.finish("Old a b c d e", 3, "f")
    assert len(fake_notebook["displays"]) == 1
    updates = fake_notebook["handle"].updates
    # the first piece at once, then only after REFRESH_SECONDS, then the final state
    assert [update.count("complete-new") for update in updates] == [1, 1, 1]
    assert [update.split('class="complete-new"')[1].split(">", 1)[1].split("<")[0] for update in updates] == [
        " a",
        " a b c d",
        " a b c d e",
    ]
