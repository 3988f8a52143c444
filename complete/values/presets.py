"""Named sampling presets: plain settings, reached as ``Params.preset(name)``.

A preset is the settings of an ordinary ``Params``: ``Params.preset("story")`` is that
value (print it to see every setting, change one with ``.evolve(temperature=1.0)``, or
hand its settings to a ``Completer``: ``Completer(prompt, **Params.preset("story").to_dict())``).

- ``"story"``: prose that does not loop or turn into assistant talk on the embedded
  SmolLM2-135M-Instruct: llama.cpp's own sampling, a strong DRY penalty over the
  last 1024 tokens, and the ``ASSISTANT_TALK`` phrases banned. ``benchmarks/bench_prose.py``
  chose it and keeps the record of what was measured and tried. DRY is for the local
  engine and llama.cpp servers; other servers leave out what they cannot take, each
  with a one-time warning. The bans work on every backend (``complete.writing.banning``).
- ``"greedy"``: always the likeliest token (``do_sample=False``).

The README's "Sampling presets" section sets these beside the presets of KoboldAI
Lite and text-generation-webui. What this module does not do: build ``Params`` values
(``Params.preset`` does, once; this module imports nothing of this package), choose
a preset for anyone (a ``Params()`` with nothing set keeps each server's own
defaults), or store presets of the user's own (a ``Params`` value saved with
``to_dict`` is one).
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

__all__ = ["ASSISTANT_TALK", "PRESETS"]

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
rare in prose itself. The story preset bans them; a call's own ``banned`` list replaces
this one (a story that needs one of these phrases passes a list without it)."""

PRESETS: Mapping[str, Mapping[str, Any]] = MappingProxyType(
    {
        "story": MappingProxyType(
            {
                "temperature": 0.8,
                "top_k": 40,
                "top_p": 0.95,
                "min_p": 0.05,
                "dry_multiplier": 2.0,
                "dry_base": 1.75,
                "dry_allowed_length": 2,
                "dry_window": 1024,
                "banned": ASSISTANT_TALK,
            }
        ),
        "greedy": MappingProxyType({"do_sample": False}),
    }
)
"""Every preset's settings by name. The story preset writes out the samplers llama.cpp
would use anyway, so that it means the same on any server that takes them."""
