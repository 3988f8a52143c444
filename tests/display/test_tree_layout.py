"""The tree's layout, apart from any drawing: exact grid positions for small trees."""

from __future__ import annotations

from complete import Session, Story
from complete.display.tree_layout import Box, author, first_words, lay_out, session_layout
from complete.values.tree import Tree


def chain(start: Story, *segments: str, origin: str = "model") -> list[Story]:
    nodes = []
    for segment in segments:
        start = start.extend(segment, origin=origin)  # type: ignore[arg-type]
        nodes.append(start)
    return nodes


def places(boxes: tuple[Box, ...]) -> list[tuple[tuple[int, ...], int, int, int | None]]:
    """Each box's nodes, column, row and parent box."""
    return [(box.nodes, box.column, box.row, box.parent) for box in boxes]


def test_an_unbranched_story_is_its_prompt_one_folded_box_and_its_end_in_one_column() -> None:
    root = Story.from_prompt("Once upon a time")
    nodes = chain(root, " there", " was", " a", " fox.")
    layout = session_layout(Session(current=nodes[-1]))
    assert places(layout.boxes) == [((0,), 0, 0, None), ((1, 2, 3), 0, 1, 0), ((4,), 0, 2, 1)]
    assert (layout.columns, layout.rows) == (1, 3)
    assert [box.folded for box in layout.boxes] == [False, True, False]
    assert [box.node for box in layout.boxes] == [0, 3, 4]
    assert [(box.on_path, box.here) for box in layout.boxes] == [(True, False), (True, False), (True, True)]
    assert [box.label for box in layout.boxes] == ["Once upon a time", "there", "fox."]
    assert layout.boxes[1].summary == "there was a"


def test_the_largest_branch_goes_on_down_the_column_and_the_others_branch_right() -> None:
    root = Story.from_prompt("Once upon a time")
    fox = root.extend(" there was a fox.", origin="model")
    ran, hid = fox.extend(" It ran.", origin="model"), fox.extend(" It hid.", origin="model")
    dragon = root.extend(" a dragon slept.", origin="user")
    later = chain(dragon, " It woke.", " It ate.", " It flew.")
    layout = session_layout(Session(current=hid, nodes=Tree([ran, hid, *later])))
    assert places(layout.boxes) == [
        ((0,), 0, 0, None),
        ((1,), 1, 1, 0),  # the fox: 3 nodes, a side branch
        ((2,), 2, 2, 1),  # as big as "It hid." but older: a side branch
        ((3,), 1, 3, 1),
        ((4,), 0, 4, 0),  # the dragon: 4 nodes, the main line
        ((5, 6), 0, 5, 4),
        ((7,), 0, 6, 5),
    ]
    assert (layout.columns, layout.rows) == (3, 7)
    assert [box.label for box in layout.boxes] == [
        "Once upon a time",
        "there was a fox.",
        "It ran.",
        "It hid.",
        "a dragon slept.",
        "It woke.",
        "It flew.",
    ]
    assert [box.authors for box in layout.boxes][3:] == [("model",), ("writer",), ("model",), ("model",)]
    assert [box.on_path for box in layout.boxes] == [True, True, False, True, False, False, False]
    assert [box.here for box in layout.boxes] == [False, False, False, True, False, False, False]


def test_an_older_larger_branch_stays_the_main_line() -> None:
    root = Story.from_prompt("A")
    a = chain(root, " a", " a1", " a2")
    b = root.extend(" b", origin="user")
    layout = lay_out(Tree([*a, b]), b)
    assert places(layout.boxes) == [
        ((0,), 0, 0, None),
        ((4,), 1, 1, 0),
        ((1,), 0, 2, 0),
        ((2,), 0, 3, 2),
        ((3,), 0, 4, 3),
    ]


def test_the_current_node_splits_a_chain_and_one_node_alone_is_not_folded() -> None:
    root = Story.from_prompt("A")
    nodes = chain(root, " b", " c", " d", " e", " f", " g")
    layout = lay_out(Tree(nodes), nodes[2])
    assert places(layout.boxes) == [
        ((0,), 0, 0, None),
        ((1, 2), 0, 1, 0),
        ((3,), 0, 2, 1),
        ((4, 5), 0, 3, 2),
        ((6,), 0, 4, 3),
    ]
    assert [box.on_path for box in layout.boxes] == [True, True, True, False, False]
    short = chain(root, " b", " c")
    assert places(lay_out(Tree(short), root).boxes) == [((0,), 0, 0, None), ((1,), 0, 1, 0), ((2,), 0, 2, 1)]


def test_a_bookmarked_node_keeps_a_box_of_its_own() -> None:
    root = Story.from_prompt("A")
    nodes = chain(root, " b", " c", " d", " e")
    layout = lay_out(Tree(nodes), nodes[-1], {"middle": nodes[1], "also": nodes[1]})
    assert places(layout.boxes) == [
        ((0,), 0, 0, None),
        ((1,), 0, 1, 0),
        ((2,), 0, 2, 1),
        ((3,), 0, 3, 2),
        ((4,), 0, 4, 3),
    ]
    assert [box.bookmarks for box in layout.boxes] == [(), (), ("middle", "also"), (), ()]


def test_a_fold_names_each_author_once_in_order() -> None:
    root = Story.from_prompt("A")
    mixed = chain(chain(root, " b", " c")[-1], " d", origin="user")
    tip = chain(mixed[-1], " e", " f")
    layout = lay_out(Tree(tip), tip[-1])
    assert places(layout.boxes) == [((0,), 0, 0, None), ((1, 2, 3, 4), 0, 1, 0), ((5,), 0, 2, 1)]
    assert layout.boxes[1].authors == ("model", "writer")


def test_separate_roots_are_laid_out_one_under_the_other() -> None:
    first, second = Story.from_prompt("One"), Story.from_prompt("Two")
    a, b = first.extend(" a", origin="user"), second.extend(" b", origin="user")
    layout = lay_out(Tree([a, b]), b)
    assert places(layout.boxes) == [((0,), 0, 0, None), ((1,), 0, 1, 0), ((2,), 0, 2, None), ((3,), 0, 3, 2)]
    assert [box.on_path for box in layout.boxes] == [False, False, True, True]


def test_a_tree_branching_at_every_node_is_as_many_columns_as_log2_of_its_size() -> None:
    level = [Story.from_prompt("Root")]
    nodes = list(level)
    for depth in range(7):
        level = [parent.extend(f" {depth}{side}", origin="model") for parent in level for side in "ab"]
        nodes.extend(level)
    layout = lay_out(Tree(nodes), nodes[-1])
    assert (len(nodes), len(layout.boxes), layout.columns) == (255, 255, 8)


def test_a_story_thousands_of_nodes_deep_is_three_boxes_without_recursion() -> None:
    root = Story.from_prompt("Deep")
    nodes = chain(root, *[f" {n}" for n in range(5000)])
    layout = lay_out(Tree(nodes), nodes[-1])
    assert [(len(box.nodes), box.column, box.row) for box in layout.boxes] == [(1, 0, 0), (4999, 0, 1), (1, 0, 2)]


def test_labels_are_the_first_words_that_fit_and_authors_have_readers_names() -> None:
    long = "  Once upon\na time, in a land far away, there lived a fox"
    assert first_words(long) == "Once upon a time, in a land far away,…"
    assert first_words("x" * 50) == "x" * 39 + "…"
    assert first_words(" \n ") == "(blank)"
    assert first_words("short one") == "short one"
    assert first_words("x" * 40) == "x" * 40  # exactly the limit: whole
    assert [author(origin) for origin in ("prompt", "model", "user", "edit", "translated")] == [
        "prompt",
        "model",
        "writer",
        "edit",
        "translated",
    ]
