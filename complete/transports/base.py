"""The transport protocol: the one place where a prompt becomes model text.

A transport has two methods. ``generate`` makes one request and returns a
``Generation``; ``stream`` makes one request and yields text pieces as they arrive.
Everything else in ``complete`` is built on values, so any object with these two
methods (a server client, an in-process model, a test double) can write a story.

Conventions every transport here follows, and that third-party ones may follow:

- ``stream`` is a generator whose *return value* is the final ``Generation``
  (finish reason, token counts); ``complete_stream`` reads it when present. The
  pieces joined are exactly ``Generation.text``.
- Errors are ``complete.errors`` classes, mapped at this edge; an error that ends
  a stream early carries the text received so far in ``.partial``.
- ``describe()`` (optional) returns a JSON-ready description without secrets, used
  to save and reload a session; ``count_tokens`` and ``context_window`` (optional)
  let the prompt window use the backend's real tokenizer.

This module defines the shapes only; it imports no HTTP or model library.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Protocol, runtime_checkable

from complete.values.generation import Generation
from complete.values.params import Params

__all__ = ["BansTokens", "Describes", "Tokenizes", "Transport", "describe"]


@runtime_checkable
class Transport(Protocol):
    """Anything that turns a prompt and ``Params`` into model text."""

    def generate(self, prompt: str, params: Params) -> Generation:
        """One request; the whole continuation."""
        ...

    def stream(self, prompt: str, params: Params) -> Iterator[str]:
        """One request; text pieces as they arrive (return value: the Generation)."""
        ...


@runtime_checkable
class Tokenizes(Protocol):
    """A transport that can count tokens with the backend's own tokenizer."""

    def count_tokens(self, text: str) -> int | None:
        """How many tokens the backend reads for ``text`` as a prompt (special
        tokens such as BOS included), or None when this backend cannot say."""
        ...

    def context_window(self) -> int | None:
        """The model's window in tokens (prompt plus new tokens), if known."""
        ...


@runtime_checkable
class BansTokens(Protocol):
    """A transport whose backend takes ``Params.logit_bias`` on token ids and can say
    which ids a text is made of: ``complete.writing.banning`` then bans a banned phrase's
    first token at one position (a one-token request with that token at -100)
    instead of sampling again with another seed."""

    def token_ids(self, text: str) -> list[int] | None:
        """The ids of ``text``'s tokens (no special tokens), or None when this
        backend cannot say (then the phrase is sampled again instead)."""
        ...


@runtime_checkable
class Describes(Protocol):
    """A transport that can say what it is, without secrets, for saving."""

    def describe(self) -> dict[str, Any]:
        """For example ``{"backend": "hf", "model": "bigscience/bloom"}``."""
        ...


def describe(transport: object) -> dict[str, Any]:
    """``transport.describe()`` when it has one, else its class name.

    >>> describe(object())
    {'backend': 'object'}
    """
    if isinstance(transport, Describes):
        return transport.describe()
    return {"backend": type(transport).__name__}
