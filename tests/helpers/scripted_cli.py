"""The command line with a scripted backend: what ``cli.choose`` (and, when asked,
``cli.saved_transport``) return, patched for one test, and ``run`` to call it in
process. The CLI's own parsing, printing and saving run as they are."""

from __future__ import annotations

import io

import pytest

from complete import cli
from complete.testing import ScriptedTransport
from complete.transports.choice import Choice


def script_cli(
    monkeypatch: pytest.MonkeyPatch,
    transport: ScriptedTransport,
    line: str = "complete: scripted.",
    *,
    resumed: bool = False,
) -> list[tuple[str | None, dict[str, object]]]:
    """Make ``transport`` the backend the CLI chooses, announced with ``line`` (with
    ``resumed``, also the one a resumed session's description rebuilds). Returns the
    choices asked for as they come: (backend, the other keywords) each."""
    chosen: list[tuple[str | None, dict[str, object]]] = []

    def choose(backend: str | None = None, **kwargs: object) -> Choice:
        chosen.append((backend, kwargs))
        return Choice(transport, line)

    monkeypatch.setattr(cli, "choose", choose)
    if resumed:
        monkeypatch.setattr(cli, "saved_transport", lambda description: Choice(transport, line))
    return chosen


def run(argv: list[str], stdin: str = "") -> tuple[int, str]:
    """``complete argv`` in this process, reading ``stdin``: its exit status and what it wrote to stdout."""
    out = io.StringIO()
    status = cli.main(argv, stdin=io.StringIO(stdin), stdout=out)
    return status, out.getvalue()
