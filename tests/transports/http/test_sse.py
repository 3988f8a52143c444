"""The SSE reader: parsed by the spec, however the bytes are cut into reads."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from complete import ResponseError
from complete.transports.http import sse
from complete.transports.http.sse import Event, iter_events


def events(*chunks: bytes) -> list[Event]:
    return list(iter_events(chunks))


def datas(*chunks: bytes) -> list[str]:
    return [event.data for event in iter_events(chunks)]


def every_split(stream: bytes) -> list[list[bytes]]:
    """The stream cut once at every byte boundary, and cut into single bytes."""
    cuts = [[stream[:at], stream[at:]] for at in range(len(stream) + 1)]
    return [*cuts, [bytes([byte]) for byte in stream]]


def test_data_with_and_without_the_space_are_the_same_field() -> None:
    assert datas(b"data:x\n\ndata: x\n\ndata:  x\n\n") == ["x", "x", " x"]


def test_only_one_leading_space_is_dropped_and_colons_in_the_value_are_kept() -> None:
    assert datas(b'data: {"a": "b:c"}\n\n') == ['{"a": "b:c"}']


def test_comment_lines_are_ignored() -> None:
    assert datas(b": ping\n\n:\ndata: x\n: keep-alive\n\n") == ["x"]


@pytest.mark.parametrize("end", [b"\n", b"\r\n", b"\r"], ids=["LF", "CRLF", "CR"])
def test_every_line_ending_dispatches(end: bytes) -> None:
    stream = b"data: a" + end + b"data: b" + end + end + b"data: c" + end + end
    assert datas(stream) == ["a\nb", "c"]


def test_line_endings_may_be_mixed_in_one_stream() -> None:
    assert datas(b"data: a\r\n\rdata: b\n\r\ndata: c\r\r") == ["a", "b", "c"]


def test_a_cr_at_the_end_of_a_read_waits_for_a_possible_lf() -> None:
    # "\r" then "\n" in the next read is ONE line end: a single blank line would
    # otherwise dispatch "a" early and then see a stray empty line.
    assert events(b"data: a\r", b"\ndata: b\r", b"\n\r", b"\n") == [Event("a\nb")]


def test_a_lone_cr_at_the_end_of_a_read_followed_by_text_ends_the_line() -> None:
    assert datas(b"data: a\r", b"\r", b"data: b\r\r") == ["a", "b"]


def test_multiline_data_is_joined_with_newlines() -> None:
    assert datas(b"data: first\ndata:\ndata: third\n\n") == ["first\n\nthird"]


def test_an_event_with_only_an_empty_data_line_is_dispatched_empty() -> None:
    assert events(b"data:\n\n") == [Event("")]


def test_blank_lines_without_data_dispatch_nothing() -> None:
    assert events(b"\n\n\r\n\revent: ping\n\nid: 3\n\n") == []


def test_event_name_and_last_id_are_kept() -> None:
    stream = b"event: token\nid: 7\ndata: x\n\ndata: y\n\nid\ndata: z\n\n"
    assert events(stream) == [Event("x", "token", "7"), Event("y", "message", "7"), Event("z", "message", "")]


def test_an_id_with_a_nul_is_ignored() -> None:
    assert events(b"id: 1\n\nid: 2\x003\ndata: x\n\n") == [Event("x", "message", "1")]


def test_a_field_without_a_colon_is_a_name_with_an_empty_value() -> None:
    assert events(b"data\ndata\n\n") == [Event("\n")]


def test_unknown_fields_and_retry_are_ignored() -> None:
    assert datas(b"retry: 100\nfoo: bar\ndata: x\n\n") == ["x"]


def test_a_leading_byte_order_mark_is_dropped_once() -> None:
    assert datas(b"\xef\xbb\xbfdata: x\n\n") == ["x"]
    assert events(b"\xef\xbb\xbf", b"\xef\xbb\xbfdata: x\n\n") == []  # the second BOM starts a field name


def test_an_incomplete_last_event_is_discarded() -> None:
    assert datas(b"data: a\n\ndata: b\n") == ["a"]
    assert datas(b"data: a\n\ndata: b") == ["a"]
    assert datas(b"data: a\n\ndata: b\r") == ["a"]


def test_a_character_cut_by_the_end_of_the_stream_is_an_incomplete_event_not_bad_utf8() -> None:
    assert datas(b"data: a\n\ndata: \xe2\x82") == ["a"]


@pytest.mark.parametrize(
    "stream",
    [
        b'data: {"text": "caf\xc3\xa9"}\r\n\r\n: ping\r\n\r\ndata:\xe2\x82\xac \xf0\x9f\x93\x96\r\ndata: x\r\r\n\n',
        b"event: e\nid: 1\ndata: one\n\ndata: [DONE]\n\n",
    ],
)
def test_events_split_at_every_byte_boundary_are_the_same(stream: bytes) -> None:
    whole = events(stream)
    assert len(whole) >= 2
    for chunks in every_split(stream):
        assert list(iter_events(chunks)) == whole


def test_multibyte_characters_split_across_reads_are_joined() -> None:
    euro = "€".encode()
    assert datas(b"data: " + euro[:1], euro[1:2], euro[2:] + b"\n\n") == ["€"]


@pytest.mark.parametrize(
    "chunks",
    [
        [b"data: \xff\n\n"],
        [b"data: \xc3\x28\n\n"],
        [b"data: ok\n\n", b"data: \xed\xa0\x80\n\n"],  # an encoded surrogate is not UTF-8
        [b"data: \xe2\x82", b"\x41\n\n"],  # a cut character continued by a non-continuation byte
    ],
)
def test_bytes_that_are_not_utf8_are_a_response_error(chunks: list[bytes]) -> None:
    with pytest.raises(ResponseError) as caught:
        list(iter_events(chunks))
    assert str(caught.value) == "the event stream is not valid UTF-8"


def test_events_before_bad_bytes_are_delivered_first() -> None:
    reader = iter_events([b"data: ok\n\n", b"\xff"])
    assert next(reader) == Event("ok")
    with pytest.raises(ResponseError):
        next(reader)


def test_a_line_longer_than_the_limit_is_a_response_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sse, "MAX_LINE_CHARS", 10)
    assert datas(b"data: 1234\n\n") == ["1234"]
    with pytest.raises(ResponseError) as caught:
        list(iter_events([b"data: 12345", b"6789"]))
    assert str(caught.value) == "an event-stream line is longer than 10 characters"


def test_events_are_yielded_as_soon_as_their_blank_line_arrives() -> None:
    reads: list[bytes] = []

    def network() -> object:
        for chunk in (b"data: a\n\n", b"data: b\n\n"):
            reads.append(chunk)
            yield chunk

    reader = iter_events(network())  # type: ignore[arg-type]
    assert next(reader) == Event("a")
    assert reads == [b"data: a\n\n"]


_FIELD = st.sampled_from([b"data", b"event", b"id", b"retry", b"", b":", b"dat"])
_VALUE = st.text(alphabet=st.characters(blacklist_characters="\r\n", blacklist_categories=["Cs"])).map(str.encode)
_END = st.sampled_from([b"\n", b"\r\n", b"\r"])
_LINE = st.tuples(_FIELD, st.sampled_from([b":", b": ", b""]), _VALUE, _END).map(b"".join)


@given(st.lists(_LINE, max_size=12), st.lists(st.integers(min_value=0, max_value=400), max_size=6))
def test_any_cutting_of_a_valid_stream_gives_the_same_events(lines: list[bytes], cuts: list[int]) -> None:
    stream = b"".join(lines)
    points = sorted({min(cut, len(stream)) for cut in cuts})
    chunks = [stream[start:end] for start, end in zip([0, *points], [*points, len(stream)], strict=True)]
    assert list(iter_events(chunks)) == list(iter_events([stream]))


@given(st.lists(st.binary(max_size=64), max_size=8))
def test_arbitrary_bytes_raise_nothing_but_response_error(chunks: list[bytes]) -> None:
    try:
        for event in iter_events(chunks):
            assert isinstance(event.data, str)
    except ResponseError:
        pass
