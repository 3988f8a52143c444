"""What drawing the whole branch tree (``bloom.tree()``) costs, as HTML and as text.

Run it with ``python benchmarks/bench_tree.py`` (``--sizes 30 300 3000``). It is not a
test and fails on nothing.

For two shapes of session of N nodes, a writer's (a long story, a retry every five
segments and three alternatives every twenty) and a bushy one (each node continues
one of the few nodes before it, so almost nothing folds: the worst case for
drawing), measured:

- the layout alone (``complete.display.tree_layout.session_layout``);
- the SVG (layout and drawing: what a notebook shows) and the text tree;
- and, in the same run, a reference: a bare loop that writes one short line per
  node (index, first twenty characters), the least any drawing of N nodes costs.

Printed: boxes drawn, milliseconds per call, the HTML's size in kilobytes, and the
ratio of each to the reference.
"""

from __future__ import annotations

import argparse
import random
import timeit
from collections.abc import Callable

from complete import Session, Story
from complete.display.tree_layout import session_layout
from complete.display.tree_view import TreeView
from complete.values.tree import Tree


def writers_session(size: int) -> Session:
    """A long story with a retry every five segments and three alternatives every twenty."""
    story = Story.from_prompt("The lighthouse keeper opened the door")
    nodes = [story]
    while len(nodes) < size:
        story = story.extend(f" and the sea said {len(nodes)} things,", origin="model")
        nodes.append(story)
        if len(nodes) % 5 == 0 and story.parent is not None:
            nodes.append(story.parent.extend(" but the wind", origin="model"))
        if len(nodes) % 20 == 0:
            nodes.extend(story.extend(f" then {n}", origin="model") for n in range(3))
    return Session(current=story, nodes=Tree(nodes[:size]))


def bushy_session(size: int) -> Session:
    chooser = random.Random(7)
    nodes = [Story.from_prompt("It was a dark and stormy night")]
    while len(nodes) < size:
        parent = nodes[max(0, len(nodes) - 1 - int(chooser.expovariate(0.4)))]
        nodes.append(parent.extend(f" and then {len(nodes)} things happened", origin="model"))
    return Session(current=nodes[-1], nodes=Tree(nodes))


def bare_loop(session: Session) -> str:
    return "\n".join(f"#{index} {node.segment[:20]}" for index, node in enumerate(session.nodes))


def per_call(action: Callable[[], object]) -> float:
    """Seconds per call: the best of five rounds."""
    timer = timeit.Timer(action)
    number, _ = timer.autorange()
    return min(timer.repeat(5, number)) / number


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[30, 300, 3000])
    sizes = parser.parse_args().sizes
    print(
        f"{'shape':>7} {'nodes':>6} {'boxes':>6} {'layout ms':>10} {'svg ms':>8} {'text ms':>8} "
        f"{'html KB':>8} {'loop ms':>8} {'svg/loop':>9} {'text/loop':>10}"
    )
    for shape, build in (("writer", writers_session), ("bushy", bushy_session)):
        for size in sizes:
            print(measured(shape, build(size)))


def measured(shape: str, session: Session) -> str:
    """One line of the table for ``session``."""
    boxes = len(session_layout(session).boxes)
    html = TreeView.of(session)._repr_html_()
    layout = per_call(lambda: session_layout(session))
    svg = per_call(lambda: TreeView.of(session)._repr_html_())
    text = per_call(lambda: str(TreeView.of(session)))
    loop = per_call(lambda: bare_loop(session))
    return (
        f"{shape:>7} {len(session.nodes):>6} {boxes:>6} {layout * 1e3:>10.2f} {svg * 1e3:>8.2f} {text * 1e3:>8.2f} "
        f"{len(html.encode()) / 1e3:>8.1f} {loop * 1e3:>8.3f} {svg / loop:>9.1f} {text / loop:>10.1f}"
    )


if __name__ == "__main__":
    main()
