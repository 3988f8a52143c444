"""Optional notebook controls for a ``Completer``: sliders and buttons (ipywidgets).

``bloom.widget()`` returns a panel: sliders for the main samplers, Continue, Retry
and Undo, the lorebook entries the next call will use, the story's text editable in
place, the story as it reads, and its branch tree (``complete.display.tree_panel``).
Sliders change the Completer's parameters as ``bloom.set`` would; buttons call it.
The Completer is the single source of the writing state; the panel keeps only its
widgets. ipywidgets (the ``notebook`` extra) is imported only when a panel is built.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from complete.display import cells
from complete.display import render as display
from complete.display import tracebacks as error_block
from complete.display.tree_panel import TreePanel
from complete.errors import CompleteError
from complete.values.lorebook import Lorebook
from complete.values.params import Params
from complete.values.story import Story
from complete.writing.session import Session
from complete.writing.window import Prompt

__all__ = ["UNSET_CLASS", "UNSET_NOTE", "build_widget", "lore_line"]


class Controlled(Protocol):
    """What the panel asks of the ``Completer`` it drives: this module does not import
    ``complete.completer``, which imports it (``bloom.widget()``)."""

    @property
    def params(self) -> Params: ...

    @property
    def transport(self) -> object: ...

    def __call__(self) -> None: ...

    def retry(self) -> None: ...

    def undo(self) -> None: ...

    def set(self, **changes: Any) -> None: ...

    def _repr_html_(self) -> str: ...

    @property
    def session(self) -> Session: ...

    @property
    def lorebook(self) -> Lorebook: ...

    @property
    def text(self) -> str: ...

    @text.setter
    def text(self, value: str) -> None: ...

    def prompt(self) -> Prompt: ...

    def checkout(self, node: Story | str | int) -> None: ...


UNSET_NOTE = "backend default"
"""Shown next to a slider whose parameter is not set."""
UNSET_CLASS = "complete-unset"
"""The class of a slider whose parameter is not set: its number is hidden."""
_STYLE = f"<style>.{UNSET_CLASS} .widget-readout {{ visibility: hidden; }}</style>"

_SLIDERS: tuple[tuple[str, str, float, float, float, float], ...] = (
    # name, kind, resting place while unset, min, max, step
    ("temperature", "float", 1.0, 0.0, 2.0, 0.05),
    ("top_p", "float", 1.0, 0.01, 1.0, 0.01),
    ("top_k", "int", 50, 1, 200, 1),
    ("min_p", "float", 0.0, 0.0, 1.0, 0.01),
    ("dry_multiplier", "float", 0.0, 0.0, 3.0, 0.05),
    ("max_new_tokens", "int", 64, 1, 512, 1),
)


def build_widget(completer: Controlled) -> Any:
    """The control panel for ``completer`` (an ``ipywidgets.VBox``)."""
    try:
        import ipywidgets as widgets
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise CompleteError("bloom.widget() needs ipywidgets: pip install 'complete[notebook]'") from exc
    return _Panel(completer, widgets).box


class _Panel:
    """The widgets of one panel and the callbacks that tie them to the Completer.

    What the writer sees is the point, so:

    - The story is an ``ipywidgets.HTML`` pane whose value is set from the kernel,
      and every rendering a button causes (streamed pieces included) is sent there
      with ``cells.showing_in``, because ipywidgets' ``Output`` widget does not apply
      ``update_display_data`` (ipywidgets#1844), which streaming uses to update its
      display in place. Widget traits are synced in any front end.
    - After every action the pane shows the Completer's story and parameters as they
      now are, whatever the action printed or raised, and the sliders are set from
      the Completer's parameters (a ``bloom.set`` in another cell shows up there).
    - Lines the Completer prints ("Nothing to undo", notes) and errors go to an
      ``Output`` area under the story, cleared at each action; an error is the short
      block of ``complete.display.tracebacks``, not a traceback lost in the browser console.
    - A slider whose parameter is unset says so ("backend default") and shows no
      number, because no number on it is in effect: the backend's own default is,
      until the writer moves it. A backend that says its defaults (the embedded model's
      ``defaults``, the story preset) has them named instead ("default 0.8"). The
      number is hidden (the ``UNSET_CLASS`` class and a style rule in the panel), not
      removed, so that every slider keeps the same length and a handle does not jump
      when its first move shows the number. A value set beyond a slider's usual range
      (``temperature=3``) widens the slider rather than being shown as its end.
    - Of llama.cpp's newer samplers the panel has min_p and DRY's multiplier: the
      multiplier is the DRY setting that turns it on (0 is off; llama.cpp's
      documentation calls 0.8 typical) and sets its strength, while its base and
      allowed length have defaults (1.75 and 2) that are rarely changed; a slider
      each would double the panel for little. ``bloom.set(dry_base=...,
      dry_allowed_length=...)`` reaches them, and every parameter that is set,
      slider or not, is in the footer under the story.
    - Banned phrases (``Params.banned``) are a text field under the sliders, one phrase
      a line, set when the field loses focus. While it is empty, a backend's own bans
      (the story preset's, on the embedded model) are counted beside it.
    """

    def __init__(self, completer: Controlled, widgets: Any) -> None:
        self.completer = completer
        self.story = widgets.HTML(value=completer._repr_html_())
        self.story.add_class("complete-widget-story")
        self.messages = widgets.Output()
        self.editor = _StoryEditor(self, widgets)
        self.tree = TreePanel(completer, widgets, self._run)
        self.sliders: dict[str, Any] = {}
        self.notes: dict[str, Any] = {}
        self._syncing = False
        rows = []
        for name, kind, resting, low, high, step in _SLIDERS:
            factory = widgets.FloatSlider if kind == "float" else widgets.IntSlider
            slider = factory(
                value=resting,
                min=low,
                max=high,
                step=step,
                description=name,
                continuous_update=False,
                readout=True,
                style={"description_width": "10em"},  # room for "max_new_tokens", all sliders aligned
            )
            slider.observe(self._moved(name), names="value")
            self.sliders[name] = slider
            self.notes[name] = widgets.Label(value="")
            self.notes[name].add_class("complete-param-note")
            rows.append(widgets.HBox([slider, self.notes[name]]))
        self.banned = widgets.Textarea(
            description="banned",
            placeholder="phrases never to write, one a line; /.../ a regular expression",
            continuous_update=False,
            rows=2,
            style={"description_width": "10em"},
        )
        self.banned.observe(self._banned, names="value")
        self.banned_note = widgets.Label(value="")
        rows.append(widgets.HBox([self.banned, self.banned_note]))
        buttons = []
        actions: list[tuple[str, Callable[[], None]]] = [
            ("Continue", completer),
            ("Retry", completer.retry),
            ("Undo", completer.undo),
        ]
        for label, action in actions:
            button = widgets.Button(description=label)
            button.on_click(self._clicked(action))
            buttons.append(button)
        self.lore = widgets.Label(value="")
        self.lore.add_class("complete-lore")
        self._show_params()
        style = widgets.HTML(value=_STYLE, layout=widgets.Layout(display="none"))
        self.box = widgets.VBox(
            [
                *rows,
                widgets.HBox([*buttons, self.lore]),
                self.editor.area,
                self.story,
                self.messages,
                style,
                self.tree.box,
            ]
        )

    def _clicked(self, action: Callable[[], None]) -> Callable[[Any], None]:
        def clicked(button: Any) -> None:
            self._run(lambda: self.editor.apply(then=action))

        return clicked

    def _moved(self, name: str) -> Callable[[dict[str, Any]], None]:
        def moved(change: dict[str, Any]) -> None:
            if not self._syncing:
                value = change["new"]
                # The steps are hundredths: 1.1, not the browser's 1.1000000000000001.
                self._run(lambda: self.completer.set(**{name: round(value, 2) if isinstance(value, float) else value}))

        return moved

    def _banned(self, change: dict[str, Any]) -> None:
        if not self._syncing:
            phrases = tuple(line for line in change["new"].splitlines() if line.strip())
            self._run(lambda: self.completer.set(banned=phrases))

    def _run(self, action: Callable[[], None]) -> None:
        """Run one writer action with its renderings in the story pane, then show
        the Completer's state and any error."""
        self.messages.outputs = ()
        with self.messages:
            try:
                with cells.showing_in(self._show_story):
                    action()
            except Exception as error:
                _show_error(error)
            finally:
                self.story.value = self.completer._repr_html_()
                self.editor.show()
                self._show_params()
                self.tree.refresh()

    def _show_story(self, rendering: display.Rendering) -> None:
        self.story.value = rendering.html

    def _show_params(self) -> None:
        """Set each slider from the parameter in effect, or mark it unset; name the lore."""
        self.lore.value = lore_line(self.completer)
        self._syncing = True
        defaults = getattr(self.completer.transport, "defaults", None)
        try:
            self.banned.value = "\n".join(self.completer.params.banned)
            self.banned_note.value = _banned_note(defaults, self.completer.params.banned)
            for name, slider in self.sliders.items():
                value = getattr(self.completer.params, name)
                if value is None:
                    slider.add_class(UNSET_CLASS)
                    self.notes[name].value = _unset_note(defaults, name)
                else:
                    slider.max = max(slider.max, value)
                    slider.min = min(slider.min, value)
                    slider.value = value
                    slider.remove_class(UNSET_CLASS)
                    self.notes[name].value = ""
        finally:
            self._syncing = False


def lore_line(completer: Controlled) -> str:
    """The lorebook entries the next call will use ("" without a lorebook): the
    prompt's own choice, so that it is exactly what will be sent."""
    if not completer.lorebook.entries:
        return ""
    try:
        lore = completer.prompt().lore
    except CompleteError as error:  # a prompt that cannot be built shows its error on Continue
        return f"Lore: unknown ({type(error).__name__})"
    names = [item.entry.label for item in lore.fired]
    return "Lore for the next call: " + (", ".join(names) if names else "none")


# --- the story's text, editable in place --------------------------------------------------


class _StoryEditor:
    """The text box that holds the story's text.

    It holds the current text; what the writer changes
    there becomes an edit of the story (``bloom.text = ...``, one edit node) when they
    leave the box or press a button, before the button acts, so Continue continues
    the edited text and Undo takes the edit back, as in Python. After every action the
    box holds the story's text again. An emptied box is refused as ``bloom.text = ""``
    is, and shows the story again.
    """

    def __init__(self, panel: _Panel, widgets: Any) -> None:
        self.panel = panel
        self.area = widgets.Textarea(
            value=panel.completer.text,
            continuous_update=False,  # sent when the writer leaves the box, not at each key
            layout=widgets.Layout(width="100%", max_width="46em", height="9em"),
        )
        self.area.add_class("complete-widget-editor")
        self._shown = panel.completer.text  # what the box was given: only a difference from it is the writer's
        self._showing = False
        self.area.observe(self._changed, names="value")

    def apply(self, then: Callable[[], None] | None = None) -> None:
        """Make the box's text the story's (an edit), if the writer changed it; then ``then()``.

        A story changed elsewhere (``bloom()`` in another cell) since the box was last
        filled is not undone by the box's older text: only the writer's typing counts."""
        if self.area.value != self._shown:
            self.panel.completer.text = self.area.value
        if then is not None:
            then()

    def show(self) -> None:
        """Put the story's text in the box."""
        self._showing = True
        try:
            self._shown = self.area.value = self.panel.completer.text
        finally:
            self._showing = False

    def _changed(self, change: dict[str, Any]) -> None:
        if not self._showing:
            self.panel._run(self.apply)


def _unset_note(defaults: object, name: str) -> str:
    """What a slider says while its parameter is unset: the backend's default, when
    the backend says it (the embedded model's story preset: "default 0.8")."""
    value = getattr(defaults, name, None) if isinstance(defaults, Params) else None
    return f"default {value:g}" if isinstance(value, int | float) else UNSET_NOTE


def _banned_note(defaults: object, banned: tuple[str, ...]) -> str:
    """What the banned field says while it is empty and the backend bans phrases of
    its own (the embedded model's story preset: "default: 19 phrases")."""
    kept = defaults.banned if isinstance(defaults, Params) and not banned else ()
    return f"default: {len(kept)} phrase{'s' * (len(kept) != 1)}" if kept else ""


def _show_error(error: Exception) -> None:
    """Show ``error`` where the panel's messages go: through IPython (so that a
    ``CompleteError`` is its short block and anything else a normal traceback),
    or as the short block's text outside a kernel."""
    shell = display.running_shell()
    if shell is not None:
        shell.showtraceback()
    elif isinstance(error, CompleteError):
        print("\n".join(error_block.lines(error)))
    else:
        raise error
