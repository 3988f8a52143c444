"""A loopback stand-in for the Hugging Face Hub, for tests (``HF_ENDPOINT`` points at it).

It speaks the part of the Hub's HTTP API that huggingface_hub (2.4) uses to fetch
a model's files, as that library's source reads it:

- ``GET /api/models/{repo}[/revision/{rev}]?blobs=True`` (``HfApi.model_info``):
  the commit ``sha``, ``gated`` and ``siblings`` with sizes and LFS hashes;
- ``HEAD``/``GET /{repo}/resolve/{rev}/{file}`` (``hf_hub_download``,
  ``get_hf_file_metadata``): ``X-Repo-Commit``, and for each file (served as LFS
  files are) a 302 to a storage host with ``X-Linked-Etag`` (the sha256) and
  ``X-Linked-Size``; the storage host is ``localhost`` where the Hub is
  ``127.0.0.1``, another origin, so the client drops the token as it does for the
  Hub's CDN;
- ``GET /cdn/{sha256}``: the bytes, with ``Range: bytes=N-`` answered by a 206 and
  ``Content-Range``;
- errors as the Hub signals them: ``X-Error-Code`` RepoNotFound, RevisionNotFound,
  EntryNotFound, GatedRepo (401 without a token, 403 with one it does not accept).

``cut`` makes the first transfer of a file stop after that many bytes, its
connection closed, as a network failure would. Every request is kept in
``requests`` (method, path, headers). Hand-written from huggingface_hub's source;
the real Hub sends more headers than these.
"""

from __future__ import annotations

import hashlib
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

import attrs

CHUNK = 1 << 20


@attrs.define
class Repo:
    """A model repo: its files (bytes, or a path to serve), its commit, whether it is gated."""

    files: dict[str, bytes | Path]
    sha: str = "0123456789abcdef0123456789abcdef01234567"
    gated: bool = False
    accepted_token: str | None = None
    """With ``gated``, the one token given access."""


@attrs.define
class Request:
    method: str
    path: str
    headers: dict[str, str]


@attrs.define
class LoopbackHub:
    repos: dict[str, Repo]
    cut: int | None = None
    requests: list[Request] = attrs.field(factory=list)
    _server: ThreadingHTTPServer | None = None
    _cut_done: set[str] = attrs.field(factory=set)
    _blobs: dict[str, tuple[bytes | Path, int]] = attrs.field(factory=dict)

    @property
    def url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> LoopbackHub:
        for repo in self.repos.values():
            for content in repo.files.values():
                digest, size = _digest(content)
                self._blobs[digest] = (content, size)
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def sent(self, prefix: str) -> list[Request]:
        """The requests whose path starts with ``prefix``."""
        return [request for request in self.requests if request.path.startswith(prefix)]


_DIGESTS: dict[object, tuple[str, int]] = {}


def _digest(content: bytes | Path) -> tuple[str, int]:
    key = content if isinstance(content, Path) else hashlib.sha1(content).hexdigest()
    if key not in _DIGESTS:
        sha = hashlib.sha256()
        if isinstance(content, Path):
            with content.open("rb") as handle:
                while block := handle.read(CHUNK):
                    sha.update(block)
            size = content.stat().st_size
        else:
            sha.update(content)
            size = len(content)
        _DIGESTS[key] = (sha.hexdigest(), size)
    return _DIGESTS[key]


def _handler(hub: LoopbackHub) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:
            pass

        def do_HEAD(self) -> None:
            self._answer(body=False)

        def do_GET(self) -> None:
            self._answer(body=True)

        def _answer(self, *, body: bool) -> None:
            path = unquote(urlsplit(self.path).path)
            hub.requests.append(Request(self.command, path, {k.lower(): v for k, v in self.headers.items()}))
            if path.startswith("/api/models/"):
                self._info(path.removeprefix("/api/models/"))
            elif path.startswith("/cdn/"):
                self._blob(path.removeprefix("/cdn/"), body=body)
            elif "/resolve/" in path:
                self._resolve(path.lstrip("/"))
            else:
                self._error(404, "RepoNotFound", "Repository not found")

        def _info(self, rest: str) -> None:
            repo_id, _, revision = rest.partition("/revision/")
            repo = hub.repos.get(repo_id)
            if repo is None:
                return self._error(401, "RepoNotFound", "Repository not found")
            if revision and revision not in ("main", repo.sha):
                return self._error(404, "RevisionNotFound", f"Invalid rev id: {revision}")
            siblings = []
            for name, content in repo.files.items():
                digest, size = _digest(content)
                siblings.append(
                    {
                        "rfilename": name,
                        "size": size,
                        "blobId": digest[:40],
                        "lfs": {"size": size, "sha256": digest, "pointerSize": 134},
                    }
                )
            data = {
                "id": repo_id,
                "sha": repo.sha,
                "private": False,
                "gated": "manual" if repo.gated else False,
                "siblings": siblings,
            }
            self._send(200, json.dumps(data).encode(), {"Content-Type": "application/json"})

        def _resolve(self, rest: str) -> None:
            repo_id, _, tail = rest.partition("/resolve/")
            repo = hub.repos.get(repo_id)
            if repo is None:
                return self._error(401, "RepoNotFound", "Repository not found")
            revision, _, name = tail.partition("/")
            if revision not in ("main", repo.sha):
                return self._error(404, "RevisionNotFound", f"Invalid rev id: {revision}")
            commit = {"X-Repo-Commit": repo.sha}
            if repo.gated:
                sent = self.headers.get("Authorization")
                if sent is None:
                    return self._error(
                        401,
                        "GatedRepo",
                        f"Access to model {repo_id} is restricted. You must have access to it and be authenticated"
                        " to access it. Please log in.",
                    )
                if sent != f"Bearer {repo.accepted_token}":
                    return self._error(
                        403,
                        "GatedRepo",
                        f"Access to model {repo_id} is restricted and you are not in the authorized list. Visit "
                        f"https://huggingface.co/{repo_id} to ask for access.",
                    )
            if name not in repo.files:
                return self._error(404, "EntryNotFound", f'{name} does not exist on "{revision}"', commit)
            digest, size = _digest(repo.files[name])
            port = self.server.server_address[1]
            self._send(
                302,
                b"",
                {
                    **commit,
                    "Location": f"http://localhost:{port}/cdn/{digest}",
                    "X-Linked-Etag": f'"{digest}"',
                    "X-Linked-Size": str(size),
                    "ETag": '"0000pointer"',
                },
            )

        def _blob(self, digest: str, *, body: bool) -> None:
            if digest not in hub._blobs:
                return self._error(404, "EntryNotFound", "no such blob")
            content, size = hub._blobs[digest]
            start = 0
            headers = {"ETag": f'"{digest}"', "Accept-Ranges": "bytes", "Content-Type": "application/octet-stream"}
            status = 200
            ranged = self.headers.get("Range")
            if ranged and ranged.startswith("bytes=") and ranged.endswith("-"):
                start = int(ranged.removeprefix("bytes=").removesuffix("-"))
                status = 206
                headers["Content-Range"] = f"bytes {start}-{size - 1}/{size}"
            self.send_response(status)
            for key, value in {**headers, "Content-Length": str(size - start)}.items():
                self.send_header(key, value)
            self.end_headers()
            if not body:
                return
            limit = size
            if hub.cut is not None and digest not in hub._cut_done:
                hub._cut_done.add(digest)
                limit = start + hub.cut
            self._write(content, start, limit)
            if limit < size:
                self.wfile.flush()
                self.close_connection = True
                self.connection.shutdown(2)

        def _write(self, content: bytes | Path, start: int, end: int) -> None:
            if isinstance(content, bytes):
                self.wfile.write(content[start:end])
                return
            with content.open("rb") as handle:
                handle.seek(start)
                left = end - start
                while left > 0 and (block := handle.read(min(CHUNK, left))):
                    self.wfile.write(block)
                    left -= len(block)

        def _error(self, status: int, code: str, message: str, extra: dict[str, str] | None = None) -> None:
            body = json.dumps({"error": message}).encode()
            self._send(
                status,
                body,
                {"X-Error-Code": code, "X-Error-Message": message, "Content-Type": "application/json", **(extra or {})},
            )

        def _send(self, status: int, body: bytes, headers: dict[str, str]) -> None:
            self.send_response(status)
            for key, value in {**headers, "Content-Length": str(len(body))}.items():
                self.send_header(key, value)
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

    return Handler
