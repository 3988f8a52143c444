"""Counterfactual branches: what if the model had chosen another token there?

``swap`` replaces a recorded token of a model segment with an alternative and lets
the model continue from there, on a new branch beside the original (which is
untouched); ``branch_at`` builds that branch without asking the model. What it
deliberately does not do: rank or suggest alternatives (``complete.writing.token_data``),
or re-tokenize: positions are the backend's tokens.
"""

from __future__ import annotations

import attrs

from complete.errors import ParamsError
from complete.transports.base import Transport
from complete.values import checks as arguments
from complete.values.params import Params
from complete.values.story import Story
from complete.writing.core import complete
from complete.writing.editing import authorship, replace_span, unchanged_tokens
from complete.writing.token_data import token_offsets
from complete.writing.window import Window

__all__ = ["branch_after_edits", "branch_at", "swap"]


def branch_at(story: Story, position: int, alternative: str) -> Story:
    """The new branch up to and including ``alternative`` (a user node); no I/O.

    Raises ``ParamsError`` when ``story`` is not a model node with recorded log
    probabilities, ``position`` is out of range or names a token that is not in
    the text, or ``alternative`` is not a non-empty string.

    >>> from complete.values.generation import Generation, TokenLogprob
    >>> story = Story.from_prompt("Once").extend(" upon a time", origin="model", generation=Generation(
    ...     text=" upon a time", logprobs=[TokenLogprob(t, -1.0) for t in (" upon", " a", " time")]))
    >>> branch = branch_at(story, 1, " the")
    >>> branch.text, branch.origin, branch.parent.segment, branch.parent.origin
    ('Once upon the', 'user', ' upon', 'model')
    """
    arguments.typed("story", story, Story, "a Story")
    if story.origin != "model" or story.parent is None:
        raise ParamsError(
            field="story",
            value=story,
            allowed="a segment written by the model (swap replaces one of the model's tokens)",
        )
    generation = story.generation
    tokens = generation.logprobs if generation is not None else None
    if generation is None or not tokens:
        raise ParamsError(
            field="story",
            value=story,
            allowed="a model segment with recorded token probabilities",
            hint="Continue with logprobs=5 (for example bloom.set(logprobs=5)) on a backend that reports them.",
        )
    arguments.integer("position", position, low=0, high=len(tokens) - 1)
    arguments.text("alternative", alternative, "a non-empty string (the text to put there)", empty=False)
    offset = token_offsets(story.segment, tokens)[position]
    if offset is None:
        raise ParamsError(
            field="position",
            value=position,
            allowed="the position of a token that is in the text (this one was cut off, e.g. a stop string)",
        )
    parent = story.parent
    if offset > 0:
        kept = attrs.evolve(
            generation,
            text=story.segment[:offset],
            logprobs=tokens[:position],
            completion_tokens=position,
            finish_reason=None,
            elapsed=None,
        )
        parent = parent.extend(kept.text, origin="model", params=story.params, generation=kept)
    return parent.extend(alternative, origin="user")


def branch_after_edits(story: Story, node: Story, position: int, alternative: str) -> Story:
    """``story`` with ``alternative`` in place of ``node``'s token at ``position`` and all
    that follows it: an edit node, so that every edit before the token is kept (``branch_at``
    branches from the model node instead, which would lose them).

    A token an edit changed is a ``ParamsError`` that says so, as are ``branch_at``'s.
    """
    branch_at(node, position, alternative)  # the same checks of the node, position and alternative
    generation = node.generation
    tokens = (generation.logprobs or ()) if generation is not None else ()
    offsets = token_offsets(node.segment, tokens)
    if position not in unchanged_tokens(story, node, tokens, offsets):
        raise ParamsError(
            field="position",
            value=position,
            allowed="the position of a token the model wrote that is still in the text",
            hint="An edit changed this one; tokens() lists the tokens left as the model wrote them",
        )
    offset = offsets[position]
    assert offset is not None
    start = next(
        run.start + offset - run.offset
        for run in authorship(story)
        if run.node is node and run.offset <= offset < run.offset + run.end - run.start
    )
    return replace_span(story, start, story.length, alternative)


def swap(
    story: Story,
    position: int,
    alternative: str,
    params: Params,
    transport: Transport,
    *,
    window: Window | None = None,
) -> Story:
    """A sibling branch of ``story`` with the token at ``position`` replaced, continued by the model.

    ``swap(story, position, alternative, params, transport)`` takes a model segment
    with recorded token probabilities (``Params(logprobs=k)``), replaces the token at
    ``position`` (as numbered by ``token_rows`` and the probability view) with
    ``alternative``, and lets the model continue from there. It is pure, like
    ``complete()``: it returns the end of a new branch and changes nothing; the
    original segment and everything after it are untouched, and the new branch is a
    sibling of the original segment (its first node is a child of ``story.parent``).

    The new branch, from ``story.parent`` down::

        model  the tokens before ``position``, exactly as the model wrote them
               (left out when ``position`` is 0)
        user   ``alternative``
        model  the continuation (``complete()``), the node returned

    Decisions:

    - The kept tokens stay a *model* node, with the original params and a copy of the
      generation cut to those tokens (their log probabilities, ``completion_tokens``
      set to their number, ``finish_reason`` None because the model did not stop
      there, ``elapsed`` None because the time was spent on the whole segment). They
      are the model's words, so the story says so, and the probability view and
      ``swap`` keep working on them. The alternative is a *user* node: the writer
      chose it, whatever the model thought of it.
    - ``alternative`` may be any non-empty string: one of the recorded top
      alternatives, or anything else the writer wants to try (a word, a phrase, a
      different punctuation mark). It is inserted verbatim, so include the leading
      space a word needs (``" the"``, as tokens are shown). Giving the original token
      is allowed: it resamples the rest of the segment from that point.
    - After an edit (an edit node on the current path after the model node), the
      branch grows from the current story instead, so that the edits are kept: an
      edit node puts ``alternative`` in place of the token and all that follows it
      (``branch_after_edits``); a token an edit changed cannot be swapped.
    - ``story`` must itself be the model node (``Session.swap_request`` passes
      ``latest_model_node`` of the current story, so that positions match what the
      probability view showed).

    ``branch_at`` builds the branch up to the alternative without asking the model,
    for a caller that continues it itself (``Session.swap_request``, whose request a
    Completer may stream).

    Returns the continuation node (its parent is the alternative). Errors are
    ``branch_at``'s, raised before any request, and the transport's; on any of
    them nothing has changed.

    >>> from complete.values.generation import Generation, TokenLogprob
    >>> from complete.testing import ScriptedTransport
    >>> story = Story.from_prompt("Once").extend(" upon a time", origin="model", generation=Generation(
    ...     text=" upon a time", logprobs=[TokenLogprob(t, -1.0) for t in (" upon", " a", " time")]))
    >>> swap(story, 1, " the", Params(), ScriptedTransport([" hill"])).text
    'Once upon the hill'
    """
    branch = branch_at(story, position, alternative)
    return complete(branch, params, transport, window=window)
