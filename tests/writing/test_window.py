"""The prompt window: memory, author's note, trimming at paragraph boundaries."""

from __future__ import annotations

import pytest

from complete import ContextLimitError, Params, ParamsError, Story, Window
from complete.writing.window import build_prompt
from tests.helpers.word_counter import WordCounter

STORY = Story.from_prompt("one two\n\nthree four five\n\nsix seven\n\neight nine ten eleven")


def test_fits_unchanged_and_counted_exactly() -> None:
    prompt = build_prompt(STORY, Params(max_new_tokens=5), WordCounter(100, bos=1), Window())
    assert prompt.text == STORY.text
    assert (prompt.tokens, prompt.window_size, prompt.exact, prompt.trimmed) == (12, 100, True, "")
    assert [(part.kind, part.tokens) for part in prompt.parts] == [("story", 12)]


def test_without_a_window_size_nothing_is_counted_or_trimmed() -> None:
    counter = WordCounter(None, bos=1)
    prompt = build_prompt(STORY, Params(), counter, Window())
    assert (prompt.text, prompt.tokens, prompt.window_size, prompt.exact) == (STORY.text, None, None, False)
    assert counter.counted == []


def test_oldest_paragraphs_are_left_out_first() -> None:
    # 12 tokens do not fit 10 - 2; dropping "one two" gives 10, dropping two paragraphs gives 7.
    prompt = build_prompt(STORY, Params(max_new_tokens=2), WordCounter(10, bos=1), Window())
    assert prompt.text == "six seven\neight nine ten eleven"
    assert prompt.trimmed == "one two\nthree four five\n"
    assert prompt.trimmed + prompt.text == STORY.text
    assert prompt.tokens == 7


def test_a_too_long_last_paragraph_is_cut_at_a_word() -> None:
    story = Story.from_prompt("alpha\n\nb c d e f g h")
    prompt = build_prompt(story, Params(max_new_tokens=1), WordCounter(5, bos=1), Window())
    assert prompt.text == "f g h"
    assert prompt.trimmed + prompt.text == story.text


def test_memory_on_top_and_note_before_the_last_paragraphs() -> None:
    window = Window(memory="[Setting: sky]", note="[Tone: calm]", note_depth=1)
    prompt = build_prompt(STORY, Params(max_new_tokens=1), WordCounter(100, bos=1), window)
    assert prompt.text == ("[Setting: sky]\none two\nthree four five\nsix seven\n[Tone: calm]\neight nine ten eleven")
    assert [part.kind for part in prompt.parts] == ["memory", "story", "note", "story"]
    assert [part.tokens for part in prompt.parts] == [3, 8, 3, 5]


def test_memory_and_note_are_kept_when_the_story_is_trimmed() -> None:
    window = Window(memory="M", note="N", note_depth=1)
    prompt = build_prompt(STORY, Params(max_new_tokens=1), WordCounter(10, bos=1), window)
    assert prompt.text == "M\nsix seven\nN\neight nine ten eleven"
    assert prompt.trimmed == "one two\nthree four five\n"


def test_memory_that_cannot_fit_is_a_context_limit_error() -> None:
    window = Window(memory="a b c d e f g h i j")
    with pytest.raises(ContextLimitError) as caught:
        build_prompt(STORY, Params(max_new_tokens=2), WordCounter(10, bos=1), window)
    assert (caught.value.limit, caught.value.prompt_tokens) == (10, 11)
    assert "memory and author's note (11 tokens) plus max_new_tokens 2 do not fit the window of 10" in str(caught.value)


def test_without_a_tokenizer_a_given_window_uses_a_marked_estimate() -> None:
    story = Story.from_prompt("x" * 30 + "\n\n" + "y" * 9)
    prompt = build_prompt(story, Params(max_new_tokens=1), object(), Window(size=5))
    assert (prompt.text, prompt.exact, prompt.tokens) == ("y" * 9, False, 3)
    assert "tokens (estimated)" in prompt.describe()


def test_describe_reports_parts_and_what_was_left_out() -> None:
    prompt = build_prompt(STORY, Params(max_new_tokens=2), WordCounter(10, bos=1), Window())
    report = prompt.describe()
    assert "story        7 tokens" in report
    assert "prompt       7 tokens + max_new_tokens 2; window 10" in report
    assert "left out: the oldest 24 characters of the story" in report


@pytest.mark.parametrize(("field", "value"), [("note_depth", -1), ("size", 0), ("memory", 3)])
def test_bad_window_settings_are_params_errors(field: str, value: object) -> None:
    with pytest.raises(ParamsError) as caught:
        Window(**{field: value})  # type: ignore[arg-type]
    assert caught.value.field == field


def test_a_story_longer_than_the_local_window_is_trimmed_and_continues() -> None:
    from complete import Completer, LocalModel

    paragraphs = [f"Chapter {n}. The keeper lit the lamp and watched the grey sea for a long while." for n in range(40)]
    model = LocalModel(n_ctx=256)
    memory = "Mara keeps the lighthouse."
    bloom = Completer("\n\n".join(paragraphs), transport=model, memory=memory, seed=2, stream=False)
    prompt = bloom.prompt(max_new_tokens=16)
    assert prompt.exact is True
    assert prompt.window_size == 256
    assert prompt.tokens is not None
    assert prompt.tokens + 16 <= 256
    assert prompt.tokens > 256 - 16 - 25  # no more left out than a paragraph's worth
    assert prompt.tokens == model.count_tokens(prompt.text)
    assert prompt.text.startswith("Mara keeps the lighthouse.\nChapter ")
    assert prompt.text.endswith("Chapter 39. The keeper lit the lamp and watched the grey sea for a long while.")
    bloom(max_new_tokens=16)
    assert bloom.last_request is not None
    assert bloom.last_request.prompt == prompt
    assert bloom.story.text.startswith("Chapter 0.")  # the story keeps everything
    assert bloom.story.generation is not None
    assert bloom.story.generation.completion_tokens == 16
