"""The Completer: the README API and the writing operations, on scripted backends."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from complete import (
    Completer,
    Generation,
    Params,
    ParamsError,
    Story,
    StoryFormatError,
    TokenLogprob,
    TransportError,
    Window,
)
from complete.testing import Cut, ScriptedTransport
from tests.helpers.seed_prompt import SEED_PROMPT as PROMPT
from tests.helpers.seed_prompt import SEED_REFORMATTED as FIRST


@pytest.fixture(autouse=True)
def _narrow_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "61")


def make(replies: list[object], **kwargs: object) -> tuple[Completer, ScriptedTransport]:
    transport = ScriptedTransport(replies)  # type: ignore[arg-type]
    return Completer(PROMPT, transport=transport, **kwargs), transport  # type: ignore[arg-type]


def test_readme_workflow_shows_all_text_with_the_new_part_marked(capsys: pytest.CaptureFixture[str]) -> None:
    bloom, transport = make([' your service."', " Then I smile."], temperature=1.0, top_k=30)
    assert bloom.story.text == FIRST
    assert bloom() is None
    text, footer, _ = capsys.readouterr().out.rsplit("\n", 2)
    assert re.fullmatch(
        r"temperature=1.0 top_k=30 max_new_tokens=64 · scripted scripted · finish: length, \d+.\d s", footer
    )
    assert text + "\n" == (
        "Sometimes I marvel at how the sky contains no\n"
        "advertisements. Oh, sometimes someone goes up in a little\n"
        "plane and skywrites a birthday greeting. But the sky... you\n"
        "don't have to watch an ad to see it.\n"
        "When people learn I fought in the war to free the sky, they\n"
        'say, "Thank you for your service."\n'
    )
    assert transport.calls == [(FIRST, Params(temperature=1.0, top_k=30))]
    bloom()
    assert transport.calls[1][0] == FIRST + ' your service."'
    assert bloom.story.text == FIRST + ' your service." Then I smile.'
    assert capsys.readouterr().out.count("Then I smile.") == 1


def test_print_shows_the_wrapped_text_without_marks(capsys: pytest.CaptureFixture[str]) -> None:
    bloom, _ = make([" it."])
    bloom()
    capsys.readouterr()
    print(bloom)
    out = capsys.readouterr().out
    assert out.endswith('they\nsay, "Thank you for it.\n')
    assert "⟦" not in out


def test_an_error_keeps_the_story_and_print_still_shows_it(capsys: pytest.CaptureFixture[str]) -> None:
    bloom, _ = make([" one.", TransportError("could not connect to http://x: refused")])
    bloom()
    before = bloom.story
    with pytest.raises(TransportError, match="refused"):
        bloom()
    assert bloom.story is before
    capsys.readouterr()
    print(bloom)
    assert capsys.readouterr().out.endswith("Thank you for one.\n")


def test_completers_are_independent() -> None:
    first, _ = make([" A"])
    second = Completer("Other story", transport=ScriptedTransport([" B"]), temperature=0.2)
    first()
    second()
    assert (first.text[-2:], second.text) == (" A", "Other story B")
    assert (first.params, second.params) == (Params(), Params(temperature=0.2))


def test_one_off_overrides_do_not_stick() -> None:
    bloom, transport = make([" a", " b"], temperature=1.0)
    bloom(max_new_tokens=20)
    bloom()
    assert [params for _, params in transport.calls] == [
        Params(temperature=1.0, max_new_tokens=20),
        Params(temperature=1.0),
    ]
    assert bloom.story.params == Params(temperature=1.0)
    assert bloom.story.parent is not None
    assert bloom.story.parent.params == Params(temperature=1.0, max_new_tokens=20)


def test_set_changes_later_calls_and_validates() -> None:
    bloom, _ = make([])
    bloom.set(temperature=0.7)
    assert bloom.params == Params(temperature=0.7)
    with pytest.raises(ParamsError, match="Did you mean 'temperature'"):
        bloom.set(temprature=0.1)
    with pytest.raises(ParamsError, match="top_p=2"):
        bloom.set(top_p=2)
    assert bloom.params == Params(temperature=0.7)


def test_unknown_parameter_in_constructor_is_rejected_with_a_hint() -> None:
    with pytest.raises(ParamsError, match="Did you mean 'top_k'"):
        Completer("x", transport=ScriptedTransport([]), topk=3)


def test_append_joins_with_one_space_or_starts_a_paragraph(capsys: pytest.CaptureFixture[str]) -> None:
    bloom = Completer("It rained", transport=ScriptedTransport([]))
    bloom.append("all day.")
    bloom.append(", then stopped")
    bloom.append("\nNext morning\nwas bright.")
    assert bloom.text == "It rained all day., then stopped\nNext morning was bright."
    assert [node.origin for node in bloom.history] == ["prompt", "user", "user", "user"]
    assert capsys.readouterr().out.endswith(
        "then stopped\nNext morning was bright.\nmax_new_tokens=64 · scripted scripted\n"
    )
    with pytest.raises(ParamsError):
        bloom.append("   ")


def test_undo_redo_and_new_text_clears_redo(capsys: pytest.CaptureFixture[str]) -> None:
    bloom, _ = make([" a", " b", " c"])
    bloom()
    bloom()
    two = bloom.story
    bloom.undo()
    bloom.undo()
    assert bloom.story is two.root
    bloom.undo()
    assert capsys.readouterr().out.endswith("Nothing to undo: the story is at its prompt.\n")
    bloom.redo()
    bloom.redo()
    assert bloom.story is two
    bloom.undo()
    bloom()
    assert bloom.text.endswith(" a c")
    bloom.redo()
    assert capsys.readouterr().out.endswith("Nothing to redo.\n")


def test_retry_replaces_last_completion_only_and_keeps_it_as_a_sibling() -> None:
    bloom, transport = make([" first", " second", " third"])
    bloom()
    original = bloom.story
    bloom.retry()
    assert bloom.story.parent is original.parent
    assert bloom.text == FIRST + " second"
    assert bloom.siblings == (original,)
    bloom.retry()
    assert [node.segment for node in bloom.siblings] == [" first", " second"]
    assert transport.calls[1][0] == transport.calls[2][0] == FIRST


def test_retry_shifts_a_fixed_seed_so_the_sample_is_new() -> None:
    bloom, transport = make([" a", " b", " c"], seed=10)
    bloom()
    bloom.retry()
    bloom.retry()
    assert [params.seed for _, params in transport.calls] == [10, 11, 12]
    assert bloom.story.params is not None
    assert bloom.story.params.seed == 12


def test_retry_after_user_text_does_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    bloom, transport = make([])
    bloom.append("mine")
    bloom.retry()
    assert transport.calls == []
    assert "Nothing to retry" in capsys.readouterr().out


def test_alternatives_then_choose(capsys: pytest.CaptureFixture[str]) -> None:
    bloom, transport = make([" one", " two", " three"], seed=5)
    bloom.alternatives(3)
    out = capsys.readouterr().out
    assert "[0]" in out
    assert "[2]" in out
    assert out.endswith("Choose one with .choose(i).\n")
    assert bloom.story.depth == 0
    assert sorted(params.seed for _, params in transport.calls) == [5, 6, 7]
    assert sorted(node.segment for node in bloom.children) == [" one", " three", " two"]
    chosen = bloom.offered[1]
    bloom.choose(1)
    assert bloom.story is chosen
    with pytest.raises(ParamsError, match="call it first"):
        bloom.choose(0)


def test_choose_out_of_range_is_a_params_error() -> None:
    bloom, _ = make([" a", " b"])
    bloom.alternatives(2)
    with pytest.raises(ParamsError, match="an integer from 0 to 1"):
        bloom.choose(2)


def test_checkout_moves_anywhere_in_the_tree() -> None:
    bloom, _ = make([" a", " b"])
    bloom()
    first = bloom.story
    bloom.retry()
    bloom.checkout(first)
    assert bloom.story is first
    assert bloom.history == (first.root, first)
    assert len(bloom.nodes) == 3


def test_ctrl_c_while_streaming_keeps_the_text_as_an_interrupted_node(capsys: pytest.CaptureFixture[str]) -> None:
    bloom, _ = make([Cut(" the sky was", KeyboardInterrupt())])
    bloom()
    assert bloom.text == FIRST + " the sky was"
    assert bloom.story.interrupted is True
    assert capsys.readouterr().out.endswith("Interrupted: kept the 12 characters received.\n")


def test_a_failure_mid_stream_keeps_the_story_and_puts_the_text_on_the_error() -> None:
    bloom, _ = make([Cut(" half a", TransportError("stream cut"))])
    before = bloom.story
    with pytest.raises(TransportError) as caught:
        bloom()
    assert caught.value.partial == " half a"
    assert bloom.story is before


def test_an_empty_continuation_is_reported_not_added(capsys: pytest.CaptureFixture[str]) -> None:
    bloom, _ = make([""], stream=False)
    bloom()
    assert bloom.story.depth == 0
    assert capsys.readouterr().out == (
        "The model returned no new text (finish reason: length); the story is unchanged. "
        "Try retry() or a higher temperature.\n"
    )


def test_without_streaming_the_whole_story_is_shown_once(capsys: pytest.CaptureFixture[str]) -> None:
    bloom, _ = make([" x"], stream=False)
    bloom()
    assert capsys.readouterr().out.count("Sometimes I marvel") == 1


def test_save_and_load_keep_tree_position_params_and_redo(tmp_path: Path) -> None:
    bloom, _ = make([" a", " b", " c"], temperature=0.5, memory="M")
    bloom()
    bloom.retry()
    bloom()
    bloom.undo()
    path = tmp_path / "story.json"
    bloom.save(path)
    loaded = Completer.load(path, transport=ScriptedTransport([]))
    assert loaded.story == bloom.story
    assert loaded.params == Params(temperature=0.5)
    assert loaded.memory == "M"
    assert len(loaded.nodes) == len(bloom.nodes) == 4
    assert [node.segment for node in loaded.siblings] == [" a"]
    loaded.undo()  # undo after retry after load
    assert loaded.story.depth == 0
    loaded.redo()
    loaded.redo()
    assert loaded.text == FIRST + " b c"
    assert json.loads(path.read_text())["format"] == "complete.session"


def test_load_names_the_file_on_corruption(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text('{"format": "complete.session", "version": 7}')
    with pytest.raises(StoryFormatError, match=r"bad.json: version: this file is format version 7"):
        Completer.load(path, transport=ScriptedTransport([]))
    path.write_text("{not json")
    with pytest.raises(StoryFormatError, match=r"bad.json: not a valid session file"):
        Completer.load(path, transport=ScriptedTransport([]))


def test_preview_and_last_request_show_the_exact_prompt(capsys: pytest.CaptureFixture[str]) -> None:
    bloom, transport = make([" a"], note="[calm]", note_depth=1)
    bloom.preview()
    out = capsys.readouterr().out
    assert out.endswith(
        "Sometimes I marvel at how the sky contains no advertisements. Oh, sometimes someone goes up in a little "
        "plane and skywrites a birthday greeting. But the sky... you don't have to watch an ad to see it.\n"
        "[calm]\n"
        'When people learn I fought in the war to free the sky, they say, "Thank you for\n'
    )
    bloom()
    assert bloom.last_request is not None
    assert bloom.last_request.prompt.text == transport.calls[0][0]
    assert bloom.last_request.backend == {"backend": "scripted", "model": "scripted"}
    assert bloom.text == FIRST + " a"


def test_export_text_and_markdown(tmp_path: Path) -> None:
    bloom = Completer("A *bold* start\n\nSecond", transport=ScriptedTransport([]))
    bloom.export(tmp_path / "s.txt")
    bloom.export(tmp_path / "s.md")
    assert (tmp_path / "s.txt").read_text() == "A *bold* start\nSecond\n"
    assert (tmp_path / "s.md").read_text() == "A \\*bold\\* start\n\nSecond\n"
    with pytest.raises(ParamsError):
        bloom.export(tmp_path / "s.pdf")


def test_repr_is_one_line_and_html_highlights_the_new_part() -> None:
    bloom, _ = make([" <b>"])
    bloom()
    assert repr(bloom) == f"<Completer: {len(FIRST) + 4} characters in 2 segments, 2 nodes; scripted scripted>"
    html = bloom._repr_html_()
    assert 'class="complete-new"' in html
    assert "&lt;b&gt;" in html


def test_a_story_value_can_seed_a_completer() -> None:
    story = Story.from_prompt("Start").extend(" there", origin="user")
    bloom = Completer(story, transport=ScriptedTransport([" more"]))
    bloom()
    assert bloom.text == "Start there more"
    assert bloom.story.parent is story


def _with_logprobs(text_tokens: list[str]) -> Generation:
    logprobs = [
        TokenLogprob(token, -0.5 - index, ((token, -0.5 - index), (" other", -2.0)))
        for index, token in enumerate(text_tokens)
    ]
    return Generation(text="".join(text_tokens), finish_reason="length", backend="scripted", logprobs=logprobs)


def test_tokens_show_probabilities_and_swap(capsys: pytest.CaptureFixture[str]) -> None:
    transport = ScriptedTransport([_with_logprobs([" the", " sky", " fell"]), " gently."])
    bloom = Completer("And then", transport=transport, logprobs=2)
    bloom()
    original = bloom.story
    assert [(row["position"], row["token"]) for row in bloom.tokens()] == [(0, " the"), (1, " sky"), (2, " fell")]
    capsys.readouterr()
    bloom.show_probabilities()
    table = capsys.readouterr().out
    assert "' sky'" in table
    assert "' other'" in table
    bloom.swap(1, " sea")
    assert bloom.text == "And then the sea gently."
    assert 'And then the<span class="complete-new"' in bloom._repr_html_()  # marked from the swapped-in token
    assert transport.calls[1][0] == "And then the sea"
    assert original.text == "And then the sky fell"
    assert [node.origin for node in bloom.history] == ["prompt", "model", "user", "model"]
    assert bloom.story.parent is not None
    assert bloom.story.parent.parent is not None
    assert bloom.story.parent.parent.parent is original.parent  # a sibling branch of the original


def test_swap_without_probabilities_is_a_params_error() -> None:
    bloom, _ = make([" plain"])
    bloom()
    with pytest.raises(ParamsError, match="recorded token probabilities"):
        bloom.swap(0, " x")


def test_a_backend_without_logprobs_is_reported_once(capsys: pytest.CaptureFixture[str]) -> None:
    bloom, _ = make([" a", " b"], logprobs=3)
    bloom()
    bloom()
    out = capsys.readouterr().out
    assert out.count("returned no token probabilities (logprobs=3 was asked)") == 1


def test_jsonl_export_and_import_keep_the_tree(tmp_path: Path) -> None:
    bloom, _ = make([" a", " b"], seed=3)
    bloom()
    bloom.retry()
    bloom.export_jsonl(tmp_path / "tree.jsonl")
    again = Completer.import_jsonl(tmp_path / "tree.jsonl", transport=ScriptedTransport([]))
    assert again.story == bloom.story
    assert [node.segment for node in again.siblings] == [" a"]
    assert len(again.nodes) == 3


def test_import_kobold_brings_story_memory_note_and_settings(capsys: pytest.CaptureFixture[str]) -> None:
    from tests.conftest import ROOT

    bloom = Completer.import_kobold(ROOT / "tests" / "data" / "kobold_lite_story.json", transport=ScriptedTransport([]))
    assert bloom.text == (
        "The lighthouse keeper had not spoken to anyone in three years. Then, one grey morning, a boat appeared "
        "on the horizon.\nMara watched it come closer, her hand on the cold railing."
    )
    assert bloom.memory == "Mara is the lighthouse keeper. The island is called Skellig Varr."
    assert bloom.note == "[Author's note: Style: quiet, melancholy]"
    assert bloom.params == Params(temperature=0.7, top_p=0.92, max_new_tokens=120, repetition_penalty=1.07)
    assert [entry.keys for entry in bloom.lorebook] == [("Mara",), ("boat", "ship")]
    assert capsys.readouterr().out == (
        "Not imported: 1 inline image (removed from the text)\nNot imported: worldinfo wigroup (1 entry)\n"
    )


def test_retry_checks_its_overrides_even_when_there_is_nothing_to_retry() -> None:
    bloom, _ = make([])
    with pytest.raises(ParamsError, match="Did you mean 'temperature'"):
        bloom.retry(temprature=0.5)


def test_the_session_is_the_completers_whole_state_and_a_completer_can_hold_one() -> None:
    bloom, transport = make([" a", " b"], seed=4, memory="M", window_size=2048)
    bloom()
    session = bloom.session
    assert (session.current, session.params, session.window) == (
        bloom.story,
        Params(seed=4),
        Window(memory="M", size=2048),
    )
    assert session.last_request is bloom.last_request
    bloom.undo()
    assert session.current.text == FIRST + " a"  # the value taken is not changed by what follows
    again = Completer(session, transport=transport, top_k=3, note="N")
    assert (again.story, again.params, again.memory, again.note) == (session.current, Params(seed=4, top_k=3), "M", "N")
    again()
    assert again.text == FIRST + " a b"


def test_memory_and_note_can_be_set_but_the_views_are_read_only() -> None:
    bloom, _ = make([])
    bloom.memory = "Mara keeps the lighthouse."
    bloom.note = "[calm]"
    assert bloom.window == Window(memory="Mara keeps the lighthouse.", note="[calm]")
    with pytest.raises(AttributeError, match=r"The current story: an immutable ``Story`` value\. It is read-only\."):
        bloom.story = Story.from_prompt("x")  # type: ignore[misc]
    with pytest.raises(ParamsError, match="memory=3"):
        bloom.memory = 3  # type: ignore[assignment]


def test_window_size_trims_the_oldest_paragraphs_of_the_prompt() -> None:
    story = "\n\n".join(f"Paragraph {n} of a long story." for n in range(10))
    bloom = Completer(story, transport=ScriptedTransport([]), window_size=40, max_new_tokens=4)
    prompt = bloom.prompt()
    assert (prompt.window_size, prompt.exact) == (40, False)
    assert prompt.text == "\n".join(f"Paragraph {n} of a long story." for n in (7, 8, 9))  # 29 estimated tokens + 4
    with pytest.raises(ParamsError, match="window=40 is not allowed"):
        Completer(story, transport=ScriptedTransport([]), window=40)
