"""Tests that need a system program skip, saying what to install, unless CI requires them.

The browser tests need Debian's ``chromium`` and ``chromium-driver``. On a machine
without them the README's test command still passes, with those tests reported as
skipped and why; ``.ci/run`` sets ``COMPLETE_REQUIRE_SYSTEM=1`` and installs them, so
there a missing program is a failure, never a silent skip. (The skip is a
``skipif`` mark from ``tests.conftest.needs_programs``, evaluated at collection.)
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REQUIRE_SYSTEM, ROOT, child_environment, needs_programs

REASON = (
    "needs no-such-program-1 and no-such-program-2 on PATH: apt-get install two "
    "(or set COMPLETE_REQUIRE_SYSTEM=1 to make this a failure)"
)


def test_a_missing_program_skips_with_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(REQUIRE_SYSTEM, raising=False)
    mark = needs_programs(("no-such-program-1", "python3", "no-such-program-2"), "apt-get install two")
    assert (mark.name, mark.args, mark.kwargs) == ("skipif", (True,), {"reason": REASON})


def test_required_programs_are_not_skipped(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(REQUIRE_SYSTEM, "1")
    assert needs_programs(("no-such-program-1",), "apt-get install two").args == (False,)
    monkeypatch.delenv(REQUIRE_SYSTEM)
    assert needs_programs(("python3",), "apt-get install python3").args == (False,)


def test_the_browser_tests_skip_on_a_machine_without_chromium(tmp_path: Path) -> None:
    env = child_environment(PATH=str(Path(sys.executable).parent))  # this Python, no chromium
    env.pop(REQUIRE_SYSTEM, None)
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-rs", str(ROOT / "tests" / "across" / "test_browser.py")],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        check=False,
        timeout=300,
    )
    lines = result.stdout.splitlines()
    assert result.returncode == 0, result.stdout + result.stderr
    assert lines[-1].startswith("4 skipped in ")
    reason = (
        "needs chromium and chromedriver on PATH: apt-get install chromium chromium-driver "
        "(or set COMPLETE_REQUIRE_SYSTEM=1 to make this a failure)"
    )
    assert [line.split(": ", 1)[1] for line in lines if line.startswith("SKIPPED")] == [reason] * 4
