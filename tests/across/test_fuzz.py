"""Property tests: whatever comes in, only the documented errors come out.

- The response parsers of ``hf.py`` and ``openai.py`` (generate and stream, every
  status, any content type, any ``Retry-After`` / ``x-prompt-tokens`` /
  ``X-Error-Message`` header, any body cut into any reads) either return a valid
  ``Generation`` or raise a ``CompleteError``: for a success status only
  ``ResponseError`` / ``TransportError`` (or an ``APIError`` when the body speaks of
  an error), for an error status the ``AuthError`` / ``APIError`` of that status.
- The SSE reader gives the same result however arbitrary bytes are cut into reads.
- ``Params.from_dict`` on arbitrary dicts raises only ``ParamsError``, and what it
  accepts round-trips.
- ``Story.from_dict`` and session loading on arbitrary JSON, and on valid files
  with one field broken, raise only ``StoryFormatError``.
- Saving and loading a session round-trips arbitrary trees exactly, through
  ``write_session`` and through ``Completer.save`` / ``Completer.load``.

Every test sets ``max_examples`` explicitly; ``EXAMPLES`` adds them up (2,205
examples in all) and a test keeps the sum honest. Transports run against a fake
``requests`` session that answers from memory, so thousands of answers take
seconds; the loopback server is for ``test_faults.py``.
"""

from __future__ import annotations

import contextlib
import io
import json
import math
import os
from pathlib import Path
from typing import Any

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from complete.completer import Completer
from complete.errors import (
    APIError,
    AuthError,
    CompleteError,
    ParamsError,
    ResponseError,
    StoryFormatError,
    TransportError,
)
from complete.interchange.session_json import read_session, session_dict, session_from_dict, write_session
from complete.testing import ScriptedTransport
from complete.transports.hf.inference import HFInference
from complete.transports.http.sse import iter_events
from complete.transports.openai.completions import OpenAICompletions
from complete.values.generation import Generation
from complete.values.params import Params
from complete.values.story import Story
from complete.writing.session import Session
from complete.writing.window import Window
from tests.helpers.responses import response
from tests.helpers.strategies import json_values, params_strategy, story_nodes
from tests.helpers.streams import drain

EXAMPLES: dict[str, int] = {}
"""Test name -> the max_examples it runs (times its parametrizations)."""


def examples(name: str, count: int, cases: int = 1) -> Any:
    """``settings(max_examples=count)``, recorded in ``EXAMPLES``."""
    EXAMPLES[name] = count * cases
    return settings(max_examples=count, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


# -- transports fed arbitrary answers -------------------------------------------------------


class Reads(io.RawIOBase):
    """A body that arrives in exactly these reads."""

    def __init__(self, pieces: list[bytes]) -> None:
        self._pieces = [piece for piece in pieces if piece]

    def readable(self) -> bool:
        return True

    def read1(self, size: int = -1) -> bytes:
        if not self._pieces:
            return b""
        piece = self._pieces[0]
        if 0 < size < len(piece):
            self._pieces[0] = piece[size:]
            return piece[:size]
        return self._pieces.pop(0)

    def readinto(self, buffer: Any) -> int:
        data = self.read1(len(buffer))
        buffer[: len(data)] = data
        return len(data)


class AnswerSession:
    """A ``requests.Session`` stand-in answering every request with the same answer."""

    def __init__(self, status: int, headers: dict[str, str], pieces: list[bytes]) -> None:
        self.status = status
        self.headers = headers
        self.pieces = pieces
        self.requests = 0

    def request(self, method: str, url: str, **kwargs: Any) -> requests.Response:
        assert kwargs["timeout"] is not None
        self.requests += 1
        return response(Reads(list(self.pieces)), status=self.status, headers=self.headers, reason="Scripted", url=url)


HF_FRAGMENTS = [
    b"data:",
    b"data: ",
    b": keep-alive",
    b"\n",
    b"\r\n",
    b"\r",
    b"{",
    b"}",
    b"[",
    b"]",
    b'"token":',
    b'{"text":" a","special":false,"logprob":-1}',
    b'"generated_text":',
    b'" a"',
    b'"details":{"finish_reason":"length","generated_tokens":1,"tokens":[{"text":" a","logprob":-1}]}',
    b'"top_tokens":[[{"text":" b","logprob":-2}]]',
    b"null",
    b'"error":"x"',
    b'"error_type":"overloaded"',
    b'"estimated_time":1e400',
    b'"`inputs` tokens + `max_new_tokens` must be <= 9999999999999999999999. Given: 3 `inputs` tokens"',
    b",",
    b"[DONE]",
    b"\xff",
    b"\xc3",
]
"""Moved here from test_hf.py (its arbitrary-bytes stream test, now one case of the test below), and extended."""
OPENAI_FRAGMENTS = [
    b"data: ",
    b"data: [DONE]",
    b"\n\n",
    b"\r\n",
    b"{",
    b"}",
    b",",
    b'"choices":',
    b'[{"text":" a","finish_reason":null}]',
    b'[{"text":" b","finish_reason":"stop","stop_reason":null}]',
    b'[{"text":3}]',
    b"[]",
    b'"usage":{"prompt_tokens":1,"completion_tokens":-2}',
    b'"logprobs":{"tokens":["a"],"token_logprobs":[-1],"top_logprobs":[{"a":-1,"b":"x"}]}',
    b'"logprobs":{"content":[{"token":"a","logprob":-1,"top_logprobs":[{"token":"b"}]}]}',
    b'"error":{"message":"x","code":"context_length_exceeded","n_ctx":4096}',
    b'"error":{"message":"maximum context length is 99999999999999999999999","code":503}',
    b'"object":"error"',
    b'"model":"m"',
    b"null",
    b"\xff",
    b"\xe2\x82",
]
CONTENT_TYPES = [
    "application/json",
    "text/event-stream",
    "text/event-stream; charset=utf-8",
    "text/html",
    "text/plain",
    "application/octet-stream",
    "",
]
HEADER_TEXT = st.text(st.characters(min_codepoint=32, max_codepoint=255), max_size=30)
STATUSES = st.sampled_from([200, 200, 200, 201, 204, 301, 307, 400, 401, 403, 404, 410, 413, 422, 424, 429, 500, 503])


@st.composite
def answers(draw: st.DrawFn, fragments: list[bytes]) -> tuple[int, dict[str, str], list[bytes]]:
    status = draw(STATUSES | st.integers(200, 599))
    headers = {"Content-Type": draw(st.sampled_from(CONTENT_TYPES) | HEADER_TEXT)}
    optional = {
        "Retry-After": st.sampled_from(
            ["7", "1e400", "nan", "-3", "Wed, 21 Oct 2015 07:28:00 GMT", "Mon, 01 Jan 99999"]
        )
        | HEADER_TEXT,
        "x-prompt-tokens": st.sampled_from(["12", "²", "9" * 5000, "-1"]) | HEADER_TEXT,
        "X-Error-Message": HEADER_TEXT,
        "Location": HEADER_TEXT,
    }
    for name, values in optional.items():
        if draw(st.booleans()):
            headers[name] = draw(values)
    body = draw(st.binary(max_size=400) | st.lists(st.sampled_from(fragments), max_size=40).map(b"".join))
    if status in (204, 304):
        body = b""  # these have no body by definition (HTTP/1.1): urllib3 reads none
    cuts = sorted(set(draw(st.lists(st.integers(0, len(body)), max_size=6))))
    pieces = [body[start:end] for start, end in zip([0, *cuts], [*cuts, len(body)], strict=True)]
    return status, headers, pieces


def call(transport: Any, mode: str) -> Generation | CompleteError:
    """Generate, or read a whole stream; the Generation, or the error raised."""
    try:
        if mode == "generate":
            generation = transport.generate("Once", Params(logprobs=2))
        else:
            pieces, generation = drain(transport.stream("Once", Params(logprobs=2)))
            assert "".join(pieces) == generation.text
    except CompleteError as error:
        return error
    assert isinstance(generation, Generation)
    assert isinstance(generation.text, str)
    return generation


def check(outcome: Generation | CompleteError, status: int, body: bytes, success: bool) -> None:
    if not success:
        assert isinstance(outcome, AuthError | APIError), outcome
        assert outcome.status == status
        return
    if isinstance(outcome, CompleteError):
        allowed: tuple[type[CompleteError], ...] = (ResponseError, TransportError)
        if b"error" in body or b"\\u" in body:  # the body says it is an error
            allowed += (APIError,)
        assert isinstance(outcome, allowed), outcome


TRANSPORTS = {
    "hf-serverless": (lambda session: HFInference("gpt2", base_url="http://fuzz/models", session=session), "hf"),
    "hf-endpoint": (lambda session: HFInference(endpoint="http://fuzz", session=session), "hf"),
    "openai": (lambda session: OpenAICompletions("http://fuzz/v1", "m", server="openai", session=session), "openai"),
    "llama.cpp": (lambda session: OpenAICompletions("http://fuzz/v1", server="llama.cpp", session=session), "openai"),
}
TRANSPORT_EXAMPLES = 125


@pytest.mark.parametrize("mode", ["generate", "stream"])
@pytest.mark.parametrize("name", TRANSPORTS)
@examples("test_transports_fed_arbitrary_answers_raise_only_typed_errors", TRANSPORT_EXAMPLES, len(TRANSPORTS) * 2)
@given(data=st.data())
def test_transports_fed_arbitrary_answers_raise_only_typed_errors(name: str, mode: str, data: st.DataObject) -> None:
    build, family = TRANSPORTS[name]
    status, headers, pieces = data.draw(answers(HF_FRAGMENTS if family == "hf" else OPENAI_FRAGMENTS))
    session = AnswerSession(status, headers, pieces)
    outcome = call(build(session), mode)
    success = 200 <= status < 300
    check(outcome, status, b"".join(pieces), success)
    assert session.requests <= (2 if name == "llama.cpp" else 1)  # llama.cpp may probe once


# -- the SSE reader ----------------------------------------------------------------------

SSE_EXAMPLES = 400


def read_events(chunks: list[bytes]) -> tuple[list[Any], bool]:
    """The events read, and whether the reader raised ``ResponseError`` (nothing else)."""
    found: list[Any] = []
    try:
        for event in iter_events(chunks):
            found.append(event)
    except ResponseError:
        return found, True
    return found, False


@examples("test_sse_gives_the_same_result_however_arbitrary_bytes_are_cut", SSE_EXAMPLES)
@given(
    st.binary(max_size=200) | st.lists(st.sampled_from(HF_FRAGMENTS + OPENAI_FRAGMENTS), max_size=30).map(b"".join),
    st.lists(st.integers(0, 200), max_size=8),
)
def test_sse_gives_the_same_result_however_arbitrary_bytes_are_cut(stream: bytes, cuts: list[int]) -> None:
    points = sorted({min(cut, len(stream)) for cut in cuts})
    chunks = [stream[start:end] for start, end in zip([0, *points], [*points, len(stream)], strict=True)]
    whole, whole_failed = read_events([stream])
    cut, cut_failed = read_events(chunks)
    assert cut_failed == whole_failed
    if whole_failed:
        assert cut[: len(whole)] == whole  # cut finer, it may deliver more before the bad bytes
    else:
        assert cut == whole
    for event in cut:
        assert "\r" not in event.event
        assert "\n" not in event.event


# -- parameters ----------------------------------------------------------------------

anything = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(max_size=8)
    | st.binary(max_size=8)
    | st.just(object())
    | st.sampled_from([10**400, -(10**400), 2**32, 2**32 - 1, 2**64, 1e308, -0.0, math.inf]),
    lambda inner: (
        st.lists(inner, max_size=3) | st.tuples(inner) | st.dictionaries(st.text(max_size=4), inner, max_size=3)
    ),
    max_leaves=6,
)
FIELDS = [
    "temperature",
    "top_k",
    "top_p",
    "max_new_tokens",
    "repetition_penalty",
    "seed",
    "stop",
    "do_sample",
    "logprobs",
]
PARAMS_EXAMPLES = 300


@examples("test_params_from_arbitrary_dicts_raise_only_params_error", PARAMS_EXAMPLES)
@given(st.dictionaries(st.sampled_from(FIELDS) | st.text(max_size=12), anything, max_size=5))
def test_params_from_arbitrary_dicts_raise_only_params_error(data: dict[str, Any]) -> None:
    try:
        params: Params | ParamsError = Params.from_dict(data)
    except ParamsError as error:
        params = error
    if isinstance(params, ParamsError):
        assert params.field in data  # the error names the field at fault
    else:
        assert Params.from_dict(json.loads(json.dumps(params.to_dict()))) == params


# -- stories and sessions from arbitrary JSON ----------------------------------------------------------


@st.composite
def broken(draw: st.DrawFn, valid: Any) -> Any:
    """``valid`` JSON data with one value replaced by arbitrary JSON, or one key deleted."""
    slots: list[tuple[Any, Any]] = []

    def walk(value: Any) -> None:
        items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
        for key, inner in items:
            slots.append((value, key))
            walk(inner)

    walk(valid)
    container, key = draw(st.sampled_from(slots))
    if isinstance(container, dict) and draw(st.booleans()):
        del container[key]
    else:
        container[key] = draw(json_values | st.sampled_from([10**400, -1, 2**63, "", [], {}]))
    return valid


segments = st.text(max_size=12)


@st.composite
def sessions(draw: st.DrawFn) -> Session:
    """A whole tree of every kind of node, a position, a redo list and settings."""
    nodes = draw(story_nodes(segments, params_strategy))
    window = Window(
        memory=draw(segments),
        note=draw(segments),
        note_depth=draw(st.integers(0, 10)),
        size=draw(st.none() | st.integers(1, 10**6)),
    )
    backend = draw(st.dictionaries(st.text(max_size=6), json_values, max_size=3))
    return Session(
        nodes=tuple(nodes),
        current=draw(st.sampled_from(nodes)),
        undone=tuple(draw(st.lists(st.sampled_from(nodes), max_size=3))),
        params=draw(params_strategy),
        window=window,
        backend=backend,
    )


STORY_EXAMPLES = 125


@examples("test_story_from_a_broken_story_dict_raises_only_story_format_error", STORY_EXAMPLES)
@given(st.data())
def test_story_from_a_broken_story_dict_raises_only_story_format_error(data: st.DataObject) -> None:
    session = data.draw(sessions())
    valid = json.loads(json.dumps(session.current.to_dict()))
    with contextlib.suppress(StoryFormatError):
        Story.from_dict(data.draw(broken(valid)))


SESSION_EXAMPLES = 125


@examples("test_loading_a_broken_session_raises_only_story_format_error", SESSION_EXAMPLES)
@given(st.data())
def test_loading_a_broken_session_raises_only_story_format_error(data: st.DataObject) -> None:
    valid = json.loads(json.dumps(session_dict(data.draw(sessions()))))
    with contextlib.suppress(StoryFormatError):
        session_from_dict(data.draw(broken(valid)))


ARBITRARY_EXAMPLES = 125


@examples("test_loading_arbitrary_json_raises_only_story_format_error", ARBITRARY_EXAMPLES)
@given(
    st.fixed_dictionaries(
        {"format": st.just("complete.session") | json_values, "version": st.just(1) | json_values},
        optional={
            "nodes": st.lists(st.dictionaries(st.sampled_from(["id", "parent", "segment", "origin"]), json_values))
            | json_values,
            "current": json_values,
            "redo": json_values,
            "params": json_values,
            "window": json_values,
            "backend": json_values,
        },
    )
    | json_values
    | st.binary(max_size=40)
)
def test_loading_arbitrary_json_raises_only_story_format_error(tmp_path: Path, data: Any) -> None:
    path = tmp_path / "arbitrary.json"
    path.write_bytes(data if isinstance(data, bytes) else json.dumps(data).encode())
    with contextlib.suppress(StoryFormatError):
        read_session(path)
    with contextlib.suppress(StoryFormatError):
        session_from_dict(data)


def test_deeply_nested_json_in_a_session_is_a_story_format_error(tmp_path: Path) -> None:
    for depth in (100, 900, 5000):
        nested = "[" * depth + "]" * depth
        for field in ("params", "window", "backend", "current"):
            path = tmp_path / f"{field}-{depth}.json"
            path.write_text(
                '{"format": "complete.session", "version": 1, "current": 0, '
                f'"nodes": [{{"id": 0, "parent": null, "segment": "a", "origin": "prompt"}}], "{field}": {nested}}}'
            )
            with pytest.raises(StoryFormatError) as caught:
                read_session(path)
            assert str(caught.value).startswith(f"{path}: ")


# -- save and load round trips ----------------------------------------------------------

ROUND_TRIP_EXAMPLES = 80


@pytest.fixture
def no_fsync(monkeypatch: pytest.MonkeyPatch) -> None:
    """Saves skip the wait for the disk (12 ms each here): what is written, and how it
    is read back, is the same; that a save survives a crash is test_session's business."""
    monkeypatch.setattr(os, "fsync", lambda descriptor: None)


def parents(nodes: tuple[Story, ...]) -> list[int | None]:
    index = {id(node): i for i, node in enumerate(nodes)}
    return [None if node.parent is None else index[id(node.parent)] for node in nodes]


def same_tree(loaded: Session, session: Session) -> None:
    """``loaded`` is ``session``: the same nodes in the same order, the same parent
    links (by identity, not only equal text), position, redo list and settings."""
    assert loaded.nodes == session.nodes  # sessions() makes parents before children, as files list them
    assert parents(loaded.nodes) == parents(session.nodes)
    for twin, node in zip(loaded.nodes, session.nodes, strict=True):
        elapsed = twin.generation.elapsed if twin.generation else None  # not part of equality, but saved
        assert elapsed == (node.generation.elapsed if node.generation else None)
    assert loaded.current == session.current
    assert loaded.undone == session.undone
    assert (loaded.params, loaded.window, dict(loaded.backend)) == (session.params, session.window, session.backend)


@examples("test_sessions_of_arbitrary_trees_round_trip_exactly", ROUND_TRIP_EXAMPLES)
@given(sessions())
def test_sessions_of_arbitrary_trees_round_trip_exactly(tmp_path: Path, no_fsync: None, session: Session) -> None:
    path = tmp_path / "session.json"
    write_session(path, session)
    loaded = read_session(path)
    same_tree(loaded, session)
    write_session(path, loaded)
    again = read_session(path)
    assert session_dict(again) == session_dict(loaded)


COMPLETER_EXAMPLES = 50


@examples("test_a_completer_saved_and_loaded_is_the_same_tree", COMPLETER_EXAMPLES)
@given(sessions())
def test_a_completer_saved_and_loaded_is_the_same_tree(tmp_path: Path, no_fsync: None, session: Session) -> None:
    path = tmp_path / "completer.json"
    write_session(path, session)
    bloom = Completer.load(path, transport=ScriptedTransport([]))
    bloom.save(path)
    reloaded = Completer.load(path, transport=ScriptedTransport([]))
    assert (reloaded.story, reloaded.params, reloaded.window) == (session.current, session.params, session.window)
    assert set(reloaded.nodes) == {node for start in session.nodes for node in start.path} | {
        node for start in (session.current, *session.undone) for node in start.path
    }
    assert [story.text for story in reloaded.session.undone] == [story.text for story in session.undone]


# -- the count of examples ------------------------------------------------------------------------


def test_the_examples_add_up() -> None:
    assert EXAMPLES == {
        "test_transports_fed_arbitrary_answers_raise_only_typed_errors": 1000,
        "test_sse_gives_the_same_result_however_arbitrary_bytes_are_cut": 400,
        "test_params_from_arbitrary_dicts_raise_only_params_error": 300,
        "test_story_from_a_broken_story_dict_raises_only_story_format_error": 125,
        "test_loading_a_broken_session_raises_only_story_format_error": 125,
        "test_loading_arbitrary_json_raises_only_story_format_error": 125,
        "test_sessions_of_arbitrary_trees_round_trip_exactly": 80,
        "test_a_completer_saved_and_loaded_is_the_same_tree": 50,
    }
    assert sum(EXAMPLES.values()) == 2205
