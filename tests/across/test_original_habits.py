"""What notebooks written for the original project do still works (issue 21).

The original (its README is ../shared/seed/ORIGINAL-README.md) also had
``bloom.complete()``, sampling parameters as attributes, the names
``CompletionError``, ``UnexpectedResponseError`` and ``Supplier``, 64-bit seeds, a
``print(bloom)`` with paragraphs apart, and one backend line per notebook. What
concerns the display is checked in a real kernel, as a notebook runs it.
"""

from __future__ import annotations

import itertools
from typing import Any

import attrs
import nbformat
import pytest

from complete import (
    APIError,
    Completer,
    CompletionError,
    Params,
    ParamsError,
    RateLimitError,
    ResponseError,
    Supplier,
    UnexpectedResponseError,
)
from complete.testing import ScriptedTransport
from complete.transports.hf.wire import request_body
from complete.transports.openai.wire import DIALECTS, completion_body
from complete.values import samplers
from tests.helpers.notebooks import run_cells


def _bloom(*replies: str | BaseException, **params: Any) -> tuple[Completer, ScriptedTransport]:
    transport = ScriptedTransport(replies)
    return Completer("Once upon a time", transport=transport, **params), transport


# --- bloom.complete() ------------------------------------------------------------------


def test_complete_continues_without_showing_anything(capsys: pytest.CaptureFixture[str]) -> None:
    bloom, transport = _bloom(" there was a fox.", " It ran.")
    assert bloom.complete() is None
    bloom.complete(max_new_tokens=5)
    assert capsys.readouterr() == ("", "")
    assert bloom.story.text == "Once upon a time there was a fox. It ran."
    assert [params.max_new_tokens for _, params in transport.calls] == [64, 5]
    bloom.undo()  # the tree has the nodes, as after calls
    assert bloom.story.text == "Once upon a time there was a fox."


def test_complete_raises_as_a_call_does_and_keeps_the_story() -> None:
    bloom, _ = _bloom(APIError(status=500, message="boom"))
    with pytest.raises(APIError, match="HTTP 500: boom"):
        bloom.complete()
    assert bloom.story.text == "Once upon a time"


# --- parameters as attributes ------------------------------------------------------------


def test_parameters_read_as_attributes_are_those_in_effect() -> None:
    bloom, _ = _bloom(temperature=1.0, top_k=30)
    assert (bloom.temperature, bloom.top_k, bloom.top_p, bloom.max_new_tokens, bloom.stop) == (1.0, 30, None, 64, ())
    bloom.set(top_k=40)
    assert bloom.top_k == 40


def test_setting_an_attribute_is_set() -> None:
    by_attribute, transport = _bloom(" a")
    by_set, _ = _bloom()
    by_attribute.temperature = 0.5
    by_attribute.stop = "\n"
    by_set.set(temperature=0.5, stop="\n")
    assert by_attribute.params == by_set.params == Params(temperature=0.5, stop=("\n",))
    by_attribute()
    assert transport.calls[0][1] == Params(temperature=0.5, stop=("\n",))


def test_a_bad_value_set_as_an_attribute_is_a_params_error() -> None:
    bloom, _ = _bloom(top_p=0.9)
    allowed = samplers.of(attrs.fields(Params).top_p).allowed("top_p")  # the field's own words
    with pytest.raises(ParamsError) as caught:
        bloom.top_p = 1.5
    assert str(caught.value) == f"top_p=1.5 is not allowed: expected {allowed}"
    assert bloom.top_p == 0.9


def test_a_misspelt_parameter_is_refused_naming_the_right_one() -> None:
    bloom, _ = _bloom()
    with pytest.raises(AttributeError) as caught:
        bloom.temprature = 0.4
    assert str(caught.value) == (
        "a Completer has no attribute 'temprature'. Did you mean 'temperature'? "
        "Sampling parameters are attributes (bloom.temperature = 0.7) or set(temperature=0.7)."
    )
    assert (caught.value.name, caught.value.obj) == ("temprature", bloom)
    with pytest.raises(AttributeError, match=r"^a Completer has no attribute 'top_kk'. Did you mean 'top_k'\?"):
        bloom.top_kk  # noqa: B018
    assert bloom.params == Params()


def test_an_unknown_attribute_is_not_created() -> None:
    bloom, _ = _bloom()
    with pytest.raises(AttributeError, match=r"^a Completer has no attribute 'colour'\. Sampling parameters"):
        bloom.colour = "red"
    assert not hasattr(bloom, "colour")
    with pytest.raises(AttributeError, match=r"^a Completer has no attribute 'stroy'. Did you mean 'story'\?"):
        bloom.stroy  # noqa: B018


def test_what_the_class_defines_is_set_as_before() -> None:
    bloom, _ = _bloom()
    bloom.memory = "A tale of foxes."
    bloom.stream = False
    assert (bloom.window.memory, bloom.screen.streams) == ("A tale of foxes.", False)
    with pytest.raises(AttributeError, match="read-only"):
        bloom.story = bloom.story
    with pytest.raises(AttributeError):
        bloom.set = None  # a method is not replaced


def test_a_property_on_the_class_wins_over_the_parameter_of_that_name() -> None:
    class Seeded(Completer):
        @property
        def seed(self) -> str:
            return "the property"

        @seed.setter
        def seed(self, value: int) -> None:
            self.set(seed=value + 1)

    bloom = Seeded("Once", transport=ScriptedTransport([]))
    bloom.seed = 1
    assert (bloom.seed, bloom.params.seed) == ("the property", 2)


# --- the original's error names ---------------------------------------------------------------


def test_the_original_error_names_are_the_classes_of_the_tree() -> None:
    assert CompletionError is APIError
    assert UnexpectedResponseError is ResponseError
    bloom, _ = _bloom(RateLimitError(message="slow down"), ResponseError("not JSON", body="<html>"))
    with pytest.raises(CompletionError, match="slow down"):
        bloom()
    with pytest.raises(UnexpectedResponseError) as caught:
        bloom()
    assert caught.value.body == "<html>"


# --- Supplier ------------------------------------------------------------------------------


def test_a_supplier_is_called_once_per_request() -> None:
    calls = itertools.count(2**63)
    bloom, transport = _bloom(" a", " b", " c", " d", seed=Supplier(calls.__next__))
    bloom()
    bloom.retry()
    bloom.complete()
    bloom(seed=5)  # a value for one call wins, and the supplier is not called
    assert [params.seed for _, params in transport.calls] == [2**63, 2**63 + 1 + 1, 2**63 + 2, 5]  # the retry shifted
    assert next(calls) == 2**63 + 3
    assert isinstance(bloom.seed, Supplier)
    assert bloom.params.seed is None
    assert bloom.story.params == Params(seed=5)


def test_a_supplier_set_later_or_for_one_call_and_a_literal_replacing_it() -> None:
    temperatures = iter([0.1, 0.2, 0.3])
    bloom, transport = _bloom(" a", " b", " c")
    bloom.temperature = Supplier(lambda: next(temperatures))
    bloom()
    bloom(top_k=Supplier(lambda: 7))
    bloom.temperature = 1.5
    bloom()
    assert [(params.temperature, params.top_k) for _, params in transport.calls] == [(0.1, None), (0.2, 7), (1.5, None)]
    assert bloom.temperature == 1.5


def test_a_supplied_value_is_validated_like_a_literal(capsys: pytest.CaptureFixture[str]) -> None:
    bloom, transport = _bloom(" a", seed=Supplier(lambda: 2**64))
    with pytest.raises(ParamsError, match=r"^seed=18446744073709551616 is not allowed: expected an integer with 0"):
        bloom()
    assert (bloom.story.text, transport.calls) == ("Once upon a time", [])
    with pytest.raises(ParamsError, match=r"^sed=Supplier\(.*Did you mean 'seed'\?$"):
        bloom.set(sed=Supplier(lambda: 1))
    with pytest.raises(ParamsError, match=r"^Supplier=5 is not allowed: expected a function taking no arguments$"):
        Supplier(5)  # type: ignore[arg-type]


# --- 64-bit seeds ------------------------------------------------------------------------------


def test_a_64_bit_seed_goes_to_tgi_and_hugging_face_as_it_is() -> None:
    seed = 2**64 - 1
    assert request_body("Once", Params(seed=seed))["parameters"]["seed"] == seed
    body = completion_body("Once", Params(seed=seed), DIALECTS["tgi"], model=None, stream=False, left_out=print)
    assert body["seed"] == seed


@pytest.mark.parametrize(
    ("server", "seed", "largest"),
    [("llama.cpp", 2**32 - 1, 2**32 - 2), ("vllm", 2**63, 2**63 - 1), ("openai", 2**64 - 1, 2**63 - 1)],
)
def test_a_seed_too_large_for_the_server_is_refused_naming_its_range(server: str, seed: int, largest: int) -> None:
    with pytest.raises(ParamsError) as caught:
        completion_body("Once", Params(seed=seed), DIALECTS[server], model=None, stream=False, left_out=print)
    assert str(caught.value) == (
        f"seed={seed} is not allowed: expected an integer with 0 <= seed <= {largest} for a {server} server. "
        f"For a random seed each call: seed=Supplier(lambda: random.randrange({largest + 1}))."
    )
    fits = completion_body("Once", Params(seed=largest), DIALECTS[server], model=None, stream=False, left_out=print)
    assert fits["seed"] == largest


def test_the_local_model_refuses_a_seed_beyond_32_bits_before_starting() -> None:
    from complete import LocalModel

    with pytest.raises(ParamsError) as caught:
        LocalModel().generate("Once", Params(seed=2**40))
    assert str(caught.value) == (
        "seed=1099511627776 is not allowed: expected an integer with 0 <= seed <= 4294967294 with the local "
        "backend (llama.cpp seeds are 32-bit, and it reads 4294967295 as 'pick a random seed'). "
        "For a random seed each call: seed=Supplier(lambda: random.randrange(4294967295))."
    )


# --- in a notebook: the backend line, complete(), print(bloom) ---------------------------------

STORY = (
    " the rain had not stopped for three days, and the river was rising under the old stone bridge.\n"
    "Nobody in the village remembered a spring like it."
)
CELLS = [
    "from complete import Completer\nfrom complete.testing import ScriptedTransport",
    'first = Completer("Once upon a time")',
    'second = Completer("It was a dark and stormy night")',
    f"bloom = Completer('In the spring of that year', transport=ScriptedTransport([{STORY!r}]))\nbloom.complete()",
    "print(bloom)",
]


@pytest.fixture(scope="module")
def notebook(tmp_path_factory: pytest.TempPathFactory) -> nbformat.NotebookNode:
    work = tmp_path_factory.mktemp("habits")
    home = str(work / "hf_home")  # no token anywhere: the default is the embedded model
    return run_cells(CELLS, work, timeout=120, HF_HOME=home, XDG_CACHE_HOME=home, COLUMNS="43")


def _stdout(cell: nbformat.NotebookNode) -> list[str]:
    assert all(output["output_type"] == "stream" and output["name"] == "stdout" for output in cell.outputs)
    return [output["text"] for output in cell.outputs]


def test_the_backend_line_is_printed_once_per_notebook(notebook: nbformat.NotebookNode) -> None:
    (line,) = _stdout(notebook.cells[1])
    assert line.startswith("complete: using the embedded local model SmolLM2-135M-Instruct")
    assert line.endswith(
        "(no Hugging Face token found; with one in .hf_token or HF_TOKEN, hosted models are "
        "used through Inference Providers).\n"
    )
    assert notebook.cells[2].outputs == []


def test_complete_shows_nothing_in_a_notebook(notebook: nbformat.NotebookNode) -> None:
    assert notebook.cells[3].outputs == []


def test_print_separates_paragraphs_by_a_blank_line_and_wraps_them(notebook: nbformat.NotebookNode) -> None:
    assert "".join(_stdout(notebook.cells[4])) == (
        "In the spring of that year the rain had\n"
        "not stopped for three days, and the river\n"
        "was rising under the old stone bridge.\n"
        "\n"
        "Nobody in the village remembered a spring\n"
        "like it.\n"
    )
