"""Tree: the nodes of a session, parents first, children found by identity."""

from __future__ import annotations

from complete import Story
from complete.values.tree import Tree


def test_a_tree_is_an_immutable_sequence_indexed_by_identity() -> None:
    root = Story.from_prompt("A")
    a, twin = root.extend(" a", origin="user"), root.extend(" a", origin="user")
    tree = Tree([a])
    grown = tree.adding([twin])
    assert (len(tree), len(grown)) == (2, 3)
    assert tree.children(root) == (a,)
    assert grown.children(root) == (a, twin)
    assert grown.knows(twin)
    assert not tree.knows(twin)
    assert grown.adding([a, twin]) is grown
    assert grown[1:] == (a, twin)
    assert Tree([twin]) == Tree([a])  # equal nodes in the same order
    assert repr(grown) == "Tree(3 nodes)"


def test_a_node_unknown_to_the_tree_has_no_children_there() -> None:
    root = Story.from_prompt("A")
    child = root.extend(" b", origin="user")
    assert Tree([root]).children(root) == ()
    assert Tree([child]).children(child.extend(" c", origin="user")) == ()
    assert Tree([child]).children(Story.from_prompt("A")) == ()  # equal to the root, but another node


def test_adding_leaves_the_tree_added_to_as_it_was() -> None:
    root = Story.from_prompt("A")
    tree = Tree([root])
    for text in (" b", " c"):
        tree.adding([root.extend(text, origin="user")])
    assert (len(tree), tree.children(root)) == (1, ())
