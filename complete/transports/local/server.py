"""The process-wide engines of the embedded model: one llama-server per file and settings.

``engine_for(file, n_ctx, n_threads)`` starts an ``xllamacpp.Server`` on first use and
hands the same one to every later caller with those settings, for the life of the
process. Each engine listens on 127.0.0.1 and takes requests only with a random API
key made when it starts; the key lives in this process's memory, is sent only in the
Authorization header (never in a repr, message, log line or saved file), and the HTTP
session ignores proxy settings so it never leaves the machine: another local user or
a web page cannot drive the engine. The server's web UI is off.

An engine has ``SLOTS`` slots of ``n_ctx`` tokens each, and llama-server puts each
request in the slot whose cache shares the most with the prompt, so two stories
written alternately never re-read each other; a third story goes through its
host-memory prompt cache (``HOST_CACHE_MIB``), which saves a slot's cache before
reusing the slot and restores it when that story comes back
(``benchmarks/bench_local.py`` measures both).

What it deliberately does not do: sampling defaults, seeds or window checks (the
``LocalModel`` transport does those), or stopping engines.
"""

from __future__ import annotations

import secrets
import threading
from pathlib import Path

from complete.errors import LocalModelError
from complete.transports import status
from complete.transports.http import edge as http
from complete.transports.openai.completions import OpenAICompletions

__all__ = ["HOST_CACHE_MIB", "SLOTS", "Engine", "engine_for"]

SLOTS = 2
"""Stories an engine keeps cached side by side."""
HOST_CACHE_MIB = 512
"""llama-server's host-memory prompt cache, for stories beyond the slots."""

_ENGINES: dict[tuple[str, int, int], Engine] = {}
_ENGINES_LOCK = threading.Lock()


def engine_for(file: Path, n_ctx: int, n_threads: int, *, fix: str, name: str | None = None) -> Engine:
    """The engine for these settings, started on first use (once per process).

    ``fix`` ends the error message if llama.cpp cannot load the file; ``name`` is the
    model's name in generations (default the file's; the first engine's name stays).
    """
    key = (str(file.resolve()), n_ctx, n_threads)
    engine = _ENGINES.get(key)
    if engine is not None:
        return engine
    with _ENGINES_LOCK:
        engine = _ENGINES.get(key)
        if engine is None:
            status.report(status.Status.starting(file.name))
            engine = Engine(file, n_ctx, n_threads, fix=fix, name=name or file.name)
            _ENGINES[key] = engine
        return engine


class Engine:
    """One ``xllamacpp.Server`` on loopback, its API key and the clients that talk to it."""

    def __init__(self, file: Path, n_ctx: int, n_threads: int, *, fix: str, name: str) -> None:
        import xllamacpp

        self._key = secrets.token_urlsafe(32)
        settings = xllamacpp.CommonParams()
        settings.model.path = str(file)
        settings.model_alias = {name}
        settings.n_ctx = n_ctx * SLOTS
        settings.n_parallel = SLOTS
        settings.n_batch = settings.n_ubatch = 256  # a closed connection stops a long prompt within 256 tokens
        settings.cache_ram_mib = HOST_CACHE_MIB
        settings.api_keys = [self._key]
        settings.ui = False
        settings.endpoint_metrics = True  # token and cache counters, for tests and benchmarks
        settings.warmup = False
        settings.verbosity = -1
        for cpu in (settings.cpuparams, settings.cpuparams_batch):
            cpu.n_threads = n_threads
        try:
            self.server = xllamacpp.Server(settings)
        except (RuntimeError, ValueError, OSError) as exc:
            raise LocalModelError(
                f"llama.cpp could not load {file}: it is not a complete GGUF file of a model this llama.cpp "
                f"supports ({exc}). {fix}"
            ) from exc
        self.base_url = f"{self.server.listening_address}/v1"
        self.model = name
        self._session = http.new_session()
        self._session.trust_env = False  # loopback only: no proxy from the environment ever sees the key
        self._clients = {
            allow_eos: OpenAICompletions(
                self.base_url,
                model=self.model,
                api_key=self._key,
                server="llama.cpp",
                session=self._session,
                backend_name="local",
                extra_body={} if allow_eos else {"ignore_eos": True},
                name=f"the model {self.model}",
            )
            for allow_eos in (False, True)
        }
        self._counted: tuple[str, int] = ("", 0)

    def __repr__(self) -> str:
        return f"<engine {self.model} at {self.base_url}>"

    def client(self, *, allow_eos: bool) -> OpenAICompletions:
        """The transport that talks to this engine, with or without the end-of-text ban."""
        return self._clients[allow_eos]

    def metrics(self) -> dict[str, float]:
        """llama-server's counters, read in process (no request): tokens predicted,
        prompt tokens read and reused from the cache, and so on, without the
        ``llamacpp:`` prefix."""
        counters: dict[str, float] = {}
        for line in self.server.handle_metrics().splitlines():
            name, _, value = line.partition(" ")
            if name and not name.startswith("#"):
                counters[name.removeprefix("llamacpp:")] = float(value)
        return counters

    def count_tokens(self, text: str) -> int:
        """Tokens in ``text`` by the engine's tokenizer.

        The last text is remembered: the Completer counts a prompt's tokens to fit the
        window and then generates from the very same prompt, which counts it again.
        """
        last_text, last_count = self._counted
        if text and text == last_text:
            return last_count
        count = self.client(allow_eos=False).count_tokens(text)
        if count is None:
            raise LocalModelError(f"the engine at {self.base_url} did not count tokens; this is a bug in complete")
        self._counted = (text, count)
        return count
