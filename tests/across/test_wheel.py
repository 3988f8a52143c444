"""What a writer installs works outside the clone: the sdist and the wheel built from it.

The checkout's files (tracked, or new and not ignored) are copied to a temporary folder (building writes
``*.egg-info`` beside the sources), the sdist is built from the copy, the wheel from
the unpacked sdist (as ``pip install`` from an sdist would), and the wheel is
installed, not editable, into a fresh virtual environment. That environment sees
only the wheel and the runtime dependencies pyproject.toml declares (linked from
this environment's site-packages, so nothing is downloaded): a dependency left out
of the declaration fails here as it would for a writer. Everything then runs from a
folder outside the clone, with no checkout on ``sys.path``.

Building uses this environment's setuptools without build isolation (offline);
the whole test takes about 10 s.
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest
from packaging.requirements import Requirement

from tests.conftest import ROOT

USER_SESSION = r"""
import importlib, importlib.util, json, pkgutil, sys
from pathlib import Path

import complete
from complete import Completer, Story
from complete.testing import ScriptedTransport

assert complete.__file__.startswith(sys.prefix), complete.__file__
for extra in ("xllamacpp", "IPython", "ipywidgets", "vcr", "pytest"):  # none installed: extras stay optional
    assert importlib.util.find_spec(extra) is None, extra
for name in complete.__all__:
    getattr(complete, name)
modules = [module.name for module in pkgutil.walk_packages(complete.__path__, "complete.")]
for name in modules:  # the extras' imports are inside functions: every module imports without them
    importlib.import_module(name)

bloom = Completer("Once upon a time", transport=ScriptedTransport([" there was a fox.", " It ran."]))
bloom()
bloom.save("story.json")
again = Completer.load("story.json", transport=ScriptedTransport([" It ran."]))
again()
again.export("story.md")
again.export_jsonl("tree.jsonl")
tree = Completer.import_jsonl("tree.jsonl", transport=ScriptedTransport([]))
print(json.dumps([len(modules), tree.text, Path("story.md").read_text(), len(tree.nodes), type(tree.story) is Story]))
"""


def _runtime_distributions() -> list[importlib.metadata.Distribution]:
    """``complete``'s declared runtime dependencies, and theirs, without any extra."""
    found: dict[str, importlib.metadata.Distribution] = {}
    pending = [Requirement(line) for line in importlib.metadata.requires("complete") or []]
    while pending:
        requirement = pending.pop()
        if requirement.marker is not None and not requirement.marker.evaluate({"extra": ""}):
            continue
        name = requirement.name.lower().replace("_", "-")
        if name in found:
            continue
        found[name] = importlib.metadata.distribution(requirement.name)
        pending.extend(Requirement(line) for line in found[name].requires or [])
    return list(found.values())


def _link_dependencies(into: Path) -> None:
    """Link the top-level entries of the runtime dependencies' files into ``into``."""
    into.mkdir()
    for distribution in _runtime_distributions():
        for file in distribution.files or []:
            top = file.parts[0]
            source = Path(str(distribution.locate_file(top)))
            if top != ".." and source.exists() and not (into / top).exists():
                (into / top).symlink_to(source)


def _run(*command: str | Path, cwd: Path, env: dict[str, str] | None = None) -> str:
    result = subprocess.run(
        [str(part) for part in command], cwd=cwd, env=env, capture_output=True, text=True, check=False, timeout=300
    )
    assert result.returncode == 0, f"{command} failed:\n{result.stdout}\n{result.stderr}"
    return result.stdout


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(the sdist, the wheel built from the unpacked sdist)."""
    work = tmp_path_factory.mktemp("build")
    source = work / "checkout"
    tracked = _run("git", "ls-files", "-z", "--cached", "--others", "--exclude-standard", cwd=ROOT).split("\0")
    for name in filter(None, tracked):
        target = source / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if (ROOT / name).is_file():
            target.write_bytes((ROOT / name).read_bytes())
    hooks = "from setuptools import build_meta as b; import sys; print(getattr(b, sys.argv[1])(sys.argv[2]))"
    dist = work / "dist"
    dist.mkdir()
    sdist = dist / _run(sys.executable, "-c", hooks, "build_sdist", dist, cwd=source).splitlines()[-1]
    with tarfile.open(sdist) as archive:
        archive.extractall(work / "unpacked", filter="data")
    unpacked = work / "unpacked" / sdist.name.removesuffix(".tar.gz")
    wheel = dist / _run(sys.executable, "-c", hooks, "build_wheel", dist, cwd=unpacked).splitlines()[-1]
    return sdist, wheel


def test_the_wheel_holds_every_module_and_the_type_marker(built: tuple[Path, Path]) -> None:
    sdist, wheel = built
    sources = {str(path.relative_to(ROOT)) for path in (ROOT / "complete").rglob("*.py")}
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
    assert {name for name in names if name.endswith(".py")} == sources
    assert "complete/py.typed" in names
    with tarfile.open(sdist) as archive:
        packed = {name.split("/", 1)[1] for name in archive.getnames() if "/" in name}
    assert sources | {"complete/py.typed", "README.md", "LICENSE", "pyproject.toml"} <= packed


def test_the_installed_wheel_works_outside_the_clone(
    built: tuple[Path, Path], tmp_path_factory: pytest.TempPathFactory
) -> None:
    _, wheel = built
    venv = tmp_path_factory.mktemp("fresh") / "venv"
    _run(sys.executable, "-m", "venv", "--without-pip", venv, cwd=venv.parent)
    python = venv / "bin" / "python"
    site = Path(_run(python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))", cwd=venv.parent).strip())
    _link_dependencies(venv / "dependencies")
    (site / "dependencies.pth").write_text(str(venv / "dependencies") + "\n")
    _run(sys.executable, "-m", "pip", "--python", python, "install", "--no-deps", "--no-index", "-q", wheel, cwd=venv)

    elsewhere = tmp_path_factory.mktemp("writer")
    env = {key: value for key, value in os.environ.items() if key not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env["HF_HOME"] = str(elsewhere / "hf_home")  # no token: nothing may reach a network
    printed = _run(python, "-c", USER_SESSION, cwd=elsewhere, env=env)
    modules, text, markdown, nodes, is_story = json.loads(printed.splitlines()[-1])
    assert modules == len(list((ROOT / "complete").rglob("*.py"))) - 1  # all but __init__
    assert text == "Once upon a time there was a fox. It ran."
    assert markdown == "Once upon a time there was a fox. It ran.\n"
    assert (nodes, is_story) == (3, True)

    usage = _run(python, "-m", "complete", "--help", cwd=elsewhere, env=env)
    assert usage.startswith("usage: complete ")
    assert _run(venv / "bin" / "complete", "--help", cwd=elsewhere, env=env) == usage
