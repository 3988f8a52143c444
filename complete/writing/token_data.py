"""How sure the model was, as data: per-token probabilities of the newest model segment.

When a story is continued with ``Params(logprobs=k)``, the backend records for every
generated token its log probability and the ``k`` tokens it found most likely
(``Generation.logprobs``). ``token_rows(story)`` gives them as plain dicts (what
``Completer.tokens()`` returns), for the newest *model* node on the story's path,
leaving out the tokens an edit changed; ``missing_logprobs`` is the notice for a
model node that asked and got none.

What this module deliberately does not do: ask a backend for anything (it reads what
nodes already hold), draw the tokens (``complete.display.token_colours``), or
recompute probabilities for text the model did not write.
"""

from __future__ import annotations

import math
from typing import Any

from complete.values.generation import Generation, TokenLogprob
from complete.values.story import Story
from complete.writing.editing import unchanged_tokens

__all__ = [
    "latest_model_node",
    "missing_logprobs",
    "nothing_recorded",
    "rows_of",
    "source_tokens",
    "token_offsets",
    "token_rows",
]


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


def source_tokens(source: Story | Generation) -> tuple[str, tuple[TokenLogprob, ...], Story | None]:
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
    """The newest model segment's tokens as plain data, one dict per token::

        {"position": 3, "token": " make", "offset": 11, "logprob": -4.33,
         "probability": 0.0132, "rank": None,
         "alternatives": [(" have", -1.36, 0.256), (" use", -2.75, 0.064), ...]}

    ``position`` counts tokens from 0 (pass it to ``swap()``); ``offset`` is where the
    token starts in the segment's text (None for a token that is not in the text,
    such as a stop string the backend cut off); ``rank`` is the token's place among
    the recorded top tokens (0 = the most likely) or None when it is not among them;
    ``alternatives`` are the other recorded top tokens, most likely first, as
    ``(token, logprob, probability)``.

    ``source`` may be any node: the newest *model* node on its path is used
    (``latest_model_node``), so after ``append()`` the writer still sees the model's
    last tokens; after an edit, only its tokens still in the text as the model wrote
    them (``editing.unchanged_tokens``). A ``Generation`` may be given instead. An
    empty list when the segment has no recorded probabilities.

    >>> generation = Generation(text=" a fox", logprobs=[
    ...     TokenLogprob(" a", -0.5, top=[(" a", -0.5), (" the", -1.5)]),
    ...     TokenLogprob(" fox", -2.0, top=[(" dog", -1.0)])])
    >>> rows = token_rows(generation)
    >>> rows[1]["position"], rows[1]["token"], rows[1]["offset"], rows[1]["rank"]
    (1, ' fox', 2, None)
    >>> [alternative[0] for alternative in rows[0]["alternatives"]]
    [' the']
    """
    return rows_of(source, *source_tokens(source))


def rows_of(source: Story | Generation, text: str, tokens: tuple[TokenLogprob, ...], node: Story | None) -> list[Any]:
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

    Asking is never an error: a backend that ignores ``logprobs`` returns the text
    without them, and the story keeps it; the writer is told instead (a
    ``Completer`` says it once per backend). None when there is nothing to say:
    other origins, interrupted streams, empty text, or probabilities present.

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


def nothing_recorded(source: Story | Generation, node: Story | None) -> str:
    """Why there are no tokens to show; ``node`` is ``source``'s model node (``source_tokens``)."""
    if isinstance(source, Story) and node is None:
        return "No model segment yet: continue the story first."
    return (
        "No token probabilities were recorded for this segment. Ask for them with "
        "logprobs=5 (for example bloom.set(logprobs=5)) before continuing."
    )
