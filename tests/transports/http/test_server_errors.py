"""What a server says when it says no: its words, the status mapping, Retry-After, context limits."""

from __future__ import annotations

import json

import pytest

from complete.errors import (
    APIError,
    AuthError,
    ModelLoadingError,
    ModelNotFoundError,
    RateLimitError,
)
from complete.transports.http import server_errors
from tests.conftest import FAKE_TOKEN
from tests.helpers.responses import response

# -- Retry-After ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "seconds"),
    [("30", 30.0), ("1.5", 1.5), ("-4", 0.0), ("soon", None), ("", None)],
)
def test_retry_after_in_seconds(value: str, seconds: float | None) -> None:
    assert server_errors.retry_after({"Retry-After": value}) == seconds


def test_retry_after_as_an_http_date(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(server_errors.time, "time", lambda: 1445412480.0)  # Wed, 21 Oct 2015 07:28:00 GMT
    assert server_errors.retry_after({"Retry-After": "Wed, 21 Oct 2015 07:28:45 GMT"}) == 45.0
    assert server_errors.retry_after({"Retry-After": "Wed, 21 Oct 2015 07:00:00 GMT"}) == 0.0


def test_no_retry_after_header() -> None:
    assert server_errors.retry_after({}) is None


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
    assert server_errors.json_message(data) == message


def test_server_message_from_a_json_body() -> None:
    body = json.dumps({"error": "Model m is currently loading", "estimated_time": 20.0}).encode()
    made = response(body, status=503, headers={"Content-Type": "application/json"})
    assert server_errors.server_message(made, body) == "Model m is currently loading"


def test_server_message_from_the_header_alone() -> None:
    made = response(status=403, headers={"X-Error-Message": "no permission"}, reason="Forbidden")
    assert server_errors.server_message(made, b"") == "no permission"


def test_server_message_joins_header_and_body_when_they_differ() -> None:
    made = response(status=400, headers={"X-Error-Message": "rejected", "Content-Type": "text/plain"})
    assert server_errors.server_message(made, b"bad input") == "rejected (bad input)"


def test_server_message_of_an_html_page_is_its_title() -> None:
    body = b"<html><head><title>502 Bad Gateway</title></head><body><h1>nginx</h1></body></html>"
    made = response(body, status=502, headers={"Content-Type": "text/html"})
    assert server_errors.server_message(made, body) == "the server answered with an HTML page: 502 Bad Gateway"


def test_server_message_falls_back_to_the_reason_phrase() -> None:
    assert server_errors.server_message(response(status=502, reason="Bad Gateway"), b"") == "Bad Gateway"
    assert server_errors.server_message(response(status=502), b"") == "no explanation given"


def test_server_message_collapses_one_line_whitespace_and_keeps_lines() -> None:
    assert server_errors.server_message(response(), b"  too   many\tspaces ") == "too many spaces"
    assert server_errors.server_message(response(), b"\nline one\nline two\n") == "line one\nline two"


def test_server_message_is_cut_at_2000_characters() -> None:
    assert server_errors.server_message(response(), b"x" * 3000) == "x" * 2000 + "…"


def test_server_message_scrubs_secrets() -> None:
    body = json.dumps({"error": f"token {FAKE_TOKEN} is invalid"}).encode()
    assert server_errors.server_message(response(body), body, [FAKE_TOKEN, None]) == "token *** is invalid"


def test_scrub_replaces_every_secret() -> None:
    assert server_errors.scrub("a KEY b KEY c", ["KEY", "", None]) == "a *** b *** c"


# -- status mapping --------------------------------------------------------------------


def test_401_and_403_are_auth_errors_with_the_hint() -> None:
    for status in (401, 403):
        error = server_errors.status_error(status, "Invalid credentials", {}, auth_hint="Set HF_TOKEN.")
        assert type(error) is AuthError
        assert (str(error), error.status) == (f"HTTP {status}: Invalid credentials\nSet HF_TOKEN.", status)


def test_404_is_model_not_found_with_the_hint() -> None:
    error = server_errors.status_error(404, "Not Found", {}, auth_hint="", not_found_hint="Try another model.")
    assert type(error) is ModelNotFoundError
    assert str(error) == "HTTP 404: Not Found\nTry another model."


def test_429_is_a_rate_limit_with_retry_after() -> None:
    error = server_errors.status_error(429, "slow down", {"Retry-After": "12"}, auth_hint="")
    assert type(error) is RateLimitError
    assert (str(error), error.retry_after) == ("HTTP 429: slow down", 12.0)


def test_503_is_loading_only_with_an_estimated_time() -> None:
    loading = server_errors.status_error(503, "loading", {}, auth_hint="", estimated_time=20.0)
    assert type(loading) is ModelLoadingError
    assert loading.estimated_time == 20.0
    assert type(server_errors.status_error(503, "Service Unavailable", {}, auth_hint="")) is APIError


def test_a_redirect_names_the_new_address() -> None:
    error = server_errors.status_error(302, "Found", {"Location": "https://elsewhere.example/v1"}, auth_hint="")
    assert type(error) is APIError
    assert str(error) == (
        "HTTP 302: Found\nThe server redirects to https://elsewhere.example/v1; requests are not followed there. "
        "Use that address directly."
    )


def test_other_statuses_are_api_errors() -> None:
    error = server_errors.status_error(418, "I'm a teapot", {}, auth_hint="")
    assert (type(error), str(error), error.status) == (APIError, "HTTP 418: I'm a teapot", 418)


# -- a prompt over the window, as each server says it ----------------------------------


@pytest.mark.parametrize(
    ("message", "fields", "limit", "prompt_tokens"),
    [
        (
            "This model's maximum context length is 1024 tokens, however you requested 1137 tokens "
            "(1125 in your prompt; 12 for the completion).",
            {},
            1024,
            1125,
        ),
        (
            "the request exceeds the available context size, try increasing it",
            {"n_ctx": 512, "n_prompt_tokens": 600},
            512,
            600,
        ),
        ("Requested tokens (1100) exceed context window of 1024", {}, 1024, 1100),
        (
            "Input validation error: `inputs` tokens + `max_new_tokens` must be <= 2048. Given: 2000 `inputs` tokens "
            "and 64 `max_new_tokens`",
            {},
            2048,
            2000,
        ),
        ("Input validation error: `inputs` must have less than 1024 tokens. Given: 1500", {}, 1024, 1500),
        ("too long", {"code": "context_length_exceeded"}, None, None),
        ("too long", {"type": "exceed_context_size_error"}, None, None),
    ],
)
def test_every_wording_of_a_prompt_over_the_window_is_a_context_limit_error(
    message: str, fields: dict[str, object], limit: int | None, prompt_tokens: int | None
) -> None:
    error = server_errors.context_limit_error(400, message, fields, hint="Shorten it.")
    assert error is not None
    assert (error.status, error.limit, error.prompt_tokens, str(error)) == (
        400,
        limit,
        prompt_tokens,
        f"HTTP 400: {message}\nShorten it.",
    )


def test_other_messages_are_not_about_the_window() -> None:
    assert server_errors.context_limit_error(400, "temperature must be positive", {"code": 7}, hint="") is None
