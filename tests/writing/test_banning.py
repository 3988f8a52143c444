"""Banned phrases: the values (``complete.values.phrases``, ``Params.banned``), the rewind loop
(``complete.writing.banning``) over the test doubles, and the position-only ban of the first
token on the embedded model and a real llama-server, with greedy decoding."""

from __future__ import annotations

import io
from collections.abc import Generator

import pytest

from complete import Completer, Params, Story, cli, complete, complete_many, complete_stream
from complete.errors import ParamsError
from complete.testing import ScriptedTransport
from complete.transports.hf import wire as hf_wire
from complete.transports.local.engine import LocalModel
from complete.transports.openai.completions import OpenAICompletions
from complete.transports.openai.wire import DIALECTS, completion_body
from complete.transports.retrying import RetryingTransport
from complete.values.generation import Generation
from complete.values.phrases import Phrases, rewind_point
from complete.writing.banning import MAX_REWINDS
from tests.helpers.llama_server import API_KEY
from tests.helpers.scripted_cli import script_cli

PROMPT = "Once upon a time, in a small village,"


class TokenBanningTransport(ScriptedTransport):
    """A scripted transport that ``BansTokens``: every word is a token whose id is its
    position in ``VOCABULARY``."""

    VOCABULARY = (" a", " testament", " to", " her", " It", " was", " the", " mark")

    def token_ids(self, text: str) -> list[int]:
        return [self.VOCABULARY.index(word) for word in text.replace(" ", "\0 ").split("\0") if word]


def stream_all(items: Generator[str | Story, None, None]) -> tuple[list[str], Story]:
    items_list = list(items)
    final = items_list[-1]
    assert isinstance(final, Story)
    return [piece for piece in items_list[:-1] if isinstance(piece, str)], final


# -- values ---------------------------------------------------------------------


def test_phrases_match_in_any_case_and_regular_expressions_between_slashes() -> None:
    phrases = Phrases.of(["a testament to", "/shivers? down (his|her) spine/"])
    assert phrases.find("It was A TESTAMENT TO her").span() == (7, 21)  # type: ignore[union-attr]
    assert phrases.find("Shiver down his spine").group() == "Shiver down his spine"  # type: ignore[union-attr]
    assert phrases.find("It was a testimony") is None


def test_hold_keeps_back_the_end_that_could_still_become_a_phrase() -> None:
    phrases = Phrases.of(["a testament to"])
    assert phrases.hold("She was A testa") == len("She was")
    assert phrases.hold("She was a") == len("She was")
    assert phrases.hold("She was here.") == len("She was here.")
    # a regular expression: the last 64 characters, from the start of their first word
    assert Phrases.of(["/x+/"]).hold("word " * 20) == 34


def test_rewind_point_goes_to_the_word_start_and_before_its_spaces() -> None:
    assert rewind_point("It was a testament", 9) == 8
    assert rewind_point("It was a testament", 12) == 8
    assert rewind_point("testament", 3) == 0


def test_banned_is_a_tuple_and_a_bad_regular_expression_is_a_params_error_naming_it() -> None:
    assert Params(banned="a testament").banned == ("a testament",)
    with pytest.raises(ParamsError, match=r"banned=.*'/\(unclosed/' is not one"):
        Params(banned=["fine", "/(unclosed/"])
    with pytest.raises(ParamsError, match="banned"):
        Params(banned=[""])


def test_logit_bias_takes_a_mapping_or_pairs_and_round_trips() -> None:
    params = Params(logit_bias={15: -100, "Hello": 2.5})
    assert params.logit_bias == ((15, -100.0), ("Hello", 2.5))
    assert params.to_dict()["logit_bias"] == [[15, -100.0], ["Hello", 2.5]]
    assert Params.from_dict(params.to_dict()) == params
    for bad in ({-1: 1.0}, {"x": 101}, {True: 1.0}, [(1, 2, 3)], "x"):
        with pytest.raises(ParamsError, match="logit_bias"):
            Params(logit_bias=bad)


# -- the rewind loop on test doubles -----------------------------------------------


def test_resample_path_cuts_the_phrase_and_samples_again_with_another_seed() -> None:
    transport = ScriptedTransport([" It was a Testament to her", " her courage and", " grit"])
    params = Params(banned=["testament"], max_new_tokens=7, seed=5)
    story = complete(Story.from_prompt(PROMPT), params, transport)
    assert story.segment == " It was a her courage and grit"
    assert [(prompt, asked.seed, asked.max_new_tokens, asked.banned) for prompt, asked in transport.calls] == [
        (PROMPT, 5, 7, ()),
        (PROMPT + " It was a", 6, 4, ()),
        (PROMPT + " It was a her courage and", 6, 1, ()),
    ]
    assert story.generation is not None
    assert (story.generation.rewinds, story.generation.completion_tokens, story.generation.finish_reason) == (
        1,
        7,
        "length",
    )
    assert story.params == params  # the story records the writer's own settings, bans included


def test_token_path_bans_the_first_token_at_that_position_only() -> None:
    transport = TokenBanningTransport([" It was a testament", " the", " mark"])
    story = complete(Story.from_prompt(PROMPT), Params(banned=["a testament"], max_new_tokens=4, seed=3), transport)
    assert story.segment == " It was the mark"
    (_, first), (_, ban), (_, rest) = transport.calls
    assert first.logit_bias == ()
    assert rest.logit_bias == ()
    assert (ban.max_new_tokens, ban.logit_bias, ban.seed) == (1, ((0, -100.0),), 3)  # " a" is id 0
    assert rest.max_new_tokens == 1


def test_after_the_rewind_limit_the_call_ends_before_the_phrase() -> None:
    transport = ScriptedTransport([" It was a testament", *[" Testament"] * MAX_REWINDS])
    story = complete(Story.from_prompt(PROMPT), Params(banned=["testament"], max_new_tokens=8), transport)
    assert story.segment == " It was a"
    assert len(transport.calls) == MAX_REWINDS + 1
    assert story.generation is not None
    assert (story.generation.finish_reason, story.generation.rewinds) == ("banned", MAX_REWINDS)


def test_streaming_never_shows_a_banned_phrase_and_takes_nothing_back() -> None:
    transport = ScriptedTransport([" She felt shivers down her spine.", " a chill. She went home"])
    params = Params(banned=["shivers down her spine"], max_new_tokens=7)
    pieces, story = stream_all(complete_stream(Story.from_prompt(PROMPT), params, transport))
    assert "".join(pieces) == story.segment == " She felt a chill. She went home"
    shown = ""
    for piece in pieces:
        shown += piece
        assert "shivers" not in shown.lower()


def test_a_stop_or_end_of_text_after_a_rewind_ends_the_call() -> None:
    ended = Generation(text=" the end", finish_reason="eos", completion_tokens=2)
    transport = ScriptedTransport([" It was a testament", ended])
    story = complete(Story.from_prompt(PROMPT), Params(banned=["testament"], max_new_tokens=8), transport)
    assert story.segment == " It was a the end"
    assert story.generation is not None
    assert (story.generation.finish_reason, story.generation.completion_tokens) == ("eos", 5)


def test_complete_many_bans_in_every_story() -> None:
    transport = ScriptedTransport([" a testament", " fine", " a testament", " also fine"])
    stories = [Story.from_prompt("A"), Story.from_prompt("B")]
    results = complete_many(stories, Params(banned=["testament"], max_new_tokens=2), transport, concurrency=1)
    assert [getattr(result, "segment", result) for result in results] == [" a fine", " a also fine"]


def test_without_bans_the_transport_is_called_once_as_before() -> None:
    transport = ScriptedTransport([" It was a testament"])
    story = complete(Story.from_prompt(PROMPT), Params(max_new_tokens=4), transport)
    assert story.segment == " It was a testament"
    assert story.generation is not None
    assert story.generation.rewinds is None


# -- the position-only ban on real engines (greedy decoding) ----------------------


def _check_ban(transport: LocalModel | OpenAICompletions) -> None:
    params = Params(temperature=0, max_new_tokens=32)
    before = complete(Story.from_prompt(PROMPT), params, transport).segment
    assert " wise old wizard" in before
    banned = complete(Story.from_prompt(PROMPT), params.evolve(banned=["WIZARD"]), transport)
    kept = before[: before.index(" wizard")]
    assert banned.segment.startswith(kept)
    assert "wizard" not in banned.segment.lower()
    assert banned.generation is not None
    assert banned.generation.rewinds is not None
    assert banned.generation.rewinds >= 1
    assert banned.generation.completion_tokens == 32
    token_ids = transport.token_ids(banned.segment)
    assert token_ids is not None
    assert abs(len(token_ids) - 32) <= 1


def test_the_embedded_model_writes_past_a_banned_phrase_and_as_long() -> None:
    _check_ban(LocalModel(n_ctx=512, n_threads=1))


def test_a_real_llama_server_writes_past_a_banned_phrase_and_as_long(llama_server: str) -> None:
    _check_ban(OpenAICompletions(llama_server, api_key=API_KEY, server="llama.cpp"))


def test_a_story_with_bans_and_a_banned_finish_round_trips_through_its_json_form() -> None:
    transport = ScriptedTransport([" It was a testament", *[" testament"] * MAX_REWINDS])
    params = Params(banned=["testament", "/sh(iver|udder)s/"], logit_bias={7: 1.5}, max_new_tokens=8)
    story = complete(Story.from_prompt(PROMPT), params, transport)
    again = Story.from_dict(story.to_dict())
    assert again == story
    assert again.params == params
    assert again.generation is not None
    assert (again.generation.finish_reason, again.generation.rewinds) == ("banned", MAX_REWINDS)


def test_the_command_line_bans_phrases_and_biases_tokens(monkeypatch: pytest.MonkeyPatch) -> None:
    transport = ScriptedTransport([" It was a testament", " grand"])
    script_cli(monkeypatch, transport)
    argv = ["--ban", "TESTAMENT", "--ban", "/sh(iver|udder)s/", "--logit-bias", "15=-100", "--logit-bias", "Hi=2.5"]
    out = io.StringIO()
    assert cli.main([*argv, "--max-new-tokens", "4", "Once"], stdin=io.StringIO(), stdout=out) == 0
    assert out.getvalue() == " It was a grand\n"
    asked = transport.calls[0][1]
    assert asked.logit_bias == ((15, -100.0), ("Hi", 2.5))
    assert asked.banned == ()  # the transport is never sent the bans: complete() applies them
    with pytest.raises(SystemExit):
        cli.main(["--logit-bias", "15", "Once"], stdin=io.StringIO(), stdout=io.StringIO())


def test_the_widgets_text_field_sets_and_shows_the_banned_phrases() -> None:
    bloom = Completer("Once", transport=ScriptedTransport([" It was a testament", " grand"]), max_new_tokens=4)
    box = bloom.widget()
    field = box.children[6].children[0]
    assert (field.description, field.value) == ("banned", "")
    field.value = "testament\n\n/sh(iver|udder)s/\n"
    assert bloom.params.banned == ("testament", "/sh(iver|udder)s/")
    bloom()
    assert bloom.text == "Once It was a grand"
    bloom.set(banned=["other"])
    box.children[7].children[0].click()  # Continue: the panel shows the Completer's params again
    assert field.value == "other"


def test_retries_pass_token_ids_through_and_no_ids_means_sampling_again() -> None:
    wrapped = RetryingTransport(TokenBanningTransport([" It was a testament", " the", " mark"]))
    story = complete(Story.from_prompt(PROMPT), Params(banned=["a testament"], max_new_tokens=4, seed=3), wrapped)
    assert story.segment == " It was the mark"
    assert wrapped.inner.calls[1][1].logit_bias == ((0, -100.0),)  # type: ignore[attr-defined]

    class NoIds(ScriptedTransport):
        def token_ids(self, text: str) -> None:
            return None

    transport = NoIds([" It was a testament", " the mark"])
    story = complete(Story.from_prompt(PROMPT), Params(banned=["a testament"], max_new_tokens=4, seed=3), transport)
    assert story.segment == " It was the mark"
    assert [(asked.seed, asked.logit_bias) for _, asked in transport.calls] == [(3, ()), (4, ())]


class CharacterTransport(ScriptedTransport):
    """Streams its replies one character at a time: a phrase is split every way it can be."""

    def stream(self, prompt: str, params: Params) -> Generator[str, None, Generation]:
        reply = self._next(prompt, params)
        assert isinstance(reply, str)
        yield from reply
        return Generation(text=reply, finish_reason="length", completion_tokens=params.max_new_tokens)


def test_a_phrase_split_across_pieces_is_never_shown_even_in_part() -> None:
    transport = CharacterTransport([" Her spine shivered. Shivers down her spine", " A chill came."])
    params = Params(banned=["shivers down her spine", "/sh(iver|udder)s? up/"], max_new_tokens=40)
    pieces, story = stream_all(complete_stream(Story.from_prompt(PROMPT), params, transport))
    assert story.segment == " Her spine shivered. A chill came."
    shown = ""
    for piece in pieces:
        shown += piece
        assert "shivers d" not in shown.lower()
    assert shown == story.segment


# -- logit_bias on each wire ------------------------------------------------------


def test_logit_bias_goes_on_each_wire_in_its_own_shape() -> None:
    params = Params(logit_bias={15: -100, "Hi": 2.5}, banned=["never sent"])
    told: list[tuple[str, object]] = []

    def body(dialect: str) -> dict[str, object]:
        return completion_body(
            "Once",
            params,
            DIALECTS[dialect],
            model=None,
            stream=False,
            left_out=lambda *item: told.append(item),
            token_ids=lambda text: [7, 8] if dialect == "vllm" else None,
        )

    assert body("llama.cpp")["logit_bias"] == [[15, False], ["Hi", 2.5]]
    assert body("vllm")["logit_bias"] == {"15": -100.0, "7": 2.5, "8": 2.5}
    assert told == []
    assert body("openai")["logit_bias"] == {"15": -100.0}
    assert told == [("logit_bias", ["Hi"])]
    assert "logit_bias" not in body("tgi")
    assert told[-1] == ("logit_bias", ((15, -100.0), ("Hi", 2.5)))
    assert all("banned" not in body(name) and "never sent" not in str(body(name)) for name in DIALECTS)
    assert hf_wire.left_out(params) == {"logit_bias": [[15, -100.0], ["Hi", 2.5]]}  # warned about; bans are no field


def test_llama_server_tokenizes_without_special_tokens_and_takes_the_bias(llama_server: str) -> None:
    transport = OpenAICompletions(llama_server, api_key=API_KEY, server="llama.cpp")
    ids = transport.token_ids(" wizard")
    assert ids == [267, 19341]  # " w" "izard" in SmolLM2's vocabulary, no special token before them
    params = Params(temperature=0, max_new_tokens=8)
    assert transport.generate(PROMPT, params).text == " there was a wise old wizard named"
    assert transport.generate(PROMPT, params.evolve(logit_bias={267: 100})).text == " w" * 8  # everywhere
    banned = transport.generate(PROMPT, params.evolve(logit_bias={" wise": -100})).text  # a string: its tokens
    assert banned == " there was a young woman named Elara"


def test_a_completers_calls_retry_and_alternatives_all_keep_the_bans() -> None:
    replies = [" a testament", " fine", " A TESTAMENT", " good", " one more", " two more"]
    bloom = Completer("Once", transport=ScriptedTransport(replies), banned=["testament"], max_new_tokens=2)
    bloom()
    assert bloom.text == "Once a fine"
    bloom.retry()
    assert bloom.text == "Once A good"
    bloom.alternatives(2)
    offered = bloom.session.offered
    assert offered is not None
    assert sorted(story.segment for story in offered) == [" one more", " two more"]
    assert {story.params.banned for story in offered} == {("testament",)}  # type: ignore[union-attr]


class PresetTransport(ScriptedTransport):
    """A scripted transport whose ``defaults`` (as the embedded model's story preset)
    include banned phrases."""

    defaults = Params(temperature=0.8, banned=["testament"])


def test_a_transports_default_bans_are_kept_out_of_every_call_of_a_completer() -> None:
    replies = [" a testament", " fine", " A TESTAMENT", " good", " a testament", " grand"]
    bloom = Completer("Once", transport=PresetTransport(replies), max_new_tokens=2)
    bloom()
    assert bloom.text == "Once a fine"
    bloom.stream = True
    bloom.retry()
    assert bloom.text == "Once A good"
    pieces, story = stream_all(complete_stream(Story.from_prompt("Once"), Params(max_new_tokens=2), bloom.transport))
    assert "".join(pieces) == story.segment == " a grand"
    assert story.params.banned == ()  # the story records the call's own settings, as with any default
    assert story.generation is not None
    assert story.generation.rewinds == 1


def test_the_widget_names_the_transports_default_bans_while_its_field_is_empty() -> None:
    bloom = Completer("Once", transport=PresetTransport([" fine"]), max_new_tokens=1)
    box = bloom.widget()
    field, note = box.children[6].children
    assert (field.value, note.value) == ("", "default: 1 phrase")
    field.value = "other"
    bloom.set(banned=["other"])
    box.children[7].children[0].click()  # Continue: the panel shows the Completer's params again
    assert (field.value, note.value) == ("other", "")


def test_a_calls_own_bans_replace_the_transports_and_greedy_decoding_takes_none() -> None:
    transport = PresetTransport([" a testament", " a testament to"])
    own = Params(banned=["to"], max_new_tokens=2)
    assert complete(Story.from_prompt("Once"), own, transport).segment == " a testament"
    greedy = complete(Story.from_prompt("Once"), Params(do_sample=False, max_new_tokens=3), transport)
    assert greedy.segment == " a testament to"
    assert len(transport.calls) == 2


def test_tokens_banned_at_one_place_stay_banned_there_when_the_text_comes_back() -> None:
    transport = TokenBanningTransport([" It was a testament", " the", " testament", " her", " mark"])
    params = Params(banned=["/(a|the) testament/"], max_new_tokens=4)
    assert complete(Story.from_prompt(PROMPT), params, transport).segment == " It was her mark"
    bias = [asked.logit_bias for _, asked in transport.calls]
    # " a" (id 0) banned after " It was"; then " the" (id 6) too, at the same place
    assert bias == [(), ((0, -100.0),), (), ((0, -100.0), (6, -100.0)), ()]
