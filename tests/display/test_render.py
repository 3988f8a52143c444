"""Rendering: wrapped text with marks, ANSI, HTML, and the live streaming view."""

from __future__ import annotations

import io
import sys
import time
from collections.abc import Callable
from typing import Any

import pytest

from complete.display import cells, live
from complete.display import render as display
from complete.display.live import LiveView
from complete.display.render import render_alternatives_text, render_html, render_text
from complete.transports import status
from complete.transports.status import Status
from tests.helpers.fake_kernel import Page, page

__all__ = ["page"]  # the shared fixture


def test_plain_text_for_a_file_or_pipe_has_no_marks() -> None:
    text = "The sky was wide and blue. Then a little plane came by."
    assert render_text(text, 27, width=24, style="none") == "The sky was wide and\nblue. Then a little\nplane came by."


def test_a_pipe_gets_plain_text_and_a_terminal_gets_ansi(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    assert display.style_for(io.StringIO()) == "none"
    assert display.style_for(Terminal()) == "ansi"
    monkeypatch.setenv("NO_COLOR", "1")
    assert display.style_for(Terminal()) == "none"


def test_no_marks_when_nothing_is_new() -> None:
    assert render_text("a b\nc", None, width=10, style="ansi") == "a b\nc"
    assert render_text("a b", 3, width=10, style="ansi") == "a b"


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


class Terminal(io.StringIO):
    """A stream that says it is a terminal."""

    def isatty(self) -> bool:
        return True


def test_terminal_live_view_wraps_streamed_pieces_as_plain_text_in_a_pipe() -> None:
    out = io.StringIO()
    view = LiveView(notebook=False, out=out, err=io.StringIO(), width=20)
    view.start("Once upon a time there", "footer")
    for piece in [" was", " a", " wond", "erful", " fox", "\n", "The", " end."]:
        view.piece(piece)
    view.finish("", 0, "footer")
    assert out.getvalue() == "Once upon a time\nthere was a wonderful\nfox\nThe end.\nfooter\n"


def test_an_error_before_any_text_leaves_no_dangling_mark() -> None:
    out, terminal = io.StringIO(), Terminal()
    for stream in (out, terminal):
        view = LiveView(notebook=False, out=stream, err=io.StringIO(), width=20)
        view.start("Hello", "footer")
        view.abort()
    assert (out.getvalue(), terminal.getvalue()) == ("Hello\n", "Hello\n")


def test_terminal_live_view_bolds_the_streamed_part(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    out = Terminal()
    view = LiveView(notebook=False, out=out, err=io.StringIO(), width=20)
    view.start("Once", "top_k=3")
    view.piece(" upon")
    view.finish("Once upon", 4, "top_k=3")
    assert out.getvalue() == "Once\x1b[1m upon\x1b[0m\n\x1b[2mtop_k=3\x1b[0m\n"


def test_terminal_status_goes_under_the_story_and_away_when_text_arrives(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    out, err = Terminal(), Terminal()
    view = LiveView(notebook=False, out=out, err=err, width=60)
    view.start("Once upon", "f")
    status.report(Status("server busy (429): retrying in 2 s, attempt 2 of 3"))
    assert err.getvalue() == "\n\x1b[2mserver busy (429): retrying in 2 s, attempt 2 of 3\x1b[0m"
    view.piece(" a")
    # erase the status line, go back up to column 10, right after "Once upon"
    assert err.getvalue().endswith("\x1b[0m\r\x1b[K\x1b[A\x1b[10G")
    view.finish("Once upon a", 9, "f")
    assert out.getvalue() == "Once upon\x1b[1m a\x1b[0m\n\x1b[2mf\x1b[0m\n"
    status.report(Status("after the view: nobody listens"))
    assert "nobody" not in err.getvalue()


def test_terminal_status_rewrites_one_line_when_the_story_goes_to_a_pipe() -> None:
    err = Terminal()
    view = LiveView(notebook=False, out=io.StringIO(), err=err, width=30)
    view.start("Once", "f")
    status.report(Status("model loading, about 20 s"))
    status.report(Status("a status far too long to fit on one line of thirty"))
    view.abort()
    assert err.getvalue() == (
        "\r\x1b[2mmodel loading, about 20 s\x1b[0m\r\x1b[K\r\x1b[2ma status far too long to fit\u2026\x1b[0m\r\x1b[K"
    )


def test_a_status_while_the_request_is_built_is_one_line_erased_before_the_story(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    out, err = Terminal(), Terminal()
    view = LiveView(notebook=False, out=out, err=err, width=60)
    view.listen("Once", "f")
    status.report(Status("loading the model tiny.gguf (the first call only)"))
    assert (out.getvalue(), err.getvalue()) == ("", "\r\x1b[2mloading the model tiny.gguf (the first call only)\x1b[0m")
    view.start("Once", "f")
    view.piece(" upon")
    view.finish("Once upon", 4, "f")
    assert err.getvalue() == "\r\x1b[2mloading the model tiny.gguf (the first call only)\x1b[0m\r\x1b[K"
    assert out.getvalue() == "Once\x1b[1m upon\x1b[0m\n\x1b[2mf\x1b[0m\n"


def test_without_streaming_a_terminal_shows_the_wait_then_the_whole_story_marked(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    out, err = Terminal(), Terminal()
    view = LiveView(notebook=False, streams=False, out=out, err=err, width=20)
    view.start("Once upon a time", "f")
    status.report(Status("server busy"))
    assert out.getvalue() == ""
    view.finish("Once upon a time there was a fox.", 17, "f")
    assert err.getvalue() == "\r\x1b[2mserver busy\x1b[0m\r\x1b[K"
    assert out.getvalue() == "Once upon a time\n\x1b[1mthere was a fox.\x1b[0m\n\x1b[2mf\x1b[0m\n"


def test_no_status_on_stderr_unless_it_is_a_terminal() -> None:
    out, err = io.StringIO(), io.StringIO()
    view = LiveView(notebook=False, out=out, err=err, width=30)
    view.start("Once", "f")
    status.report(Status("model loading, about 20 s"))
    view.finish("Once", None, "f")
    assert (out.getvalue(), err.getvalue()) == ("Once\nf\n", "")


def test_a_counting_status_appears_after_the_grace_period(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(live, "STATUS_GRACE_SECONDS", 0.05)
    err = Terminal()
    view = LiveView(notebook=False, out=io.StringIO(), err=err, width=60)
    view.start("Once", "f")
    status.report(Status.waiting_for("http://127.0.0.1:8080/v1/completions"))
    assert err.getvalue() == ""  # nothing during the grace period
    _wait_for(lambda: "interrupt to stop" in err.getvalue())
    view.piece(" a")
    view.finish("Once a", 4, "f")
    assert err.getvalue() == "\r\x1b[2mwaiting for 127.0.0.1:8080 (0 s, interrupt to stop)\x1b[0m\r\x1b[K"


def _wait_for(condition: Callable[[], bool], seconds: float = 5.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "the condition never became true"
        time.sleep(0.01)


def test_alternatives_as_plain_text_stand_alone_and_in_a_terminal_follow_the_story() -> None:
    assert render_alternatives_text("It was late.", [" Then rain.", " Snow"], width=40, style="none") == (
        "[0]  Then rain.\n\n[1]  Snow\n\nChoose one with .choose(i)."
    )
    assert render_alternatives_text("It was late.", [" Snow"], width=40, style="ansi") == (
        "[0]  \x1b[2m…It was late.\x1b[0m\x1b[1m Snow\x1b[0m\n\nChoose one with .choose(i)."
    )


def test_in_notebook_detects_a_kernel(page: Page) -> None:
    assert display.in_notebook() is True
    assert cells.running_cell() == "cell-1"


def test_not_in_notebook_without_ipython(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delitem(sys.modules, "IPython", raising=False)
    assert display.in_notebook() is False
    assert cells.running_cell() is None


def test_a_cell_output_is_replaced_while_its_cell_runs_and_a_new_cell_gets_a_new_one(page: Page) -> None:
    output = cells.CellOutput()
    output(display.story("Once", None))
    output(display.story("Once upon", 4))
    page.cell = "cell-2"
    output(display.story("Once upon a time", 9))
    assert [len(versions) for versions in page.outputs] == [2, 1]
    assert page.html(0) == [render_html("Once", None), render_html("Once upon", 4)]
    assert page.html(1) == [render_html("Once upon a time", 9)]


def test_each_rendering_is_a_new_output_when_the_running_cell_is_unknown(page: Page) -> None:
    page.cell = None
    output = cells.CellOutput()
    output(display.story("Once", None))
    output(display.story("Once upon", 4))
    assert [len(versions) for versions in page.outputs] == [1, 1]


def test_every_notebook_rendering_has_a_plain_text_twin_without_marks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "21")  # the story is not wrapped: a text front end does that
    waiting = "waiting for x (2 s, interrupt to stop)"
    shown = display.story("Once upon a time there was a fox.", 17, "top_k=3", waiting)
    assert shown.bundle() == {
        "text/html": render_html("Once upon a time there was a fox.", 17, "top_k=3", waiting),
        "text/plain": f"Once upon a time there was a fox.\n{waiting}\ntop_k=3",
    }
    assert display.alternatives("It was late.", [" Rain.", " Snow."]).text == (
        "[0]  Rain.\n\n[1]  Snow.\n\nChoose one with .choose(i)."
    )


def test_notebook_stream_updates_one_output_and_throttles(page: Page, monkeypatch: pytest.MonkeyPatch) -> None:
    clock = iter([0.0, 0.01, 0.02, 0.2, 0.21])
    monkeypatch.setattr(live.time, "monotonic", lambda: next(clock))
    view = LiveView(notebook=True, out=io.StringIO())
    view.start("Old", "f")
    for piece in [" a", " b", " c", " d", " e"]:
        view.piece(piece)
    view.finish("Old a b c d e", 3, "f")
    assert len(page.outputs) == 1
    # the story so far at once, the first piece at once, then only after
    # REFRESH_SECONDS, then the final state
    assert page.html(0) == [
        render_html("Old", None, "f"),
        render_html("Old a", 3, "f"),
        render_html("Old a b c d", 3, "f"),
        render_html("Old a b c d e", 3, "f"),
    ]


def test_notebook_status_shows_under_the_story_until_text_arrives(page: Page) -> None:
    view = LiveView(notebook=True, out=io.StringIO())
    view.start("Once", "top_k=3")
    status.report(Status("server busy (429): retrying in 2 s, attempt 2 of 3"))
    view.piece(" upon")
    view.finish("Once upon", 4, "top_k=3")
    assert page.html(0) == [
        render_html("Once", None, "top_k=3"),
        render_html("Once", None, "top_k=3", "server busy (429): retrying in 2 s, attempt 2 of 3"),
        render_html("Once upon", 4, "top_k=3"),
        render_html("Once upon", 4, "top_k=3"),
    ]
    assert '<div class="complete-status"' in page.html(0)[1]
    assert page.flushes == 1  # a status that does not count is pushed out before the caller goes on


def test_a_status_while_the_request_is_built_shows_with_the_story_as_it_stands(page: Page) -> None:
    view = LiveView(notebook=True, out=io.StringIO())
    view.listen("Once upon a time", "top_k=3", new_from=4)
    status.report(Status("loading the model tiny.gguf (the first call only)"))
    view.start("Once", "top_k=3")  # a retry: the story it continues is shorter
    view.piece(" there")
    view.finish("Once there", 4, "top_k=3")
    assert page.html(0) == [
        render_html("Once upon a time", 4, "top_k=3", "loading the model tiny.gguf (the first call only)"),
        render_html("Once", None, "top_k=3", "loading the model tiny.gguf (the first call only)"),
        render_html("Once there", 4, "top_k=3"),
        render_html("Once there", 4, "top_k=3"),
    ]


def test_without_streaming_a_notebook_shows_the_wait_then_the_story_once(page: Page) -> None:
    quiet = LiveView(notebook=True, streams=False, out=io.StringIO())
    quiet.start("Once", "f")
    quiet.finish("Once upon", 4, "f")
    waited = LiveView(notebook=True, streams=False, out=io.StringIO())
    waited.start("Once upon", "f")
    status.report(Status("model loading, about 20 s"))
    waited.finish("Once upon a time", 9, "f")
    assert [page.html(0), page.html(1)] == [
        [render_html("Once upon", 4, "f")],
        [render_html("Once upon", None, "f", "model loading, about 20 s"), render_html("Once upon a time", 9, "f")],
    ]


def test_an_aborted_view_removes_its_status_line_and_keeps_the_story(page: Page) -> None:
    view = LiveView(notebook=True, streams=False, out=io.StringIO())
    view.listen("Once", "f")
    status.report(Status("server busy (429): retrying in 2 s, attempt 2 of 3"))
    view.abort()
    assert page.html(0) == [
        render_html("Once", None, "f", "server busy (429): retrying in 2 s, attempt 2 of 3"),
        render_html("Once", None, "f"),
    ]


def test_showing_in_sends_every_rendering_to_the_given_pane(page: Page) -> None:
    pane: list[str] = []
    with cells.showing_in(lambda rendering: pane.append(rendering.html)):
        view = LiveView(notebook=True, out=io.StringIO())
        view.start("Once", "f")
        view.piece(" upon")
        view.finish("Once upon", 4, "f")
        cells.show(display.Rendering("<b>alternatives</b>", "alternatives"))
    cells.show(display.Rendering("<i>outside</i>", "outside"))
    assert pane == [
        render_html("Once", None, "f"),
        render_html("Once upon", 4, "f"),
        render_html("Once upon", 4, "f"),
        "<b>alternatives</b>",
    ]
    assert page.outputs == [[{"text/html": "<i>outside</i>", "text/plain": "outside"}]]


def test_a_prompt_in_a_notebook_wraps_between_words_and_stays_exact() -> None:
    shown = display.prompt("  prompt 3 tokens", "Once upon\na <time>")
    assert shown.text == "  prompt 3 tokens\n" + "-" * 40 + "\nOnce upon\na <time>"
    assert shown.html == (
        '<pre class="complete-prompt" style="white-space: pre-wrap; word-break: normal; overflow-wrap: anywhere; '
        f'margin: 0">  prompt 3 tokens\n{"-" * 40}\nOnce upon\na &lt;time&gt;</pre>'
    )
    assert display.prompt_text("r", "Once upon a time there", width=10).splitlines()[2:] == [
        "Once upon",
        "a time",
        "there",
    ]


def _slow_answer(handler: Any, received: Any) -> None:
    from tests.helpers.fault_server import openai_chunk, sse

    handler.wait(2.5)  # past the grace period, with room for a slow machine: "(1 s, ...)", maybe "(2 s, ...)"
    handler.head(200, {"Content-Type": "text/event-stream", "Transfer-Encoding": "chunked"})
    handler.chunk(openai_chunk(" was wide.") + openai_chunk("", finish="length") + sse(b"[DONE]"))
    handler.end_chunks()


def test_a_real_terminal_shows_the_wait_and_a_pipe_gets_only_the_story() -> None:
    import os
    import pty
    import subprocess

    from tests.conftest import ROOT, child_environment
    from tests.helpers.fault_server import serve

    with serve() as server:
        server.route("/v1/completions", _slow_answer)
        code = (
            "from complete import Completer, OpenAICompletions\n"
            f"Completer('The sky', transport=OpenAICompletions(base_url='{server.url}/v1'))()"
        )
        terminal, screen = pty.openpty()
        env = child_environment(COLUMNS="70")
        with subprocess.Popen(
            [sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=screen, env=env, cwd=ROOT
        ) as process:
            os.close(screen)
            story = process.stdout.read().decode() if process.stdout else ""
            shown = b""
            while chunk := _read(terminal):
                shown += chunk
        os.close(terminal)
    assert story.splitlines()[0] == "The sky was wide."
    waiting = f"waiting for 127.0.0.1:{server.port} ({{}} s, interrupt to stop)"
    first, *later = shown.decode().removesuffix("\r\x1b[K").split("\r\x1b[K")
    assert first == f"\r\x1b[2m{waiting.format(1)}\x1b[0m"
    assert later in ([], [f"\r\x1b[2m{waiting.format(2)}\x1b[0m"])


def _read(descriptor: int) -> bytes:
    import os

    try:
        return os.read(descriptor, 4096)
    except OSError:  # the other end is closed
        return b""
