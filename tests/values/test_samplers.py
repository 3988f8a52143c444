"""A sampler's facts live on its ``Params`` field, and only there.

The README's sampler table, the command line's options, the wire tables and the
range messages are built from the fields; a toy sampler added as a field reaches
all of them; and no module but a field's own and the wire modules names a sampler
that is not used for a reason of its own (``ELSEWHERE`` says which and why).
"""

from __future__ import annotations

import itertools
import re
from typing import Any

import attrs
import pytest

from complete import Params, ParamsError, cli, widget
from complete.transports.hf import wire as hf_wire
from complete.transports.openai.wire import DIALECTS, Dialect, completion_body
from complete.values import samplers
from complete.values.samplers import SERVERS, Sampler, on, sampler, wire_names
from tests.conftest import ROOT

FIELDS = attrs.fields(Params)
PACKAGE = ROOT / "complete"


def taken_by(field: attrs.Attribute[Any]) -> str:
    """Where a field is sent, as the README's table says it."""
    spec = samplers.of(field)
    if not spec.sent:
        return "none: `complete()` acts on it"
    groups: dict[str, list[str]] = {}  # wire name -> the servers that use it, in SERVERS' order
    for server in SERVERS:
        name = spec.wire_name(field.name, server)
        if name is not None:
            groups.setdefault(name, []).append(server)
    if list(groups) == [field.name] and len(groups[field.name]) == len(SERVERS):
        return "all"
    cells = [", ".join(servers) + ("" if name == field.name else f" (`{name}`)") for name, servers in groups.items()]
    return "; ".join(cells)


def readme_table() -> list[str]:
    """The README's sampler table, as the fields give it."""
    rows = ["| `Params` field | what it does | values | sent to |", "|---|---|---|---|"]
    for field in FIELDS:
        spec = samplers.of(field)
        rows.append(f"| `{field.name}` | {spec.meaning} | {spec.allowed(field.name)} | {taken_by(field)} |")
    return rows


def test_the_readme_sampler_table_is_the_fields() -> None:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    lines = text[text.index("### Samplers") :].splitlines()
    start = lines.index(readme_table()[0])
    table = list(itertools.takewhile(lambda line: line.startswith("|"), lines[start:]))
    assert table == readme_table(), "write it anew from: print(*readme_table(), sep='\\n')"


def test_every_field_is_a_sampler_and_every_wire_name_is_a_servers() -> None:
    assert all(isinstance(samplers.of(field), Sampler) for field in FIELDS)
    assert {server for field in FIELDS for server in samplers.of(field).wire} <= set(SERVERS)
    assert set(DIALECTS) | {"hf"} == set(SERVERS)


@pytest.mark.parametrize(("name", "kind", "resting", "low", "high", "step"), widget._SLIDERS)
def test_each_widget_slider_stays_within_its_fields_range(
    name: str, kind: str, resting: float, low: float, high: float, step: float
) -> None:
    spec = samplers.of(attrs.fields_dict(Params)[name])
    assert (kind, spec.kind) in {("float", "number"), ("int", "integer")}
    assert [getattr(Params(**{name: value}), name) for value in (low, high)] == [low, high]


@pytest.mark.parametrize(
    ("spec", "allowed"),
    [
        (Sampler("number", "", low=0, high=1, above=True), "a number with 0 < p <= 1"),
        (Sampler("number", "", low=-2, high=2, note="0 is none"), "a number with -2 <= p <= 2 (0 is none)"),
        (Sampler("number", "", low=0, above=True), "a number > 0"),
        (Sampler("integer", "", low=1), "an integer >= 1"),
        (Sampler("integer", "", choices={0: "off", 1: "on", 2: "both"}), "0 (off), 1 (on) or 2 (both)"),
        (Sampler("switch", ""), "True, False or None"),
        (Sampler("strings", ""), "a string or a list of non-empty strings"),
    ],
)
def test_a_range_is_said_in_words_built_from_its_bounds(spec: Sampler, allowed: str) -> None:
    assert spec.allowed("p") == allowed


def test_counts_and_numbers_are_kept_to_what_a_servers_32_bits_hold() -> None:
    with pytest.raises(ParamsError) as caught:
        Params(top_k=2**31)
    assert caught.value.allowed == "an integer >= 1, at most 2147483647 (a 32-bit integer)"
    with pytest.raises(ParamsError) as caught:
        Params(dry_multiplier=1e39)
    assert caught.value.allowed == "a number >= 0 (0 turns DRY off), at most 3.4e+38 (a 32-bit float)"
    assert Params(seed=2**64 - 1).seed == 2**64 - 1  # a seed's range is its own; servers narrow it


# -- a toy sampler, added as a field and nothing else --------------------------------------


@attrs.frozen(kw_only=True)
class ToyParams(Params):
    toy_p: float | None = sampler(
        "number", "a toy sampler", low=0, high=1, note="0 turns it off", wire=on(("llama.cpp", "toy_probability"), "hf")
    )


def test_a_toy_sampler_is_checked_in_the_words_of_its_field() -> None:
    with pytest.raises(ParamsError) as caught:
        ToyParams(toy_p=2)
    assert str(caught.value) == "toy_p=2 is not allowed: expected a number with 0 <= toy_p <= 1 (0 turns it off)"
    assert ToyParams(toy_p=1).to_dict() == {"max_new_tokens": 64, "toy_p": 1.0}
    assert "- ``toy_p``: a toy sampler; a number with 0 <= toy_p <= 1 (0 turns it off)." in samplers.described(
        ToyParams
    )


def test_a_toy_sampler_reaches_the_servers_its_field_names_and_is_warned_about_elsewhere() -> None:
    params = ToyParams(toy_p=0.5, temperature=0.7)
    llama = Dialect("llama.cpp", names=wire_names(ToyParams, "llama.cpp"))
    told: list[tuple[str, object]] = []
    body = completion_body("Once", params, llama, model=None, stream=False, left_out=lambda *item: told.append(item))
    assert (body["toy_probability"], told) == (0.5, [])
    vllm = Dialect("vllm", names=wire_names(ToyParams, "vllm"))
    body = completion_body("Once", params, vllm, model=None, stream=False, left_out=lambda *item: told.append(item))
    assert ("toy_p" not in body, "toy_probability" not in body, told) == (True, True, [("toy_p", 0.5)])
    assert hf_wire.request_body("Once", params)["parameters"]["toy_p"] == 0.5
    assert hf_wire.left_out(params) == {}


def test_a_toy_sampler_gets_its_command_line_option_and_its_range_message(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(cli, "Params", ToyParams)
    help_text = " ".join(cli._parser().format_help().split())
    assert "--toy-p X a toy sampler; a number with 0 <= toy_p <= 1 (0 turns it off)" in help_text
    assert cli.main(["--toy-p", "2", "Once"]) == 2
    expected = "complete: error: toy_p=2.0 is not allowed: expected a number with 0 <= toy_p <= 1 (0 turns it off)\n"
    assert capsys.readouterr().err == expected


def test_every_field_has_its_option_with_the_fields_words() -> None:
    actions = {action.dest: action for action in cli._parser()._actions}
    for field in FIELDS:
        spec = samplers.of(field)
        if spec.kind in ("number", "integer"):
            assert actions[field.name].help.startswith(f"{spec.meaning}; {spec.allowed(field.name)}")  # type: ignore[union-attr]
        else:
            assert field.name in actions


# -- written once ----------------------------------------------------------------------------

HOMES = {"complete/values/params.py"}
"""Where any sampler is named: its field."""
COMMON = {"temperature", "top_k", "top_p", "repetition_penalty"}
COMMON |= {"max_new_tokens", "seed", "stop", "do_sample", "logprobs", "banned", "logit_bias"}
"""The classic samplers, every docstring's examples (and KoboldAI's file format's), and
the fields the other layers act on themselves (greedy decoding, the window, seeds,
stop strings, log probabilities, bans, biases): named wherever that is done."""
ELSEWHERE = {
    ("complete/values/presets.py", "the story preset's settings"): {
        "min_p",
        "dry_multiplier",
        "dry_base",
        "dry_allowed_length",
        "dry_window",
    },
    ("complete/widget.py", "its sliders, and the samplers it has none for"): {
        "min_p",
        "dry_multiplier",
        "dry_base",
        "dry_allowed_length",
    },
    ("complete/transports/local/engine.py", "a doctest of the preset filling unset samplers"): {"min_p"},
    ("complete/cli.py", "the option's own spelling, --dry-breaker"): {"dry_breakers"},
    ("complete/transports/hf/wire.py", "TGI's rules for it; a doctest of what is left out"): {"typical_p", "min_p"},
}
"""Modules that name one of the other samplers for a reason of their own, and which."""


def test_a_samplers_facts_are_written_on_its_field_and_nowhere_else() -> None:
    found: dict[str, set[str]] = {}
    for path in PACKAGE.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        for field in FIELDS:
            if field.name not in COMMON and re.search(rf"\b{field.name}\b", text):
                found.setdefault(field.name, set()).add(path.relative_to(ROOT).as_posix())
    allowed = {(name, module) for (module, _), names in ELSEWHERE.items() for name in names}
    strays = {
        name: {place for place in places - HOMES if (name, place) not in allowed} for name, places in found.items()
    }
    assert {name: places for name, places in strays.items() if places} == {}
