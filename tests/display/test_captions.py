"""Captions: the footer under a story, backend labels and the notes after a continuation."""

from __future__ import annotations

import pytest

from complete import Generation, Params, Session, Story
from complete.display.captions import backend_label, continuation_note, footer
from complete.transports.local.entry import EMBEDDED_MODEL
from complete.writing.continuing import Continuation


@pytest.mark.parametrize(
    ("backend", "label"),
    [
        ({"backend": "hf", "model": "bigscience/bloom"}, "hf bigscience/bloom"),
        ({"backend": "hf", "model": "bigscience/bloom", "endpoint": "http://e"}, "hf http://e"),
        (
            {"backend": "openai", "base_url": "http://127.0.0.1:8080/v1", "model": None},
            "openai http://127.0.0.1:8080/v1",
        ),
        ({"backend": "local", "path": None}, f"local {EMBEDDED_MODEL}"),
        ({"backend": "local", "path": "/models/x/bloom-560m.gguf"}, "local bloom-560m.gguf"),
        ({"backend": "scripted"}, "scripted"),
        ({}, "?"),
    ],
)
def test_backend_labels(backend: dict[str, object], label: str) -> None:
    assert backend_label(backend) == label


def test_the_footer_tells_what_a_model_segment_recorded() -> None:
    generation = Generation(text=" a", finish_reason="stop", completion_tokens=2, elapsed=1.25, seed=9)
    story = Story.from_prompt("A").extend(" a", origin="model", generation=generation, interrupted=True)
    assert footer(Params(top_k=3), {"backend": "scripted"}, story) == (
        "top_k=3 max_new_tokens=64 · scripted · finish: stop, 2 tokens, 1.2 s, seed 9, interrupted"
    )
    assert footer(Params(), {"backend": "scripted"}, story.parent) == "max_new_tokens=64 · scripted"
    assert footer(Params(), {"backend": "scripted"}) == "max_new_tokens=64 · scripted"


def test_notes_after_a_continuation() -> None:
    session = Session.start("A")
    empty = session.current.extend("", origin="model", generation=Generation(text="", finish_reason="eos"))
    cut = session.current.extend(" half", origin="model", interrupted=True)
    assert continuation_note(Continuation(session, empty)) == (
        "The model returned no new text (finish reason: eos); the story is unchanged. "
        "Try retry() or a higher temperature."
    )
    assert continuation_note(Continuation(session, cut, interrupted=True)) == (
        "Interrupted: kept the 5 characters received."
    )
    assert continuation_note(Continuation(session, None, interrupted=True)) == "Interrupted before any text arrived."
    assert continuation_note(Continuation(session, cut.parent)) == ""
