"""Re-record the HTTP cassettes against real services (the nox ``record`` session).

Run ``python tests/helpers/record_cassettes.py`` from the repository root. What it needs:

- ``HF_TOKEN``: the Hugging Face Hub and router scenarios (hf-inference's native
  route, and hosted models through the Hub's provider mapping);
- ``TGI_URL``: a text-generation-inference server you run (``http://host:port``),
  for the TGI scenarios; ``HF_ENDPOINT_URL`` (an Inference Endpoint running TGI)
  for the one Inference Endpoint scenario.

A scenario whose variable is missing is skipped with a message, and its cassette
(hand-written, and marked so in its first line) stays as it is. Some answers cannot
be provoked on demand (a model still loading, a rate limit, a GPU running out of
memory, a stream cut by the network): those scenarios are listed with the reason
and always skipped.

Each scenario makes exactly the request the tests replay (``tests/transports/hf/test_inference.py``
replays every scenario below against its cassette, so they cannot drift apart).
A recording goes to a temporary file and then replaces the cassette, with the live
TGI or endpoint address rewritten to the address the tests use, and a first line
saying what was recorded, against what and when. The token is filtered from the
headers and scrubbed from the bodies by ``complete.testing.recording``.

After re-recording, the answers are the live service's: update the expected values
in ``tests/transports/hf/test_inference.py`` (the requests, and so the cassette matching, stay the same).

The OpenAI-compatible cassettes have their own recorder, owned by that
transport's author; see the marked section at the end.
"""

from __future__ import annotations

import datetime
import os
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import attrs

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # run as a script: make ``tests`` importable
    sys.path.insert(0, str(ROOT))

from complete.errors import CompleteError  # noqa: E402
from complete.testing import recording  # noqa: E402
from complete.transports.hf.inference import SERVERLESS_URL, HFInference  # noqa: E402
from complete.values.params import Params  # noqa: E402
from tests.helpers.streams import drain  # noqa: E402

__all__ = ["REPLAY_ENDPOINT", "REPLAY_TGI", "SCENARIOS", "Scenario", "Target", "record_hf"]

CASSETTES = ROOT / "cassettes"
PROMPT = "The lighthouse keeper climbed the stairs one last time."
REPLAY_TGI = "http://127.0.0.1:8080"
"""The TGI address written into the cassettes (replay never connects)."""
REPLAY_ENDPOINT = "https://a1b2c3d4e5f6g7h8.us-east-1.aws.endpoints.huggingface.cloud"
"""The Inference Endpoint address written into the cassettes."""
INVALID_TOKEN = "hf_not_a_real_token"
"""Sent on purpose to be refused (too short to look like a real token)."""


@attrs.frozen
class Target:
    """Where a scenario sends its request."""

    token: str | None = None
    tgi: str = REPLAY_TGI
    endpoint: str = REPLAY_ENDPOINT


@attrs.frozen
class Scenario:
    """One cassette: the request that fills it, what it needs, and whether it can be
    provoked live (``unprovokable`` says why not)."""

    cassette: str
    needs: str
    run: Callable[[Target], object]
    unprovokable: str = ""


def _stream(transport: HFInference, params: Params) -> object:
    return drain(transport.stream(PROMPT, params))


def _caught(action: Callable[[], object]) -> object:
    """Run ``action``; an error is a legitimate outcome for an error scenario."""
    try:
        return action()
    except CompleteError as error:
        return error


_TARGET_TOKEN = "the target's token"


def serverless(
    params: Params,
    *,
    model: str = "bigscience/bloom",
    token: str | None = _TARGET_TOKEN,
    base_url: str = SERVERLESS_URL,
) -> Callable[[Target], object]:
    """The native wire at hf-inference's router address, named directly (no mapping)."""

    def run(target: Target) -> object:
        chosen = target.token if token == _TARGET_TOKEN else token
        transport = HFInference(model, token=chosen, base_url=base_url)
        return _caught(lambda: transport.generate(PROMPT, params))

    return run


def tgi(params: Params, *, path: str = "", prompt: str = PROMPT, stream: bool = False) -> Callable[[Target], object]:
    def run(target: Target) -> object:
        transport = HFInference(endpoint=target.tgi + path)
        if stream:
            return _caught(lambda: _stream(transport, params))
        return _caught(lambda: transport.generate(prompt, params))

    return run


def endpoint(params: Params) -> Callable[[Target], object]:
    def run(target: Target) -> object:
        return _caught(lambda: HFInference(endpoint=target.endpoint, token=target.token).generate(PROMPT, params))

    return run


def readme_session(target: Target) -> object:
    """The original README's session: its prompt, temperature=1.0, top_k=30, two calls, streamed."""
    from complete.values.story import Story
    from complete.writing.core import complete_stream
    from tests.helpers.seed_prompt import SEED_PROMPT

    transport = HFInference("bigscience/bloom", token=target.token)
    story: object = Story.from_prompt(SEED_PROMPT)
    for _ in range(2):
        assert isinstance(story, Story)
        *_, story = complete_stream(story, Params(temperature=1.0, top_k=30), transport)
    return story


HOSTED_PARAMS = Params(temperature=1.0, top_k=30, max_new_tokens=20)


def hosted(model: str, params: Params = HOSTED_PARAMS, *, stream: bool = False) -> Callable[[Target], object]:
    """A hosted model through Inference Providers: the Hub's mapping, then the provider's route."""

    def run(target: Target) -> object:
        transport = HFInference(model, token=target.token)
        if stream:
            return _caught(lambda: _stream(transport, params))
        return _caught(lambda: transport.generate(PROMPT, params))

    return run


def tokenize(target: Target) -> object:
    return HFInference(endpoint=target.tgi).count_tokens(PROMPT)


def info(target: Target) -> object:
    return HFInference(endpoint=target.tgi).context_window()


SCENARIOS = (
    # -- the Hugging Face router (HF_TOKEN) --
    Scenario("hf-list-form.yaml", "HF_TOKEN", serverless(Params(temperature=1.0, top_k=30, max_new_tokens=20))),
    Scenario("hf-401-auth.yaml", "HF_TOKEN", serverless(Params(), token=INVALID_TOKEN)),
    Scenario(
        "hf-403-header-only.yaml",
        "HF_TOKEN",
        serverless(Params(max_new_tokens=10), token=None),
        unprovokable="needs a token without the Inference Providers permission",
    ),
    Scenario("hf-404-not-found.yaml", "HF_TOKEN", serverless(Params(temperature=1.0, top_k=30))),
    Scenario(
        "hf-400-not-supported.yaml",
        "HF_TOKEN",
        serverless(Params(max_new_tokens=20)),
        unprovokable="the router answers either this 400 or the 404 for an unserved model, as it pleases",
    ),
    Scenario(
        "hf-503-loading.yaml",
        "HF_TOKEN",
        serverless(Params(), model="bigscience/bloom-560m"),
        unprovokable="a model is loading only when the service decides to load it",
    ),
    Scenario(
        "hf-429-rate-limit.yaml",
        "HF_TOKEN",
        serverless(Params(max_new_tokens=16), model="bigscience/bloom-560m"),
        unprovokable="a rate limit cannot be reached politely",
    ),
    Scenario(
        "hf-500-warnings.yaml",
        "HF_TOKEN",
        serverless(Params(max_new_tokens=32), model="bigscience/bloom-560m"),
        unprovokable="an inference failure on the service's side",
    ),
    Scenario(
        "hf-410-gone.yaml",
        "HF_TOKEN",
        serverless(Params(), base_url="https://api-inference.huggingface.co/models"),
    ),
    Scenario(
        "hf-200-not-generation.yaml",
        "HF_TOKEN",
        serverless(Params(), model="distilbert/distilbert-base-uncased-finetuned-sst-2-english"),
    ),
    # -- hosted models: the Hub's provider mapping, then the router (HF_TOKEN) --
    Scenario("hf-providers-chat-only.yaml", "HF_TOKEN", hosted("meta-llama/Meta-Llama-3-8B-Instruct")),
    Scenario("hf-providers-renamed.yaml", "HF_TOKEN", hosted("meta-llama/Meta-Llama-3.1-8B-Instruct")),
    Scenario("hf-providers-none.yaml", "HF_TOKEN", hosted("bigscience/bloom")),
    Scenario(
        "hf-providers-together.yaml",
        "HF_TOKEN",
        hosted("meta-llama/Llama-3.1-8B"),
        unprovokable=(
            "its mapping is illustrative; to record a real one, pick a model a provider serves for "
            "text-generation today (list_providers says which) and update the test"
        ),
    ),
    Scenario(
        "hf-providers-together-stream.yaml",
        "HF_TOKEN",
        hosted("meta-llama/Llama-3.1-8B", Params(temperature=1.0, top_k=30, max_new_tokens=4), stream=True),
        unprovokable="its mapping is illustrative, as for hf-providers-together.yaml",
    ),
    Scenario(
        "hf-providers-hf-inference.yaml",
        "HF_TOKEN",
        hosted("openai-community/gpt2"),
        unprovokable="hf-inference serves no text-generation model today; the cassette shows its route",
    ),
    # -- an Inference Endpoint (HF_ENDPOINT_URL and HF_TOKEN) --
    Scenario(
        "hf-details.yaml",
        "HF_ENDPOINT_URL",
        endpoint(
            Params(temperature=0.9, top_k=40, top_p=0.95, repetition_penalty=1.1, seed=42, stop="\n", max_new_tokens=30)
        ),
    ),
    Scenario(
        "hf-readme-session.yaml",
        "HF_TOKEN",
        readme_session,
        unprovokable="BLOOM is no longer served by the serverless API; the cassette shows how it answered",
    ),
    # -- a TGI server you run (TGI_URL) --
    Scenario(
        "hf-object-form.yaml", "TGI_URL", tgi(Params(temperature=0.7, max_new_tokens=12, seed=7), path="/generate")
    ),
    Scenario("hf-logprobs.yaml", "TGI_URL", tgi(Params(temperature=0, max_new_tokens=4, logprobs=2))),
    Scenario("hf-stream.yaml", "TGI_URL", tgi(Params(temperature=0.8, top_k=30, max_new_tokens=5), stream=True)),
    Scenario("hf-tgi-tokenize.yaml", "TGI_URL", tokenize),
    Scenario("hf-tgi-info.yaml", "TGI_URL", info),
    Scenario("hf-422-validation.yaml", "TGI_URL", tgi(Params(logprobs=10, max_new_tokens=8))),
    Scenario(
        "hf-422-context-total.yaml",
        "TGI_URL",
        tgi(Params()),
        unprovokable="needs a TGI started with --max-total-tokens 32",
    ),
    Scenario(
        "hf-422-context-input.yaml",
        "TGI_URL",
        tgi(Params(max_new_tokens=4), prompt=" ".join([PROMPT] * 3)),
        unprovokable="needs a TGI started with --max-input-tokens 24 --max-total-tokens 64",
    ),
    Scenario(
        "hf-429-overloaded.yaml",
        "TGI_URL",
        tgi(Params()),
        unprovokable="TGI is overloaded only under more concurrent requests than it admits",
    ),
    Scenario(
        "hf-422-plain-text.yaml",
        "TGI_URL",
        tgi(Params(max_new_tokens=9)),
        unprovokable="a body the server cannot read is never sent by this transport",
    ),
    Scenario(
        "hf-424-generation.yaml",
        "TGI_URL",
        tgi(Params(max_new_tokens=100)),
        unprovokable="a model failing while it generates (out of GPU memory)",
    ),
    Scenario(
        "hf-500-incomplete.yaml",
        "TGI_URL",
        tgi(Params(max_new_tokens=101)),
        unprovokable="an internal failure of the server",
    ),
    Scenario(
        "hf-stream-error-event.yaml",
        "TGI_URL",
        tgi(Params(max_new_tokens=40), stream=True),
        unprovokable="a model failing part-way through a stream",
    ),
    Scenario(
        "hf-stream-overloaded.yaml",
        "TGI_URL",
        tgi(Params(max_new_tokens=41), stream=True),
        unprovokable="TGI is overloaded only under more concurrent requests than it admits",
    ),
    Scenario(
        "hf-stream-cut.yaml",
        "TGI_URL",
        tgi(Params(max_new_tokens=42), stream=True),
        unprovokable="a connection dropped by the network part-way through a stream",
    ),
)


_NEEDS = {"HF_TOKEN": ("HF_TOKEN",), "HF_ENDPOINT_URL": ("HF_ENDPOINT_URL", "HF_TOKEN"), "TGI_URL": ("TGI_URL",)}
"""The environment each kind of scenario needs (your own TGI server needs no token)."""


def _live_target() -> Target:
    return Target(
        token=os.environ.get("HF_TOKEN") or None,
        tgi=(os.environ.get("TGI_URL") or REPLAY_TGI).rstrip("/"),
        endpoint=(os.environ.get("HF_ENDPOINT_URL") or REPLAY_ENDPOINT).rstrip("/"),
    )


def record_hf(directory: Path = CASSETTES) -> list[Path]:
    """Re-record every HF scenario that can be provoked and whose service is set."""
    target = _live_target()
    written: list[Path] = []
    today = datetime.date.today().isoformat()
    for scenario in SCENARIOS:
        if scenario.unprovokable:
            print(f"skip {scenario.cassette}: cannot be provoked on demand ({scenario.unprovokable})")
            continue
        missing = [name for name in _NEEDS[scenario.needs] if not os.environ.get(name)]
        if missing:
            print(f"skip {scenario.cassette}: set {' and '.join(missing)} to record it")
            continue
        path = directory / scenario.cassette
        with tempfile.TemporaryDirectory() as scratch:
            fresh = Path(scratch) / scenario.cassette
            with recording(fresh, record_mode="once", secrets=[target.token or ""]):
                scenario.run(target)
            text = fresh.read_text(encoding="utf-8")
        text = text.replace(target.tgi, REPLAY_TGI).replace(target.endpoint, REPLAY_ENDPOINT)
        where = {"TGI_URL": "a TGI server", "HF_ENDPOINT_URL": "an Inference Endpoint"}.get(
            scenario.needs, "the Hugging Face Hub and router"
        )
        header = (
            f"# RECORDED from {where} on {today} by tests/helpers/record_cassettes.py"
            + (" (its address rewritten to the replay address)" if scenario.needs != "HF_TOKEN" else "")
            + ".\n"
        )
        path.write_text(header + text, encoding="utf-8")
        written.append(path)
        print(f"recorded {path}")
    return written


# ----------------------------------------------------------------------------------
# OpenAI-compatible cassettes: the scenarios and the recorder live in
# tests/helpers/record_openai_cassettes.py; this function is the hook main() calls.
# ----------------------------------------------------------------------------------


def record_openai_compatible() -> list[Path]:
    """Re-record the OpenAI-compatible cassettes (llama-cpp-python's server on loopback)."""
    from tests.helpers.record_openai_cassettes import record_openai

    return record_openai()


def main(argv: list[str]) -> int:
    """``record_cassettes.py [hf] [openai]``: both when neither is named."""
    chosen = set(argv) or {"hf", "openai"}
    unknown = chosen - {"hf", "openai"}
    if unknown:
        print(f"unknown group(s): {', '.join(sorted(unknown))}; choose from hf, openai")
        return 2
    if "hf" in chosen:
        record_hf()
    if "openai" in chosen:
        for path in record_openai_compatible():
            print(f"recorded {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
