"""Shared fixtures: an environment that cannot see real credentials, and paths.

Every test runs in an empty temporary working directory with no Hugging Face
token reachable (no ``.hf_token``, no ``HF_TOKEN``, ``HF_HOME`` pointing at an
empty folder), so no test can pick up a developer's real token or reach the
network with it; no ``HF_ENDPOINT`` or ``HF_ROUTER_URL`` of the developer's
redirects hosted models, no provider mapping is remembered from another test, and
no backend line counts as already printed.
Tests that need repository files use the absolute paths below.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

import complete
from complete.transports.hf import providers as inference_providers

pytest_plugins = ["tests.helpers.llama_server"]

ROOT = Path(__file__).resolve().parent.parent
CASSETTES = ROOT / "cassettes"

IMPORTED_FROM = Path(complete.__file__).resolve().parent.parent
"""Where this run's ``complete`` comes from: the installed package's site-packages
(``pytest``), or the checkout (``python -m pytest`` puts it first on sys.path)."""


def child_environment(**changes: str) -> dict[str, str]:
    """The environment of a Python child process: it imports the same ``complete`` as
    this run (the installed one is not shadowed by the checkout) and ``tests`` from the
    checkout; ``PYTHONSAFEPATH`` keeps its working directory off sys.path."""
    path = [str(IMPORTED_FROM), str(ROOT), os.environ.get("PYTHONPATH", "")]
    return {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, path)), "PYTHONSAFEPATH": "1", **changes}


REQUIRE_SYSTEM = "COMPLETE_REQUIRE_SYSTEM"
"""Set to 1 (``.ci/run`` does), tests that need a system program run even without it, and fail."""


def needs_programs(programs: tuple[str, ...], install: str) -> pytest.MarkDecorator:
    """A mark that skips tests when one of ``programs`` is not on ``PATH``, with the
    reason saying what to ``install``, unless ``$COMPLETE_REQUIRE_SYSTEM`` is 1.

    A ``skipif`` mark, evaluated once at collection, so that the reason appears in
    pytest's summary (``-rs``) like any other skip.
    """
    gaps = [program for program in programs if shutil.which(program) is None]
    required = os.environ.get(REQUIRE_SYSTEM) == "1"
    reason = f"needs {' and '.join(gaps)} on PATH: {install} (or set {REQUIRE_SYSTEM}=1 to make this a failure)"
    return pytest.mark.skipif(bool(gaps) and not required, reason=reason)


FAKE_TOKEN = "hf_" + "FAKEfake" * 4 + "0123"
"""A token-shaped string threaded through tests to prove it never leaks."""


@pytest.fixture(autouse=True)
def _no_real_credentials(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path_factory.mktemp("hf_home")
    work = tmp_path_factory.mktemp("cwd")
    for name in (
        "HF_TOKEN",
        "HF_TOKEN_PATH",
        "HUGGING_FACE_HUB_TOKEN",
        "OPENAI_API_KEY",
        "HF_ENDPOINT",
        "HF_ROUTER_URL",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(inference_providers, "_CACHE", {})
    monkeypatch.setattr("complete.completer._ANNOUNCED", set())  # each test sees its first backend line
    monkeypatch.setenv("HF_HOME", str(home))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home))
    monkeypatch.chdir(work)
    return work


@pytest.fixture
def cwd(_no_real_credentials: Path) -> Path:
    """The empty working directory each test runs in."""
    return _no_real_credentials


@pytest.fixture
def cassettes() -> Path:
    """The repository's cassette folder."""
    return CASSETTES


from hypothesis import settings as _hypothesis_settings  # noqa: E402

# No example database on disk: runs stay independent and the checkout stays clean.
_hypothesis_settings.register_profile("complete", database=None)
_hypothesis_settings.load_profile("complete")
