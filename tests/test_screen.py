"""Screen: what a Completer shows, in a terminal (the notebook side runs in test_notebook)."""

from __future__ import annotations

import pytest

from complete.generation import Generation, TokenLogprob
from complete.probabilities import ProbabilityView
from complete.screen import Screen


@pytest.fixture(autouse=True)
def _narrow_plain_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "31")


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
    screen = Screen(streams=False)
    view = screen.live("Once", "footer", new_from=4)
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
