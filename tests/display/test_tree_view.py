"""The tree drawn: one SVG element per box with its node's index, the current path
marked, story text escaped; the same tree as text; small for large trees."""

from __future__ import annotations

import contextlib
import io
import random
import xml.etree.ElementTree as ET

from complete import Completer, Session, Story
from complete.display.tree_layout import lay_out
from complete.display.tree_view import TreeView, tree_svg
from complete.testing import ScriptedTransport
from complete.values.tree import Tree

SVG = "{http://www.w3.org/2000/svg}"


def branching_session() -> Session:
    root = Story.from_prompt("Once upon a time")
    fox = root.extend(" there was a <fox> & a 'hen'.", origin="model")
    ran, hid = fox.extend(" It ran.", origin="model"), fox.extend(" It hid.", origin="model")
    node = root.extend(" a dragon slept.", origin="user")
    for segment in (" It woke.", " It ate.", " It flew."):
        node = node.extend(segment, origin="model")
    return Session(current=hid, nodes=Tree([ran, hid, node]))


def random_session(size: int, seed: int = 7) -> Session:
    """``size`` nodes: mostly continuations of recent nodes, some branches further back."""
    chooser = random.Random(seed)
    nodes = [Story.from_prompt("It was a dark and stormy night")]
    while len(nodes) < size:
        parent = nodes[max(0, len(nodes) - 1 - int(chooser.expovariate(0.4)))]
        origin = chooser.choice(["model", "model", "model", "user"])
        nodes.append(parent.extend(f" and then {len(nodes)} things happened", origin=origin))  # type: ignore[arg-type]
    return Session(current=nodes[-1], nodes=Tree(nodes))


def groups(svg: str) -> list[ET.Element]:
    return ET.fromstring(svg).findall(f"{SVG}g")


def test_each_box_is_one_element_with_its_node_index_and_the_current_path_marked() -> None:
    session = branching_session()
    drawn = groups(tree_svg(lay_out(session.nodes, session.current)))
    assert [g.get("data-node") for g in drawn] == ["0", "1", "2", "3", "4", "6", "7"]
    assert [g.get("data-current") for g in drawn] == ["path", "path", None, "node", None, None, None]
    assert [g.get("data-folded") for g in drawn] == [None] * 5 + ["2", None]
    labels = [[text.text for text in g.findall(f"{SVG}text")] for g in drawn]
    assert labels == [
        ["Once upon a time", "prompt"],
        ["there was a <fox> & a 'hen'.", "model"],
        ["It ran.", "model"],
        ["It hid.", "model"],
        ["a dragon slept.", "writer"],
        ["It woke.", "2 nodes · model"],
        ["It flew.", "model"],
    ]
    assert [g.find(f"{SVG}title").text for g in drawn][5] == "#5…#6 · model · It woke. It ate."  # type: ignore[union-attr]


def test_story_text_is_escaped_in_the_html() -> None:
    html = TreeView.of(branching_session())._repr_html_()
    assert "there was a &lt;fox&gt; &amp; a 'hen'." in html
    assert "<fox>" not in html
    assert html.startswith('<div class="complete-tree" style="overflow: auto;')


def test_an_edit_and_an_origin_not_known_here_are_named_as_they_are() -> None:
    root = Story.from_prompt("Once")
    edited, other = root.extend(" fixed", origin="user"), root.extend(" moved", origin="user")
    object.__setattr__(edited, "origin", "edit")  # what helper "edit" adds; not yet a Story origin here
    object.__setattr__(other, "origin", "translation")
    view = TreeView.of(Session(current=edited, nodes=Tree([edited, other])))
    assert str(view) == "\n".join(["* #0 Once · prompt", "*   ↳ #1 fixed · edit  ← here", "  #2 moved · translation"])
    edges = [g.findall(f"{SVG}rect")[1].get("fill") for g in groups(tree_svg(view.layout))]
    assert edges == ["#555b66", "#d9822b", "#9aa0a6"]


def test_the_text_tree_draws_side_branches_right_of_the_main_line_folds_and_the_current_node() -> None:
    view = TreeView.of(branching_session())
    expected = [
        "* #0 Once upon a time · prompt",
        "*   ↳ #1 there was a <fox> & a 'hen'. · model",
        "        ↳ #2 It ran. · model",
        "*     #3 It hid. · model  ← here",
        "  #4 a dragon slept. · writer",
        "  #5…#6 (2 nodes) It woke. · model",
        "  #7 It flew. · model",
    ]
    assert str(view) == repr(view) == "\n".join(expected)


def test_three_hundred_nodes_draw_in_well_under_two_megabytes() -> None:
    session = random_session(300)
    view = TreeView.of(session)
    html = view._repr_html_()
    drawn = groups(tree_svg(view.layout))
    assert sum(len(box.nodes) for box in view.layout.boxes) == 300
    assert len(drawn) == len(view.layout.boxes)
    assert len(html.encode()) < 400_000, f"{len(html.encode())} bytes"
    assert [g.get("data-node") for g in drawn if g.get("data-current") == "node"] == ["299"]


def test_a_completer_draws_its_tree_after_continuing_and_retrying() -> None:
    bloom = Completer(
        "Once upon a time", transport=ScriptedTransport([" a fox.", " It ran.", " It hid.", " It slept."])
    )
    bloom.stream = False
    with contextlib.redirect_stdout(io.StringIO()):
        bloom()
        bloom()
        bloom.retry()
        bloom()
    assert str(bloom.tree()) == "\n".join(
        [
            "* #0 Once upon a time · prompt",
            "* #1 a fox. · model",
            "    ↳ #2 It ran. · model",
            "* #3 It hid. · model",
            "* #4 It slept. · model  ← here",
        ]
    )
