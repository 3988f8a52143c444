"""A story whose newest model segment has recorded token probabilities, for the
token data and token colour tests."""

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
