"""The ipywidgets panel drives the Completer it was made for."""

from __future__ import annotations

import pytest

from complete import Completer, Params, TransportError
from complete.testing import ScriptedTransport


def _parts(panel: object) -> tuple[dict[str, object], dict[str, object], object]:
    children = panel.children  # type: ignore[attr-defined]
    sliders = {child.description: child for child in children[:4]}
    buttons = {button.description: button for button in children[4].children}
    return sliders, buttons, children[5]


def test_sliders_change_only_the_parameters_touched() -> None:
    bloom = Completer("Once", transport=ScriptedTransport([]), top_k=30)
    sliders, _, _ = _parts(bloom.widget())
    assert sliders["top_k"].value == 30  # type: ignore[attr-defined]
    assert sliders["temperature"].value == 1.0  # type: ignore[attr-defined]
    sliders["temperature"].value = 0.7  # type: ignore[attr-defined]
    assert bloom.params == Params(top_k=30, temperature=0.7)


def test_buttons_continue_retry_and_undo(capsys: pytest.CaptureFixture[str]) -> None:
    transport = ScriptedTransport([" a", " b", TransportError("refused")])
    bloom = Completer("Once", transport=transport)
    _, buttons, _ = _parts(bloom.widget())
    buttons["Continue"].click()  # type: ignore[attr-defined]
    assert bloom.text == "Once a"
    buttons["Retry"].click()  # type: ignore[attr-defined]
    assert bloom.text == "Once b"
    buttons["Undo"].click()  # type: ignore[attr-defined]
    assert bloom.text == "Once"
    buttons["Continue"].click()  # type: ignore[attr-defined]
    assert bloom.text == "Once"
    assert capsys.readouterr().out.endswith("TransportError: refused\n")
