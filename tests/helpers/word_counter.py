"""A transport whose tokenizer counts words, for the prompt window and lorebook tests."""

from __future__ import annotations

from collections.abc import Iterator

from complete import Generation, Params


class WordCounter:
    """Counts a text's words (plus ``bos``, a begin-of-text token) as its tokens, in a
    context window of ``window`` tokens (None: unknown); ``counted`` lists the texts
    counted. It is never asked for text."""

    def __init__(self, window: int | None, *, bos: int = 0) -> None:
        self.window = window
        self.bos = bos
        self.counted: list[str] = []

    def count_tokens(self, text: str) -> int | None:
        self.counted.append(text)
        return len(text.split()) + self.bos

    def context_window(self) -> int | None:
        return self.window

    def generate(self, prompt: str, params: Params) -> Generation:
        raise AssertionError("not used")

    def stream(self, prompt: str, params: Params) -> Iterator[str]:
        raise AssertionError("not used")
