"""Editing from notebook cells, on a real kernel: ``bloom.text = ...``, ``bloom.edit(...)``,
``undo()``, then save and load, each cell showing the story once as it now reads."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from tests.conftest import IMPORTED_FROM
from tests.helpers.notebooks import run_cells

CELLS = [
    "import complete\n"
    "from complete import Completer\n"
    "from complete.testing import ScriptedTransport\n"
    "print(complete.__file__)\n"
    'bloom = Completer("The fox saw the fox.", transport=ScriptedTransport([" It ran."]))\n'
    "bloom()",
    'bloom.text = "The fox saw the owl. It ran."',
    'bloom.edit("It ran.", "It flew away.")',
    "bloom.undo()",
    'bloom.redo()\nbloom.save("story.json")',
    'again = Completer.load("story.json", transport=ScriptedTransport([" Then it slept."]))\n'
    "again.undo()\n"
    "again.redo()\n"
    "again()\n"
    "print([node.origin for node in again.history])",
]


@pytest.fixture(scope="module")
def executed(tmp_path_factory: pytest.TempPathFactory) -> nbformat.NotebookNode:
    work = tmp_path_factory.mktemp("notebook-edit")
    notebook = run_cells(CELLS, work)
    notebook.metadata["work"] = str(work)
    return notebook


def _stories(cell: nbformat.NotebookNode) -> list[str]:
    """The plain text of each story the cell shows (the story, then its footer line)."""
    return [
        output["data"]["text/plain"].split("\n")[0]
        for output in cell.outputs
        if 'class="complete-story"' in output.get("data", {}).get("text/html", "")
    ]


def test_the_kernel_runs_the_tested_package(executed: nbformat.NotebookNode) -> None:
    assert executed.cells[0].outputs[0]["text"].strip() == str(IMPORTED_FROM / "complete" / "__init__.py")
    assert _stories(executed.cells[0]) == ["The fox saw the fox. It ran."]


def test_setting_text_and_edit_show_the_edited_story_once_and_undo_brings_it_back(
    executed: nbformat.NotebookNode,
) -> None:
    cells = executed.cells
    assert _stories(cells[1]) == ["The fox saw the owl. It ran."]
    assert _stories(cells[2]) == ["The fox saw the owl. It flew away."]
    assert _stories(cells[3]) == ["The fox saw the owl. It ran."]
    assert _stories(cells[4]) == ["The fox saw the owl. It flew away."]
    for cell in cells[1:5]:
        assert len(cell.outputs) == 1
        assert "complete-new" not in cell.outputs[0]["data"]["text/html"]  # an edit is not the model's new text


def test_a_saved_and_loaded_story_keeps_its_edits(executed: nbformat.NotebookNode) -> None:
    last = executed.cells[5]
    assert _stories(last)[-1] == "The fox saw the owl. It flew away. Then it slept."
    assert last.outputs[-1]["text"] == "['prompt', 'model', 'edit', 'edit', 'model']\n"
    saved = (Path(executed.metadata["work"]) / "story.json").read_text(encoding="utf-8")
    assert '"origin": "edit"' in saved
    assert '"version": 3' in saved
