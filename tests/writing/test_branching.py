"""Counterfactual branches: swap one of the model's tokens and continue from there."""

from __future__ import annotations

import math

import attrs
import pytest

from complete import Generation, Params, ParamsError, Story, TokenLogprob, TransportError, Window
from complete.testing import ScriptedTransport
from complete.writing.branching import branch_at, swap
from complete.writing.token_data import token_rows

TOKENS = (" a", " fox", " ran", " home", ".")


def _story() -> Story:
    generation = Generation(
        text="".join(TOKENS),
        finish_reason="length",
        prompt_tokens=4,
        completion_tokens=5,
        backend="scripted",
        model="m",
        seed=7,
        elapsed=1.5,
        logprobs=[
            TokenLogprob(token, -0.5 - i, top=[(token, -0.5 - i), (" other", -3.0)]) for i, token in enumerate(TOKENS)
        ],
    )
    return Story.from_prompt("Once there was").extend(
        generation.text, origin="model", params=Params(logprobs=2, seed=7), generation=generation
    )


def _continuation(text: str) -> Generation:
    return Generation(text=text, backend="scripted", logprobs=[TokenLogprob(text, -1.0)])


def test_swap_makes_a_sibling_branch_kept_tokens_alternative_continuation() -> None:
    story = _story()
    copy = Story.from_dict(story.to_dict())
    transport = ScriptedTransport([_continuation(" away.")])
    new = swap(story, 2, " flew", Params(logprobs=2, seed=3), transport)

    assert new.text == "Once there was a fox flew away."
    assert [(node.segment, node.origin) for node in new.path] == [
        ("Once there was", "prompt"),
        (" a fox", "model"),
        (" flew", "user"),
        (" away.", "model"),
    ]
    alternative = new.parent
    assert alternative is not None
    kept = alternative.parent
    assert kept is not None
    assert kept.parent is story.parent
    assert alternative.params is None
    assert alternative.generation is None
    assert kept.params == story.params
    assert story.generation is not None
    assert story.generation.logprobs is not None
    assert kept.generation == attrs.evolve(
        story.generation, text=" a fox", logprobs=story.generation.logprobs[:2], completion_tokens=2, finish_reason=None
    )
    assert kept.generation.elapsed is None
    assert new.params == Params(logprobs=2, seed=3)
    assert transport.calls == [("Once there was a fox flew", Params(logprobs=2, seed=3))]
    # The original branch is untouched.
    assert story == copy
    assert story.text == "Once there was a fox ran home."


def test_the_kept_tokens_can_be_shown_and_swapped_again() -> None:
    new = swap(_story(), 2, " flew", Params(), ScriptedTransport([" away."]))
    kept = new.parent.parent if new.parent is not None else None
    assert kept is not None
    assert [row["token"] for row in token_rows(kept)] == [" a", " fox"]
    again = swap(kept, 1, " hen", Params(), ScriptedTransport([" sat."]))
    assert again.text == "Once there was a hen sat."


def test_swapping_the_first_token_leaves_no_kept_node() -> None:
    story = _story()
    new = swap(story, 0, " the", Params(), ScriptedTransport([" end."]))
    assert new.text == "Once there was the end."
    assert new.parent is not None
    assert new.parent.origin == "user"
    assert new.parent.parent is story.parent


def test_any_string_may_replace_a_token_and_the_original_token_resamples() -> None:
    transport = ScriptedTransport([" out of the woods.", " to the river."])
    assert (
        swap(_story(), 3, ", laughing,", Params(), transport).text
        == "Once there was a fox ran, laughing, out of the woods."
    )
    assert swap(_story(), 2, " ran", Params(), transport).text == "Once there was a fox ran to the river."


def test_the_window_shapes_the_prompt_of_the_continuation() -> None:
    transport = ScriptedTransport([" away."])
    swap(_story(), 2, " flew", Params(), transport, window=Window(memory="A fable."))
    assert transport.calls[0][0] == "A fable.\nOnce there was a fox flew"


def test_branch_at_builds_the_branch_without_asking_the_model() -> None:
    branch = branch_at(_story(), 4, "!")
    assert branch.text == "Once there was a fox ran home!"
    assert (branch.origin, branch.parent.origin) == ("user", "model")  # type: ignore[union-attr]


def _no_logprobs() -> Story:
    return Story.from_prompt("Hi").extend(" there", origin="model", generation=Generation(text=" there"))


@pytest.mark.parametrize(
    ("story", "position", "alternative", "field", "allowed"),
    [
        (_story(), 5, " x", "position", "an integer from 0 to 4"),
        (_story(), -1, " x", "position", "an integer from 0 to 4"),
        (_story(), True, " x", "position", "an integer from 0 to 4"),
        (_story(), "1", " x", "position", "an integer from 0 to 4"),
        (_story(), 1, "", "alternative", "a non-empty string (the text to put there)"),
        (_story(), 1, None, "alternative", "a non-empty string (the text to put there)"),
        (
            Story.from_prompt("Hi").extend(" there", origin="user"),
            0,
            " x",
            "story",
            "a segment written by the model (swap replaces one of the model's tokens)",
        ),
        (
            Story.from_prompt("Hi"),
            0,
            " x",
            "story",
            "a segment written by the model (swap replaces one of the model's tokens)",
        ),
        (_no_logprobs(), 0, " x", "story", "a model segment with recorded token probabilities"),
        (
            Story.from_prompt("Hi").extend(" there", origin="model"),
            0,
            " x",
            "story",
            "a model segment with recorded token probabilities",
        ),
    ],
)
def test_bad_swaps_are_params_errors_raised_before_any_request(
    story: Story, position: object, alternative: object, field: str, allowed: str
) -> None:
    transport = ScriptedTransport([" never"])
    with pytest.raises(ParamsError) as caught:
        swap(story, position, alternative, Params(), transport)  # type: ignore[arg-type]
    assert (caught.value.field, caught.value.allowed) == (field, allowed)
    assert transport.calls == []


def test_a_story_without_logprobs_gets_a_hint() -> None:
    with pytest.raises(ParamsError, match=r"Continue with logprobs=5 \(for example bloom.set\(logprobs=5\)\)"):
        branch_at(_no_logprobs(), 0, " x")


def test_a_token_cut_off_from_the_text_cannot_be_swapped() -> None:
    generation = Generation(text=" a", logprobs=[TokenLogprob(" a", -1.0), TokenLogprob("\n\n", -1.0)])
    story = Story.from_prompt("Hi").extend(" a", origin="model", generation=generation)
    with pytest.raises(ParamsError) as caught:
        branch_at(story, 1, " b")
    assert caught.value.field == "position"
    assert "this one was cut off" in caught.value.allowed


def test_a_failed_continuation_raises_and_changes_nothing() -> None:
    story = _story()
    copy = Story.from_dict(story.to_dict())
    with pytest.raises(TransportError, match="refused"):
        swap(story, 2, " flew", Params(), ScriptedTransport([TransportError("refused")]))
    assert story == copy


def test_a_swap_on_the_embedded_model_differs_from_the_original_at_the_chosen_token() -> None:
    from complete import LocalModel, complete

    model = LocalModel()
    params = Params(max_new_tokens=12, logprobs=3, seed=1, temperature=0.8)
    story = complete(Story.from_prompt("Once upon a time"), params, model)
    copy = Story.from_dict(story.to_dict())
    rows = token_rows(story)
    # The first token that had a recorded alternative different from itself.
    row = next(row for row in rows[2:] if row["alternatives"])
    alternative = row["alternatives"][0][0]
    new = swap(story, row["position"], alternative, params, model)

    prefix = story.parent.text + story.segment[: row["offset"]]  # type: ignore[union-attr]
    assert new.parent is not None
    assert new.parent.text == prefix + alternative
    assert new.text.startswith(prefix + alternative)
    assert story.text.startswith(prefix + row["token"])
    assert new.text[len(prefix) :] != story.text[len(prefix) :]
    assert new.generation is not None
    assert new.generation.logprobs is not None
    assert len(new.generation.logprobs) == 12
    assert new.segment
    assert story == copy
    assert new.parent.parent is not None
    assert new.parent.parent.parent is story.parent
    assert math.isfinite(row["logprob"])
