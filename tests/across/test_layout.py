"""The package's shape: layers, no import cycles, few top-level modules, short modules.

The layers, lowest first; a module imports only from its own layer and those below::

    errors                  the error tree every layer raises
    values/                 frozen values and their JSON form
    transports/             prompt -> text (http/, hf/, openai/, local/)
    writing/                pure operations on values, through a transport
    interchange/, display/  files in and out; how a story shows (neither imports the other)
    the shells              __init__, __main__, completer, cli, widget, editor, testing

One import goes up, on purpose: ``CompleteError._render_traceback_`` (IPython's hook)
imports ``complete.display.tracebacks`` when a notebook shows an error; that module
reads only what every exception has, so it does not import ``complete.errors`` back.

Every import of a ``complete`` module counts, at module level, inside functions and
under ``TYPE_CHECKING``; importing ``complete.a.b`` from outside ``complete.a`` also
counts as importing ``complete.a`` (its ``__init__`` runs first and may re-export).
The root ``complete/__init__.py`` is left out of that rule: it runs first, and only
imports downwards.
"""

from __future__ import annotations

import ast
from pathlib import Path

import complete

PACKAGE = Path(complete.__file__).resolve().parent
MAX_LINES = 400
MAX_TOP_MODULES = 12

LAYERS = {"errors": 0, "values": 1, "transports": 2, "writing": 3, "interchange": 4, "display": 4}
SHELL = 5
UPWARDS = {("complete.errors", "complete.display"), ("complete.errors", "complete.display.tracebacks")}
"""The imports allowed to go up a layer, each explained in the module docstring."""


def modules(package: Path = PACKAGE) -> dict[str, Path]:
    """Dotted name -> file, for every module of the package (a package is its ``__init__``)."""
    found = {}
    for path in sorted(package.rglob("*.py")):
        parts = ["complete", *path.relative_to(package).with_suffix("").parts]
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def imports(name: str, path: Path, known: dict[str, Path]) -> set[str]:
    """The package modules ``name`` imports, with the packages whose ``__init__`` that runs."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    targets = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package.split(".")[: len(package.split(".")) - node.level + 1] if node.level else []
            source = ".".join([*base, node.module] if node.module else base)
            targets.update(f"{source}.{a.name}" if f"{source}.{a.name}" in known else source for a in node.names)
    found = {target for target in targets if target in known and target != name}
    for target in list(found):
        parts = target.split(".")
        for end in range(2, len(parts)):
            outer = ".".join(parts[:end])
            if outer in known and name != outer and not name.startswith(outer + "."):
                found.add(outer)
    return found


def graph(known: dict[str, Path]) -> dict[str, set[str]]:
    return {name: imports(name, path, known) for name, path in known.items()}


def cycle_from(start: str, edges: dict[str, set[str]]) -> list[str] | None:
    """A shortest import path from ``start`` back to itself, if there is one."""
    paths = {start: [start]}
    todo = [start]
    while todo:
        here = todo.pop(0)
        for there in sorted(edges[here]):
            if there == start:
                return [*paths[here], start]
            if there not in paths:
                paths[there] = [*paths[here], there]
                todo.append(there)
    return None


def folder(name: str) -> str:
    """The part of ``complete`` a module is in: a layer folder, or a module of ``complete/``."""
    parts = name.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def layer(name: str) -> int:
    """The layer of a module: its folder's, or the shells' for the rest of ``complete/``."""
    return LAYERS.get(folder(name), SHELL)


def goes_up(name: str, target: str) -> bool:
    """Whether ``name`` importing ``target`` breaks the order: a layer imports its own
    folder and lower layers only (two folders of one layer are apart); the shells
    import anything, each other included."""
    if layer(name) == SHELL or folder(name) == folder(target):
        return False
    return layer(target) >= layer(name)


def test_no_module_imports_itself_through_others() -> None:
    edges = graph(modules())
    cycles = {" -> ".join(found) for name in edges if (found := cycle_from(name, edges)) is not None}
    assert sorted(cycles) == []


def test_each_layer_imports_only_from_itself_and_below() -> None:
    edges = graph(modules())
    upwards = {(name, target) for name, targets in edges.items() for target in targets if goes_up(name, target)}
    assert sorted(upwards - UPWARDS) == []
    assert upwards >= UPWARDS, "an allowed upward import is gone: drop it from UPWARDS and the docstring"


def test_at_most_12_modules_sit_directly_in_the_package() -> None:
    top = sorted(path.name for path in PACKAGE.glob("*.py"))
    assert len(top) <= MAX_TOP_MODULES, top


def test_no_module_is_over_400_lines() -> None:
    lengths = {name: len(path.read_text(encoding="utf-8").splitlines()) for name, path in modules().items()}
    assert {name: lines for name, lines in lengths.items() if lines > MAX_LINES} == {}


def test_the_checks_see_imports_in_functions_under_type_checking_and_through_init(tmp_path: Path) -> None:
    (tmp_path / "values").mkdir()
    (tmp_path / "display").mkdir()
    (tmp_path / "values" / "__init__.py").write_text("")
    (tmp_path / "values" / "story.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from complete.display.text import X\n"
    )
    (tmp_path / "display" / "__init__.py").write_text("from complete.display.text import X\n")
    (tmp_path / "display" / "text.py").write_text("def f():\n    from complete.values.story import Y\n")
    edges = graph(modules(tmp_path))
    assert edges == {
        "complete.values": set(),
        "complete.values.story": {"complete.display", "complete.display.text"},
        "complete.display": {"complete.display.text"},
        "complete.display.text": {"complete.values", "complete.values.story"},
    }
    assert cycle_from("complete.values.story", edges) == [
        "complete.values.story",
        "complete.display.text",
        "complete.values.story",
    ]
    assert goes_up("complete.values.story", "complete.display.text")
    assert not goes_up("complete.display.text", "complete.values.story")
    assert goes_up("complete.display.text", "complete.interchange.text")
    assert not goes_up("complete.cli", "complete.editor")
    assert goes_up("complete.writing.core", "complete.cli")
