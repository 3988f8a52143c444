"""A whole writing session driven through Session values alone, on a scripted backend."""

from __future__ import annotations

from typing import Any

import pytest

from complete import Generation, Params, Session, TokenLogprob, TransportError, Window
from complete.testing import Cut, ScriptedTransport
from complete.writing.continuing import alternatives, continued, retried, send, send_many, stream, swapped


def fingerprint(session: Session) -> tuple[Any, ...]:
    """Everything a session holds, with nodes by identity: equal fingerprints, same value."""
    return (
        id(session.current),
        tuple(map(id, session.nodes)),
        tuple(map(id, session.undone)),
        tuple(map(id, session.offered)),
        session.params,
        session.window,
        dict(session.backend),
        id(session.last_request),
        session.new_from,
    )


SKY = Generation(
    text=" the sky fell",
    backend="scripted",
    model="scripted",
    logprobs=[TokenLogprob(token, -0.5) for token in (" the", " sky", " fell")],
)


def test_a_whole_session_through_session_functions_alone() -> None:
    transport = ScriptedTransport(
        [" the lamp.", " the fire.", " the stove.", " She waited.", " a", " b", " c", SKY, " gently."]
    )
    seen: list[tuple[Session, tuple[Any, ...]]] = []

    def keep(session: Session) -> Session:
        seen.append((session, fingerprint(session)))
        return session

    start = keep(Session.start("The keeper lit", params=Params(seed=7), window=Window(memory="Mara keeps the light.")))
    one = keep(continued(start, transport))
    two = keep(retried(one, transport))
    three = keep(retried(two, transport, temperature=0.5))
    assert [node.segment for node in three.siblings] == [" the lamp.", " the fire."]
    back = keep(three.undo())
    forward = keep(back.redo())
    assert forward.current is three.current
    mine = keep(forward.append("Night fell."))
    waited = keep(continued(mine, transport, max_new_tokens=8))
    offered, failed = alternatives(waited, transport, 3)
    keep(offered)
    chosen = keep(offered.choose([story.segment for story in offered.offered].index(" c")))  # asked at once
    sky = keep(continued(chosen.set(logprobs=1), transport))
    branch = keep(swapped(sky, transport, 1, " sea"))
    old = keep(branch.checkout(one.current))

    assert failed == ()
    seeds = [params.seed for _, params in transport.calls]
    assert (seeds[:4], sorted(seeds[4:7]), seeds[7:]) == ([7, 8, 9, 7], [7, 8, 9], [7, 7])
    assert [params for _, params in transport.calls][2] == Params(seed=9, temperature=0.5)
    assert transport.calls[3] == (
        "Mara keeps the light.\nThe keeper lit the stove. Night fell.",
        Params(seed=7, max_new_tokens=8),
    )
    assert chosen.current.text == "The keeper lit the stove. Night fell. She waited. c"
    assert branch.current.text == "The keeper lit the stove. Night fell. She waited. c the sea gently."
    assert transport.calls[-1][0] == "Mara keeps the light.\n" + branch.current.parent.text  # type: ignore[union-attr]
    assert [node.origin for node in branch.history[-4:]] == ["model", "model", "user", "model"]
    assert old.current.text == "The keeper lit the lamp."
    assert len(old.nodes) == 13  # 3 tries, 2 more nodes, 3 alternatives, 1, and the 3 of the swap
    assert [node.segment for node in old.children] == []
    assert old.undo().children == (one.current, two.current, three.current)
    assert sky.last_request is not None
    assert sky.last_request.params == Params(seed=7, logprobs=1)
    for session, before in seen:  # every value is as it was made, whatever came after
        assert fingerprint(session) == before


def test_stream_passes_the_pieces_on_and_ends_with_the_new_session() -> None:
    start = Session.start("Hi")
    pieces: list[str] = []
    transport = ScriptedTransport([" there, you"])
    result = stream(start, start.request(transport), transport, pieces.append)
    assert pieces == [" there,", " you"]
    assert (result.session.current.text, result.interrupted) == ("Hi there, you", False)
    assert result.story is result.session.current


def test_an_interrupted_stream_keeps_what_arrived() -> None:
    start = Session.start("Hi")
    transport = ScriptedTransport([Cut(" there, you", KeyboardInterrupt()), Cut("", KeyboardInterrupt())])
    kept = stream(start, start.request(transport), transport, lambda piece: None)
    assert kept.interrupted
    assert (kept.session.current.text, kept.session.current.interrupted) == ("Hi there, you", True)
    assert kept.story is kept.session.current
    nothing = stream(start, start.request(transport), transport, lambda piece: None)
    assert (nothing.interrupted, nothing.story, nothing.session) == (True, None, start)


def test_an_interrupt_while_a_piece_is_shown_keeps_the_pieces_so_far() -> None:
    start = Session.start("Hi")
    transport = ScriptedTransport([" one two three"])

    def show(piece: str) -> None:
        if piece == " two":
            raise KeyboardInterrupt

    kept = stream(start, start.request(transport), transport, show)
    assert kept.session.current.text == "Hi one two"


def test_a_failure_leaves_the_session_as_it_was_with_the_text_on_the_error() -> None:
    start = Session.start("Hi")
    before = fingerprint(start)
    transport = ScriptedTransport([Cut(" half", TransportError("cut")), TransportError("refused")])
    with pytest.raises(TransportError) as caught:
        stream(start, start.request(transport), transport, lambda piece: None)
    assert caught.value.partial == " half"
    with pytest.raises(TransportError, match="refused"):
        send(start, start.request(transport), transport)
    assert fingerprint(start) == before


def test_an_empty_continuation_comes_back_but_is_not_added() -> None:
    start = Session.start("Hi")
    transport = ScriptedTransport([""])
    result = send(start, start.request(transport), transport)
    assert result.story is not None
    assert (result.story.segment, result.session.current) == ("", start.current)


def test_nothing_to_retry_or_swap_gives_the_same_session() -> None:
    start = Session.start("Hi").append("there")
    transport = ScriptedTransport([])
    assert retried(start, transport) is start
    assert swapped(start, transport, 0, " x") is start
    assert transport.calls == []


def test_alternatives_keep_the_ones_that_came_and_report_the_others() -> None:
    start = Session.start("Hi", params=Params(seed=1))
    transport = ScriptedTransport([" a", TransportError("refused"), " c"])
    offered, failed = send_many(start, start.alternative_requests(transport, 3), transport)
    assert [story.segment for story in offered.offered] == [" a", " c"]
    assert [str(error) for error in failed] == ["refused"]
    assert offered.current is start.current
    everything_fails = ScriptedTransport([TransportError("one"), TransportError("two")])
    with pytest.raises(TransportError, match="one"):
        alternatives(start, everything_fails, 2)
