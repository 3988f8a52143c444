"""Fitting a long story into the model's window, and what the prompt is made of.

The story keeps everything; only the *prompt* is windowed: memory at the top, an
author's note some paragraphs before the end, lore, and as much recent story as
fits. What it deliberately does not do: send anything (it may ask a tokenizer to
count) or change the story.
"""

from __future__ import annotations

from collections.abc import Callable

import attrs

from complete.errors import ContextLimitError, ResponseError
from complete.transports.base import Tokenizes
from complete.values import checks as arguments
from complete.values.lorebook import Lorebook
from complete.values.params import Params
from complete.values.story import Story
from complete.writing.lore_selection import NO_LORE, LoreChoice, choose, remembered

__all__ = ["Prompt", "PromptPart", "Window", "build_prompt"]

_CHARS_PER_TOKEN_ESTIMATE = 3


@attrs.frozen(kw_only=True)
class Window:
    """How to build the prompt from a story: memory, author's note, window size.

    ``size`` is the model's window in tokens; None asks the transport (and, when it
    cannot say, nothing is trimmed).
    """

    memory: str = attrs.field(default="", validator=arguments.validator(arguments.text))
    note: str = attrs.field(default="", validator=arguments.validator(arguments.text))
    note_depth: int = attrs.field(default=3, validator=arguments.validator(arguments.integer, low=0))
    size: int | None = attrs.field(
        default=None, validator=arguments.validator(arguments.optional(arguments.integer), low=1)
    )


@attrs.frozen
class PromptPart:
    """One piece of the prompt: ``kind`` is "memory", "lore", "story" or "note"."""

    kind: str
    text: str
    tokens: int | None


@attrs.frozen(kw_only=True)
class Prompt:
    """Exactly what the next request sends, and how it was made.

    ``trimmed`` is the story text left out (oldest first); ``window_size`` the
    window size used, in tokens (None when unknown); ``exact`` whether counts come
    from the backend's tokenizer; ``lore`` the lorebook entries that entered, with
    the key that fired each, and those left out.
    """

    text: str
    parts: tuple[PromptPart, ...]
    trimmed: str
    tokens: int | None
    window_size: int | None
    max_new_tokens: int
    exact: bool
    lore: LoreChoice = NO_LORE

    def describe(self) -> str:
        """A short report for ``Completer.preview()``."""
        unit = "tokens" if self.exact else "tokens (estimated)"
        lines = []
        for part in self.parts:
            count = "?" if part.tokens is None else str(part.tokens)
            lines.append(f"  {part.kind:<7} {count:>6} {unit}  {len(part.text):>7} chars")
        total = "?" if self.tokens is None else str(self.tokens)
        window = "unknown" if self.window_size is None else str(self.window_size)
        lines.append(f"  prompt  {total:>6} {unit} + max_new_tokens {self.max_new_tokens}; window {window}")
        if self.trimmed:
            lines.append(f"  left out: the oldest {len(self.trimmed)} characters of the story")
        lines.extend(self.lore.describe())
        return "\n".join(lines)


def build_prompt(
    story: Story, params: Params, transport: object, window: Window, lorebook: Lorebook | None = None
) -> Prompt:
    """The prompt for the next request on ``story``, fitted to the window, with the
    lore of ``lorebook`` (see ``complete.writing.lore_selection``).

    A story outgrows any model's window (the original README simply stopped working
    there). The story keeps everything; only the *prompt* is windowed:

    - ``memory``: text always kept at the top (characters, setting);
    - ``note``: an author's note inserted ``note_depth`` paragraphs before the end,
      verbatim (write your own brackets, such as ``[Style: gothic]``);
    - the oldest story text is left out, whole paragraphs first, so that memory + note
      + recent story + ``max_new_tokens`` fit the window. Only when the last paragraph
      alone is too long is it cut, at a word boundary, from its start; a last word
      that alone does not fit is a ``ContextLimitError``, never an empty prompt.

    Tokens are counted with the backend's own tokenizer when the transport offers one
    (``Tokenizes``: llama.cpp in process, TGI's ``/tokenize``); the window size comes
    from ``Window.size`` or the transport's ``context_window()``. When the
    backend has no tokenizer and a window size is known, counts are an estimate of one
    token per three characters (deliberately pessimistic for English) and the
    ``Prompt`` says ``exact=False``. With no window size known, nothing is counted or
    trimmed (no extra requests are made), and the server has the last word.

    With no memory, no note and a story that fits, the prompt is exactly
    ``story.text``, so a backend's prefix cache keeps working call after call.

    A ``Lorebook`` adds lore: the entries ``complete.writing.lore_selection`` chooses, as parts of
    kind "lore" at each entry's position (the top, after the memory, or some
    paragraphs before the end as the note is), counted like the rest. Trimming leaves
    out story text first; only when memory, note and lore alone do not fit is lore
    left out, lowest order first, and reported on the ``Prompt``.

    Names: a ``Window`` is these settings; its ``size`` (and a ``Prompt``'s
    ``window_size``) is the model's window in tokens, prompt and new tokens together.

    Raises ``ContextLimitError`` when memory, note and ``max_new_tokens`` alone do
    not fit, before anything is sent.
    """
    tokenizer = transport.count_tokens if isinstance(transport, Tokenizes) else None
    limit = window.size
    if limit is None and isinstance(transport, Tokenizes):
        limit = transport.context_window()
    exact = False
    count: Callable[[str], int] = _estimate
    if limit is not None and tokenizer is not None:
        initial = tokenizer(story.text)
        if initial is not None:
            exact = True
            known = {story.text: initial}

            def exact_count(text: str) -> int:
                if text not in known:
                    tokens = tokenizer(text)
                    if tokens is None:
                        raise ResponseError("the backend stopped answering token counts")
                    known[text] = tokens
                return known[text]

            count = exact_count

    lore = NO_LORE
    if lorebook is not None and lorebook.entries:
        lore = choose(lorebook, story.text, params.seed, remembered(transport, count) if exact else count)
    paragraphs = story.text.split("\n")

    def assemble(kept: list[str], lore: LoreChoice = lore) -> tuple[str, tuple[PromptPart, ...]]:
        parts = [("lore", lore.text("before_memory")), ("memory", window.memory), ("lore", lore.text("after_memory"))]
        inserts = [(max(0, len(kept) - depth), "lore", lore.text("depth", depth)) for depth in lore.depths]
        if window.note:
            inserts.append((max(0, len(kept) - window.note_depth), "note", window.note))
        if not inserts:
            parts.append(("story", "\n".join(kept)))
        else:
            done = 0
            for at, kind, piece in sorted(inserts, key=lambda insert: insert[0]):  # stable: lore before the note
                parts.extend([("story", "\n".join(kept[done:at])), (kind, piece)] if kept[done:at] else [(kind, piece)])
                done = max(done, at)
            if kept[done:]:
                parts.append(("story", "\n".join(kept[done:])))
        parts = [(kind, piece) for kind, piece in parts if piece or kind == "story"]
        text = "\n".join(piece for _, piece in parts)
        return text, tuple(PromptPart(kind, piece, None) for kind, piece in parts)

    text, parts = assemble(paragraphs)
    trimmed = ""
    if limit is not None and count(text) + params.max_new_tokens > limit:
        room = limit - params.max_new_tokens

        def fits(kept: list[str]) -> bool:
            return count(assemble(kept, lore)[0]) <= room

        if not fits([]) and lore.fired:
            fired = len(lore.fired)
            dropped = _first_fitting(fired + 1, lambda i: count(assemble([], lore.keeping(fired - i))[0]) <= room)
            lore = lore.keeping(fired - min(dropped, fired))
        if not fits([]):
            fixed = count(assemble([], NO_LORE)[0])
            raise ContextLimitError(
                message=(
                    f"memory and author's note ({fixed} tokens) plus max_new_tokens "
                    f"{params.max_new_tokens} do not fit the window of {limit} tokens"
                ),
                limit=limit,
                prompt_tokens=fixed,
                hint="Shorten the memory or the note, or lower max_new_tokens.",
            )
        first = _first_fitting(len(paragraphs), lambda i: fits(paragraphs[i:]))
        if first < len(paragraphs):
            kept = paragraphs[first:]
            trimmed = "\n".join(paragraphs[:first]) + "\n"
        else:
            words = paragraphs[-1].split(" ")
            cut = _first_fitting(len(words), lambda i: fits([" ".join(words[i:])]))
            if cut >= len(words) - 1 and not fits([words[-1]]):
                raise ContextLimitError(
                    message=(
                        f"the story ends with one word of {len(words[-1])} characters, longer than the window of "
                        f"{limit} tokens leaves room for with max_new_tokens={params.max_new_tokens}"
                    ),
                    limit=limit,
                    prompt_tokens=count(text),
                    hint="Only whole words are left out: break that text with spaces or line breaks, or shorten it.",
                )
            kept = [" ".join(words[cut:])] if cut < len(words) else []
            trimmed = "\n".join([*paragraphs[:-1], " ".join(words[:cut])])
            if kept:
                trimmed += " "
        text, parts = assemble(kept, lore)
    if limit is None:
        counted = parts
        total = None
    else:
        total = count(text)
        counted = tuple(
            PromptPart(part.kind, part.text, total if len(parts) == 1 else count(part.text)) for part in parts
        )
    return Prompt(
        text=text,
        parts=counted,
        trimmed=trimmed,
        tokens=total,
        window_size=limit,
        max_new_tokens=params.max_new_tokens,
        exact=exact,
        lore=lore,
    )


def _estimate(text: str) -> int:
    return -(-len(text) // _CHARS_PER_TOKEN_ESTIMATE)


def _first_fitting(size: int, fits: Callable[[int], bool]) -> int:
    """The smallest ``i`` in 0..size-1 with ``fits(i)``, or ``size`` if none fits.

    ``fits`` must be monotone: dropping more text never makes a prompt longer.
    """
    low, high = 0, size
    while low < high:
        middle = (low + high) // 2
        if fits(middle):
            high = middle
        else:
            low = middle + 1
    return low
