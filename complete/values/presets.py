"""Named sampling presets: plain ``Params`` values, reached as ``Params.preset(name)``.

A preset is an ordinary ``Params``: print it to see every setting, change one with
``Params.preset("story").evolve(temperature=1.0)``, or hand its settings to a
``Completer``: ``Completer(prompt, **Params.preset("story").to_dict())``.

- ``"story"``: prose that does not loop or turn into assistant talk, chosen by
  measurement with ``benchmarks/bench_prose.py`` on the embedded
  SmolLM2-135M-Instruct (see ``STORY``): llama.cpp's DRY sampler and the
  ``ASSISTANT_TALK`` banned phrases. DRY is meant for the local engine and
  llama.cpp servers; other servers leave out what they cannot take, each with a
  one-time warning. The bans work on every backend (``complete.writing.banning``).
- ``"greedy"``: always the likeliest token (``do_sample=False``): the same text for
  the same prompt, on every backend.

The README's "Sampling presets" section sets these beside the presets of KoboldAI
Lite and text-generation-webui. What this module does not do: choose a preset for
anyone (a ``Params()`` with nothing set keeps each server's own defaults), or store
presets of the user's own (a ``Params`` value saved with ``to_dict`` is one).
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from complete.values.params import Params

__all__ = ["ASSISTANT_TALK", "GREEDY", "PRESETS", "STORY"]

ASSISTANT_TALK: tuple[str, ...] = (
    "as an ai",
    "language model",
    "i hope this helps",
    "let me know",
    "feel free to",
    "if you have any questions",
    "this story",
    "the story is",
    "this passage",
    "in this example",
    "for example",
    "the answer is",
    "the answer to",
    "this question",
    r"/(?:^|\n)\s*(?:here is|here's|here are)\b/",
    r"/(?:^|\n)\s*(?:question|answer|q|a|step \d+)\s*:/",
    r"/(?:^|\n)\s*#{1,6}\s/",
    r"/(?:^|\n)\s*(?:opt|options?|choices?)\s*:/",
    r"/(?:^|\n)\s*[a-e]\s*[:)]\s/",
)
"""Banned phrases (``Params.banned``) that turn a story into assistant talk: a small
model trained to chat drifts into answering, reviewing or quizzing (``bench_prose.py``
saw "This story is about...", "I hope this helps", and quizzes: "What is the answer
to this question: ...", "OPT: A: Paris", "B: London"). Each is
rare in prose itself. ``STORY`` bans them; a call's own ``banned`` list replaces
this one (a story that needs one of these phrases passes a list without it)."""

STORY = Params(
    temperature=0.8,
    top_k=40,
    top_p=0.95,
    min_p=0.05,
    dry_multiplier=2.0,
    dry_base=1.75,
    dry_allowed_length=2,
    dry_window=1024,
    banned=ASSISTANT_TALK,
)
"""llama.cpp's own sampling, plus a strong DRY penalty over the last 1024 tokens and
the ``ASSISTANT_TALK`` phrases banned.

Measured again with ``bench_prose.py`` on its 60 wider openings (one seed, one
64-token continuation each, figures with 95 % intervals): without the bans 0.0 %
[0-6] of continuations loop and 1.7 % [0.3-8.9] turn into assistant talk; with them
0.0 % [0-6] and 0.0 % [0-6], at 0.02 rewinds per continuation and no slower
(1.44x on a shared machine: within its noise). DRY without the line-break breaker
measured the same loops and more talk (3.3 %), so the breakers stay llama.cpp's.

The samplers were chosen first, before the bans, with ``bench_prose.py``'s first 24
openings (seeds 1 and 2, three 64-token continuations each, end-of-text banned):
1.4 % of continuations loop and
1.4 % turn into assistant talk, against 34.7 % and 3.5 % for llama.cpp's defaults,
at the same speed. The trade-off it settles: a repetition penalty ends the loops
too (1.15: 1.4 % loop) but pushes the model out of the story (9.0 % assistant
talk; 1.3 with temperature 0.9: 13.9 %), because it penalises every word already
used, names and "the" included, while DRY penalises only the continuation of a
sequence already written. DRY at 0.8 (the common recommendation) with llama.cpp's
64-token window still loops (8.3 %); the window has to cover the story and the
multiplier be strong. Sampling that removes the likeliest words (XTC) or a lower
temperature or higher min-p each made assistant talk more frequent. The settings
llama.cpp would use anyway are written out, so that the preset means the same on
any server that takes them. The record of what was tried is in the benchmark's
docstring.
"""

GREEDY = Params(do_sample=False)
"""Always the likeliest token."""

PRESETS: Mapping[str, Params] = MappingProxyType({"story": STORY, "greedy": GREEDY})
"""Every preset by name, as ``Params.preset`` finds them."""
