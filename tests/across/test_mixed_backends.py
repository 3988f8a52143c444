"""One story, three backends: HF/TGI (cassette), an OpenAI-compatible server
(live, on loopback) and the embedded local model, taking turns; every node says
which backend wrote it."""

from __future__ import annotations

from complete import HFInference, LocalModel, OpenAICompletions, Params, Story, complete, complete_stream
from complete.testing import recording
from tests.conftest import CASSETTES
from tests.helpers.llama_server import API_KEY, MODEL_ALIAS

PROMPT = "The lighthouse keeper climbed the stairs one last time."


def test_one_story_continued_through_hf_openai_and_local(llama_server: str) -> None:
    story = Story.from_prompt(PROMPT)
    with recording(CASSETTES / "hf-object-form.yaml", record_mode="none"):
        story = complete(
            story,
            Params(temperature=0.7, max_new_tokens=12, seed=7),
            HFInference(endpoint="http://127.0.0.1:8080/generate"),
        )
    server = OpenAICompletions(base_url=llama_server, model=MODEL_ALIAS, api_key=API_KEY, server="llama.cpp")
    local = LocalModel(n_ctx=1024)
    params = Params(temperature=0.8, max_new_tokens=8, seed=11)
    story = complete(story, params, server)
    story = complete(story, params, local)
    *_, story = complete_stream(story, params, server)
    *_, story = complete_stream(story, params, local)

    assert isinstance(story, Story)
    writers = [(node.origin, node.generation.backend if node.generation else None) for node in story.path]
    assert writers == [
        ("prompt", None),
        ("model", "hf"),
        ("model", "openai"),
        ("model", "local"),
        ("model", "openai"),
        ("model", "local"),
    ]
    assert story.path[1].segment == " He had counted them every night."
    assert [node.generation.model for node in story.path[1:]] == [  # type: ignore[union-attr]
        "http://127.0.0.1:8080/generate",
        MODEL_ALIAS,
        "SmolLM2-135M-Instruct.Q4_1.gguf",
        MODEL_ALIAS,
        "SmolLM2-135M-Instruct.Q4_1.gguf",
    ]
    assert all(node.segment for node in story.path)
    assert story.text == "".join(node.segment for node in story.path)
