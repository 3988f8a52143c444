"""examples.ipynb runs top to bottom on a real kernel with the embedded model."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from tests.conftest import ROOT

NOTEBOOK = ROOT / "examples.ipynb"


@pytest.fixture(scope="module")
def work(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The folder the notebook runs in."""
    return tmp_path_factory.mktemp("notebook")


@pytest.fixture(scope="module")
def executed(work: Path) -> nbformat.NotebookNode:
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    client = NotebookClient(notebook, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(work)}})
    client.execute()
    return notebook


def _outputs(notebook: nbformat.NotebookNode) -> list[dict[str, object]]:
    return [output for cell in notebook.cells if cell.cell_type == "code" for output in cell.get("outputs", [])]


def test_no_cell_fails(executed: nbformat.NotebookNode) -> None:
    errors = [output for output in _outputs(executed) if output["output_type"] == "error"]
    assert errors == []


def test_story_is_shown_as_html_with_the_new_part_highlighted(executed: nbformat.NotebookNode) -> None:
    html = [
        output["data"]["text/html"]  # type: ignore[index]
        for output in _outputs(executed)
        if output["output_type"] in ("display_data", "execute_result") and "text/html" in output.get("data", {})  # type: ignore[operator]
    ]
    assert any('class="complete-new"' in markup for markup in html)
    assert any("Sometimes I marvel" in markup for markup in html)


def test_running_the_notebook_leaves_no_files_behind(executed: nbformat.NotebookNode, work: Path) -> None:
    assert sorted(path.name for path in work.iterdir()) == []
    last = executed.cells[-1]
    assert last.source == "folder.cleanup()\nwork.exists()"
    assert [output["data"]["text/plain"] for output in last.outputs] == ["False"]


def test_every_cell_ran(executed: nbformat.NotebookNode) -> None:
    counts = [cell.get("execution_count") for cell in executed.cells if cell.cell_type == "code"]
    assert None not in counts
    assert counts == list(range(1, len(counts) + 1))


def test_notebook_is_committed_without_outputs() -> None:
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    assert all(not cell.get("outputs") for cell in notebook.cells if cell.cell_type == "code")


def test_notebook_path_is_the_repository_root() -> None:
    assert Path(NOTEBOOK).parent == ROOT
