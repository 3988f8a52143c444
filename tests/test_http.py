"""The shared HTTP edge: error bodies, status mapping, body limits, Retry-After."""

from __future__ import annotations

import io
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import requests
import urllib3

from complete.errors import (
    APIError,
    AuthError,
    ModelLoadingError,
    ModelNotFoundError,
    RateLimitError,
    ResponseError,
    TransportError,
)
from complete.transports import http
from tests.conftest import FAKE_TOKEN

URL = "http://127.0.0.1:9/generate"


def response(body: bytes = b"", *, status: int = 200, headers: dict[str, str] | None = None, reason: str = "") -> Any:
    """A ``requests.Response`` whose unread body is ``body``."""
    made = requests.Response()
    made.status_code = status
    made.reason = reason
    made.url = URL
    made.headers = requests.structures.CaseInsensitiveDict(headers or {})
    made.raw = urllib3.HTTPResponse(body=io.BytesIO(body), status=status, preload_content=False)
    return made


# -- Retry-After ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "seconds"),
    [("30", 30.0), ("1.5", 1.5), ("-4", 0.0), ("soon", None), ("", None)],
)
def test_retry_after_in_seconds(value: str, seconds: float | None) -> None:
    assert http.retry_after({"Retry-After": value}) == seconds


def test_retry_after_as_an_http_date(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(http.time, "time", lambda: 1445412480.0)  # Wed, 21 Oct 2015 07:28:00 GMT
    assert http.retry_after({"Retry-After": "Wed, 21 Oct 2015 07:28:45 GMT"}) == 45.0
    assert http.retry_after({"Retry-After": "Wed, 21 Oct 2015 07:00:00 GMT"}) == 0.0


def test_no_retry_after_header() -> None:
    assert http.retry_after({}) is None


# -- the server's own words ---------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"error": "Model is overloaded", "error_type": "overloaded"}, "Model is overloaded"),
        ({"error": ["first", "second"]}, "first; second"),
        ({"error": {"message": "bad key", "type": "invalid_request_error"}}, "bad key"),
        ({"error": {"code": 7}}, '{"code": 7}'),
        ({"message": "flat"}, "flat"),
        ({"detail": "Not Found"}, "Not Found"),
        ({"detail": [{"loc": ["body", "max_tokens"], "msg": "must be positive"}]}, "max_tokens: must be positive"),
        ([{"error": "in a list"}], "in a list"),
        (["a", "b"], "a; b"),
        ({"other": 1}, ""),
        ("text", ""),
    ],
)
def test_json_message_reads_every_known_shape(data: object, message: str) -> None:
    assert http.json_message(data) == message


def test_server_message_from_a_json_body() -> None:
    body = json.dumps({"error": "Model m is currently loading", "estimated_time": 20.0}).encode()
    made = response(body, status=503, headers={"Content-Type": "application/json"})
    assert http.server_message(made, body) == "Model m is currently loading"


def test_server_message_from_the_header_alone() -> None:
    made = response(status=403, headers={"X-Error-Message": "no permission"}, reason="Forbidden")
    assert http.server_message(made, b"") == "no permission"


def test_server_message_joins_header_and_body_when_they_differ() -> None:
    made = response(status=400, headers={"X-Error-Message": "rejected", "Content-Type": "text/plain"})
    assert http.server_message(made, b"bad input") == "rejected (bad input)"


def test_server_message_of_an_html_page_is_its_title() -> None:
    body = b"<html><head><title>502 Bad Gateway</title></head><body><h1>nginx</h1></body></html>"
    made = response(body, status=502, headers={"Content-Type": "text/html"})
    assert http.server_message(made, body) == "the server answered with an HTML page: 502 Bad Gateway"


def test_server_message_falls_back_to_the_reason_phrase() -> None:
    assert http.server_message(response(status=502, reason="Bad Gateway"), b"") == "Bad Gateway"
    assert http.server_message(response(status=502), b"") == "no explanation given"


def test_server_message_collapses_one_line_whitespace_and_keeps_lines() -> None:
    assert http.server_message(response(), b"  too   many\tspaces ") == "too many spaces"
    assert http.server_message(response(), b"\nline one\nline two\n") == "line one\nline two"


def test_server_message_is_cut_at_2000_characters() -> None:
    assert http.server_message(response(), b"x" * 3000) == "x" * 2000 + "…"


def test_server_message_scrubs_secrets() -> None:
    body = json.dumps({"error": f"token {FAKE_TOKEN} is invalid"}).encode()
    assert http.server_message(response(body), body, [FAKE_TOKEN, None]) == "token *** is invalid"


def test_scrub_replaces_every_secret() -> None:
    assert http.scrub("a KEY b KEY c", ["KEY", "", None]) == "a *** b *** c"


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


# -- status mapping --------------------------------------------------------------------


def test_401_and_403_are_auth_errors_with_the_hint() -> None:
    for status in (401, 403):
        error = http.status_error(status, "Invalid credentials", {}, auth_hint="Set HF_TOKEN.")
        assert type(error) is AuthError
        assert (str(error), error.status) == (f"HTTP {status}: Invalid credentials\nSet HF_TOKEN.", status)


def test_404_is_model_not_found_with_the_hint() -> None:
    error = http.status_error(404, "Not Found", {}, auth_hint="", not_found_hint="Try another model.")
    assert type(error) is ModelNotFoundError
    assert str(error) == "HTTP 404: Not Found\nTry another model."


def test_429_is_a_rate_limit_with_retry_after() -> None:
    error = http.status_error(429, "slow down", {"Retry-After": "12"}, auth_hint="")
    assert type(error) is RateLimitError
    assert (str(error), error.retry_after) == ("HTTP 429: slow down", 12.0)


def test_503_is_loading_only_with_an_estimated_time() -> None:
    loading = http.status_error(503, "loading", {}, auth_hint="", estimated_time=20.0)
    assert type(loading) is ModelLoadingError
    assert loading.estimated_time == 20.0
    assert type(http.status_error(503, "Service Unavailable", {}, auth_hint="")) is APIError


def test_a_redirect_names_the_new_address() -> None:
    error = http.status_error(302, "Found", {"Location": "https://elsewhere.example/v1"}, auth_hint="")
    assert type(error) is APIError
    assert str(error) == (
        "HTTP 302: Found\nThe server redirects to https://elsewhere.example/v1; requests are not followed there. "
        "Use that address directly."
    )


def test_other_statuses_are_api_errors() -> None:
    error = http.status_error(418, "I'm a teapot", {}, auth_hint="")
    assert (type(error), str(error), error.status) == (APIError, "HTTP 418: I'm a teapot", 418)


# -- requests ----------------------------------------------------------------------------


class Redirecting(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["Content-Length"]))
        self.send_response(307)
        self.send_header("Location", "http://127.0.0.1:1/elsewhere")
        self.send_header("Content-Length", "0")
        self.end_headers()


@pytest.fixture
def redirecting() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Redirecting)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, args=(0.01,), daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


def test_post_does_not_follow_redirects(redirecting: str) -> None:
    answer = http.post(http.new_session(), redirecting, {"a": 1}, headers={}, timeout=5.0)
    assert (answer.status_code, answer.headers["Location"]) == (307, "http://127.0.0.1:1/elsewhere")
    answer.close()


def test_post_maps_a_malformed_address_to_a_transport_error() -> None:
    with pytest.raises(TransportError) as caught:
        http.post(http.new_session(), "http://", {}, headers={}, timeout=1.0)
    assert str(caught.value) == "request to http:// failed: Invalid URL 'http://': No host supplied"
    assert isinstance(caught.value.__cause__, requests.RequestException)


def test_new_session_pools_enough_connections_for_many_requests() -> None:
    adapter = http.new_session(pool_size=8).get_adapter("https://router.huggingface.co")
    assert adapter._pool_maxsize == 8  # type: ignore[attr-defined]


def test_a_refused_connection_names_the_address_and_the_root_cause() -> None:
    import socket

    from complete.errors import TransportError
    from complete.transports import http as edge

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
    from complete.transports import http as edge

    def unknown(*args: object, **kwargs: object) -> None:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", unknown)
    url = "http://story-server.example:8080/v1/completions"
    with pytest.raises(TransportError) as caught:
        edge.post(edge.new_session(), url, {}, headers={}, timeout=2)
    assert str(caught.value).endswith(
        "\nThe host name story-server.example does not resolve: check the name in url= and the network connection."
    )
    assert isinstance(caught.value.__cause__, requests.ConnectionError)


def test_a_request_reports_that_it_waits_for_its_host() -> None:
    from complete import status
    from complete.transports import http as edge
    from tests.fault_server import respond, serve

    reports: list[status.Status] = []
    with serve() as server, status.reporting(reports.append):
        server.script(respond(200, b"{}"))
        edge.read_body(edge.post(edge.new_session(), server.url + "/generate", {}, headers={}, timeout=2))
    assert reports == [status.Status(f"waiting for 127.0.0.1:{server.port}", ticking=True)]
