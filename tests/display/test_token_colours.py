"""Token probabilities drawn: the HTML and terminal views of the newest model segment."""

from __future__ import annotations

import math
import re

import pytest

from complete import Generation, Params, Story, TokenLogprob, complete
from complete.display.token_colours import BANDS, ProbabilityView, render_probabilities_html, render_probabilities_text
from complete.writing.token_data import missing_logprobs, token_rows
from tests.helpers.stories import LN, logprob_story


def test_text_view_is_a_compact_table() -> None:
    assert render_probabilities_text(logprob_story()) == (
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
    markup = render_probabilities_html(logprob_story())
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
    markup = render_probabilities_html(logprob_story())
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
    view = ProbabilityView(logprob_story())
    assert view._repr_html_() == render_probabilities_html(logprob_story())
    assert str(view) == render_probabilities_text(logprob_story())


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
