"""Session: the writing state as a value, and each pure operation on it."""

from __future__ import annotations

import pytest

from complete import Generation, Params, ParamsError, Session, Story, TokenLogprob, Window
from complete.testing import ScriptedTransport
from complete.writing.session import MAX_ALTERNATIVES, shifted_seed

TRANSPORT = ScriptedTransport([])


def _model(story: Story, text: str, **kwargs: object) -> Story:
    return story.extend(text, origin="model", generation=Generation(text=text), **kwargs)  # type: ignore[arg-type]


def test_start_reformats_the_prompt_and_takes_the_settings() -> None:
    session = Session.start("Once upon\na time", params=Params(seed=2), window=Window(memory="M"), backend={"b": 1})
    assert session.current.text == "Once upon a time"
    assert (session.params, session.window, session.backend) == (Params(seed=2), Window(memory="M"), {"b": 1})
    assert (session.nodes, session.undone, session.offered) == ((session.current,), (), ())
    assert (session.last_request, session.new_from) == (None, None)
    assert Session.start("a\nb", reformat=False).current.text == "a\nb"


def test_nodes_are_completed_with_every_ancestor_parents_first() -> None:
    root = Story.from_prompt("Once")
    a = root.extend(" a", origin="user")
    b = a.extend(" b", origin="user")
    other = root.extend(" c", origin="user")
    session = Session(current=b, undone=(other,))
    assert session.nodes == (root, a, b, other)
    assert [node is original for node, original in zip(session.nodes, (root, a, b, other), strict=True)] == [True] * 4
    assert session.children == ()
    assert Session(current=a).siblings == ()
    assert Session(current=a, nodes=[other]).siblings == (other,)


def test_append_adds_the_writers_words_and_marks_them() -> None:
    start = Session.start("It rained")
    session = start.append("all day.")
    assert session.current.text == "It rained all day."
    assert (session.current.origin, session.current.parent) == ("user", start.current)
    assert session.new_from == len("It rained")
    assert session.history == (start.current, session.current)
    with pytest.raises(ParamsError, match="some non-blank text to add"):
        session.append("  \n")


def test_undo_and_redo_move_and_do_nothing_at_the_ends() -> None:
    start = Session.start("A")
    two = start.append("b").append("c")
    back = two.undo().undo()
    assert back.current is start.current
    assert [node.segment for node in back.undone] == [" c", " b"]
    assert back.undo() is back
    assert (back.can_undo, back.can_redo, two.can_undo, two.can_redo) == (False, True, True, False)
    assert back.redo().redo().current is two.current
    assert two.redo() is two
    assert back.redo().new_from is None


def test_new_text_clears_the_redo_list_but_keeps_the_undone_nodes() -> None:
    undone = Session.start("A").append("b").undo()
    again = undone.append("c")
    assert again.undone == ()
    assert [node.segment for node in again.nodes] == ["A", " b", " c"]
    assert [node.segment for node in again.undo().children] == [" b", " c"]


def test_checkout_takes_any_story_and_adds_what_is_new() -> None:
    session = Session.start("A").append("b").undo()
    elsewhere = Story.from_prompt("Z").extend(" y", origin="user")
    moved = session.checkout(elsewhere)
    assert moved.current is elsewhere
    assert moved.undone == ()
    assert [node.segment for node in moved.nodes] == ["A", " b", "Z", " y"]
    assert moved.checkout(session.nodes[1]).nodes is moved.nodes  # a known node adds nothing
    with pytest.raises(ParamsError, match=r"story=2\.5 is not allowed: expected a Story, a bookmark's name or"):
        session.checkout(2.5)  # type: ignore[arg-type]
    with pytest.raises(ParamsError, match="name='Z' is not allowed: expected a bookmark, and there is none yet"):
        session.checkout("Z")  # a str is a bookmark's name


def test_set_and_set_window_check_their_names() -> None:
    session = Session.start("A")
    assert session.set(temperature=0.5).params == Params(temperature=0.5)
    assert session.set_window(memory="M", size=100).window == Window(memory="M", size=100)
    with pytest.raises(ParamsError, match="Did you mean 'temperature'"):
        session.set(temprature=0.5)
    with pytest.raises(ParamsError, match="max_tokens=9 is not allowed: expected a window setting: memory, note"):
        session.set_window(max_tokens=9)
    with pytest.raises(ParamsError, match="note_depth=-1"):
        session.set_window(note_depth=-1)


def test_the_request_holds_the_windowed_prompt_params_and_backend() -> None:
    session = Session.start("One.\n\nTwo.\n\nThree.", params=Params(seed=1), window=Window(note="[N]", note_depth=1))
    request = session.request(TRANSPORT, max_new_tokens=9)
    assert request.prompt.text == "One.\nTwo.\n[N]\nThree."
    assert request.params == Params(seed=1, max_new_tokens=9)
    assert request.backend == {"backend": "scripted", "model": "scripted"}
    assert (request.story, request.new_from) == (session.current, session.current.length)
    assert session.params == Params(seed=1)  # overrides are for the request only


def test_a_retry_request_continues_the_parent_with_a_shifted_seed() -> None:
    root = Story.from_prompt("A")
    first = _model(root, " one")
    session = Session(current=first, params=Params(seed=10))
    request = session.retry_request(TRANSPORT, top_k=3)
    assert request is not None
    assert (request.story, request.params, request.new_from) == (root, Params(seed=11, top_k=3), 1)
    two = Session(current=_model(root, " two"), nodes=[first], params=Params(seed=10))
    assert two.retry_request(TRANSPORT) is not None
    assert two.retry_request(TRANSPORT).params.seed == 12  # type: ignore[union-attr]
    assert session.append("mine").retry_request(TRANSPORT) is None
    assert Session.start("A").retry_request(TRANSPORT) is None
    with pytest.raises(ParamsError, match="Did you mean 'temperature'"):
        Session.start("A").retry_request(TRANSPORT, temprature=1)


def test_shifted_seed_wraps_and_leaves_an_unset_seed_alone() -> None:
    assert shifted_seed(Params(seed=2**64 - 1), 2) == Params(seed=1)
    assert shifted_seed(Params(seed=5), 0) == Params(seed=5)
    assert shifted_seed(Params(), 3) == Params()


def test_alternative_requests_share_a_prompt_and_shift_seeds_past_earlier_tries() -> None:
    root = Story.from_prompt("A")
    session = Session(current=root, nodes=[_model(root, " x")], params=Params(seed=3))
    requests = session.alternative_requests(TRANSPORT, 3)
    assert [request.params.seed for request in requests] == [4, 5, 6]
    assert {request.prompt.text for request in requests} == {"A"}
    for bad in (0, MAX_ALTERNATIVES + 1, True, 2.0):
        with pytest.raises(ParamsError, match=f"an integer from 1 to {MAX_ALTERNATIVES}"):
            session.alternative_requests(TRANSPORT, bad)  # type: ignore[arg-type]


def test_a_swap_request_continues_a_branch_from_the_swapped_in_token() -> None:
    tokens = [TokenLogprob(token, -1.0) for token in (" the", " sky", " fell")]
    root = Story.from_prompt("And then")
    story = root.extend(" the sky fell", origin="model", generation=Generation(text=" the sky fell", logprobs=tokens))
    session = Session(current=story).append("Rain.")
    request = session.swap_request(TRANSPORT, 1, " sea")
    assert request is not None
    assert request.story.text == "And then the sea"
    assert request.new_from == len("And then the")  # the swapped-in token is marked too
    assert Session.start("A").swap_request(TRANSPORT, 0, " x") is None
    with pytest.raises(ParamsError, match="an integer from 0 to 2"):
        session.swap_request(TRANSPORT, 3, " x")


def test_add_makes_the_continuation_current_and_clears_redo_and_offers() -> None:
    start = Session.start("A").append("b").undo()
    request = start.request(TRANSPORT)
    story = _model(start.current, " c")
    added = start.add(request, story)
    assert (added.current, added.undone, added.offered) == (story, (), ())
    assert (added.last_request, added.new_from, added.backend) == (request, 1, request.backend)
    assert added.nodes[-1] is story
    with pytest.raises(ParamsError, match="a continuation of the request's story"):
        start.add(request, _model(story, " d"))


def test_an_empty_continuation_is_not_added_but_the_request_is_recorded() -> None:
    start = Session.start("A")
    request = start.request(TRANSPORT)
    after = start.add(request, _model(start.current, ""))
    assert (after.current, after.nodes, after.last_request) == (start.current, start.nodes, request)


def test_an_interrupted_stream_becomes_a_flagged_model_node() -> None:
    start = Session.start("A", params=Params(seed=4))
    request = start.request(TRANSPORT)
    kept = start.add_interrupted(request, " half")
    assert kept.current.text == "A half"
    assert (kept.current.origin, kept.current.interrupted, kept.current.params) == ("model", True, Params(seed=4))
    assert kept.current.generation == Generation(text=" half", backend="scripted", model="scripted")
    assert start.add_interrupted(request, "").current is start.current


def test_offer_then_choose() -> None:
    start = Session.start("A").append("b").undo()
    request = start.request(TRANSPORT)
    stories = [_model(start.current, text) for text in (" x", " y")]
    offered = start.offer(request, stories)
    assert (offered.current, offered.offered, offered.undone) == (start.current, tuple(stories), start.undone)
    chosen = offered.choose(1)
    assert (chosen.current, chosen.offered, chosen.undone, chosen.new_from) == (stories[1], (), (), 1)
    with pytest.raises(ParamsError, match="an integer from 0 to 1"):
        offered.choose(2)
    with pytest.raises(ParamsError, match="call it first"):
        chosen.choose(0)
    with pytest.raises(ParamsError, match="continuations of the request's story"):
        start.offer(request, [_model(stories[0], " z")])


def test_operations_on_a_deep_and_wide_tree_stay_correct() -> None:
    session = Session.start("Once")
    for index in range(3000):
        session = session.append(f"w{index}")
        if index % 100 == 0:
            session = session.undo().append(f"v{index}")
    assert len(session.nodes) == 3031
    assert session.current.depth == 3000
    assert [node.segment for node in session.undo().children] == [" w2999"]
    assert [node.segment for node in session.history[1:3]] == [" v0", " w1"]
    forks = [node for node in session.nodes if len(session.nodes.children(node)) == 2]
    assert len(forks) == 30
