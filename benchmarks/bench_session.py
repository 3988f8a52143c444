"""What a writing operation and a tree lookup cost as a ``Session`` grows.

Run it with ``python benchmarks/bench_session.py`` (``--sizes 1000 10000 ...``). It
is not a test and fails on nothing.

For sessions of N nodes (a long story with a retry every ten segments), measured:

- ``session.append(...)`` on a session of N nodes: a new Session whose ``Tree``
  copies the two dictionaries that index it;
- ``session.children`` and ``session.siblings`` (one dictionary lookup), and
  ``retry_request``'s count of earlier tries;
- and, in the same run, two references: the old ``Completer``'s mutable index (a
  list and a dict of lists, appended to in place: the floor, but shared mutable
  state), and rebuilding the index from the node list on every operation (what a
  persistent session without an incremental index would pay).

Printed: microseconds per call and the ratios to the two references.

Measured on the project's two-core machine (when ``Tree`` began to copy its index
instead of sharing it): ``children`` 0.2 µs at 50,000 nodes; ``append`` about 25 µs
at 1,000 nodes, 0.3 ms at 10,000 and 3 ms at 50,000, against 8 ms and 50 ms to
rebuild the index at the last two sizes.
"""

from __future__ import annotations

import argparse
import timeit
from collections.abc import Callable

from complete import Session, Story
from complete.testing import ScriptedTransport
from complete.values.tree import Tree


def grown(size: int) -> Session:
    """A session of ``size`` nodes: a long story, a model retry every ten segments."""
    nodes: list[Story] = []
    story = Story.from_prompt("Once upon a time")
    nodes.append(story)
    while len(nodes) < size:
        story = story.extend(" and then", origin="model")
        nodes.append(story)
        if len(nodes) % 10 == 0 and story.parent is not None:
            nodes.append(story.parent.extend(" instead", origin="model"))
    return Session(current=story, nodes=nodes)


def per_call(action: Callable[[], object], number: int) -> float:
    """Seconds per call: the best of five rounds of ``number`` calls."""
    return min(timeit.repeat(action, number=number, repeat=5)) / number


def measure(size: int) -> tuple[float, ...]:
    """Seconds per call at ``size`` nodes: append, the two references, and the lookups."""
    session = grown(size)
    number = max(5, 200_000 // size)
    append = per_call(lambda: session.append("more"), number)

    listed = list(session.nodes)
    index: dict[int, list[Story]] = {}
    for node in listed:
        if node.parent is not None:
            index.setdefault(id(node.parent), []).append(node)

    def register() -> None:
        node = session.current.extend(" more", origin="user")
        listed.append(node)
        index.setdefault(id(session.current), []).append(node)

    def rebuild() -> None:
        Tree([*session.nodes, session.current.extend(" more", origin="user")])

    transport = ScriptedTransport([])
    return (
        append,
        per_call(register, number),
        per_call(rebuild, 5),
        per_call(lambda: session.children, 10_000),
        per_call(lambda: session.siblings, 10_000),
        per_call(lambda: session.retry_request(transport), 2_000),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000, 50_000])
    sizes = parser.parse_args().sizes
    print(f"{'nodes':>7}  {'append':>9} {'mutable':>9} {'rebuild':>9}  {'children':>9} {'siblings':>9} {'retry':>9}")
    for size in sizes:
        append, mutable, rebuild, children, siblings, retry = measure(size)
        print(
            f"{size:>7}  {append * 1e6:>7.1f}us {mutable * 1e6:>7.2f}us {rebuild * 1e6:>7.0f}us  "
            f"{children * 1e6:>7.2f}us {siblings * 1e6:>7.2f}us {retry * 1e6:>7.1f}us   "
            f"append/mutable {append / mutable:6.1f}x, append/rebuild {append / rebuild:.3f}"
        )


if __name__ == "__main__":
    main()
