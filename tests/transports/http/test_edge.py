"""The shared HTTP edge: error bodies, status mapping, body limits, Retry-After."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests
import urllib3

from complete.errors import (
    ResponseError,
    TransportError,
)
from complete.transports.http import edge as http
from tests.helpers.fault_server import (
    FaultServer,
    Received,
    Reply,
    echo,
    events,
    hang_up,
    redirect,
    respond,
    serve,
)
from tests.helpers.responses import URL, response

# -- bodies ----------------------------------------------------------------------------


def test_parse_json_rejects_bytes_that_are_not_utf8() -> None:
    with pytest.raises(ResponseError) as caught:
        http.parse_json(b'{"a": "\xff"}', url=URL)
    assert str(caught.value) == f"the response from {URL} is not valid UTF-8"
    assert caught.value.body == b'{"a": "\xff"}'


def test_parse_json_rejects_text_that_is_not_json() -> None:
    with pytest.raises(ResponseError) as caught:
        http.parse_json(b"Bad Gateway", url=URL)
    assert str(caught.value) == (
        f"the response from {URL} is not valid JSON (Expecting value: line 1 column 1 (char 0)): 'Bad Gateway'"
    )


def test_read_body_refuses_more_than_the_limit() -> None:
    with pytest.raises(ResponseError) as caught:
        http.read_body(response(b"x" * 100), limit=10)
    assert str(caught.value) == f"the response from {URL} is larger than 10 bytes; refusing to read it all"


def test_read_body_reads_everything_under_the_limit() -> None:
    assert http.read_body(response(b"x" * 100), limit=100) == b"x" * 100


# -- requests ----------------------------------------------------------------------------


@pytest.fixture
def redirecting() -> Iterator[str]:
    with serve() as server:
        server.always(redirect(307, "http://127.0.0.1:1/elsewhere"))
        yield server.url


def test_post_does_not_follow_redirects(redirecting: str) -> None:
    answer = http.post(http.new_session(), redirecting, {"a": 1}, headers={}, timeout=5.0)
    assert (answer.status_code, answer.headers["Location"]) == (307, "http://127.0.0.1:1/elsewhere")
    answer.close()


def test_post_maps_a_malformed_address_to_a_transport_error() -> None:
    with pytest.raises(TransportError) as caught:
        http.post(http.new_session(), "http://", {}, headers={}, timeout=1.0)
    assert str(caught.value) == "request to http:// failed: Invalid URL 'http://': No host supplied"
    assert isinstance(caught.value.__cause__, requests.RequestException)


def test_a_cassette_replays_a_request_sent_straight_through_the_pool() -> None:
    """vcrpy swaps urllib3's connection classes: ``post``'s own way to the pool goes
    through them as requests' did, so a cassette answers (and nothing reaches the network)."""
    from complete.testing import recording
    from complete.transports.http import pools
    from tests.conftest import CASSETTES

    body = {
        "inputs": "The lighthouse keeper climbed the stairs one last time.",
        "parameters": {
            "return_full_text": False,
            "details": True,
            "max_new_tokens": 20,
            "temperature": 1.0,
            "top_k": 30,
            "do_sample": True,
        },
    }
    url = "https://router.huggingface.co/hf-inference/models/bigscience/bloom"
    with recording(CASSETTES / "hf-list-form.yaml", record_mode="none") as cassette:
        answer = http.post(http.new_session(), url, body, headers=http.headers("application/json", None), timeout=5)
        assert isinstance(answer, pools.Answer)
        assert (answer.status_code, answer.reason, answer.headers.get("content-type")) == (
            200,
            "OK",
            "application/json",
        )
        assert http.parse_json(http.read_body(answer), url=url) == [
            {"generated_text": " Below him the sea was grey and restless, and the lamp had burned for forty years."}
        ]
    assert cassette.play_count == 1


def test_new_session_pools_enough_connections_for_many_requests() -> None:
    adapter = http.new_session(pool_size=8).get_adapter("https://router.huggingface.co")
    assert adapter._pool_maxsize == 8  # type: ignore[attr-defined]


def test_a_refused_connection_names_the_address_and_the_root_cause() -> None:
    import socket

    from complete.errors import TransportError
    from complete.transports.http import edge

    with socket.socket() as probe:  # a port that nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}/generate"
    with pytest.raises(TransportError) as caught:
        edge.post(edge.new_session(), url, {}, headers={}, timeout=2)
    assert str(caught.value) == (
        f"could not connect to {url}: [Errno 111] Connection refused\n"
        f"Nothing is listening at http://127.0.0.1:{port}: start the server, check url=, "
        'or write offline with backend="local".'
    )


def test_a_host_name_that_does_not_resolve_says_to_check_the_name(monkeypatch: pytest.MonkeyPatch) -> None:
    import socket

    from complete.errors import TransportError
    from complete.transports.http import edge

    def unknown(*args: object, **kwargs: object) -> None:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", unknown)
    url = "http://story-server.example:8080/v1/completions"
    with pytest.raises(TransportError) as caught:
        edge.post(edge.new_session(), url, {}, headers={}, timeout=2)
    assert str(caught.value).endswith(
        "\nThe host name story-server.example does not resolve: check the name in url= and the network connection."
    )
    assert isinstance(caught.value.__cause__, urllib3.exceptions.NameResolutionError)  # urllib3 sends it


def test_a_request_reports_that_it_waits_for_its_host() -> None:
    from complete.transports import status
    from complete.transports.http import edge

    reports: list[status.Status] = []
    with serve() as server, status.reporting(reports.append):
        server.script(respond(200, b"{}"))
        edge.read_body(edge.post(edge.new_session(), server.url + "/generate", {}, headers={}, timeout=2))
    assert reports == [status.Status(f"waiting for 127.0.0.1:{server.port}", ticking=True)]


# -- straight through the pool -------------------------------------------------------


def _sent_by(session: requests.Session) -> list[tuple[str, str, dict[str, str], bytes]]:
    """What a server received from ``post`` through ``session``, a POST then a GET
    (without the Host header)."""
    from complete.transports.http import pools

    session.headers["User-Agent"] = "story-teller/1"
    session.headers["Accept-Encoding"] = None  # type: ignore[assignment]  # requests: None leaves a header out
    with serve() as server:
        server.always(respond(200, b"{}"))
        for method in ("POST", "GET"):
            sent = {"Accept": "text/event-stream", "authorization": "Bearer t"}
            answer = http.post(
                session, server.url + "/generate?x=1", {"inputs": "\u00e9"}, headers=sent, timeout=5, method=method
            )
            assert http.read_body(answer) == b"{}"
            assert isinstance(answer, pools.Answer) == isinstance(session, pools.PooledSession)
        assert server.connections == 1
        heard = [(seen.method, seen.path, dict(seen.headers), seen.body) for seen in server.received]
    for _, _, headers, _ in heard:
        assert headers.pop("Host") == f"127.0.0.1:{server.port}"
    return heard


def test_post_sends_what_requests_sends_for_the_same_call() -> None:
    ours = _sent_by(http.new_session())
    assert ours == _sent_by(requests.Session())
    (_, _, posted, body), (_, _, got, _) = ours
    assert body == b'{"inputs": "\\u00e9"}'
    assert {name.lower(): value for name, value in posted.items()} == {
        "accept-encoding": "identity",  # http.client's, when none is sent
        "user-agent": "story-teller/1",
        "accept": "text/event-stream",
        "connection": "keep-alive",
        "authorization": "Bearer t",
        "content-length": str(len(body)),
        "content-type": "application/json",
    }
    assert sorted(name.lower() for name in got) == [
        "accept",
        "accept-encoding",
        "authorization",
        "connection",
        "user-agent",
    ]


def test_credentials_in_the_url_are_sent_as_requests_sends_them() -> None:
    def heard(session: requests.Session) -> tuple[str, str]:
        with serve() as server:
            server.always(respond(200, b"{}"))
            url = f"http://writer:s%40cret@127.0.0.1:{server.port}/generate"
            http.read_body(http.post(session, url, {}, headers={"Authorization": "Bearer t"}, timeout=5))
            (seen,) = server.received
        return seen.path, seen.headers["Authorization"]

    assert heard(http.new_session()) == heard(requests.Session()) == ("/generate", "Basic d3JpdGVyOnNAY3JldA==")


def test_a_session_with_an_adapter_of_its_own_sends_through_it() -> None:
    from requests.adapters import HTTPAdapter

    sent: list[str] = []

    class Counting(HTTPAdapter):
        def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> requests.Response:
            sent.append(str(request.url))
            return super().send(request, *args, **kwargs)

    session = http.new_session()
    session.mount("http://", Counting())
    with serve() as server:
        server.always(respond(200, b"{}"))
        answer = http.post(session, server.url + "/generate", {}, headers={}, timeout=5)
        assert (type(answer), http.read_body(answer)) == (requests.Response, b"{}")
    assert sent == [server.url + "/generate"]


def test_a_missing_ca_bundle_is_a_transport_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/nowhere/bundle.pem")
    with pytest.raises(TransportError) as caught:
        http.post(http.new_session(), "https://127.0.0.1:9/generate", {}, headers={}, timeout=1)
    assert str(caught.value) == (
        "request to https://127.0.0.1:9/generate failed: "
        "Could not find a suitable TLS CA certificate bundle, invalid path: /nowhere/bundle.pem"
    )


# -- a kept-alive connection the server closed --------------------------------------


class ClosingAfterStreams(FaultServer):
    """A ``FaultServer`` that streams its first answer on each connection and hangs
    up, without a word, on the next request that comes on that connection, as
    llama.cpp's server does with a connection it closes after a stream.

    ``answer_fresh=False`` makes it hang up on every request, fresh connection or not.
    """

    def __init__(self, *, answer_fresh: bool = True) -> None:
        super().__init__()
        self.answer_fresh = answer_fresh
        self.always(echo(self._choose))

    def _choose(self, received: Received) -> Reply:
        on_this_connection = [seen for seen in self.received if seen.connection == received.connection]
        if len(on_this_connection) > 1 or not self.answer_fresh:
            return hang_up()
        return events(b"data: {}\n\n")

    @property
    def requests(self) -> list[tuple[int, str]]:
        """(connection number, path) of each request."""
        return [(seen.connection, seen.path) for seen in self.received]


@pytest.fixture
def closing() -> Iterator[ClosingAfterStreams]:
    server = ClosingAfterStreams()
    yield server
    server.close()


def read_all(response: requests.Response) -> bytes:
    return b"".join(http.iter_body(response))


@pytest.mark.parametrize("method", ["POST", "GET"])
def test_a_request_on_a_connection_closed_under_it_is_sent_again_on_a_fresh_one(
    closing: ClosingAfterStreams, method: str
) -> None:
    session = http.new_session()
    first = http.post(session, f"{closing.url}/stream", {}, headers={}, timeout=5)
    assert read_all(first) == b"data: {}\n\n"  # the connection goes back to the pool
    second = http.post(session, f"{closing.url}/next", {"a": 1}, headers={}, timeout=5, method=method)
    assert (second.status_code, read_all(second)) == (200, b"data: {}\n\n")
    assert closing.requests == [(1, "/stream"), (1, "/next"), (2, "/next")]
    assert closing.connections == 2


def test_a_fresh_connection_closed_before_an_answer_is_reported_not_retried() -> None:
    server = ClosingAfterStreams(answer_fresh=False)
    try:
        with pytest.raises(TransportError) as caught:
            http.post(http.new_session(), f"{server.url}/generate", {}, headers={}, timeout=5)
    finally:
        server.close()
    assert str(caught.value).startswith(f"the connection to {server.url}/generate was closed before an answer")
    assert server.requests == [(1, "/generate")]


def test_a_second_hang_up_on_the_fresh_connection_is_reported(closing: ClosingAfterStreams) -> None:
    session = http.new_session()
    read_all(http.post(session, f"{closing.url}/stream", {}, headers={}, timeout=5))
    closing.answer_fresh = False
    with pytest.raises(TransportError, match="was closed before an answer"):
        http.post(session, f"{closing.url}/next", {}, headers={}, timeout=5)
    assert closing.requests == [(1, "/stream"), (1, "/next"), (2, "/next")]
