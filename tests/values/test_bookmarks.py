"""Bookmarks: a name for a node, pure Session transitions, kept in session files,
shown in the tree; bad names are ParamsErrors that say what a name may be."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from complete import Completer, ParamsError, Session, StoryFormatError
from complete.display.tree_view import TreeView
from complete.interchange.session_json import read_session, session_dict, session_from_dict, write_session
from complete.testing import ScriptedTransport

RULE = "expected a bookmark name: 1 to 40 characters, no line breaks or tabs, no spaces at either end"


def written() -> Session:
    session = Session.start("Once upon a time").append("a fox ran.").bookmark("fox")
    return session.append("It hid.").append("It slept.")


def test_a_bookmark_names_the_current_node_and_checkout_goes_back_to_it() -> None:
    session = written()
    fox = session.current.parent.parent  # type: ignore[union-attr]
    assert dict(session.bookmarks) == {"fox": fox}
    assert session.bookmarks["fox"] is fox
    back = session.checkout("fox")
    assert back.current is fox
    assert session.current.text == "Once upon a time a fox ran. It hid. It slept."  # the session is a value
    assert back.bookmark("fox") is back  # the same node again: nothing changes
    both = back.bookmark("start of it")
    assert list(both.bookmarks) == ["fox", "start of it"]
    assert both.unbookmark("fox").bookmarks == {"start of it": fox}
    assert both.bookmarks == {"fox": fox, "start of it": fox}


def test_bookmarked_nodes_are_in_the_tree_even_when_given_from_outside() -> None:
    other = Session.start("Elsewhere").append("far away.").current
    session = Session(current=written().current, bookmarks={"away": other})
    assert session.nodes.knows(other)
    assert session.checkout("away").current is other


@pytest.mark.parametrize(
    "name",
    ["", " fox", "fox ", "two\nlines", "tab\there", "x" * 41, 3, None],
)
def test_a_bad_name_says_what_a_name_may_be(name: object) -> None:
    with pytest.raises(ParamsError) as error:
        written().bookmark(name)  # type: ignore[arg-type]
    assert str(error.value) == f"name={name!r} is not allowed: {RULE}"


def test_a_name_in_use_elsewhere_is_refused_and_says_how_to_free_it() -> None:
    with pytest.raises(ParamsError) as error:
        written().bookmark("fox")
    assert str(error.value) == (
        "name='fox' is not allowed: expected a name not in use ('fox' names node #1). "
        "Free it with unbookmark('fox') first, or choose another name"
    )


def test_an_unknown_name_lists_the_bookmarks_and_guesses_a_misspelling() -> None:
    with pytest.raises(ParamsError) as error:
        written().checkout("fxo")
    assert str(error.value) == "name='fxo' is not allowed: expected one of the bookmarks: 'fox'. Did you mean 'fox'?"
    with pytest.raises(ParamsError) as error:
        Session.start("Once").checkout("fox")
    assert str(error.value) == (
        "name='fox' is not allowed: expected a bookmark, and there is none yet. bookmark(name) names the current node"
    )
    with pytest.raises(ParamsError) as error:
        written().unbookmark("wolf")
    assert str(error.value) == "name='wolf' is not allowed: expected one of the bookmarks: 'fox'"


def test_checkout_takes_a_node_index_as_the_tree_numbers_it() -> None:
    session = written()
    assert session.checkout(1).current is session.bookmarks["fox"]
    for bad in (4, -1):
        with pytest.raises(ParamsError) as error:
            session.checkout(bad)
        assert str(error.value) == f"story={bad} is not allowed: expected an integer from 0 to 3"
    with pytest.raises(ParamsError) as error:
        session.checkout(True)  # type: ignore[arg-type]
    assert str(error.value) == "story=True is not allowed: expected a Story, a bookmark's name or a node's index"


def test_the_tree_shows_bookmarks_in_text_and_in_the_drawing() -> None:
    session = written().checkout("fox").bookmark("start")
    assert str(TreeView.of(session)) == "\n".join(
        [
            "* #0 Once upon a time · prompt",
            "* #1 a fox ran. · writer ★ fox, start  ← here",
            "  #2 It hid. · writer",
            "  #3 It slept. · writer",
        ]
    )
    assert "★ fox, start</text></g>" in TreeView.of(session)._repr_html_()
    marked = session.checkout(0).bookmark("<i>me</i> & you")
    assert "★ &lt;i&gt;me&lt;/i&gt; &amp; y…</text></g>" in TreeView.of(marked)._repr_html_()


def test_bookmarks_are_saved_and_loaded_on_the_same_nodes(tmp_path: Path) -> None:
    path = tmp_path / "story.json"
    write_session(path, written().bookmark("end"))
    data = json.loads(path.read_text())
    assert (data["version"], data["bookmarks"]) == (3, {"fox": 1, "end": 3})
    loaded = read_session(path)
    assert list(loaded.bookmarks) == ["fox", "end"]
    assert loaded.bookmarks["fox"] is loaded.nodes[1]
    assert loaded.bookmarks["end"] is loaded.current
    assert loaded.checkout("fox").current.text == "Once upon a time a fox ran."


def test_a_version_2_file_without_bookmarks_still_loads() -> None:
    data = session_dict(written())
    del data["bookmarks"]
    data["version"] = 2
    loaded = session_from_dict(data)
    assert (dict(loaded.bookmarks), loaded.current.text) == ({}, "Once upon a time a fox ran. It hid. It slept.")


@pytest.mark.parametrize(
    ("bookmarks", "message"),
    [
        ({"fox": 9}, "bookmarks['fox']: no node has id 9"),
        ({" fox": 1}, f"bookmarks: name=' fox' is not allowed: {RULE}"),
        ([1], "bookmarks: expected an object, found list"),
    ],
)
def test_a_bad_bookmark_in_a_file_is_a_format_error(bookmarks: object, message: str) -> None:
    data = session_dict(written())
    data["bookmarks"] = bookmarks
    with pytest.raises(StoryFormatError) as error:
        session_from_dict(data)
    assert str(error.value) == message


def test_a_completer_bookmarks_checks_out_and_says_where(capsys: pytest.CaptureFixture[str]) -> None:
    bloom = Completer("Once upon a time", transport=ScriptedTransport([" a fox.", " It ran."]), stream=False)
    bloom()
    bloom.bookmark("fox")
    bloom()
    capsys.readouterr()
    bloom.checkout("fox")
    assert bloom.text == "Once upon a time a fox."
    assert bloom.bookmarks == {"fox": bloom.story}
    bloom.bookmark("again")
    assert capsys.readouterr().out.splitlines()[-1] == "Bookmark 'again': node #1."
    bloom.checkout(2)
    assert bloom.text == "Once upon a time a fox. It ran."
    bloom.unbookmark("fox")
    assert list(bloom.bookmarks) == ["again"]
