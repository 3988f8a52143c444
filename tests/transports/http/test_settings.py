"""The proxy and TLS environment is read once per host and session, and still obeyed.

requests reads it (a scan of every environment variable) on every request, and the
keep-alive check read it a second time; a session from ``http.new_session`` keeps
what it found for each host (issue 21: about half of the time per request).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests.sessions

from complete.transports.http import edge as http
from tests.helpers.fault_server import FaultServer, json_reply, serve


@pytest.fixture
def server() -> Iterator[FaultServer]:
    """A server answering every request with ``{}``."""
    with serve() as running:
        running.always(json_reply(200, {}))
        yield running


def targets(server: FaultServer) -> list[str]:
    """The request targets ``server`` received: a path, or a whole URL when it was a proxy."""
    return [received.path for received in server.received]


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


def test_the_environment_is_read_once_per_host(server: FaultServer, scans: list[str]) -> None:
    url = server.url
    session = http.new_session()
    for _ in range(3):
        _post(session, url + "/generate")
    _post(session, url + "/other")
    assert scans == [url + "/generate"]
    assert targets(server) == ["/generate"] * 3 + ["/other"]


def test_a_session_passed_in_reads_it_per_request_as_requests_does(server: FaultServer, scans: list[str]) -> None:
    url = server.url
    session = requests.Session()
    _post(session, url + "/generate")
    _post(session, url + "/generate")
    assert len(scans) == 4  # requests' own reading, and the keep-alive check's


def test_a_proxy_from_the_environment_is_used(server: FaultServer, monkeypatch: pytest.MonkeyPatch) -> None:
    url = server.url
    for name in ("HTTP_PROXY", "http_proxy"):
        monkeypatch.setenv(name, url)
    for name in ("NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    session = http.new_session()
    _post(session, "http://story.invalid/generate")
    _post(session, "http://story.invalid/generate")
    assert targets(server) == ["http://story.invalid/generate"] * 2  # the whole URL: a request to a proxy


def test_no_proxy_is_obeyed_per_host(server: FaultServer, monkeypatch: pytest.MonkeyPatch) -> None:
    url = server.url
    for name in ("HTTP_PROXY", "http_proxy"):
        monkeypatch.setenv(name, "http://127.0.0.1:9")  # nothing listens there
    for name in ("NO_PROXY", "no_proxy"):
        monkeypatch.setenv(name, "127.0.0.1")
    _post(http.new_session(), url + "/generate")
    assert targets(server) == ["/generate"]


def test_settings_given_for_one_request_are_not_kept(server: FaultServer, monkeypatch: pytest.MonkeyPatch) -> None:
    url = server.url
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/etc/my-bundle.pem")
    session = http.new_session()
    chosen = session.merge_environment_settings(url, {"http": "http://proxy.example:3128"}, True, False, None)
    assert (chosen["proxies"]["http"], chosen["verify"], chosen["stream"]) == ("http://proxy.example:3128", False, True)
    usual = session.merge_environment_settings(url, {}, None, None, None)
    assert (usual["proxies"], usual["verify"], usual["stream"]) == ({}, "/etc/my-bundle.pem", False)
