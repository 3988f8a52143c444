"""The proxy and TLS environment is read once per host and session, and still obeyed.

requests reads it (a scan of every environment variable) on every request, and the
keep-alive check read it a second time; a session from ``http.new_session`` keeps
what it found for each host (issue 21: about half of the time per request).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import requests.sessions

from complete.transports.http import edge as http


class _Recorder(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    seen: list[str]

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        type(self).seen.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")


@pytest.fixture
def server() -> Iterator[tuple[str, list[str]]]:
    """(its root URL, the request targets it received: a path, or a whole URL when it was a proxy)."""
    seen: list[str] = []
    handler = type("Handler", (_Recorder,), {"seen": seen})
    with ThreadingHTTPServer(("127.0.0.1", 0), handler) as running:
        thread = threading.Thread(target=running.serve_forever, daemon=True)
        thread.start()
        yield f"http://127.0.0.1:{running.server_address[1]}", seen
        running.shutdown()


def _post(session: requests.Session, url: str) -> None:
    http.post(session, url, {"inputs": "x"}, headers={}, timeout=5).close()


@pytest.fixture
def scans(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every URL requests looked up proxies in the environment for."""
    looked: list[str] = []
    original = requests.sessions.get_environ_proxies

    def counted(url: str, no_proxy: Any = None) -> dict[str, str]:
        looked.append(url)
        return original(url, no_proxy=no_proxy)

    monkeypatch.setattr(requests.sessions, "get_environ_proxies", counted)
    return looked


def test_the_environment_is_read_once_per_host(server: tuple[str, list[str]], scans: list[str]) -> None:
    url, seen = server
    session = http.new_session()
    for _ in range(3):
        _post(session, url + "/generate")
    _post(session, url + "/other")
    assert scans == [url + "/generate"]
    assert seen == ["/generate"] * 3 + ["/other"]


def test_a_session_passed_in_reads_it_per_request_as_requests_does(
    server: tuple[str, list[str]], scans: list[str]
) -> None:
    url, _ = server
    session = requests.Session()
    _post(session, url + "/generate")
    _post(session, url + "/generate")
    assert len(scans) == 4  # requests' own reading, and the keep-alive check's


def test_a_proxy_from_the_environment_is_used(server: tuple[str, list[str]], monkeypatch: pytest.MonkeyPatch) -> None:
    url, seen = server
    for name in ("HTTP_PROXY", "http_proxy"):
        monkeypatch.setenv(name, url)
    for name in ("NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    session = http.new_session()
    _post(session, "http://story.invalid/generate")
    _post(session, "http://story.invalid/generate")
    assert seen == ["http://story.invalid/generate"] * 2  # the whole URL: a request to a proxy


def test_no_proxy_is_obeyed_per_host(server: tuple[str, list[str]], monkeypatch: pytest.MonkeyPatch) -> None:
    url, seen = server
    for name in ("HTTP_PROXY", "http_proxy"):
        monkeypatch.setenv(name, "http://127.0.0.1:9")  # nothing listens there
    for name in ("NO_PROXY", "no_proxy"):
        monkeypatch.setenv(name, "127.0.0.1")
    _post(http.new_session(), url + "/generate")
    assert seen == ["/generate"]


def test_settings_given_for_one_request_are_not_kept(
    server: tuple[str, list[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    url, _ = server
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/etc/my-bundle.pem")
    session = http.new_session()
    chosen = session.merge_environment_settings(url, {"http": "http://proxy.example:3128"}, True, False, None)
    assert (chosen["proxies"]["http"], chosen["verify"], chosen["stream"]) == ("http://proxy.example:3128", False, True)
    usual = session.merge_environment_settings(url, {}, None, None, None)
    assert (usual["proxies"], usual["verify"], usual["stream"]) == ({}, "/etc/my-bundle.pem", False)
