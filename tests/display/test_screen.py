"""Screen: what a Completer shows, in a terminal and in a notebook (a fake kernel
here; a real one in test_notebook and test_browser)."""

from __future__ import annotations

import io
from collections.abc import Generator

import pytest

from complete import Completer, Params, TransportError
from complete.display.render import render_html
from complete.display.screen import Screen
from complete.display.token_colours import ProbabilityView
from complete.testing import ScriptedTransport
from complete.transports.status import Status, report
from complete.values.generation import Generation, TokenLogprob
from tests.helpers.fake_kernel import Page, page

__all__ = ["page"]  # the shared fixture


@pytest.fixture(autouse=True)
def _narrow_plain_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "31")


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_show_prints_the_story_and_the_footer_as_plain_text_to_a_pipe(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "21")
    Screen().show("Once upon a time there was a fox.", 17, "max_new_tokens=64 · scripted")
    assert capsys.readouterr().out == "Once upon a time\nthere was a fox.\nmax_new_tokens=64 · scripted\n"


def test_a_note_given_once_is_said_once_per_key(capsys: pytest.CaptureFixture[str]) -> None:
    screen = Screen()
    for key in ("hf", "hf", "openai", None, None):
        screen.note(f"about {key}", once=key)
    assert capsys.readouterr().out == "about hf\nabout openai\nabout None\nabout None\n"


def test_live_text_alternatives_and_views(capsys: pytest.CaptureFixture[str]) -> None:
    screen = Screen(streams=True)
    view = screen.live("Once", "footer")
    view.start("Once", "footer")
    view.piece(" upon")
    view.finish("Once upon", 4, "footer")
    screen.show_alternatives("Once", [" a", " b"])
    screen.show_view(ProbabilityView(Generation(text="Hi", logprobs=[TokenLogprob("Hi", 0.0)])))
    assert capsys.readouterr().out == (
        "Once upon\nfooter\n"
        "[0]  a\n\n[1]  b\n\nChoose one with .choose(i).\n"
        "  pos  token    prob  alternatives\n    0  'Hi'     100%\n"
    )
    assert screen.plain("Once upon a time there was a fox.") == "Once upon a time there was a\nfox."
    assert 'class="complete-new"' in screen.html("Once upon", 4, "footer")


def test_a_screen_that_does_not_stream_shows_the_story_once_it_is_in(capsys: pytest.CaptureFixture[str]) -> None:
    view = Screen(streams=False).live("Once", "footer")
    view.start("Once", "footer")
    assert capsys.readouterr().out == ""
    view.finish("Once upon", 4, "footer")
    assert capsys.readouterr().out == "Once upon\nfooter\n"


def test_a_prompt_is_exact_to_a_pipe_and_wrapped_between_words_in_a_terminal(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    prompt = "Once upon a time there was a fox who lived in a wood."
    Screen().show_prompt("  prompt 14 tokens", prompt)
    assert capsys.readouterr().out == f"  prompt 14 tokens\n{'-' * 40}\n{prompt}\n"
    terminal = Terminal()
    monkeypatch.setattr("sys.stdout", terminal)
    Screen().show_prompt("  prompt 14 tokens", prompt)
    assert terminal.getvalue().splitlines()[2:] == ["Once upon a time there was a", "fox who lived in a wood."]


def test_one_cell_that_appends_and_continues_shows_the_final_story_once(page: Page) -> None:
    bloom = Completer("Once", transport=ScriptedTransport([" a fox ran."]))
    bloom.append("upon a time")
    bloom()
    assert len(page.outputs) == 1
    shown = page.html(0)
    assert shown[0] == render_html("Once upon a time", 4, "max_new_tokens=64 · scripted scripted")
    assert shown[-1] == bloom._repr_html_()
    assert page.outputs[0][-1]["text/plain"] == "Once upon a time a fox ran.\n" + bloom._footer()


def test_undo_then_redo_in_one_cell_is_one_output_and_the_next_cell_gets_its_own(page: Page) -> None:
    bloom = Completer("Once", transport=ScriptedTransport([" a fox ran."]))
    page.cell = "cell-0"
    bloom()
    page.cell = "cell-1"
    bloom.undo()
    bloom.redo()
    redone = bloom._repr_html_()
    page.cell = "cell-2"
    bloom.undo()
    assert [len(versions) for versions in page.outputs[1:]] == [2, 1]
    footer = "max_new_tokens=64 · scripted scripted"
    assert page.html(1) == [render_html("Once", None, footer), redone]
    assert page.html(2) == [render_html("Once", None, footer)]


def test_alternatives_and_notes_are_outputs_of_their_own(page: Page, capsys: pytest.CaptureFixture[str]) -> None:
    bloom = Completer("Once", transport=ScriptedTransport([" a", " b"]), stream=False)
    bloom.alternatives(2)
    bloom.choose(1)
    bloom.undo()
    bloom.undo()
    assert [versions[0]["text/html"].split(" ", 2)[1] for versions in page.outputs] == [
        'class="complete-alternatives"',
        'class="complete-story"',
    ]
    assert [len(versions) for versions in page.outputs] == [1, 2]
    assert capsys.readouterr().out == "Nothing to undo: the story is at its prompt.\n"


class Counting(ScriptedTransport):
    """A scripted model whose tokenizer makes the writer wait, as the embedded
    engine does when the first prompt is counted."""

    def count_tokens(self, text: str) -> int:
        report(Status("loading the model tiny.gguf (the first call only)"))
        return len(text.split())

    def context_window(self) -> int:
        return 2048


def test_the_wait_for_alternatives_is_shown_where_the_alternatives_then_appear(page: Page) -> None:
    bloom = Completer("Once", transport=Counting([" a", " b"]), stream=False)
    bloom.alternatives(2)
    assert len(page.outputs) == 1
    shown = page.html(0)
    assert shown[0] == render_html("", None, "", "loading the model tiny.gguf (the first call only)")
    assert shown[0].count("<p") == 0  # the status line alone, not a second copy of the story
    assert 'class="complete-alternatives"' in shown[-1]


def test_without_streaming_a_notebook_shows_a_wait_and_then_the_story_in_one_output(page: Page) -> None:
    class Slow(ScriptedTransport):
        def stream(self, prompt: str, params: Params) -> Generator[str, None, Generation]:  # unseen
            report(Status("server busy (429): retrying in 2 s, attempt 2 of 3"))
            return super().stream(prompt, params)

    bloom = Completer("Once", transport=Slow([" upon a time."]), stream=False)
    bloom()
    footer = "max_new_tokens=64 · scripted scripted"
    assert page.html(0) == [
        render_html("Once", None, footer, "server busy (429): retrying in 2 s, attempt 2 of 3"),
        bloom._repr_html_(),
    ]


def test_a_failed_call_leaves_the_story_without_a_status_line(page: Page) -> None:
    class Refusing(ScriptedTransport):
        def stream(self, prompt: str, params: Params) -> Generator[str, None, Generation]:  # unseen
            report(Status("server busy (429): retrying in 2 s, attempt 2 of 3"))
            raise TransportError("could not connect")

    bloom = Completer("Once", transport=Refusing([]), stream=False)
    with pytest.raises(TransportError):
        bloom()
    assert page.html(0)[-1] == render_html("Once", None, "max_new_tokens=64 · scripted scripted")


def test_the_embedded_engines_first_start_is_said_on_a_terminal_before_it_blocks(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from complete import LocalModel

    err = Terminal()
    monkeypatch.setattr("sys.stderr", err)
    monkeypatch.setenv("COLUMNS", "100")
    model = LocalModel(n_ctx=320)  # an engine of its own: no other test starts this one
    bloom = Completer("Once upon a time", transport=model, max_new_tokens=4, seed=1)
    bloom()
    bloom()
    loading = "loading the model SmolLM2-135M-Instruct.Q4_1.gguf (the first call only)"
    # said once, before anything else, and erased; a slow machine may show a wait after it
    assert err.getvalue().startswith(f"\r\x1b[2m{loading}\x1b[0m\r\x1b[K")
    assert err.getvalue().count(loading) == 1
    assert capsys.readouterr().out.startswith("Once upon a time")
