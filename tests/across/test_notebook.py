"""examples.ipynb runs top to bottom on a real kernel with the embedded model, and
what it shows is what a writer should see: each story once per cell, plain text
without marks, no files left behind.

nbclient applies a kernel's in-place display updates to the outputs it saves, as
a front end does, so an output updated ten times while text streamed is one
output here."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from tests.conftest import ROOT
from tests.helpers.notebooks import execute

NOTEBOOK = ROOT / "examples.ipynb"


@pytest.fixture(scope="module")
def work(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The folder the notebook runs in."""
    return tmp_path_factory.mktemp("notebook")


@pytest.fixture(scope="module")
def executed(work: Path) -> nbformat.NotebookNode:
    return execute(nbformat.read(NOTEBOOK, as_version=4), work, timeout=600)


def _outputs(notebook: nbformat.NotebookNode) -> list[dict[str, object]]:
    return [output for cell in notebook.cells if cell.cell_type == "code" for output in cell.get("outputs", [])]


def _cell(notebook: nbformat.NotebookNode, source: str) -> nbformat.NotebookNode:
    """The one code cell whose source is ``source``."""
    found = [cell for cell in notebook.cells if cell.cell_type == "code" and cell.source == source]
    assert len(found) == 1, source
    return found[0]


def _kinds(cell: nbformat.NotebookNode) -> list[str]:
    """Each output of ``cell``: a story, alternatives, a prompt, or its output type."""
    kinds = []
    for output in cell.outputs:
        markup = output.get("data", {}).get("text/html", "")
        for kind in ("complete-story", "complete-alternatives", "complete-prompt", "complete-probs"):
            if f'class="{kind}"' in markup:
                kinds.append(kind.removeprefix("complete-"))
                break
        else:
            kinds.append(output["output_type"] if output["output_type"] != "stream" else output["name"])
    return kinds


def test_a_cell_that_calls_several_operations_shows_the_story_once(executed: nbformat.NotebookNode) -> None:
    appended = _cell(executed, 'bloom.append("I never know what to say to that.")\nbloom()')
    assert _kinds(appended) == ["story"]
    assert "I never know what to say to that." in appended.outputs[0]["data"]["text/plain"]
    assert _kinds(_cell(executed, "bloom.undo()\nbloom.redo()")) == ["story"]
    assert _kinds(_cell(executed, 'bloom.retry()\nprint(len(bloom.siblings), "earlier try kept")')) == [
        "story",
        "stdout",
    ]


def test_alternatives_and_the_prompt_are_shown_once_each(executed: nbformat.NotebookNode) -> None:
    assert _kinds(_cell(executed, "bloom.alternatives(3, max_new_tokens=24)")) == ["alternatives"]
    preview = _cell(executed, next(c.source for c in executed.cells if c.source.endswith("bloom.preview()")))
    assert _kinds(preview) == ["prompt"]
    markup = preview.outputs[0]["data"]["text/html"]
    assert "word-break: normal" in markup  # wrapped between words, not mid-word as a text output is
    assert preview.outputs[0]["data"]["text/plain"].startswith("  memory ")


def test_the_lorebook_preview_lists_what_fired_and_the_continuation_sent_it(executed: nbformat.NotebookNode) -> None:
    preview = next(cell for cell in executed.cells if cell.source.endswith("tale.preview()"))
    assert _kinds(preview) == ["prompt"]
    lines = preview.outputs[0]["data"]["text/plain"].splitlines()
    assert [line for line in lines if "lore  " in line or "left out" in line] == [
        "  lore        30 tokens      101 chars",
        "  lore    'Mira' (key 'Mira', 11 tokens, order 100)",
        "  lore    'Skellig Varr' (key 'the island', 18 tokens, order 100)",
    ]
    continued = _cell(executed, "tale()")
    assert _kinds(continued) == ["story"]
    assert continued.outputs[0]["data"]["text/plain"].startswith(
        "Mira watched the ferry leave for the island without her."
    )
    sent = _cell(
        executed, 'for part in tale.last_request.prompt.parts:\n    if part.kind == "lore":\n        print(part.text)'
    )
    assert _kinds(sent) == ["stdout"]
    assert sent.outputs[0]["text"] == (
        "Skellig Varr is a bare rock in the north sea, home to puffins.\nMira is a red fox who distrusts boats.\n"
    )


def test_a_refused_connection_shows_the_story_then_what_to_do(executed: nbformat.NotebookNode) -> None:
    cell = next(c for c in executed.cells if "offline = Completer(" in c.source)
    assert _kinds(cell) == ["story", "stdout"]
    assert cell.outputs[0]["data"]["text/plain"] == "Hello\nmax_new_tokens=64 · openai http://127.0.0.1:9/v1"
    assert cell.outputs[1]["text"].splitlines() == [
        "TransportError: could not connect to http://127.0.0.1:9/v1/completions: [Errno 111] Connection refused",
        "Nothing is listening at http://127.0.0.1:9: start the server, check url=, "
        'or write offline with backend="local".',
    ]


def test_text_outputs_have_no_marks_or_escape_codes(executed: nbformat.NotebookNode) -> None:
    texts = []
    for output in _outputs(executed):
        if output["output_type"] == "stream":
            texts.append(str(output["text"]))
        else:
            texts.append(str(output.get("data", {}).get("text/plain", "")))  # type: ignore[union-attr]
    assert [text for text in texts if any(mark in text for mark in ("\x1b[", "⟦", "⟧", "<IPython"))] == []


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
