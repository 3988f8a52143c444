"""Running notebook cells on a real Jupyter kernel, for the notebook tests.

The kernel is the environment's ``python3``; it imports the same ``complete`` as
this test run (``child_environment``) and runs in ``work``, so files a cell writes
land there.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import nbformat
from nbclient import NotebookClient

from tests.conftest import child_environment


def execute(notebook: nbformat.NotebookNode, work: Path, *, timeout: int, **env: str) -> nbformat.NotebookNode:
    """``notebook`` with its outputs, run top to bottom in ``work`` (``env``: variables
    to set for the kernel). A cell that raises fails the run."""
    client = NotebookClient(
        notebook, timeout=timeout, kernel_name="python3", resources={"metadata": {"path": str(work)}}
    )
    client.execute(env=child_environment(**env))
    return notebook


def run_cells(cells: Iterable[str], work: Path, *, timeout: int = 300, **env: str) -> nbformat.NotebookNode:
    """A new notebook of these code cells, executed (see ``execute``)."""
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell(source) for source in cells]
    return execute(notebook, work, timeout=timeout, **env)
