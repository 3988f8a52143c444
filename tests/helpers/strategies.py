"""Hypothesis strategies shared by the property tests: JSON values, params, generations, story trees."""

from __future__ import annotations

from hypothesis import strategies as st

from complete.values.generation import Generation, TokenLogprob
from complete.values.params import Params
from complete.values.story import Story

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)
"""Anything ``json.loads`` can return (no NaN, which is not equal to itself)."""

params_strategy = st.builds(
    Params,
    temperature=st.none() | st.floats(0, 5),
    top_k=st.none() | st.integers(1, 1000),
    top_p=st.none() | st.floats(0.001, 1),
    max_new_tokens=st.integers(1, 4096),
    repetition_penalty=st.none() | st.floats(0.01, 3),
    seed=st.none() | st.integers(0, 2**64 - 1),
    stop=st.lists(st.text(min_size=1), max_size=3),
    do_sample=st.none() | st.booleans(),
    logprobs=st.none() | st.integers(0, 20),
    min_p=st.none() | st.floats(0, 1),
    typical_p=st.none() | st.floats(0.001, 1),
    presence_penalty=st.none() | st.floats(-2, 2),
    frequency_penalty=st.none() | st.floats(-2, 2),
    repetition_window=st.none() | st.integers(0, 100_000),
    dry_multiplier=st.none() | st.floats(0, 100),
    dry_base=st.none() | st.floats(1, 10),
    dry_allowed_length=st.none() | st.integers(0, 100),
    dry_window=st.none() | st.integers(0, 100_000),
    dry_breakers=st.lists(st.text(min_size=1, max_size=4), max_size=5),
    xtc_probability=st.none() | st.floats(0, 1),
    xtc_threshold=st.none() | st.floats(0, 1),
    mirostat=st.none() | st.sampled_from([0, 1, 2]),
    mirostat_tau=st.none() | st.floats(0, 20),
    mirostat_eta=st.none() | st.floats(0.001, 1),
)
"""A valid ``Params``, each sampler set or not (all but ``banned`` and ``logit_bias``, which it leaves unset)."""

token_logprobs = st.builds(
    TokenLogprob,
    token=st.text(max_size=4),
    logprob=st.floats(allow_nan=False),
    top=st.lists(st.tuples(st.text(max_size=4), st.floats(allow_nan=False)), max_size=2),
)
generations = st.builds(
    Generation,
    text=st.text(max_size=8),
    finish_reason=st.sampled_from([None, "length", "stop", "eos"]),
    prompt_tokens=st.none() | st.integers(0, 10**6),
    completion_tokens=st.none() | st.integers(0, 10**6),
    backend=st.none() | st.sampled_from(["hf", "openai", "local"]),
    model=st.none() | st.text(max_size=8),
    seed=st.none() | st.integers(0, 2**64 - 1),
    logprobs=st.none() | st.lists(token_logprobs, max_size=3),
    elapsed=st.none() | st.floats(0, 1e6),
)
"""Any valid ``Generation``: every field, set or not."""


@st.composite
def story_nodes(draw: st.DrawFn, segments: st.SearchStrategy[str], params: st.SearchStrategy[Params]) -> list[Story]:
    """The nodes of one tree, parents first: a prompt, then up to ten model or user
    nodes, each under any earlier one (model nodes with or without params and a
    generation, interrupted or not)."""
    nodes = [Story.from_prompt(draw(segments.filter(str.strip)), reformat=False)]
    for _ in range(draw(st.integers(0, 10))):
        parent = draw(st.sampled_from(nodes))
        if draw(st.booleans()):
            node = parent.extend(
                draw(segments),
                origin="model",
                params=draw(st.none() | params),
                generation=draw(st.none() | generations),
                interrupted=draw(st.booleans()),
            )
        else:
            node = parent.extend(draw(segments), origin="user")
        nodes.append(node)
    return nodes
