"""Small stories for tests: one with recorded token probabilities, a tree of four nodes."""

from __future__ import annotations

import math

from complete import Generation, Params, Story, TokenLogprob

LN = math.log


def logprob_generation() -> Generation:
    """Three tokens of " a <fox>": likely, unlikely (and markup), even."""
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


def logprob_story() -> Story:
    """``logprob_generation()`` as the model node after a prompt."""
    generation = logprob_generation()
    return Story.from_prompt("Once there was").extend(
        generation.text, origin="model", params=Params(logprobs=3), generation=generation
    )


def four_nodes() -> tuple[Story, Story, Story, Story]:
    """A prompt; under it a model node with params and token probabilities, and under
    that a user node; beside them, an interrupted model node. In that order."""
    root = Story.from_prompt("Once")
    generation = Generation(
        text=" upon",
        finish_reason="length",
        completion_tokens=1,
        backend="local",
        seed=3,
        logprobs=[TokenLogprob(" upon", -0.25, top=[(" upon", -0.25), (" there", -2.0)])],
    )
    model = root.extend(" upon", origin="model", params=Params(logprobs=2, seed=3), generation=generation)
    user = model.extend(" a time", origin="user")
    cut = root.extend(" in", origin="model", generation=Generation(text=" in"), interrupted=True)
    return root, model, user, cut
