"""Banned phrases kept out of a continuation: hold back, rewind, ban, sample again.

KoboldCpp's "anti-slop" method, over any transport (``stream``). What it does not
do: decide what a phrase is (``complete.values.phrases``), or send anything a
transport does not already send (``logit_bias`` is a ``Params`` field).
"""

from __future__ import annotations

from collections.abc import Generator, Iterator

import attrs

from complete.transports.base import BansTokens, Transport
from complete.transports.logit_bias import BAN
from complete.values.generation import FinishReason, Generation
from complete.values.params import Params
from complete.values.phrases import Phrases, rewind_point

__all__ = ["MAX_REWINDS", "stream", "with_default_bans"]

MAX_REWINDS = 10
"""Rewinds allowed in one call; the next banned phrase ends the call before it."""
_SEEDS = 2**32


def with_default_bans(params: Params, transport: Transport) -> Params:
    """``params`` with the ``banned`` of the transport's ``defaults`` (the embedded
    model's story preset) when the call sets none. The transport fills in its other
    defaults itself; bans are applied here, above it, so ``complete()`` asks for them.
    As with the rest of a preset, greedy decoding takes none.

    >>> class Preset:
    ...     defaults = Params(banned=["as an ai"])
    >>> with_default_bans(Params(), Preset()).banned, with_default_bans(Params(temperature=0), Preset()).banned
    (('as an ai',), ())
    """
    defaults = getattr(transport, "defaults", None)
    if params.banned or not isinstance(defaults, Params) or not defaults.banned:
        return params
    if params.do_sample is False or params.temperature == 0:
        return params
    return params.evolve(banned=defaults.banned)


def _asked(params: Params, remaining: int, bans: list[int], shift: int) -> Params:
    """The next request's params: one token with the ``bans`` at -100, or the rest
    with the seed moved on by ``shift`` (the rewinds that sampled again)."""
    if bans:
        return params.evolve(max_new_tokens=1, logit_bias=(*params.logit_bias, *((ban, BAN) for ban in bans)))
    if shift and params.seed is not None:
        return params.evolve(max_new_tokens=remaining, seed=(params.seed + shift) % _SEEDS)
    return params.evolve(max_new_tokens=remaining)


def _first_token(transport: Transport, tail: str) -> int | None:
    ids = transport.token_ids(tail) if isinstance(transport, BansTokens) else None
    return ids[0] if ids else None


def stream(prompt: str, params: Params, transport: Transport) -> Generator[str, None, Generation]:
    """``transport.stream`` with ``params.banned`` kept out of the text; yields the
    text pieces that can no longer change, returns the ``Generation`` of the whole call.

    The end of the text that could still become a banned phrase (``Phrases.hold``) is
    not shown yet. When the text contains a banned phrase, the request is closed (the
    engine stops), the text is cut back to where the phrase began (the start of its
    word, before the spaces: ``phrases.rewind_point``), and generation starts again
    from there, the text kept so far appended to the prompt:

    - where the transport ``BansTokens`` (the embedded engine, llama-server, vLLM), the
      first token of what was cut is banned at that one position: one request of one
      token with that token's logit bias at -100 (and every token banned there
      before, when the text comes back to the same place), then the rest as before.
      The same token is free everywhere else.
    - elsewhere (TGI, Hugging Face, OpenAI itself, or when the server gives no ids),
      the rest is sampled again with another seed (the seed plus the number of
      rewinds; a seed left unset is drawn again by the backend). Greedy decoding gives the same text again there, so the
      rewind limit ends it.

    After ``MAX_REWINDS`` rewinds in one call, the next banned phrase ends the call
    before it, with finish reason "banned". Nothing already shown is taken back, and
    the text is as long (in tokens) as asked for: tokens are counted as the stream's
    pieces (one per token on llama.cpp's and TGI's streams), or the server's count of a
    request that ran to its end. ``Generation.rewinds`` records the rewinds; log
    probabilities are kept only when there was none (a closed request reports none).

    >>> from complete.testing import ScriptedTransport
    >>> transport = ScriptedTransport([" It was a testament to her", " courage and grit", " will"])
    >>> pieces = list(stream("Once", Params(banned=["testament"], max_new_tokens=7, seed=1), transport))
    >>> "".join(pieces), [asked.seed for _, asked in transport.calls]
    (' It was a courage and grit will', [1, 2, 2])
    """
    phrases = Phrases.of(params.banned)
    plain = params.evolve(banned=())
    text, shown, rewinds, shift = "", 0, 0, 0
    marks: list[tuple[int, int]] = [(0, 0)]  # (characters, tokens) at each piece's end
    bans: list[int] = []  # the token ids banned at the position the next request starts at
    banned_at: dict[int, list[int]] = {}  # every token banned so far, by the position it was banned at
    known: Generation | None = None
    last: Generation | None = None
    finish: FinishReason | None = "length"
    while marks[-1][1] < params.max_new_tokens:
        asked = _asked(plain, params.max_new_tokens - marks[-1][1], bans, shift)
        pieces: Iterator[str] = transport.stream(prompt + text, asked)
        found, last, before = None, None, marks[-1][1]
        try:
            while found is None:
                try:
                    piece = next(pieces)
                except StopIteration as stop:
                    last = stop.value if isinstance(stop.value, Generation) else Generation(text="")
                    break
                if not piece:
                    continue
                text += piece
                marks.append((len(text), marks[-1][1] + 1))
                found = phrases.find(text, shown)
                safe = len(text) if found else phrases.hold(text)
                if found is None and safe > shown:
                    yield text[shown:safe]
                    shown = safe
        finally:
            close = getattr(pieces, "close", None)
            if close is not None:
                close()
        if found is not None:
            cut = max(shown, rewind_point(text, found.start()))
            text, tail = text[:cut], text[cut:]
            marks = [mark for mark in marks if mark[0] <= cut]
            if marks[-1][0] < cut:  # a piece was cut in two: count it
                marks.append((cut, marks[-1][1] + 1))
            if rewinds == MAX_REWINDS:
                finish = "banned"
                break
            rewinds += 1
            ban = _first_token(transport, tail)
            shift += ban is None
            bans = banned_at.setdefault(cut, []) if ban is not None else []
            if ban is not None and ban not in bans:
                bans.append(ban)
            continue
        assert last is not None
        known = known or last
        if last.completion_tokens is not None:
            start = next(index for index, mark in enumerate(marks) if mark[0] >= len(text) - len(last.text))
            marks[start + 1 :] = [(len(text), marks[start][1] + last.completion_tokens)]
        bans = []
        if last.finish_reason != "length" or marks[-1][1] == before:
            finish = last.finish_reason
            break
    if shown < len(text):
        yield text[shown:]
    base = known or last or Generation(text="")
    return attrs.evolve(
        base,
        text=text,
        finish_reason=finish,
        completion_tokens=marks[-1][1],
        seed=params.seed if params.seed is not None else base.seed,
        rewinds=rewinds,
        logprobs=base.logprobs if rewinds == 0 else None,
    )
