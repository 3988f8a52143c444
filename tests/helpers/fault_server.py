"""A loopback HTTP server that fails in every way a real one does, for tests.

``FaultServer`` listens on 127.0.0.1 at a random port and answers each request
with a scripted ``Reply``: a function that writes whatever bytes it likes to the
socket, or none. The replies below cover what the Hugging Face Inference API, TGI
and OpenAI-compatible servers (and the proxies in front of them) really send:

- any status with a JSON, plain-text or HTML body, extra headers, redirects;
- a connection closed before the status line (``hang_up``), an answer that never
  comes (``stall``), a body cut before its ``Content-Length`` (``cut_body``);
- server-sent events, cleanly ended, ended early, or cut mid-event (``events``);
- gigantic bodies, streamed from one small buffer so that neither side builds
  them whole in memory (``gigantic``);
- answers computed from the request, such as an error echoing the token back
  (``echo``);
- and the real body shapes to put in them: ``hf_error`` (HF API and TGI),
  ``openai_error`` (OpenAI, llama.cpp, vLLM), ``vllm_error`` (older vLLM),
  ``fastapi_detail``; ``hf_generation``, ``tgi_token``, ``openai_completion``,
  ``openai_chunk`` for answers and stream events.

The server counts requests (``received``, with method, path, headers, body and
the number of the connection each came on; ``seen``, the bodies decoded) and connections (``connections``), so
a test can assert exactly how many tries a client made and whether it reused its
connection. Which reply answers a request:
a reply routed to its path (``route``), else the next one scripted (``script``),
else the ``default`` (which says, with status 599, that nothing was scripted).

A stalled reply waits on ``release``, which the fixture sets at teardown (and
``reset``, which readies a server shared by many tests for the next), so no server
thread outlives its test by more than a moment. ``deadline`` is a
pytest-level guard for the client side: it fails a test that hangs, from a
SIGALRM timer, instead of letting the run stall.

Use it through the ``fault_server`` fixture (list ``tests.helpers.fault_server`` in
``pytest_plugins``), ``fresh_server`` (one server per module, reset for each
test), ``infoless_server`` (one with no TGI ``/info``, which a
``Completer`` asks for first) or ``with serve() as server:``. This module does no I/O at
import and needs nothing outside the standard library, attrs and pytest.
"""

from __future__ import annotations

import json
import signal
import socket
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import FrameType
from typing import Any

import attrs
import pytest

__all__ = [
    "BUFFER",
    "DeadlineError",
    "FaultServer",
    "Handler",
    "Received",
    "Reply",
    "Seen",
    "closed_port",
    "cut_body",
    "deadline",
    "echo",
    "events",
    "fastapi_detail",
    "fault_server",
    "fresh_server",
    "gigantic",
    "hang_up",
    "hf_error",
    "hf_generation",
    "html_page",
    "infoless_server",
    "json_reply",
    "module_server",
    "openai_chunk",
    "openai_completion",
    "openai_error",
    "redirect",
    "respond",
    "serve",
    "sse",
    "stall",
    "tgi_token",
    "vllm_error",
    "without_info",
]

BUFFER = 64 * 1024
"""Bytes written per ``write`` for large bodies."""

STALL_SECONDS = 10.0
"""The longest a stalled reply waits for ``release`` before hanging up on its own."""


@attrs.frozen
class Received:
    """One request as the server read it."""

    method: str
    path: str
    headers: Mapping[str, str]
    body: bytes
    connection: int = 0
    """Which connection it came on: 1 for the server's first, and so on."""

    def json(self) -> Any:
        """The body decoded as JSON (None when empty)."""
        return json.loads(self.body) if self.body else None

    @property
    def token(self) -> str:
        """The bearer token the client sent, or "" when it sent none."""
        return self.headers.get("Authorization", "").removeprefix("Bearer ")


@attrs.frozen
class Seen:
    """A request with its body decoded from JSON (None when empty), for assertions."""

    method: str
    path: str
    headers: dict[str, str]
    body: Any


class Handler(BaseHTTPRequestHandler):
    """Reads each request whole, records it, then lets the chosen reply write."""

    protocol_version = "HTTP/1.1"
    server: _Server

    def setup(self) -> None:
        super().setup()
        # Every write goes out at once: Nagle's algorithm would hold small writes back
        # until the client's (delayed) ACK, 40 ms a time.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.number = self.server.fault.connected()

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: failures are what these tests are about."""

    def answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        received = Received(self.command, self.path, dict(self.headers.items()), body, self.number)
        reply = self.server.fault.take(received)
        reply(self, received)

    do_GET = do_POST = answer  # noqa: N815 - http.server's naming

    # -- what replies use --------------------------------------------------------

    def head(self, status: int, headers: Mapping[str, str] | None = None, *, reason: str | None = None) -> None:
        """The status line and exactly these headers (no Server or Date added)."""
        phrase = reason or self.responses.get(status, ("Scripted",))[0]
        lines = [f"HTTP/1.1 {status} {phrase}", *(f"{name}: {value}" for name, value in (headers or {}).items())]
        # One write: small writes in a row meet Nagle and delayed ACKs (40 ms each).
        self.wfile.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
        self.wfile.flush()

    def chunk(self, data: bytes) -> None:
        """One chunk of a chunked body (nothing for empty data: that would end it)."""
        if data:
            self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
            self.wfile.flush()

    def end_chunks(self) -> None:
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()

    def wait(self, seconds: float = STALL_SECONDS) -> None:
        """Block until the test ends (``release``) or ``seconds`` pass."""
        self.server.fault.release.wait(seconds)


Reply = Callable[[Handler, Received], None]
"""Writes the answer to one request (or nothing, and hangs up)."""


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    fault: FaultServer

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client hanging up mid-answer is what these tests do on purpose."""


class FaultServer:
    """An HTTP/1.1 server on 127.0.0.1 at a random port, answering as scripted."""

    def __init__(self) -> None:
        self.received: list[Received] = []
        self.connections = 0
        self.routes: dict[str, Reply] = {}
        self.default: Reply = _NOTHING_SCRIPTED
        self.release = threading.Event()
        self._script: list[Reply] = []
        self._lock = threading.Lock()
        self._httpd = _Server(("127.0.0.1", 0), Handler)
        self._httpd.fault = self
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.01,), daemon=True)
        self._thread.start()

    @property
    def port(self) -> int:
        return int(self._httpd.server_address[1])

    @property
    def url(self) -> str:
        """``http://127.0.0.1:<port>``, no trailing slash."""
        return f"http://127.0.0.1:{self.port}"

    def reset(self) -> None:
        """Forget every request, connection, script and route; release stalled replies.

        For a server shared by many tests: each starts as if the server were new.
        """
        with self._lock:
            self.release.set()
            self.release = threading.Event()
            self.received.clear()
            self.connections = 0
            self.routes.clear()
            self._script.clear()
            self.default = _NOTHING_SCRIPTED

    def script(self, *replies: Reply) -> None:
        """Answer the next requests with these replies, one each, in order."""
        with self._lock:
            self._script.extend(replies)

    def always(self, reply: Reply) -> None:
        """Answer every request not otherwise scripted with ``reply``."""
        self.default = reply

    def route(self, path: str, reply: Reply) -> None:
        """Answer every request for ``path`` (query string ignored) with ``reply``."""
        self.routes[path] = reply

    @property
    def seen(self) -> list[Seen]:
        """Every request so far, its body decoded from JSON."""
        with self._lock:
            return [Seen(got.method, got.path, dict(got.headers), got.json()) for got in self.received]

    def requests(self, path: str | None = None) -> int:
        """How many requests arrived (for ``path`` only, when given)."""
        with self._lock:
            return sum(1 for seen in self.received if path is None or seen.path.partition("?")[0] == path)

    def connected(self) -> int:
        """Count a new connection; its number."""
        with self._lock:
            self.connections += 1
            return self.connections

    def take(self, received: Received) -> Reply:
        with self._lock:
            self.received.append(received)
            routed = self.routes.get(received.path.partition("?")[0])
            if routed is not None:
                return routed
            return self._script.pop(0) if self._script else self.default

    def close(self) -> None:
        """Release stalled replies, stop serving, free the port."""
        self.release.set()
        self._httpd.shutdown()
        self._httpd.server_close()


@contextmanager
def serve() -> Iterator[FaultServer]:
    server = FaultServer()
    try:
        yield server
    finally:
        server.close()


@pytest.fixture
def fault_server() -> Iterator[FaultServer]:
    """A fresh ``FaultServer`` for one test."""
    with serve() as server:
        yield server


@pytest.fixture(scope="module")
def module_server() -> Iterator[FaultServer]:
    """One ``FaultServer`` for a whole test module (starting one costs more than a
    case); tests take it through ``fresh_server``."""
    with serve() as server:
        yield server


@pytest.fixture
def fresh_server(module_server: FaultServer) -> Iterator[FaultServer]:
    """The module's server, as good as new for each test (``reset`` before and after)."""
    module_server.reset()
    yield module_server
    module_server.reset()


def without_info(server: FaultServer) -> FaultServer:
    """``server``, answering TGI's ``/info`` with a 404 as HF's serverless API does (a
    ``Completer`` asks it for the model's window before its first request)."""
    server.route("/info", json_reply(404, {"error": "Not Found"}))
    return server


@pytest.fixture
def infoless_server() -> Iterator[FaultServer]:
    """A fresh ``FaultServer`` ``without_info``, for one test."""
    with serve() as server:
        yield without_info(server)


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# -- replies ---------------------------------------------------------------------


def respond(
    status: int,
    body: bytes = b"",
    *,
    content_type: str | None = None,
    headers: Mapping[str, str] | None = None,
    reason: str | None = None,
) -> Reply:
    """``status`` with ``body`` and a correct ``Content-Length``."""

    def reply(handler: Handler, received: Received) -> None:
        fields = {"Content-Type": content_type} if content_type else {}
        fields.update(headers or {})
        fields["Content-Length"] = str(len(body))
        handler.head(status, fields, reason=reason)
        handler.wfile.write(body)

    return reply


def json_reply(status: int, data: Any, headers: Mapping[str, str] | None = None) -> Reply:
    """``data`` as a JSON body."""
    return respond(status, json.dumps(data).encode(), content_type="application/json", headers=headers)


def html_page(status: int, title: str, *, server: str = "nginx") -> Reply:
    """The HTML error page a proxy (nginx, a load balancer) answers with."""
    page = (
        f"<html>\r\n<head><title>{title}</title></head>\r\n<body>\r\n<center><h1>{title}</h1></center>\r\n"
        f"<hr><center>{server}</center>\r\n</body>\r\n</html>\r\n"
    )
    return respond(status, page.encode(), content_type="text/html", headers={"Server": server})


def cut_body(status: int, body: bytes, *, content_type: str = "application/json", missing: int = 100) -> Reply:
    """A ``Content-Length`` ``missing`` bytes larger than what is sent, then the connection closes."""

    def reply(handler: Handler, received: Received) -> None:
        handler.head(status, {"Content-Type": content_type, "Content-Length": str(len(body) + missing)})
        handler.wfile.write(body)
        handler.wfile.flush()
        handler.close_connection = True

    return reply


def events(*parts: bytes, end: bool = True, content_type: str | None = "text/event-stream", status: int = 200) -> Reply:
    """A chunked body, one chunk per part; ``end=False`` hangs up without the last chunk.

    ``content_type=None`` sends no ``Content-Type`` at all.
    """

    def reply(handler: Handler, received: Received) -> None:
        fields = {"Content-Type": content_type} if content_type else {}
        handler.head(status, {**fields, "Transfer-Encoding": "chunked"})
        for part in parts:
            handler.chunk(part)
        if end:
            handler.end_chunks()
        else:
            handler.close_connection = True

    return reply


def sse(data: Any) -> bytes:
    """One server-sent event whose data is ``data`` (JSON-encoded unless bytes)."""
    payload = data if isinstance(data, bytes) else json.dumps(data).encode()
    return b"data: " + payload + b"\n\n"


def gigantic(
    status: int,
    size: int,
    *,
    content_type: str,
    head: bytes = b"",
    filler: bytes = b"a",
    chunked: bool = True,
    piece: int = BUFFER,
) -> Reply:
    """``head`` then filler up to ``size`` bytes, written ``piece`` bytes at a time
    from one buffer; chunked, or with a ``Content-Length`` announcing it all."""
    block = (filler * (piece // len(filler) + 1))[:piece]

    def reply(handler: Handler, received: Received) -> None:
        fields = {"Content-Type": content_type}
        fields.update({"Transfer-Encoding": "chunked"} if chunked else {"Content-Length": str(size)})
        handler.head(status, fields)
        write = handler.chunk if chunked else handler.wfile.write
        write(head)
        left = size - len(head)
        while left > 0:
            write(block if left >= len(block) else block[:left])
            left -= len(block)
        if chunked:
            handler.end_chunks()

    return reply


def stall() -> Reply:
    """Read the request and answer nothing until the test ends (then hang up)."""

    def reply(handler: Handler, received: Received) -> None:
        handler.wait()
        handler.close_connection = True

    return reply


def trickle(kind: str, *, every: float = 0.05, content_type: str = "text/event-stream") -> Reply:
    """The headers at once, then a body that never ends, one piece every ``every``
    seconds, until the client hangs up or the test ends: ``"plain"`` (one byte at a
    time of a 1 MB ``Content-Length``), ``"chunked"`` (one-byte chunks) or ``"ping"``
    (server-sent ``: ping`` comments, which carry no event)."""

    def reply(handler: Handler, received: Received) -> None:
        fields = {"Content-Type": content_type}
        fields.update({"Content-Length": str(1 << 20)} if kind == "plain" else {"Transfer-Encoding": "chunked"})
        handler.head(200, fields)
        piece = b": ping\n\n" if kind == "ping" else b" "
        _forever(handler, every, lambda: handler.wfile.write(piece) if kind == "plain" else handler.chunk(piece))

    return reply


def endless(event: bytes, *, every: float = 0.0) -> Reply:
    """A valid event stream that never ends: ``event`` again and again."""

    def reply(handler: Handler, received: Received) -> None:
        handler.head(200, {"Content-Type": "text/event-stream", "Transfer-Encoding": "chunked"})
        _forever(handler, every, lambda: handler.chunk(event))

    return reply


def _forever(handler: Handler, every: float, write: Callable[[], object]) -> None:
    handler.close_connection = True
    release = handler.server.fault.release  # this test's: a reset sets it
    while not release.is_set():
        try:
            write()
            handler.wfile.flush()
        except OSError:
            return  # the client hung up
        if every:
            release.wait(every)


def hang_up() -> Reply:
    """Read the request, then close the connection before any status line."""

    def reply(handler: Handler, received: Received) -> None:
        handler.close_connection = True
        handler.connection.shutdown(socket.SHUT_RDWR)

    return reply


def redirect(status: int, location: str, body: bytes = b"") -> Reply:
    """A redirect to ``location``."""
    return respond(status, body, content_type="text/html" if body else None, headers={"Location": location})


def echo(build: Callable[[Received], Reply]) -> Reply:
    """A reply computed from the request (for example one echoing its token back)."""

    def reply(handler: Handler, received: Received) -> None:
        build(received)(handler, received)

    return reply


# -- what the servers say: the real body shapes -------------------------------------------


def tgi_token(text: str, *, final: str | None = None, special: bool = False) -> bytes:
    """One event of a TGI / HF Inference stream; ``final`` makes it the last one."""
    details = {"finish_reason": "length", "generated_tokens": 2, "seed": 1} if final is not None else None
    token = {"id": 1, "text": text, "logprob": -0.5, "special": special}
    return sse({"token": token, "generated_text": final, "details": details})


def hf_generation(text: str) -> list[dict[str, Any]]:
    """The serverless API's (and TGI's root route's) answer: a list of one result."""
    return [{"generated_text": text, "details": {"finish_reason": "length", "generated_tokens": 2}}]


def hf_error(message: str, **extra: Any) -> dict[str, Any]:
    """The HF API's and TGI's error body: ``{"error": ..., "error_type": ...}`` and more."""
    return {"error": message, **extra}


def openai_chunk(text: str, finish: str | None = None) -> bytes:
    """One event of an OpenAI-compatible completions stream (end it with ``sse(b"[DONE]")``)."""
    choice = {"text": text, "index": 0, "logprobs": None, "finish_reason": finish}
    return sse({"id": "cmpl-1", "object": "text_completion", "model": "m", "choices": [choice]})


def openai_completion(text: str) -> dict[str, Any]:
    """An OpenAI-compatible ``/v1/completions`` answer."""
    choice = {"text": text, "index": 0, "logprobs": None, "finish_reason": "length"}
    return {"id": "cmpl-1", "object": "text_completion", "model": "m", "choices": [choice]}


def openai_error(
    message: str, type: str = "invalid_request_error", code: object = None, **extra: Any
) -> dict[str, Any]:
    """OpenAI's (and llama.cpp's, and new vLLM's) error body."""
    return {"error": {"message": message, "type": type, "param": None, "code": code, **extra}}


def vllm_error(message: str, type: str, code: int) -> dict[str, Any]:
    """Older vLLM's flat error body."""
    return {"object": "error", "message": message, "type": type, "param": None, "code": code}


def fastapi_detail(field: str, message: str) -> dict[str, Any]:
    """FastAPI's validation error (vLLM, llama-cpp-python's server), for a body field."""
    return {"detail": [{"type": "value_error", "loc": ["body", field], "msg": message}]}


_NOTHING_SCRIPTED = respond(599, b"nothing scripted for this request", content_type="text/plain")


# -- a guard against hanging clients -----------------------------------------------


class DeadlineError(AssertionError):
    """The test ran past its deadline: something waits without a timeout."""


@contextmanager
def deadline(seconds: float) -> Iterator[None]:
    """Fail the test (``DeadlineError``) if the block runs longer than ``seconds``.

    SIGALRM interrupts a blocking socket read in the main thread; elsewhere (not the
    main thread, or no ``setitimer``) this guard does nothing.
    """
    if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "setitimer"):
        yield
        return

    def expired(signum: int, frame: FrameType | None) -> None:
        raise DeadlineError(f"still running after {seconds:g}s: something waits without a timeout")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
