"""A CompleteError in IPython and Jupyter is a short block that says what to do.

The block itself, IPython's rendering of it (short by default, the full traceback
on ``%tb verbose``), a refused connection in a real kernel (the issue's measure:
at most 25 lines), and the plain Python REPL, whose last lines say the same.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import nbformat
import pytest
from nbclient import NotebookClient

from complete.display.tracebacks import HOW_TO_SEE_MORE, lines
from complete.errors import APIError, TransportError
from tests.conftest import ROOT, child_environment
from tests.helpers.fault_server import closed_port

REFUSED = "could not connect to http://127.0.0.1:9/v1/completions: [Errno 111] Connection refused"
ADVICE = (
    'Nothing is listening at http://127.0.0.1:9: start the server, check url=, or write offline with backend="local".'
)


def test_the_block_is_the_class_the_words_the_advice_and_how_to_see_more() -> None:
    error = APIError(status=422, message="Input validation error: `inputs` must have less than 2048 tokens", hint="")
    assert lines(error) == [
        "APIError: HTTP 422: Input validation error: `inputs` must have less than 2048",
        "tokens",
        HOW_TO_SEE_MORE,
    ]


def test_the_block_wraps_between_words_and_keeps_long_addresses_whole() -> None:
    assert lines(TransportError(f"{REFUSED}\n{ADVICE}")) == [
        "TransportError: could not connect to http://127.0.0.1:9/v1/completions: [Errno",
        "111] Connection refused",
        "Nothing is listening at http://127.0.0.1:9: start the server, check url=, or",
        'write offline with backend="local".',
        HOW_TO_SEE_MORE,
    ]


def test_in_color_only_the_class_name_is_red_and_the_last_line_dim() -> None:
    assert lines(TransportError("refused"), color=True) == [
        "\x1b[1;31mTransportError\x1b[0m: refused",
        f"\x1b[2m{HOW_TO_SEE_MORE}\x1b[0m",
    ]


@pytest.fixture
def shell() -> Iterator[Any]:
    """A terminal IPython shell, cleared afterwards so no other test sees it."""
    from IPython.core.interactiveshell import InteractiveShell

    instance = InteractiveShell.instance(colors="nocolor")
    try:
        yield instance
    finally:
        InteractiveShell.clear_instance()


RAISE_REFUSED = f"""
from complete.errors import TransportError
try:
    raise ConnectionRefusedError(111, "Connection refused")
except OSError as cause:
    raise TransportError({REFUSED + chr(10) + ADVICE!r}) from cause
"""


def test_ipython_shows_the_short_block_and_the_full_traceback_on_request(
    shell: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    shell.run_cell(RAISE_REFUSED)
    short = capsys.readouterr().out
    assert [line.rstrip() for line in _plain(short).splitlines()] == lines(TransportError(f"{REFUSED}\n{ADVICE}"))
    shell.run_cell("%tb verbose")
    full = _plain(capsys.readouterr().out)
    assert "ConnectionRefusedError: [Errno 111] Connection refused" in full
    assert "The above exception was the direct cause of the following exception" in full
    assert full.rstrip().endswith(ADVICE)


def test_xmode_verbose_shows_every_later_error_in_full(shell: Any, capsys: pytest.CaptureFixture[str]) -> None:
    shell.run_cell("%xmode Verbose")
    capsys.readouterr()
    shell.run_cell(RAISE_REFUSED)
    assert "ConnectionRefusedError" in _plain(capsys.readouterr().out)


def _plain(text: str) -> str:
    import re

    return re.sub(r"\x1b\[[0-9;]*m", "", text)


def test_a_refused_connection_in_a_real_kernel_is_a_short_block(tmp_path: Any) -> None:
    port = closed_port()
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [
        nbformat.v4.new_code_cell(
            "from complete import Completer, OpenAICompletions\n"
            f"Completer('Hello', transport=OpenAICompletions(base_url='http://127.0.0.1:{port}/v1'))()"
        )
    ]
    client = NotebookClient(
        notebook, timeout=60, kernel_name="python3", allow_errors=True, resources={"metadata": {"path": str(tmp_path)}}
    )
    client.execute(env=_kernel_env())
    (error,) = [output for output in notebook.cells[0].outputs if output["output_type"] == "error"]
    shown = _plain("\n".join(error["traceback"])).splitlines()
    assert len(shown) <= 25
    assert " ".join(shown) == (
        f"TransportError: could not connect to http://127.0.0.1:{port}/v1/completions: [Errno 111] Connection refused "
        f"Nothing is listening at http://127.0.0.1:{port}: start the server, check url=, "
        f'or write offline with backend="local". {HOW_TO_SEE_MORE}'
    )


def _kernel_env() -> dict[str, str]:
    return child_environment()


def test_the_plain_python_repl_ends_with_the_same_words() -> None:
    result = subprocess.run(
        [sys.executable, "-c", RAISE_REFUSED],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=_kernel_env(),
        check=False,
        timeout=60,
    )
    assert result.stderr.splitlines()[-2:] == [f"complete.errors.TransportError: {REFUSED}", ADVICE]


def test_importing_complete_imports_neither_ipython_nor_the_engine() -> None:
    probe = (
        "import sys, complete; from complete import Completer; "
        "print(sorted({'IPython', 'xllamacpp', 'ipywidgets'} & set(sys.modules)))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, env=_kernel_env(), check=True
    )
    assert result.stdout == "[]\n"
