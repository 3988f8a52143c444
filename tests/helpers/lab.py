"""JupyterLab on loopback and a headless Chromium driving it, for the browser tests.

What a writer sees in a notebook can only be checked in a real front end: static
HTML renders of an executed notebook show no widget and no in-place updates.
This module starts both ends and gives the tests a small vocabulary over the page:

- ``start_lab(root, env)``: ``jupyter lab`` on 127.0.0.1 at a free port, with a
  token made here (passed in a config file, never on a command line), its own
  config, data and runtime folders (no user settings, no news, no update
  checks, no language servers), serving ``root``. The kernel is the
  environment's own ``python3``; ``env`` reaches it (``PYTHONPATH`` for this
  checkout). Stopped, kernels included, when the block ends.
- ``start_browser(profile)``: Debian's Chromium through its chromedriver, headless,
  with the flags this closed network needs (no background connections, no
  QUIC, no component updates) and a fresh profile folder.
- ``NotebookPage``: writes a notebook, opens it, runs cells with the keyboard
  (Shift+Enter, as a writer does), clicks widget buttons, moves sliders with the
  arrow keys, reads the text of a cell's output, records every state a cell's
  output goes through (a ``MutationObserver`` in the page, so that nothing shown
  between two polls is missed), waits for conditions on the page, and saves
  screenshots.

Every wait is an explicit wait on a condition of the page (``WebDriverWait``),
never a fixed sleep; a wait that times out says what it waited for and saves a
screenshot. The one polling loop, for the server's start, polls its status route.
"""

from __future__ import annotations

import json
import re
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

import attrs
import nbformat

BROWSER_PROGRAMS = ("chromium", "chromedriver")
"""Debian's packages ``chromium`` and ``chromium-driver``, found on ``PATH``."""
INSTALL_BROWSER = "apt-get install chromium chromium-driver"
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1280,1000",
)
"""Headless, and quiet on the network: without the last four, Chromium's own
background connections are refused by a closed network and slow everything."""

START_SECONDS = 60.0
WAIT_SECONDS = 30.0

_EXECUTED = re.compile(r"\[\d+\]")
_RECORD = """
const cell = arguments[0];
const log = [];
const seen = () => {
  const outputs = cell.querySelectorAll('.jp-OutputArea-child').length;
  const story = Array.from(cell.querySelectorAll('.complete-story p'), p => p.innerText).join('\\n');
  const status = Array.from(cell.querySelectorAll('.complete-status'), e => e.innerText).join(' ');
  const last = log[log.length - 1];
  if (!last || last[0] !== outputs || last[1] !== story || last[2] !== status) log.push([outputs, story, status]);
};
new MutationObserver(seen).observe(cell, {childList: true, subtree: true, characterData: true});
cell.completeRecord = log;
"""
_KERNEL_READY = """
const app = window.jupyterapp;
const panel = app && Array.from(app.shell.widgets('main')).find(w => w.context && w.context.path === arguments[0]);
const session = panel && panel.sessionContext.session;
const kernel = session && session.kernel;
return Boolean(kernel && kernel.connectionStatus === 'connected' && kernel.status === 'idle');
"""


def missing() -> str:
    """Why the browser tests cannot run here ("" when they can)."""
    gaps = [program for program in BROWSER_PROGRAMS if shutil.which(program) is None]
    try:
        import selenium  # noqa: F401
    except ImportError:
        gaps.append("selenium")
    if shutil.which("jupyter-lab", path=str(Path(sys.executable).parent)) is None:
        gaps.append("jupyterlab")
    if not gaps:
        return ""
    return f"the browser tests need {', '.join(gaps)}: {INSTALL_BROWSER}, and pip install 'complete[notebook]' selenium"


@attrs.frozen
class Seen:
    """One state of a cell's output: how many output areas it had, the text of the
    story in them (paragraphs joined by line breaks) and any status line."""

    outputs: int
    story: str
    status: str


@attrs.frozen
class Lab:
    """A running JupyterLab: where it is and the token it accepts."""

    url: str
    token: str = attrs.field(repr=False)
    root: Path
    log: Path

    def log_tail(self) -> str:
        return self.log.read_bytes()[-3000:].decode("utf-8", "replace")

    def notebook_url(self, name: str) -> str:
        return f"{self.url}/lab/tree/{name}?token={self.token}&reset"

    def api(self, path: str, method: str = "GET") -> Any:
        request = urllib.request.Request(
            f"{self.url}/api/{path}", method=method, headers={"Authorization": f"token {self.token}"}
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            body = response.read()
        return json.loads(body) if body else None

    def shut_down_kernels(self) -> None:
        """End every session's kernel, so that one test's kernel does not use the CPU
        of the next."""
        for session in self.api("sessions"):
            self.api(f"sessions/{session['id']}", method="DELETE")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def start_lab(root: Path, env: Mapping[str, str]) -> Iterator[Lab]:
    """JupyterLab serving ``root`` on loopback until the block ends."""
    port = free_port()
    token = secrets.token_hex(24)
    home = root / ".jupyter-home"
    config = home / "config"
    (config / "labconfig").mkdir(parents=True)
    settings = {
        "ServerApp": {
            "ip": "127.0.0.1",
            "port": port,
            "port_retries": 0,
            "open_browser": False,
            "root_dir": str(root),
            "allow_root": True,
            "jpserver_extensions": {"jupyter_lsp": False, "jupyter_server_terminals": False},
        },
        "IdentityProvider": {"token": token},
        "LabApp": {
            "news_url": None,
            "check_for_updates_class": "jupyterlab.NeverCheckForUpdate",
            "extension_manager": "readonly",
            "expose_app_in_browser": True,  # window.jupyterapp: the tests ask it whether the kernel is ready
        },
        "NotebookNotary": {"db_file": ":memory:"},
    }
    (config / "jupyter_server_config.json").write_text(json.dumps(settings))
    # No "would you like news?" toast over the page.
    disabled = {"disabledExtensions": {"@jupyterlab/apputils-extension:announcements": True}}
    (config / "labconfig" / "page_config.json").write_text(json.dumps(disabled))
    environment = {
        **env,
        "JUPYTER_CONFIG_DIR": str(config),
        "JUPYTER_DATA_DIR": str(home / "data"),
        "JUPYTER_RUNTIME_DIR": str(home / "runtime"),
        "JUPYTERLAB_SETTINGS_DIR": str(home / "settings"),
        "JUPYTERLAB_WORKSPACES_DIR": str(home / "workspaces"),
        "JUPYTER_PLATFORM_DIRS": "1",
    }
    lab = Lab(url=f"http://127.0.0.1:{port}", token=token, root=root, log=home / "lab.log")
    with lab.log.open("w+b") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "jupyterlab"], env=environment, stdout=log, stderr=subprocess.STDOUT, cwd=root
        )
        try:
            _wait_until_up(lab, process, log)
            yield lab
        finally:
            process.terminate()  # the server shuts its kernels down on SIGTERM
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _wait_until_up(lab: Lab, process: subprocess.Popen[bytes], log: IO[bytes]) -> None:
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"jupyter lab exited with {process.returncode}:\n{_tail(log)}")
        try:
            lab.api("status")
            return
        except (urllib.error.URLError, ConnectionError):
            time.sleep(0.1)  # polling the server's start only; no test waits on this
    raise RuntimeError(f"jupyter lab did not answer within {START_SECONDS:g}s:\n{_tail(log)}")


def _tail(log: IO[bytes]) -> str:
    log.seek(0)
    return log.read()[-3000:].decode("utf-8", "replace")


@contextmanager
def start_browser(profile: Path) -> Iterator[Any]:
    """A headless Chromium (a selenium ``WebDriver``) with a fresh profile."""
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    options = Options()
    options.binary_location = str(shutil.which("chromium"))
    for flag in (*CHROMIUM_FLAGS, f"--user-data-dir={profile}"):
        options.add_argument(flag)
    options.set_capability("unhandledPromptBehavior", "accept")  # "leave the page?" when moving on
    driver = webdriver.Chrome(options=options, service=Service(str(shutil.which("chromedriver"))))
    try:
        yield driver
    finally:
        driver.quit()


class NotebookPage:
    """One notebook open in JupyterLab, driven as a writer would drive it."""

    def __init__(self, driver: Any, lab: Lab, screenshots: Path) -> None:
        self.driver = driver
        self.lab = lab
        self.screenshots = screenshots
        self.taken: list[Path] = []

    # --- opening and running ---------------------------------------------------------

    def open(self, name: str, cells: Sequence[str]) -> None:
        """Write a notebook of ``cells`` (code) and open it with its kernel ready."""
        notebook = nbformat.v4.new_notebook()
        notebook.cells = [nbformat.v4.new_code_cell(source) for source in cells]
        notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
        nbformat.write(notebook, self.lab.root / name)
        self.driver.get(self.lab.notebook_url(name))
        self.wait_for(lambda: len(self._cells()) == len(cells), f"{len(cells)} cells of {name} on the page")
        self.wait_for(lambda: self._kernel_idle(name), "the kernel to start and be idle", seconds=START_SECONDS)

    def run(self, index: int, *, wait: bool = True) -> None:
        """Select cell ``index`` and press Shift+Enter; with ``wait``, until it has run."""
        from selenium.webdriver.common.action_chains import ActionChains
        from selenium.webdriver.common.keys import Keys

        cell = self._cells()[index]
        cell.find_element("css selector", ".jp-InputPrompt").click()  # selects it, in command mode
        self.wait_for(lambda: "jp-mod-selected" in (self._cells()[index].get_attribute("class") or ""), "selection")
        ActionChains(self.driver).key_down(Keys.SHIFT).send_keys(Keys.ENTER).key_up(Keys.SHIFT).perform()
        if wait:
            self.wait_until_run(index)

    def interrupt(self) -> None:
        """Click the toolbar's interrupt button (the kernel gets a KeyboardInterrupt)."""
        panel = self.driver.find_element("css selector", ".jp-NotebookPanel:not(.lm-mod-hidden)")
        panel.find_element("css selector", "[data-jp-item-name='interrupt'] jp-button").click()

    def wait_until_run(self, index: int) -> None:
        self.wait_for(lambda: _EXECUTED.search(self._prompt(index)) is not None, f"cell {index} to finish running")

    # --- reading ---------------------------------------------------------------------

    def output_text(self, index: int) -> str:
        """The visible text of cell ``index``'s outputs (widgets included)."""
        return str(self._cells()[index].find_element("css selector", ".jp-Cell-outputWrapper").text)

    def outputs(self, index: int) -> int:
        """How many output areas cell ``index`` has (a stream updated in place is one)."""
        return len(self._cells()[index].find_elements("css selector", ".jp-OutputArea-child"))

    def texts(self, index: int, selector: str) -> list[str]:
        """The text of each element matching ``selector`` in cell ``index``'s outputs."""
        found = self._cells()[index].find_elements("css selector", f".jp-Cell-outputWrapper {selector}")
        return [str(element.text) for element in found]

    def record(self, index: int) -> None:
        """From now on, note every state cell ``index``'s output goes through."""
        self.driver.execute_script(_RECORD, self._cells()[index])

    def recorded(self, index: int) -> list[Seen]:
        """The states cell ``index``'s output went through since ``record``, in order."""
        log = self.driver.execute_script("return arguments[0].completeRecord;", self._cells()[index])
        return [Seen(outputs=int(outputs), story=str(story), status=str(line)) for outputs, story, line in log]

    def style(self, index: int, selector: str, name: str) -> str:
        """The computed CSS property ``name`` of the first element matching
        ``selector`` in cell ``index``'s outputs (what the browser applies)."""
        element = self._cells()[index].find_element("css selector", f".jp-Cell-outputWrapper {selector}")
        return str(self.driver.execute_script("return getComputedStyle(arguments[0])[arguments[1]];", element, name))

    def text_when(self, index: int, condition: Callable[[str], bool], what: str) -> str:
        """Cell ``index``'s output text, once ``condition`` holds for it."""
        self.wait_for(lambda: condition(self.output_text(index)), what)
        return self.output_text(index)

    # --- widgets ---------------------------------------------------------------------

    def click(self, index: int, label: str) -> None:
        """Click the widget button labelled ``label`` in cell ``index``'s output."""
        for button in self._cells()[index].find_elements("css selector", ".widget-button"):
            if button.text == label:
                button.click()
                return
        raise AssertionError(f"no button {label!r} in cell {index}")

    def nudge_slider(self, index: int, description: str, steps: int) -> None:
        """Move the slider named ``description`` by ``steps`` steps with the arrow keys
        (negative: down), as a keyboard user would; its value is sent when the key
        is released."""
        from selenium.webdriver.common.keys import Keys

        handle = self._slider(index, description).find_element("css selector", ".noUi-handle")
        handle.click()
        key = Keys.ARROW_RIGHT if steps > 0 else Keys.ARROW_LEFT
        for _ in range(abs(steps)):
            handle.send_keys(key)

    def slider_lengths(self, index: int) -> list[int]:
        """The length in pixels of each slider's track in cell ``index``, in order."""
        tracks = self._cells()[index].find_elements("css selector", ".widget-slider .noUi-target")
        return [int(track.size["width"]) for track in tracks]

    def slider_readout(self, index: int, description: str) -> str:
        """What the slider shows beside it: its number, or the note saying it is unset."""
        slider = self._slider(index, description)
        shown = [str(element.text) for element in slider.find_elements("css selector", ".widget-readout")]
        row = slider.find_element("xpath", "..")
        notes = [str(element.text) for element in row.find_elements("css selector", ".complete-param-note")]
        return " ".join(text for text in (*shown, *notes) if text)

    # --- waiting and pictures ----------------------------------------------------------

    def wait_for(self, condition: Callable[[], object], what: str, seconds: float = WAIT_SECONDS) -> None:
        """Wait until ``condition()`` is true; on a timeout, fail saying ``what`` with
        a screenshot."""
        from selenium.common.exceptions import StaleElementReferenceException, TimeoutException
        from selenium.webdriver.support.ui import WebDriverWait

        stale = (StaleElementReferenceException,)  # the front end re-renders outputs as they change
        waiting = WebDriverWait(self.driver, seconds, poll_frequency=0.1, ignored_exceptions=stale)
        try:
            waiting.until(lambda _driver: condition())
        except TimeoutException:
            picture = self.screenshot(f"timeout-{len(self.taken)}")
            raise AssertionError(
                f"waited {seconds:g}s for {what}; the page is in {picture}; the server said:\n{self.lab.log_tail()}"
            ) from None

    def screenshot(self, name: str) -> Path:
        path = self.screenshots / f"{name}.png"
        self.driver.save_screenshot(str(path))
        self.taken.append(path)
        return path

    # --- the page's structure --------------------------------------------------------

    def _cells(self) -> list[Any]:
        return list(self.driver.find_elements("css selector", ".jp-NotebookPanel:not(.lm-mod-hidden) .jp-CodeCell"))

    def _prompt(self, index: int) -> str:
        return str(self._cells()[index].find_element("css selector", ".jp-InputPrompt").text)

    def _kernel_idle(self, name: str) -> bool:
        """Notebook ``name``'s kernel is connected, started and idle (asked of
        JupyterLab itself: the toolbar's indicator says "idle" before a kernel exists)."""
        return bool(self.driver.execute_script(_KERNEL_READY, name))

    def _slider(self, index: int, description: str) -> Any:
        for slider in self._cells()[index].find_elements("css selector", ".widget-slider"):
            label = slider.find_elements("css selector", ".widget-label")
            if label and label[0].get_attribute("textContent") == description:
                return slider
        raise AssertionError(f"no slider {description!r} in cell {index}")


def kernel_environment(home: Path) -> dict[str, str]:
    """The server's (and so the kernel's) environment: this run's ``complete`` and the
    checkout's ``tests`` importable (``tests.conftest.child_environment``), and
    no credential of the developer's reachable (as in every other test)."""
    hidden = {"HF_TOKEN", "HF_TOKEN_PATH", "HUGGING_FACE_HUB_TOKEN", "OPENAI_API_KEY"}
    from tests.conftest import child_environment

    env = {name: value for name, value in child_environment().items() if name not in hidden}
    env["HF_HOME"] = str(home)
    env["XDG_CACHE_HOME"] = str(home)
    return env
