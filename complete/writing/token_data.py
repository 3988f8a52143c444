"""How sure the model was: per-token probabilities of the newest model segment.

When a story is continued with ``Params(logprobs=k)``, the backend records for every
generated token its log probability and the ``k`` tokens it found most likely
(``Generation.logprobs``); the node keeps them, and session files and JSONL exports
save them. This module turns them into something a writer can use:

- ``token_rows(story)``: the tokens as plain data for analysis (what
  ``Completer.tokens()`` returns), one dict per token::

      {"position": 3, "token": " make", "offset": 11, "logprob": -4.33,
       "probability": 0.0132, "rank": None,
       "alternatives": [(" have", -1.36, 0.256), (" use", -2.75, 0.064), ...]}

  ``position`` counts tokens from 0 (pass it to ``swap()``); ``offset`` is where
  the token starts in the segment's text (None for a token that is not in the
  text, such as a stop string the backend cut off); ``rank`` is the token's place
  among the recorded top tokens (0 = the most likely) or None when it is not among
  them; ``alternatives`` are the other recorded top tokens, most likely first, as
  ``(token, logprob, probability)``.
- ``render_probabilities_html(story)``: the segment coloured by probability, in
  five bands shown in a legend, with each token's position, probability and top
  alternatives in a tooltip on hover (or keyboard focus); under it, the least
  likely tokens with their positions, the places a counterfactual ``swap()`` is
  most interesting. Plain HTML with inline styles plus one ``<style>`` block whose
  rules are scoped to ``complete-probs`` classes: no JavaScript. The tooltips are
  hidden by an inline style and revealed by an ``!important`` hover rule, so where
  a sanitizer strips ``<style>`` they simply do not appear (the text, colours and
  legend still do). Backgrounds are translucent, so the text keeps the notebook
  theme's colour, light or dark.
- ``render_probabilities_text(story)``: the same as a compact table for a terminal.
- ``ProbabilityView(story)``: an object whose ``_repr_html_`` and ``str`` are the
  two renderings, for a notebook cell to display.

The story given may be any node: these functions use the newest *model* node on its
path (``latest_model_node``), so after ``append()`` the writer still sees the tokens
of the model's last segment; after an edit, only its tokens still in the text as the
model wrote them (``editing.unchanged_tokens``; the views mark the gaps "[edited]").
A ``Generation`` may be given instead of a story.

Backends that cannot give log probabilities. Asking is never an error: a backend
that ignores ``logprobs`` returns the text without them, and the story keeps it. The
rule is that the writer is *told* instead: ``missing_logprobs(story)`` is the
one-line notice for a model node that asked (``params.logprobs`` set) and got none
(None when there is nothing to say: other origins, interrupted streams, empty
text, or probabilities present); a ``Completer`` says it once per backend.
``token_rows`` returns an empty list and the renderings say what to do when no
probabilities were recorded.

What this module deliberately does not do: ask a backend for anything (it reads
what nodes already hold), display by itself (the caller shows the markup), or
recompute probabilities for text the model did not write.
"""

from __future__ import annotations

import html
import math
from typing import Any

import attrs

from complete.values.generation import Generation, TokenLogprob
from complete.values.story import Story
from complete.writing.editing import unchanged_tokens

__all__ = [
    "BANDS",
    "ProbabilityView",
    "latest_model_node",
    "missing_logprobs",
    "render_probabilities_html",
    "render_probabilities_text",
    "token_offsets",
    "token_rows",
]

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


# --- finding the data -----------------------------------------------------------------


def latest_model_node(story: Story) -> Story | None:
    """The newest node written by the model on ``story``'s path (``story`` itself if it is one).

    >>> from complete.values.params import Params
    >>> story = Story.from_prompt("Once").extend(" upon", origin="model").extend(" a time", origin="user")
    >>> latest_model_node(story).segment
    ' upon'
    """
    for node in story.lineage():
        if node.origin == "model":
            return node
    return None


def _source(source: Story | Generation) -> tuple[str, tuple[TokenLogprob, ...], Story | None]:
    """The text, the recorded tokens and the model node (None for a Generation)."""
    if isinstance(source, Generation):
        return source.text, source.logprobs or (), None
    if not isinstance(source, Story):
        raise TypeError(f"expected a Story or a Generation, not {type(source).__name__}")
    node = latest_model_node(source)
    if node is None:
        return "", (), None
    generation = node.generation
    return node.segment, (generation.logprobs or ()) if generation is not None else (), node


def token_offsets(text: str, tokens: tuple[TokenLogprob, ...]) -> list[int | None]:
    """Where each token starts in ``text``; None for a token that is not in it.

    Tokens usually spell the text exactly. Two cases do not: a character split over
    several tokens (each decodes to U+FFFD), whose pieces all get the offset of the
    character; and tokens after the end of the text (a stop string the backend cut
    off), which get None.

    >>> token_offsets("Hi there", (TokenLogprob("Hi", -0.1), TokenLogprob(" there", -0.2)))
    [0, 2]
    """
    offsets: list[int | None] = []
    cursor = 0
    for index, item in enumerate(tokens):
        token = item.token
        if token and text.startswith(token, cursor):
            offsets.append(cursor)
            cursor += len(token)
            continue
        if cursor >= len(text):
            offsets.append(None)
            continue
        offsets.append(cursor)
        # Resynchronise on the next token that spells the text a few characters on.
        following = tokens[index + 1].token if index + 1 < len(tokens) else ""
        if not following:
            cursor = len(text) if index + 1 == len(tokens) else cursor
            continue
        for step in range(len(token) + 4):
            if text.startswith(following, cursor + step):
                cursor += step
                break
    return offsets


def token_rows(source: Story | Generation) -> list[dict[str, Any]]:
    """The newest model segment's tokens as plain data (see the module docstring).

    An empty list when the segment has no recorded probabilities.

    >>> generation = Generation(text=" a fox", logprobs=[
    ...     TokenLogprob(" a", -0.5, top=[(" a", -0.5), (" the", -1.5)]),
    ...     TokenLogprob(" fox", -2.0, top=[(" dog", -1.0)])])
    >>> rows = token_rows(generation)
    >>> rows[1]["position"], rows[1]["token"], rows[1]["offset"], rows[1]["rank"]
    (1, ' fox', 2, None)
    >>> [alternative[0] for alternative in rows[0]["alternatives"]]
    [' the']
    """
    return _rows(source, *_source(source))


def _rows(source: Story | Generation, text: str, tokens: tuple[TokenLogprob, ...], node: Story | None) -> list[Any]:
    """``token_rows`` for the segment ``text`` and its recorded ``tokens``, less those an edit changed."""
    rows = []
    offsets = token_offsets(text, tokens)
    kept = None if node is None or not isinstance(source, Story) else unchanged_tokens(source, node, tokens, offsets)
    for position, (item, offset) in enumerate(zip(tokens, offsets, strict=True)):
        if kept is not None and position not in kept:
            continue
        rank = next((index for index, (token, _) in enumerate(item.top) if token == item.token), None)
        alternatives = [(token, logprob, _probability(logprob)) for token, logprob in item.top if token != item.token]
        rows.append(
            {
                "position": position,
                "token": item.token,
                "offset": offset,
                "logprob": item.logprob,
                "probability": _probability(item.logprob),
                "rank": rank,
                "alternatives": alternatives,
            }
        )
    return rows


def _probability(logprob: float) -> float:
    return math.exp(min(logprob, 0.0))


# --- backends without log probabilities --------------------------------------------


def missing_logprobs(story: Story) -> str | None:
    """The notice for a model node that asked for log probabilities and got none, else None.

    >>> from complete.values.params import Params
    >>> asked = Story.from_prompt("Hi").extend(
    ...     " there", origin="model", params=Params(logprobs=5), generation=Generation(text=" there", backend="hf"))
    >>> print(missing_logprobs(asked))
    complete: the hf backend returned no token probabilities (logprobs=5 was asked); ...
    """
    params, generation = story.params, story.generation
    if story.origin != "model" or story.interrupted or not story.segment:
        return None
    if params is None or params.logprobs is None:
        return None
    if generation is not None and generation.logprobs:
        return None
    backend = generation.backend if generation is not None and generation.backend else "current"
    return (
        f"complete: the {backend} backend returned no token probabilities (logprobs={params.logprobs} was asked); "
        "the text is kept without them. The local backend (backend='local') and servers that report "
        "logprobs give them."
    )


def _nothing_recorded(source: Story | Generation, node: Story | None) -> str:
    """Why there are no tokens to show; ``node`` is ``source``'s model node (``_source``)."""
    if isinstance(source, Story) and node is None:
        return "No model segment yet: continue the story first."
    return (
        "No token probabilities were recorded for this segment. Ask for them with "
        "logprobs=5 (for example bloom.set(logprobs=5)) before continuing."
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

    Hover over (or tab to) a token to see its position, probability and the top
    alternatives; pass the position to ``swap()``.
    """
    text, tokens, node = _source(source)
    if not tokens:
        return (
            f'<div class="complete-probs" style="{_STORY_STYLE}">'
            f'<div style="{_SMALL_STYLE}">{html.escape(_nothing_recorded(source, node))}</div></div>'
        )
    rows = _rows(source, text, tokens, node)
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

    >>> generation = Generation(text=" a fox", logprobs=[
    ...     TokenLogprob(" a", -0.1, top=[(" a", -0.1), (" the", -2.5)]),
    ...     TokenLogprob(" fox", -3.0, top=[(" dog", -1.0), (" cat", -1.5)])])
    >>> print(render_probabilities_text(generation))
      pos  token          prob  alternatives
        0  ' a'          90.5%  ' the' 8.2%
        1  ' fox'         5.0%  ' dog' 36.8%, ' cat' 22.3%
    """
    text, tokens, node = _source(source)
    if not tokens:
        return _nothing_recorded(source, node)
    rows = _rows(source, text, tokens, node)
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
