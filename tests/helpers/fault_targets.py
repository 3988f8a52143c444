"""The fault matrix's transports and how a case runs, for tests/transports/test_faults.py and
tests/transports/test_deadline.py (which serve them slow and endless answers).

``TARGETS``: ``HFInference`` on the serverless route and on an endpoint,
``OpenAICompletions`` as server="openai" and as server="llama.cpp", each built for a
loopback URL and a timeout; ``run`` one story through one in a mode of ``MODES``.
"""

from __future__ import annotations

from collections.abc import Callable

import attrs

from complete.errors import CompleteError
from complete.transports.base import Transport
from complete.transports.hf.inference import HFInference
from complete.transports.openai.completions import OpenAICompletions
from complete.values.params import Params
from complete.values.story import Story
from complete.writing.core import complete, complete_stream
from tests.conftest import FAKE_TOKEN
from tests.helpers.fault_server import openai_chunk, tgi_token

PROMPT = "The lighthouse keeper climbed the stairs one last time."
PARAMS = Params(max_new_tokens=8)
TIMEOUT = (2.0, 5.0)
"""Connect and read timeouts for every case: generous, so a busy machine never trips
them when the server does answer."""


@attrs.frozen
class Target:
    """One transport under test and the protocol family it speaks."""

    name: str
    family: str  # "hf" or "openai"
    build: Callable[[str, tuple[float, float]], Transport]
    path: str  # where a generation request goes


TARGETS = [
    Target(
        "hf-serverless",
        "hf",
        lambda url, timeout: HFInference("gpt2", token=FAKE_TOKEN, base_url=f"{url}/models", timeout=timeout),
        "/models/gpt2",
    ),
    Target("hf-endpoint", "hf", lambda url, timeout: HFInference(token=FAKE_TOKEN, endpoint=url, timeout=timeout), "/"),
    Target(
        "openai",
        "openai",
        lambda url, timeout: OpenAICompletions(
            f"{url}/v1", "gpt-3.5-turbo-instruct", api_key=FAKE_TOKEN, server="openai", timeout=timeout
        ),
        "/v1/completions",
    ),
    Target(
        "llama.cpp",
        "openai",
        lambda url, timeout: OpenAICompletions(f"{url}/v1", server="llama.cpp", timeout=timeout),
        "/v1/completions",
    ),
]
MODES = ["generate", "stream"]
WRAPS = ["bare", "retrying"]


def first_piece(target: Target) -> bytes:
    """A complete event carrying the text " a"."""
    return tgi_token(" a") if target.family == "hf" else openai_chunk(" a")


def run(story: Story, transport: Transport, mode: str) -> Story | CompleteError:
    """``complete`` or ``complete_stream``; the new story, or the error it raised."""
    if mode == "generate":
        try:
            return complete(story, PARAMS, transport)
        except CompleteError as error:
            return error
    pieces: list[str] = []
    new: Story | CompleteError | None = None
    try:
        for item in complete_stream(story, PARAMS, transport):
            if isinstance(item, Story):
                new = item
            else:
                pieces.append(item)
    except CompleteError as error:
        new = error
    assert new is not None
    received = new.partial if isinstance(new, CompleteError) else new.segment
    assert received == "".join(pieces)  # exactly what reached the caller
    return new
