"""Every sampler of ``Params`` reaches the wire of each backend that takes it.

- llama.cpp, live: the session's llama-server on loopback (the ``llama_server``
  fixture of ``tests/helpers/llama_server.py``), behind its API key. Its ``/slots`` route
  reports the sampler settings of its last request (it has one slot), so what the
  server received is compared with what was set, under the names llama.cpp gives
  them (written out here, not read from the transport's table, so a wrong name
  fails). DRY's sequence breakers are not in
  that report; they are shown by their effect on greedy text instead.
- vLLM, TGI (its ``/v1/completions`` and its native ``{"inputs", "parameters"}``
  route), Ollama and OpenAI: hand-written cassettes (``cassettes/samplers-*.yaml``),
  written from each server's documented request schema (see
  ``cassettes/README.md``). vcrpy matches the request body, so a parameter sent
  under another name, or a parameter not sent, fails the replay; the parameters a
  server cannot take are each named in one warning.
"""

from __future__ import annotations

import warnings
from typing import Any

import pytest
import requests

from complete import Params
from complete.testing import recording
from complete.transports.hf.inference import HFInference
from complete.transports.openai.completions import OpenAICompletions
from tests.conftest import CASSETTES
from tests.helpers.llama_server import API_KEY

PROMPT = "The lighthouse keeper counted the ships"

EVERY_SAMPLER = Params(
    temperature=0.9,
    top_k=30,
    top_p=0.9,
    max_new_tokens=8,
    seed=11,
    repetition_penalty=1.12,
    min_p=0.07,
    typical_p=0.95,
    presence_penalty=0.3,
    frequency_penalty=0.2,
    repetition_window=128,
    dry_multiplier=0.8,
    dry_base=1.5,
    dry_allowed_length=3,
    dry_window=256,
    dry_breakers=["\n", "."],
    xtc_probability=0.3,
    xtc_threshold=0.15,
    mirostat=2,
    mirostat_tau=4.5,
    mirostat_eta=0.2,
)

# -- llama.cpp, live ------------------------------------------------------------------


@pytest.fixture
def llama_cpp(llama_server: str) -> str:
    """The root URL (where ``/slots`` is) of the session's live llama-server."""
    return llama_server.removesuffix("/v1")


def last_settings(root: str) -> dict[str, Any]:
    """The sampler settings llama-server used for its last request (``/slots``)."""
    slots = requests.get(f"{root}/slots", headers={"Authorization": f"Bearer {API_KEY}"}, timeout=30).json()
    settings: dict[str, Any] = slots[0]["params"]
    return settings


@pytest.mark.parametrize("call", ["generate", "stream"])
def test_every_sampler_reaches_a_live_llama_cpp_server_under_its_own_name(llama_cpp: str, call: str) -> None:
    transport = OpenAICompletions(f"{llama_cpp}/v1", api_key=API_KEY, server="llama.cpp")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # llama.cpp takes everything: not one warning
        if call == "generate":
            transport.generate(PROMPT, EVERY_SAMPLER)
        else:
            list(transport.stream(PROMPT, EVERY_SAMPLER))
    received = last_settings(llama_cpp)
    expected = {
        "temperature": 0.9,
        "top_k": 30,
        "top_p": 0.9,
        "n_predict": 8,
        "seed": 11,
        "repeat_penalty": 1.12,
        "min_p": 0.07,
        "typical_p": 0.95,
        "presence_penalty": 0.3,
        "frequency_penalty": 0.2,
        "repeat_last_n": 128,
        "dry_multiplier": 0.8,
        "dry_base": 1.5,
        "dry_allowed_length": 3,
        "dry_penalty_last_n": 256,
        "xtc_probability": 0.3,
        "xtc_threshold": 0.15,
        "mirostat": 2,
        "mirostat_tau": 4.5,
        "mirostat_eta": 0.2,
    }
    # The server keeps floats as 32-bit values: 0.9 comes back as 0.899999976...
    assert {name: received[name] for name in expected} == pytest.approx(expected, rel=1e-6)


def test_a_live_llama_cpp_server_reports_its_defaults_when_nothing_is_set(llama_cpp: str) -> None:
    OpenAICompletions(f"{llama_cpp}/v1", api_key=API_KEY, server="llama.cpp").generate(PROMPT, Params(max_new_tokens=2))
    received = last_settings(llama_cpp)
    assert {name: received[name] for name in ("min_p", "repeat_last_n", "dry_multiplier", "mirostat")} == {
        "min_p": pytest.approx(0.05),
        "repeat_last_n": 64,
        "dry_multiplier": 0.0,
        "mirostat": 0,
    }


def test_dry_breakers_reach_a_live_llama_cpp_server(llama_cpp: str) -> None:
    transport = OpenAICompletions(f"{llama_cpp}/v1", api_key=API_KEY, server="llama.cpp")
    chant = "The chant went: one two three, one two three, one two three, one two three, one two three,"
    greedy = Params(temperature=0, max_new_tokens=16)
    dry = greedy.evolve(dry_multiplier=4.0, dry_allowed_length=1, dry_window=256)
    plain = transport.generate(chant, greedy).text
    assert plain == " one two three, one two three, one two three, one two three,"
    # DRY with breakers that never occur sees the repeated chant and breaks it...
    assert transport.generate(chant, dry.evolve(dry_breakers=["zzz"])).text != plain
    # ...and with a space as a breaker (in every token here) it sees no sequence at all.
    assert transport.generate(chant, dry.evolve(dry_breakers=[" "])).text == plain


# -- the other servers, from hand-written cassettes ---------------------------------------

TEXT = " as they passed the rocks, one by one"
ONLY_LLAMA_CPP = [
    "repetition_window",
    "dry_multiplier",
    "dry_base",
    "dry_allowed_length",
    "dry_window",
    "dry_breakers",
    "xtc_probability",
    "xtc_threshold",
    "mirostat",
    "mirostat_tau",
    "mirostat_eta",
]
"""Taken by llama.cpp alone, in the order the warnings come (``Params``' field order)."""


def replay(cassette: str, transport: Any) -> tuple[str, list[str]]:
    """Generate from ``PROMPT`` against ``cassette``; the text and the fields warned about."""
    with recording(CASSETTES / cassette, record_mode="none") as played, warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        text = transport.generate(PROMPT, EVERY_SAMPLER).text
    assert played.all_played
    assert all(warning.category is UserWarning for warning in seen)
    return text, [str(warning.message).split("=")[0] for warning in seen]


@pytest.mark.parametrize(
    ("cassette", "server", "base_url", "not_sent"),
    [
        (
            "samplers-openai.yaml",
            "openai",
            "https://api.openai.com/v1",
            ["top_k", "repetition_penalty", "min_p", "typical_p", *ONLY_LLAMA_CPP],
        ),
        ("samplers-vllm.yaml", "vllm", "http://127.0.0.1:8000/v1", ["typical_p", *ONLY_LLAMA_CPP]),
        (
            "samplers-tgi.yaml",
            "tgi",
            "http://127.0.0.1:8080/v1",
            ["top_k", "min_p", "typical_p", "presence_penalty", *ONLY_LLAMA_CPP],
        ),
        (
            "samplers-ollama.yaml",
            "ollama",
            "http://127.0.0.1:11434/v1",
            ["top_k", "repetition_penalty", "min_p", "typical_p", *ONLY_LLAMA_CPP],
        ),
    ],
)
def test_each_openai_compatible_server_gets_the_samplers_its_schema_lists(
    cassette: str, server: str, base_url: str, not_sent: list[str]
) -> None:
    transport = OpenAICompletions(base_url, model="story-model", api_key="sk-test", server=server)
    assert replay(cassette, transport) == (TEXT, not_sent)


def test_tgis_native_route_gets_typical_p_and_the_frequency_penalty_too() -> None:
    transport = HFInference(endpoint="http://127.0.0.1:8080")
    assert replay("samplers-tgi-native.yaml", transport) == (TEXT, ["min_p", "presence_penalty", *ONLY_LLAMA_CPP])


def test_tgis_native_route_leaves_out_typical_p_of_one_and_all_of_it_when_greedy() -> None:
    from complete.transports.hf.wire import request_body

    assert "typical_p" not in request_body("Once", Params(typical_p=1.0))["parameters"]
    assert request_body("Once", Params(typical_p=0.9))["parameters"]["do_sample"] is True
    greedy = request_body("Once", Params(typical_p=0.9, frequency_penalty=0.5, do_sample=False))["parameters"]
    assert greedy == {
        "return_full_text": False,
        "details": True,
        "max_new_tokens": 64,
        "do_sample": False,
        "frequency_penalty": 0.5,
    }


def test_the_native_route_warns_once_per_transport_and_parameter() -> None:
    transport = HFInference(endpoint="http://127.0.0.1:8080")
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        transport._warn_left_out(Params(min_p=0.1))
        transport._warn_left_out(Params(min_p=0.2, dry_multiplier=0.8))
        HFInference(endpoint="http://127.0.0.1:8080")._warn_left_out(Params(min_p=0.3))
    assert [str(warning.message) for warning in seen] == [
        f"{field} is not sent: the Hugging Face text-generation API (serverless, Inference Endpoints, TGI) has "
        "no such parameter. A llama.cpp server (OpenAICompletions(server='llama.cpp')) or the local model takes it."
        for field in ("min_p=0.1", "dry_multiplier=0.8", "min_p=0.3")
    ]
