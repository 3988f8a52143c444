"""How sure the model was, drawn: the newest model segment coloured by token probability.

The tokens come from ``complete.writing.token_data``; this module draws them:
``render_probabilities_html`` (a notebook view with a legend and tooltips),
``render_probabilities_text`` (a table for a terminal) and ``ProbabilityView``, an
object a notebook cell displays as either.

What this module deliberately does not do: read or compute probabilities, run
JavaScript (hover tooltips are CSS), or display by itself (the caller shows the markup).
"""

from __future__ import annotations

import html
from typing import Any

import attrs

from complete.values.generation import Generation
from complete.values.story import Story
from complete.writing import token_data

__all__ = ["BANDS", "LEAST_LIKELY_SHOWN", "ProbabilityView", "render_probabilities_html", "render_probabilities_text"]

BANDS: tuple[tuple[float, str, str], ...] = (
    (0.9, "rgba(46, 160, 67, 0.16)", "90% or more"),
    (0.6, "rgba(120, 190, 60, 0.34)", "60-90%"),
    (0.3, "rgba(235, 190, 0, 0.40)", "30-60%"),
    (0.1, "rgba(240, 130, 40, 0.45)", "10-30%"),
    (0.0, "rgba(225, 45, 45, 0.50)", "under 10%"),
)
"""The colour bands, most likely first: (lowest probability, CSS background, label)."""

LEAST_LIKELY_SHOWN = 5
"""How many of the least likely tokens the HTML view lists under the text."""

_CONTEXT_CHARS = 160
_STORY_STYLE = "font-family: Georgia, 'Times New Roman', serif; font-size: 1.05em; line-height: 1.9; max-width: 46em"
_SMALL_STYLE = "font-family: ui-monospace, monospace; font-size: 0.78em; opacity: 0.75; margin-top: 0.5em"
_TIP_STYLE = (
    "display: none; position: absolute; left: 0; top: 1.7em; z-index: 1000; min-width: 11em; "
    "padding: 0.35em 0.6em; border-radius: 5px; background: #1f2328; color: #f0f3f6; "
    "font-family: ui-monospace, monospace; font-size: 0.78rem; line-height: 1.45; white-space: pre; "
    "box-shadow: 0 2px 8px rgba(0, 0, 0, 0.35); text-align: left"
)
_STYLE_BLOCK = (
    "<style>"
    ".complete-probs-token { position: relative; cursor: help; border-radius: 3px; }"
    ".complete-probs-token:hover, .complete-probs-token:focus { outline: 1px solid rgba(128, 128, 128, 0.8); }"
    ".complete-probs-token:hover > .complete-probs-tip, .complete-probs-token:focus > .complete-probs-tip"
    " { display: block !important; }"
    "</style>"
)


# --- rendering ----------------------------------------------------------------------------


def _band(probability: float) -> tuple[str, str]:
    for floor, colour, label in BANDS:
        if probability >= floor:
            return colour, label
    return BANDS[-1][1], BANDS[-1][2]


def _percent(probability: float) -> str:
    if probability >= 0.9995:
        return "100%"
    if probability < 0.001:
        return "<0.1%"
    return f"{probability * 100:.1f}%"


def _least_likely(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    present = [row for row in rows if row["offset"] is not None]
    return sorted(present, key=lambda row: (row["probability"], row["position"]))[:LEAST_LIKELY_SHOWN]


def render_probabilities_html(source: Story | Generation) -> str:
    """The newest model segment coloured by token probability, as HTML for a notebook.

    Five bands shown in a legend; hover over (or tab to) a token to see its position,
    probability and top alternatives; under the text, the least likely tokens with
    their positions, the places a counterfactual ``swap()`` is most interesting. Plain
    HTML with inline styles plus one ``<style>`` block scoped to ``complete-probs``
    classes: the tooltips are hidden by an inline style and revealed by an
    ``!important`` hover rule, so where a sanitizer strips ``<style>`` they simply do
    not appear (the text, colours and legend still do). Backgrounds are translucent,
    so the text keeps the notebook theme's colour, light or dark. Tokens an edit
    changed show as "[edited]".
    """
    text, tokens, node = token_data.source_tokens(source)
    if not tokens:
        return (
            f'<div class="complete-probs" style="{_STORY_STYLE}">'
            f'<div style="{_SMALL_STYLE}">{html.escape(token_data.nothing_recorded(source, node))}</div></div>'
        )
    rows = token_data.rows_of(source, text, tokens, node)
    parts: list[str] = []
    if node is not None and node.parent is not None:
        context = node.parent.text[-_CONTEXT_CHARS:]
        if len(node.parent.text) > _CONTEXT_CHARS:
            context = "…" + context.split(" ", 1)[-1]
        parts.append(f'<span class="complete-probs-context" style="opacity: 0.55">{html.escape(context)}</span>')
    for number, row in enumerate(rows):
        if row["position"] != (rows[number - 1]["position"] + 1 if number else 0):
            parts.append('<span class="complete-probs-edited" style="opacity: 0.55">[edited]</span>')
        parts.append(_token_html(row))
    least = _least_likely(rows)
    least_html = ""
    if least:
        items = []
        for row in least:
            alternatives = ", ".join(
                f"{html.escape(repr(token))} {_percent(chance)}" for token, _, chance in row["alternatives"][:3]
            )
            items.append(
                f"#{row['position']} {html.escape(repr(row['token']))} {_percent(row['probability'])}"
                + (f" (instead: {alternatives})" if alternatives else "")
            )
        least_html = (
            f'<div class="complete-probs-least" style="{_SMALL_STYLE}">least likely: '
            + " · ".join(items)
            + " — branch with swap(position, alternative)</div>"
        )
    model = node.generation.model if node is not None and node.generation is not None else None
    count = f"{len(rows)} tokens" + (f", model {model}" if model else "")
    return (
        _STYLE_BLOCK
        + f'<div class="complete-probs" style="{_STORY_STYLE}">'
        + f'<div class="complete-probs-text" style="white-space: pre-wrap">{"".join(parts)}</div>'
        + _legend_html(count)
        + least_html
        + "</div>"
    )


def _token_html(row: dict[str, Any]) -> str:
    probability = row["probability"]
    colour, _label = _band(probability)
    shown = html.escape(row["token"]).replace("\n", '<span style="opacity: 0.45">↵</span>\n')
    tip_lines = [f"#{row['position']}  {row['token']!r}  {_percent(probability)}"]
    if row["offset"] is None:
        tip_lines.append("not in the text (cut off)")
    if row["alternatives"]:
        tip_lines.append("alternatives:")
        for token, _, alternative in row["alternatives"]:
            tip_lines.append(f"  {token!r}  {_percent(alternative)}")
    tip = "\n".join(html.escape(line) for line in tip_lines)
    extra = "; text-decoration: line-through" if row["offset"] is None else ""
    return (
        f'<span class="complete-probs-token" tabindex="0" data-position="{row["position"]}" '
        f'style="background: {colour}{extra}">{shown}'
        f'<span class="complete-probs-tip" style="{_TIP_STYLE}">{tip}</span></span>'
    )


def _legend_html(count: str) -> str:
    swatches = "".join(
        f'<span style="background: {colour}; border-radius: 3px; padding: 0 0.45em; margin-left: 0.35em">'
        f"{html.escape(label)}</span>"
        for _floor, colour, label in BANDS
    )
    return (
        f'<div class="complete-probs-legend" style="{_SMALL_STYLE}">token probability:{swatches}'
        f'<span style="margin-left: 0.8em">{html.escape(count)}; hover a token for its position and alternatives'
        "</span></div>"
    )


def render_probabilities_text(source: Story | Generation, *, width: int = 100) -> str:
    """The newest model segment's tokens as a compact table for a terminal.

    >>> from complete.values.generation import TokenLogprob
    >>> generation = Generation(text=" a fox", logprobs=[
    ...     TokenLogprob(" a", -0.1, top=[(" a", -0.1), (" the", -2.5)]),
    ...     TokenLogprob(" fox", -3.0, top=[(" dog", -1.0), (" cat", -1.5)])])
    >>> print(render_probabilities_text(generation))
      pos  token          prob  alternatives
        0  ' a'          90.5%  ' the' 8.2%
        1  ' fox'         5.0%  ' dog' 36.8%, ' cat' 22.3%
    """
    text, tokens, node = token_data.source_tokens(source)
    if not tokens:
        return token_data.nothing_recorded(source, node)
    rows = token_data.rows_of(source, text, tokens, node)
    token_width = min(16, max(5, *(len(repr(row["token"])) for row in rows)))
    header = f"  pos  {'token':<{token_width}}  {'prob':>6}  alternatives"
    lines = [header]
    for row in rows:
        shown = repr(row["token"])
        if len(shown) > token_width:
            shown = shown[: token_width - 1] + "…"
        alternatives = ", ".join(f"{token!r} {_percent(p)}" for token, _, p in row["alternatives"])
        if row["offset"] is None:
            alternatives = "(cut off) " + alternatives
        line = f"{row['position']:>5}  {shown:<{token_width}}  {_percent(row['probability']):>6}  {alternatives}"
        if len(line) > max(width, 40):
            line = line[: max(width, 40) - 1] + "…"
        lines.append(line)
    return "\n".join(line.rstrip() for line in lines)


@attrs.frozen
class ProbabilityView:
    """The probability view of a story (or generation), for a notebook cell or ``print``.

    >>> from complete.values.generation import TokenLogprob
    >>> view = ProbabilityView(Generation(text="Hi", logprobs=[TokenLogprob("Hi", 0.0)]))
    >>> print(view)
      pos  token    prob  alternatives
        0  'Hi'     100%
    """

    source: Story | Generation

    def _repr_html_(self) -> str:
        return render_probabilities_html(self.source)

    def __str__(self) -> str:
        return render_probabilities_text(self.source)
