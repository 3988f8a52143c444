"""Token probabilities: plain data, the HTML and terminal views, the once-only notice."""

from __future__ import annotations

import math
import re

import pytest

from complete import Completer, Generation, Params, Story, TokenLogprob, complete
from complete.testing import ScriptedTransport
from complete.writing.token_data import (
    BANDS,
    ProbabilityView,
    latest_model_node,
    missing_logprobs,
    render_probabilities_html,
    render_probabilities_text,
    token_offsets,
    token_rows,
)

LN = math.log


def _generation() -> Generation:
    return Generation(
        text=" a <fox>",
        backend="scripted",
        model="m",
        logprobs=[
            TokenLogprob(" a", LN(0.95), top=[(" a", LN(0.95)), (" the", LN(0.04))]),
            TokenLogprob(" <", LN(0.05), top=[(" dog", LN(0.5)), (" cat", LN(0.25)), (" &", LN(0.1))]),
            TokenLogprob("fox>", LN(0.5), top=[]),
        ],
    )


def _story() -> Story:
    generation = _generation()
    return Story.from_prompt("Once there was").extend(
        generation.text, origin="model", params=Params(logprobs=3), generation=generation
    )


def _close(row: dict[str, object], probability: float) -> None:
    assert row["probability"] == pytest.approx(probability)


def test_token_rows_give_positions_offsets_ranks_and_alternatives() -> None:
    rows = token_rows(_story())
    assert [(r["position"], r["token"], r["offset"], r["rank"]) for r in rows] == [
        (0, " a", 0, 0),
        (1, " <", 2, None),
        (2, "fox>", 4, None),
    ]
    assert rows[0]["logprob"] == LN(0.95)
    _close(rows[0], 0.95)
    _close(rows[1], 0.05)
    assert [(token, logprob) for token, logprob, _ in rows[0]["alternatives"]] == [(" the", LN(0.04))]
    assert [token for token, _, _ in rows[1]["alternatives"]] == [" dog", " cat", " &"]
    assert [round(p, 6) for _, _, p in rows[1]["alternatives"]] == [0.5, 0.25, 0.1]
    assert rows[2]["alternatives"] == []


def test_token_rows_are_json_ready_plain_data() -> None:
    import json

    rows = token_rows(_story())
    assert json.loads(json.dumps(rows))[1]["alternatives"][0][0] == " dog"


def test_token_rows_use_the_newest_model_segment_after_user_text() -> None:
    story = _story().extend(" And then", origin="user")
    assert latest_model_node(story) is story.parent
    assert [row["token"] for row in token_rows(story)] == [" a", " <", "fox>"]


def test_token_rows_accept_a_generation() -> None:
    assert [row["token"] for row in token_rows(_generation())] == [" a", " <", "fox>"]


@pytest.mark.parametrize(
    "story",
    [
        Story.from_prompt("Only a prompt"),
        Story.from_prompt("Hi").extend(" there", origin="model", generation=Generation(text=" there")),
        Story.from_prompt("Hi").extend(" there", origin="model"),
        Story.from_prompt("Hi").extend(" there", origin="model", generation=Generation(text=" there", logprobs=[])),
    ],
)
def test_token_rows_are_empty_without_recorded_probabilities(story: Story) -> None:
    assert token_rows(story) == []


def test_offsets_follow_a_character_split_over_tokens_and_stop_at_cut_text() -> None:
    tokens = tuple(TokenLogprob(t, -1.0) for t in ("a", "\ufffd", "\ufffd", "b", "\n\n", "END"))
    assert token_offsets("a😀b\n\n", tokens) == [0, 1, 1, 2, 3, None]


def test_offsets_resynchronise_after_a_token_that_differs_from_the_text() -> None:
    tokens = tuple(TokenLogprob(t, -1.0) for t in (" The", " Fox", " ran"))
    assert token_offsets(" The fox ran", tokens) == [0, 4, 8]


def test_text_view_is_a_compact_table() -> None:
    assert render_probabilities_text(_story()) == (
        "  pos  token     prob  alternatives\n"
        "    0  ' a'     95.0%  ' the' 4.0%\n"
        "    1  ' <'      5.0%  ' dog' 50.0%, ' cat' 25.0%, ' &' 10.0%\n"
        "    2  'fox>'   50.0%"
    )


def test_text_view_cuts_long_lines_and_marks_cut_off_tokens() -> None:
    generation = Generation(
        text="x",
        logprobs=[
            TokenLogprob("x", LN(0.5), top=[(f" option{i}", LN(0.01)) for i in range(20)]),
            TokenLogprob("\n", 0),
        ],
    )
    lines = render_probabilities_text(generation, width=60).split("\n")
    assert lines[1] == "    0  'x'     50.0%  ' option0' 1.0%, ' option1' 1.0%, ' o…"
    assert len(lines[1]) == 60
    assert lines[2] == "    1  '\\n'     100%  (cut off)"


def test_text_view_says_what_to_do_without_probabilities() -> None:
    story = Story.from_prompt("Hi").extend(" there", origin="model")
    assert render_probabilities_text(story) == (
        "No token probabilities were recorded for this segment. Ask for them with "
        "logprobs=5 (for example bloom.set(logprobs=5)) before continuing."
    )
    assert render_probabilities_text(Story.from_prompt("Hi")) == "No model segment yet: continue the story first."


def test_html_view_colours_each_token_and_shows_alternatives_on_hover() -> None:
    markup = render_probabilities_html(_story())
    assert markup.startswith("<style>")
    assert "<script" not in markup
    assert "onmouseover" not in markup
    spans = re.findall(
        r'<span class="complete-probs-token" tabindex="0" data-position="(\d)" style="background: ([^"]+)">', markup
    )
    assert spans == [("0", BANDS[0][1]), ("1", BANDS[4][1]), ("2", BANDS[2][1])]
    # The tooltip of token 1: its position, probability and alternatives, escaped.
    assert (
        "#1  &#x27; &lt;&#x27;  5.0%\nalternatives:\n  &#x27; dog&#x27;  50.0%\n  &#x27; cat&#x27;  25.0%\n" in markup
    )
    assert "&#x27; &amp;&#x27;  10.0%</span>" in markup
    assert ".complete-probs-token:hover > .complete-probs-tip" in markup
    # Hidden by an inline style, so nothing shows if a sanitizer drops the <style> block.
    assert markup.count('class="complete-probs-tip" style="display: none;') == 3
    assert '<span class="complete-probs-context" style="opacity: 0.55">Once there was</span>' in markup


def test_html_view_has_a_legend_and_lists_the_least_likely_tokens() -> None:
    markup = render_probabilities_html(_story())
    for _floor, colour, label in BANDS:
        assert (
            f'<span style="background: {colour}; border-radius: 3px; padding: 0 0.45em; margin-left: 0.35em">{label}'
            in markup
        )
    assert "3 tokens, model m; hover a token for its position and alternatives" in markup
    assert (
        "least likely: #1 &#x27; &lt;&#x27; 5.0% (instead: &#x27; dog&#x27; 50.0%, &#x27; cat&#x27; 25.0%, "
        "&#x27; &amp;&#x27; 10.0%) · #2 &#x27;fox&gt;&#x27; 50.0% · #0 &#x27; a&#x27; 95.0% (instead: "
        "&#x27; the&#x27; 4.0%) — branch with swap(position, alternative)"
    ) in markup


def test_html_view_shows_line_breaks_as_visible_tokens() -> None:
    generation = Generation(text="a\nb", logprobs=[TokenLogprob("a", 0), TokenLogprob("\n", 0), TokenLogprob("b", 0)])
    assert '<span style="opacity: 0.45">↵</span>\n<span class="complete-probs-tip"' in render_probabilities_html(
        generation
    )


def test_html_view_without_probabilities_is_one_line() -> None:
    markup = render_probabilities_html(Story.from_prompt("Hi"))
    assert "No model segment yet: continue the story first." in markup
    assert "<style>" not in markup


def test_probability_view_renders_both_ways() -> None:
    view = ProbabilityView(_story())
    assert view._repr_html_() == render_probabilities_html(_story())
    assert str(view) == render_probabilities_text(_story())


def _asked(generation: Generation | None, **story: object) -> Story:
    return Story.from_prompt("Hi").extend(
        " there",
        origin="model",
        params=Params(logprobs=4),
        generation=generation,
        **story,  # type: ignore[arg-type]
    )


def test_missing_logprobs_is_said_for_a_model_node_that_asked_and_got_none() -> None:
    assert missing_logprobs(_asked(Generation(text=" there", backend="hf"))) == (
        "complete: the hf backend returned no token probabilities (logprobs=4 was asked); the text is kept "
        "without them. The local backend (backend='local') and servers that report logprobs give them."
    )
    assert missing_logprobs(_asked(Generation(text=" there", logprobs=[]))) is not None
    assert "the current backend" in str(missing_logprobs(_asked(None)))


@pytest.mark.parametrize(
    "story",
    [
        Story.from_prompt("Hi").extend(" there", origin="model", params=Params(), generation=Generation(text=" there")),
        _asked(Generation(text=" there", logprobs=[TokenLogprob(" there", -1.0)])),
        _asked(Generation(text=" there"), interrupted=True),
        Story.from_prompt("Hi").extend(" there", origin="user", params=Params(logprobs=4)),
        Story.from_prompt("Hi").extend("", origin="model", params=Params(logprobs=4)),
    ],
)
def test_missing_logprobs_is_none_when_there_is_nothing_to_say(story: Story) -> None:
    assert missing_logprobs(story) is None


def test_the_notice_is_given_once_per_backend(capsys: pytest.CaptureFixture[str]) -> None:
    replies = [Generation(text=f" {name}", backend=name) for name in ("hf", "hf", "openai", "openai")]
    bloom = Completer("Hi", transport=ScriptedTransport(replies), logprobs=2, stream=False)
    for _ in replies:
        bloom()
    notices = [line for line in capsys.readouterr().out.splitlines() if line.startswith("complete: the ")]
    assert notices == [missing_logprobs(node) for node in bloom.history[1::2]]
    assert len(notices) == 2


def test_scripted_logprobs_are_stored_on_the_node_by_complete() -> None:
    story = complete(Story.from_prompt("Once there was"), Params(logprobs=3), ScriptedTransport([_generation()]))
    assert story.generation is not None
    assert story.generation.logprobs == _generation().logprobs
    assert [row["token"] for row in token_rows(story)] == [" a", " <", "fox>"]


def test_the_embedded_model_stores_and_shows_probabilities() -> None:
    from complete import LocalModel

    params = Params(max_new_tokens=8, logprobs=3, seed=1, temperature=0.8)
    story = complete(Story.from_prompt("Once upon a time"), params, LocalModel())
    assert story.generation is not None
    logprobs = story.generation.logprobs
    assert logprobs is not None
    assert len(logprobs) == 8
    assert "".join(item.token for item in logprobs) == story.segment
    rows = token_rows(story)
    assert [row["offset"] for row in rows] == [sum(len(t.token) for t in logprobs[:i]) for i in range(8)]
    for row, item in zip(rows, logprobs, strict=True):
        assert row["probability"] == pytest.approx(math.exp(item.logprob))
        assert 0 < row["probability"] <= 1
        assert len(item.top) == 3
        assert item.top[0][1] >= item.top[1][1] >= item.top[2][1]
    markup = render_probabilities_html(story)
    assert markup.count('class="complete-probs-token"') == 8
    assert render_probabilities_text(story).count("\n") == 8
    assert missing_logprobs(story) is None
