"""Every parameter has its range and every setting its type, checked before anything is sent.

Numbers a server would refuse (an int32 overflow, a float32 infinity) are a
``ParamsError`` at once; settings of the wrong type (``transport``, ``token``,
``stream``, ``reformat``, ``deadline``, file paths) fail at construction rather than
at the first call or by being taken as true; an address naming no host is refused
rather than retried. Retried errors say how long was waited over how many tries;
the OpenAI transport honours a loading model's ``estimated_time``; a story that
ends with one word too long for the window is a ``ContextLimitError``, not an empty
prompt blamed on the writer.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest

from complete import Completer
from complete.errors import CompleteError, ContextLimitError, ModelLoadingError, ParamsError, RateLimitError
from complete.testing import ScriptedTransport
from complete.transports.choice import choose
from complete.transports.hf.inference import HFInference
from complete.transports.openai.completions import OpenAICompletions
from complete.transports.retrying import RetryingTransport
from complete.values.params import Params
from tests.helpers.fault_server import FaultServer, fault_server, json_reply, openai_error

__all__ = ["fault_server"]

PROMPT = "The lighthouse keeper climbed the stairs one last time."


def completer(**settings: Any) -> Completer:
    return Completer(PROMPT, transport=ScriptedTransport([" and then"]), **settings)


BAD_PARAMS = [
    {"top_k": 10**100},
    {"top_k": 2**31},
    {"repetition_window": 10**20},
    {"dry_window": 2**40},
    {"dry_allowed_length": 2**33},
    {"max_new_tokens": 2**31},
    {"temperature": 1e39},
    {"repetition_penalty": 1e300},
    {"mirostat_tau": 3.5e38},
    {"mirostat_eta": 1e308},
    {"dry_multiplier": 1e100},
    {"dry_base": 1e40},
]


@pytest.mark.parametrize("bad", BAD_PARAMS, ids=lambda bad: next(iter(bad)))
def test_numbers_no_server_takes_are_refused_before_sending(bad: dict[str, Any]) -> None:
    name = next(iter(bad))
    with pytest.raises(ParamsError, match=rf"^{name}=.* is not allowed: .*at most") as caught:
        Params(**bad)
    assert caught.value.field == name
    transport = ScriptedTransport([" unused"])
    with pytest.raises(ParamsError):
        Completer(PROMPT, transport=transport, **bad)
    assert transport.calls == []


BAD_SETTINGS: list[tuple[str, Callable[[], object]]] = [
    ("transport", lambda: Completer(PROMPT, transport="nope")),  # type: ignore[arg-type]
    ("transport", lambda: Completer(PROMPT, transport=123)),  # type: ignore[arg-type]
    ("token", lambda: Completer(PROMPT, backend="hf", token=123)),  # type: ignore[arg-type]
    ("token", lambda: Completer(PROMPT, backend="hf", token=True)),  # type: ignore[arg-type]
    ("stream", lambda: completer(stream="no")),
    ("stream", lambda: completer(stream=1)),
    ("reformat", lambda: completer(reformat="no")),
    ("reformat", lambda: completer(reformat=None)),
    ("deadline", lambda: completer(deadline="abc")),
    ("deadline", lambda: completer(deadline=0)),
    ("stream", lambda: setattr(completer(), "stream", "yes")),
    ("path", lambda: completer().save(123)),  # type: ignore[arg-type]
    ("path", lambda: completer().export(123)),  # type: ignore[arg-type]
    ("path", lambda: completer().export_jsonl(None)),  # type: ignore[arg-type]
    ("path", lambda: completer().save("")),
    ("path", lambda: Completer.load(123)),  # type: ignore[arg-type]
    ("path", lambda: Completer.import_jsonl(3.5)),  # type: ignore[arg-type]
    ("path", lambda: Completer.import_kobold(b"story.json")),  # type: ignore[arg-type]
    ("endpoint", lambda: choose("tgi", url="http://")),
    ("endpoint", lambda: choose("tgi", url="http://:8080")),
    ("endpoint", lambda: choose("hf", url="http://127.0.0.1:99999")),
    ("base_url", lambda: choose("openai", url="https://")),
    ("base_url", lambda: OpenAICompletions("http://local host/v1")),
    ("hub_url", lambda: HFInference("gpt2", hub_url="https://?x")),
]


@pytest.mark.parametrize(("field", "attempt"), BAD_SETTINGS)
def test_settings_of_the_wrong_type_or_shape_fail_at_construction(field: str, attempt: Callable[[], object]) -> None:
    started = time.monotonic()
    with pytest.raises(ParamsError) as caught:
        attempt()
    assert caught.value.field == field
    assert time.monotonic() - started < 1.0  # refused, not retried


def test_retried_errors_say_how_long_was_waited_over_how_many_tries(fault_server: FaultServer) -> None:
    fault_server.always(json_reply(429, openai_error("Rate limit reached"), headers={"Retry-After": "1.5"}))
    waits: list[float] = []
    transport = RetryingTransport(
        OpenAICompletions(f"{fault_server.url}/v1", "m", server="openai"), attempts=3, sleep=waits.append
    )
    with pytest.raises(RateLimitError) as caught:
        transport.generate(PROMPT, Params(max_new_tokens=4))
    assert waits == [1.5, 1.5]
    assert str(caught.value) == (
        "HTTP 429: Rate limit reached\nGave up after 3 tries, having waited 3.0 s between them."
    )


def test_the_openai_transport_honours_a_loading_models_estimated_time(fault_server: FaultServer) -> None:
    fault_server.always(json_reply(503, {"error": "Model m is currently loading", "estimated_time": 7.5}))
    waits: list[float] = []
    transport = RetryingTransport(
        OpenAICompletions(f"{fault_server.url}/v1", "m", server="openai"), attempts=3, sleep=waits.append
    )
    with pytest.raises(ModelLoadingError) as caught:
        transport.generate(PROMPT, Params(max_new_tokens=4))
    assert caught.value.estimated_time == 7.5
    assert waits == [7.5, 7.5]


class CharacterCounter(ScriptedTransport):
    """A scripted model with a tokenizer of one token per character and a small window."""

    def count_tokens(self, text: str) -> int:
        return len(text)

    def context_window(self) -> int:
        return 2048


def test_a_story_ending_in_one_word_too_long_for_the_window_is_a_context_limit_error() -> None:
    transport = CharacterCounter([" unused"])
    bloom = Completer("a" * 1_000_000, transport=transport)
    with pytest.raises(ContextLimitError) as caught:
        bloom()
    assert str(caught.value).startswith(
        "the story ends with one word of 1000000 characters, longer than the window of 2048 tokens leaves room for"
    )
    assert transport.calls == []
    assert isinstance(caught.value, CompleteError)


def test_a_long_word_after_others_still_keeps_the_words_that_fit() -> None:
    transport = CharacterCounter([" and then"])
    bloom = Completer("x" * 5000 + " the end of it", transport=transport)
    bloom()
    assert transport.calls[0][0] == "the end of it"
