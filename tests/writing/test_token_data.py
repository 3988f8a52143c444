"""Token probabilities as data: rows, offsets, the newest model node, the once-only notice."""

from __future__ import annotations

import pytest

from complete import Completer, Generation, Params, Story, TokenLogprob, complete
from complete.testing import ScriptedTransport
from complete.writing.token_data import latest_model_node, missing_logprobs, token_offsets, token_rows
from tests.helpers.stories import LN, logprob_generation, logprob_story


def _close(row: dict[str, object], probability: float) -> None:
    assert row["probability"] == pytest.approx(probability)


def test_token_rows_give_positions_offsets_ranks_and_alternatives() -> None:
    rows = token_rows(logprob_story())
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

    rows = token_rows(logprob_story())
    assert json.loads(json.dumps(rows))[1]["alternatives"][0][0] == " dog"


def test_token_rows_use_the_newest_model_segment_after_user_text() -> None:
    story = logprob_story().extend(" And then", origin="user")
    assert latest_model_node(story) is story.parent
    assert [row["token"] for row in token_rows(story)] == [" a", " <", "fox>"]


def test_token_rows_accept_alogprob_generation() -> None:
    assert [row["token"] for row in token_rows(logprob_generation())] == [" a", " <", "fox>"]


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
    story = complete(Story.from_prompt("Once there was"), Params(logprobs=3), ScriptedTransport([logprob_generation()]))
    assert story.generation is not None
    assert story.generation.logprobs == logprob_generation().logprobs
    assert [row["token"] for row in token_rows(story)] == [" a", " <", "fox>"]
