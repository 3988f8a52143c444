"""The short lines shown around a story: its footer, the backend's label, notes.

Pure functions of values, for the ``Completer`` (and anything else that shows a
session) to print: ``footer`` is the small line under the story (parameters,
backend, and what the newest model segment recorded), ``backend_label`` names a
backend from its ``describe()`` description, and ``continuation_note`` is the line
that follows a continuation that was interrupted or came back empty.

This module renders no markup and prints nothing: ``complete.display.screen`` shows them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from complete.transports import backends
from complete.values.params import Params
from complete.values.story import Story

if TYPE_CHECKING:
    from complete.writing.continuing import Continuation

__all__ = ["backend_label", "continuation_note", "finish_reason", "footer"]


def backend_label(backend: Mapping[str, Any]) -> str:
    """The backend's name and what it serves, from its description, as its entry in
    the table of backends labels it (``complete.transports.backends.label``).

    >>> backend_label({"backend": "hf", "model": "bigscience/bloom"})
    'hf bigscience/bloom'
    >>> backend_label({"backend": "local", "path": "/models/bloom-560m.gguf"})
    'local bloom-560m.gguf'
    """
    return backends.label(backend)


def footer(params: Params, backend: Mapping[str, Any], story: Story | None = None) -> str:
    """Parameters, backend, and what ``story`` recorded when it is the model's.

    >>> footer(Params(temperature=0.7), {"backend": "openai", "base_url": "http://127.0.0.1:8080/v1"})
    'temperature=0.7 max_new_tokens=64 · openai http://127.0.0.1:8080/v1'
    """
    parts = [" ".join(f"{name}={value}" for name, value in params.to_dict().items()), backend_label(backend)]
    generation = story.generation if story is not None and story.origin == "model" else None
    if story is not None and generation is not None:
        facts = []
        if generation.finish_reason:
            facts.append(f"finish: {generation.finish_reason}")
        if generation.completion_tokens is not None:
            facts.append(f"{generation.completion_tokens} tokens")
        if generation.elapsed is not None:
            facts.append(f"{generation.elapsed:.1f} s")
        if generation.seed is not None:
            facts.append(f"seed {generation.seed}")
        if story.interrupted:
            facts.append("interrupted")
        if facts:
            parts.append(", ".join(facts))
    return " · ".join(parts)


def continuation_note(result: Continuation) -> str:
    """The line to show after a continuation that was interrupted or empty; "" otherwise."""
    story = result.story
    if story is None:
        return "Interrupted before any text arrived."
    if result.interrupted:
        return f"Interrupted: kept the {len(story.segment)} characters received."
    if not story.segment:
        return (
            f"The model returned no new text (finish reason: {finish_reason(story)}); "
            "the story is unchanged. Try retry() or a higher temperature."
        )
    return ""


def finish_reason(story: Story) -> str:
    """Why the model stopped writing ``story``, as its generation recorded it, or "not given"."""
    return (story.generation.finish_reason if story.generation else None) or "not given"
