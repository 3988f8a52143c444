"""Optional notebook controls for a ``Completer``: sliders and buttons (ipywidgets).

``bloom.widget()`` returns a small panel: sliders for temperature, top_p, top_k and
max_new_tokens, and buttons Continue, Retry, Undo. Moving a slider changes the
Completer's parameters (exactly as ``bloom.set(...)`` would); a parameter the writer
never touches stays unset, so the backend's own default still applies. The buttons
call the Completer, whose output (the story, or an error message) appears in the
panel's output area.

ipywidgets comes with the ``notebook`` extra and is imported only when a panel is
built. This module holds no state of its own: the Completer is the single source.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from complete.errors import CompleteError

if TYPE_CHECKING:
    from complete.completer import Completer

__all__ = ["build_widget"]

_SLIDERS: tuple[tuple[str, str, float, float, float, float], ...] = (
    # name, kind, shown when unset, min, max, step
    ("temperature", "float", 1.0, 0.0, 2.0, 0.05),
    ("top_p", "float", 1.0, 0.01, 1.0, 0.01),
    ("top_k", "int", 50, 1, 200, 1),
    ("max_new_tokens", "int", 64, 1, 512, 1),
)


def build_widget(completer: Completer) -> Any:
    """The control panel for ``completer`` (an ``ipywidgets.VBox``)."""
    try:
        import ipywidgets as widgets
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise CompleteError("bloom.widget() needs ipywidgets: pip install 'complete[notebook]'") from exc

    output = widgets.Output()
    sliders = []
    for name, kind, unset, low, high, step in _SLIDERS:
        current = getattr(completer.params, name)
        value = unset if current is None else current
        factory = widgets.FloatSlider if kind == "float" else widgets.IntSlider
        slider = factory(
            value=value, min=low, max=high, step=step, description=name, continuous_update=False, readout=True
        )
        slider.observe(_setter(completer, name, output), names="value")
        sliders.append(slider)

    actions: list[tuple[str, Callable[[], None]]] = [
        ("Continue", completer),
        ("Retry", completer.retry),
        ("Undo", completer.undo),
    ]
    buttons = []
    for label, action in actions:
        button = widgets.Button(description=label)
        button.on_click(_runner(action, output))
        buttons.append(button)
    return widgets.VBox([*sliders, widgets.HBox(buttons), output])


def _setter(completer: Completer, name: str, output: Any) -> Callable[[dict[str, Any]], None]:
    def changed(change: dict[str, Any]) -> None:
        try:
            completer.set(**{name: change["new"]})
        except CompleteError as error:
            with output:
                print(f"{type(error).__name__}: {error}")

    return changed


def _runner(action: Callable[[], None], output: Any) -> Callable[[Any], None]:
    def clicked(button: Any) -> None:
        output.clear_output(wait=True)
        with output:
            try:
                action()
            except CompleteError as error:
                print(f"{type(error).__name__}: {error}")

    return clicked
