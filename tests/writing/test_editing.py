"""Editing the story anywhere: edit nodes, who wrote what, and everything that reads them."""

from __future__ import annotations

import json
import random
import re
from pathlib import Path

import pytest

from complete import Completer, Generation, Params, ParamsError, Story, StoryFormatError, TokenLogprob
from complete.display.token_colours import render_probabilities_html, render_probabilities_text
from complete.interchange import from_jsonl, from_markdown, to_jsonl, to_markdown
from complete.interchange.session_json import read_session, session_dict, session_from_dict
from complete.testing import ScriptedTransport
from complete.writing.editing import authorship, replace_once, replace_span, rewrite
from complete.writing.session import Session

DATA = Path(__file__).parents[1] / "data"


def _logprobs(tokens: list[str]) -> Generation:
    return Generation(
        text="".join(tokens),
        backend="scripted",
        logprobs=[TokenLogprob(token, -0.5, ((token, -0.5), (" other", -2.0))) for token in tokens],
    )


def _bloom(replies: list[object], prompt: str = "The fox saw the fox.", **params: object) -> Completer:
    return Completer(prompt, transport=ScriptedTransport(replies), **params)  # type: ignore[arg-type]


# --- the edit node -----------------------------------------------------------------------


def test_an_edit_node_replaces_a_span_of_its_parents_text() -> None:
    story = Story.from_prompt("Once upon a time").extend(" a fox ran.", origin="model")
    edit = story.replaced(19, 22, "cat")
    assert (edit.text, edit.length, edit.origin, edit.replaces, edit.parent) == (
        "Once upon a time a cat ran.",
        27,
        "edit",
        (19, 22),
        story,
    )
    assert edit.extend(" Away.", origin="model").text == "Once upon a time a cat ran. Away."
    assert edit == story.replaced(19, 22, "cat")
    assert edit != story.replaced(19, 22, "dog")
    assert repr(edit) == "Story(depth=2, length=27, origin='edit', new_text='cat')"


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda s: s.replaced(3, 99, "x"), "replaces=(3, 99) is not allowed: expected a span (start, end) of the"),
        (lambda s: s.replaced(4, 2, "x"), "replaces=(4, 2) is not allowed"),
        (lambda s: Story(s, "x", origin="edit"), "replaces=None is not allowed"),
        (lambda s: Story(s, "x", origin="user", replaces=(0, 1)), "replaces=(0, 1) is not allowed: expected None"),
    ],
)
def test_a_bad_span_is_a_params_error(build: object, message: str) -> None:
    with pytest.raises(ParamsError) as caught:
        build(Story.from_prompt("Once upon"))  # type: ignore[operator]
    assert str(caught.value).startswith(message)


def test_text_is_a_fold_over_thousands_of_appends_and_edits_without_recursion() -> None:
    chance = random.Random(4)
    story = Story.from_prompt("start")
    expected = story.text
    nodes = [story]
    for step in range(6000):
        if step % 3 == 2:
            start = chance.randrange(len(expected) + 1)
            end = min(len(expected), start + chance.randrange(4))
            story = story.replaced(start, end, f"<{step}>")
            expected = expected[:start] + f"<{step}>" + expected[end:]
        else:
            story = story.extend(f" w{step}", origin="model" if step % 2 else "user")
            expected += f" w{step}"
        nodes.append(story)
    assert story.text == expected
    assert story.length == len(expected)
    middle = nodes[3000]
    assert len(middle.text) == middle.length  # rebuilt in a loop once its cache was handed over
    assert Story.from_dict(story.to_dict()) == story
    runs = authorship(story)
    assert "".join(story.text[run.start : run.end] for run in runs) == expected
    assert all(story.text[r.start : r.end] == r.node.segment[r.offset : r.offset + r.end - r.start] for r in runs)


# --- edits as session transitions ------------------------------------------------------------


def test_edit_replaces_the_chosen_occurrence_and_undo_redo_walk_back_and_forth() -> None:
    session = Session.start("The fox saw the fox.")
    last = session.edit("fox", "owl", occurrence=-1)
    assert last.current.text == "The fox saw the owl."
    assert session.edit("fox", "owl", occurrence=0).current.text == "The owl saw the fox."
    assert (last.current.origin, last.current.replaces, last.current.segment) == ("edit", (16, 19), "owl")
    assert last.undo().current is session.current
    assert last.undo().redo().current is last.current
    assert last.new_from is None  # the edit is the writer's: nothing is marked as new


@pytest.mark.parametrize(
    ("old", "occurrence", "message"),
    [
        ("wolf", None, "old='wolf' is not allowed: expected text that occurs in the story; it does not"),
        (
            "fox",
            None,
            "old='fox' is not allowed: expected text that occurs once in the story; it occurs 2 times. "
            "Choose one with occurrence=0 to 1 (or -1 for the last)",
        ),
        ("fox", 2, "occurrence=2 is not allowed: expected an integer from -2 to 1"),
        ("", None, "old='' is not allowed: expected the text to replace (a non-empty str)"),
    ],
)
def test_an_absent_or_ambiguous_edit_is_a_value_error_and_leaves_the_story(
    old: str, occurrence: int | None, message: str
) -> None:
    bloom = _bloom([])
    before = bloom.session
    with pytest.raises(ValueError, match=re.escape(message)) as caught:
        bloom.edit(old, "owl", occurrence=occurrence)
    assert isinstance(caught.value, ParamsError)
    assert str(caught.value) == message
    assert bloom.session is before


def test_rewrite_records_only_the_span_that_changed() -> None:
    story = Story.from_prompt("It rained all day, and the river rose.")
    edit = rewrite(story, "It snowed all day, and the river rose.")
    assert edit is not None
    assert (edit.replaces, edit.segment, edit.text) == ((3, 7), "snow", "It snowed all day, and the river rose.")
    assert rewrite(story, story.text) is None
    insert = rewrite(story, "It rained all day long, and the river rose.")
    assert insert is not None
    assert (insert.replaces, insert.segment) == ((17, 17), " long")
    with pytest.raises(ParamsError, match="the story's new text"):
        rewrite(story, "  \n")
    with pytest.raises(ParamsError, match="a change"):
        replace_span(story, 0, 2, "It")


def test_setting_text_edits_the_story_and_undo_brings_the_old_text_back(capsys: pytest.CaptureFixture[str]) -> None:
    bloom = _bloom([" It ran."])
    bloom()
    bloom.text = "The fox saw the owl. It ran."
    assert bloom.text == "The fox saw the owl. It ran."
    assert bloom.story.origin == "edit"
    assert bloom.story.segment == "owl"
    capsys.readouterr()
    bloom.text = bloom.text
    assert capsys.readouterr().out == "Nothing changed: that is the story's text already.\n"
    bloom.undo()
    assert bloom.text == "The fox saw the fox. It ran."
    assert isinstance(type(bloom).__dict__["text"], property)


def test_continuing_after_an_edit_sends_the_edited_text_and_retry_keeps_the_edit(
    capsys: pytest.CaptureFixture[str],
) -> None:
    transport = ScriptedTransport([" It ran.", " It hid.", " It slept."])
    bloom = Completer("The fox saw the fox.", transport=transport)
    bloom()
    bloom.edit("ran", "flew")
    capsys.readouterr()
    bloom.retry()  # the writer's edit is not the model's to resample
    assert capsys.readouterr().out.startswith("Nothing to retry")
    assert bloom.text == "The fox saw the fox. It flew."
    bloom()
    assert transport.calls[1][0] == "The fox saw the fox. It flew."
    bloom.retry()
    assert transport.calls[2][0] == "The fox saw the fox. It flew."
    assert bloom.text == "The fox saw the fox. It flew. It slept."
    assert [node.origin for node in bloom.history] == ["prompt", "model", "edit", "model"]
    assert [node.segment for node in bloom.siblings] == [" It hid."]


# --- kept by every file format --------------------------------------------------------------


def _edited_session() -> Session:
    session = Session.start("The fox saw the fox.")
    story = session.current.extend(
        " It ran.", origin="model", params=Params(seed=1), generation=Generation(text=" It ran.")
    )
    return Session(current=story, nodes=[story]).edit("fox", "owl", occurrence=1).append("Then rain.")


def test_save_and_load_keep_edits_in_format_version_3(tmp_path: Path) -> None:
    session = _edited_session()
    data = session_dict(session)
    assert data["version"] == 3
    assert data["nodes"][2] == {"id": 2, "parent": 1, "segment": "owl", "origin": "edit", "replaces": [16, 19]}
    loaded = session_from_dict(json.loads(json.dumps(data)))
    assert loaded.current == session.current
    assert loaded.undo().undo().current.text == "The fox saw the fox. It ran."
    bloom = Completer(session, transport=ScriptedTransport([]))
    bloom.save(tmp_path / "s.json")
    again = Completer.load(tmp_path / "s.json", transport=ScriptedTransport([]))
    assert again.text == "The fox saw the owl. It ran. Then rain."
    again.undo()
    again.undo()
    assert again.text == "The fox saw the fox. It ran."


def test_a_session_without_edits_is_still_written_as_version_2_and_old_files_load() -> None:
    assert session_dict(Session.start("Once"))["version"] == 2
    assert read_session(DATA / "session_v1.json").current.text


def test_a_bad_edit_node_in_a_file_is_a_story_format_error_naming_the_field() -> None:
    data = session_dict(_edited_session())
    data["nodes"][2]["replaces"] = [16, 999]
    with pytest.raises(StoryFormatError, match=r"^nodes\[2\].replaces: replaces=\(16, 999\) is not allowed"):
        session_from_dict(data)
    del data["nodes"][2]["replaces"]
    with pytest.raises(StoryFormatError, match=r"^nodes\[2\].replaces: an edit node needs \[start, end\]"):
        session_from_dict(data)


def test_jsonl_and_story_json_keep_edits() -> None:
    session = _edited_session()
    text = to_jsonl(session.nodes, current=session.current)
    lines = [json.loads(line) for line in text.splitlines()]
    assert lines[0] == {"format": "complete.nodes", "version": 2, "current": 3}
    assert lines[3] == {"id": 2, "parent_id": 1, "text": "owl", "origin": "edit", "provenance": {"replaces": [16, 19]}}
    tree = from_jsonl(text)
    assert tree.current == session.current
    assert json.loads(to_jsonl(Story.from_prompt("a")).splitlines()[0])["version"] == 1
    assert session.current.to_dict()["version"] == 2
    assert Story.from_dict(session.current.to_dict()) == session.current
    assert Story.from_prompt("a").to_dict()["version"] == 1


# --- who wrote what ------------------------------------------------------------------------------


def test_authorship_names_the_writer_of_every_character() -> None:
    story = Story.from_prompt("Once").extend(" a fox ran away", origin="model")
    edited = replace_once(replace_once(story, "fox", "big cat"), "ran a", "r")
    assert edited.text == "Once a big cat rway"
    assert [(edited.text[run.start : run.end], run.node.origin, run.by_model) for run in authorship(edited)] == [
        ("Once", "prompt", False),
        (" a ", "model", True),
        ("big cat", "edit", False),
        (" ", "model", True),
        ("r", "edit", False),
        ("way", "model", True),
    ]


def test_markdown_marks_what_the_writer_wrote_and_reads_back_the_same_text() -> None:
    story = Story.from_prompt("- Once").extend(" a fox ran.\n1. Then *it* hid.", origin="model")
    edited = replace_once(story, "it", "she")
    marked = to_markdown(edited, mark_writer=True)
    assert marked == "<ins>\\- Once</ins> a fox ran.\n\n1\\. Then \\*<ins>she</ins>\\* hid.\n"
    assert from_markdown(marked).text == edited.text
    assert to_markdown(edited) == "\\- Once a fox ran.\n\n1\\. Then \\*she\\* hid.\n"
    bloom = Completer(edited, transport=ScriptedTransport([]))
    assert bloom.to_markdown(mark_writer=True) == marked


def test_the_display_marks_nothing_new_after_an_edit_and_only_the_models_text_after_continuing() -> None:
    bloom = _bloom([" It ran away.", " Then it slept."])
    bloom()
    assert 'the fox.<span class="complete-new"' in bloom._repr_html_()
    bloom.edit("ran", "walked")
    assert "complete-new" not in bloom._repr_html_()
    bloom()
    html = bloom._repr_html_()
    assert (
        'It walked away.<span class="complete-new" style="background: rgba(255, 196, 0, 0.28); border-radius: 3px;'
        in html
    )
    assert html.count("complete-new") == 1
    assert html.split('class="complete-new"', 1)[1].split(">", 1)[1].startswith(" Then it slept.</span>")


def test_tokens_cover_only_the_models_unchanged_text_and_swap_refuses_a_changed_token() -> None:
    transport = ScriptedTransport([_logprobs([" the", " sky", " fell", " down"]), " softly."])
    bloom = Completer("And then", transport=transport, logprobs=2)
    bloom()
    bloom.edit("sky fell", "moon rose")
    assert [(row["position"], row["token"]) for row in bloom.tokens()] == [(0, " the"), (3, " down")]
    with pytest.raises(ParamsError, match=r"^position=1 is not allowed: expected the position of a token the model"):
        bloom.swap(1, " sea")
    view = render_probabilities_html(bloom.story)
    assert view.count('class="complete-probs-token"') == 2
    assert view.count("[edited]") == 1
    assert [line.split()[0] for line in render_probabilities_text(bloom.story).splitlines()[1:]] == ["0", "3"]
    bloom.swap(3, " up")
    assert transport.calls[1][0] == "And then the moon rose up"
    assert bloom.text == "And then the moon rose up softly."
    assert [node.origin for node in bloom.history] == ["prompt", "model", "edit", "edit", "model"]


def test_a_swap_after_an_edit_in_the_prompt_keeps_the_edit() -> None:
    transport = ScriptedTransport([_logprobs([" the", " sky", " fell"]), " slowly."])
    bloom = Completer("And then", transport=transport, logprobs=2)
    bloom()
    bloom.edit("then", "so")
    bloom.swap(2, " rose")
    assert bloom.text == "And so the sky rose slowly."
    assert 'And so the sky<span class="complete-new"' in bloom._repr_html_()
