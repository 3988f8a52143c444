"""A loopback stub of text-generation-inference (TGI) for the HTTP benchmarks.

``StubServer`` is a threaded ``http.server`` on 127.0.0.1 with a random port that
speaks the part of TGI's wire the benchmarks use:

- ``POST /`` without ``"stream": true``: ``[{"generated_text": ..., "details": {...}}]``
  (the list form of TGI's root route; ``details`` only when the parameters ask for
  them, as TGI does), with a Content-Length, after ``latency`` seconds. It accepts
  both ``HFInference``'s body and ``huggingface_hub``'s
  (``{"inputs", "parameters": {...}, "stream": false}``).
- ``POST /`` with ``"stream": true``: server-sent events, one HTTP chunk per event,
  as TGI sends them: ``data:{"token": {"id", "text", "logprob", "special"},
  "generated_text": null, "details": null}`` per token, ``token_delay`` seconds
  apart (on a fixed schedule, so sleeps do not drift), the last token's event
  carrying ``generated_text`` and ``details``; no ``[DONE]``.
- ``GET /info`` and ``POST /tokenize`` as TGI answers them (the ``Completer`` asks
  for the window and token counts before it streams).

What it records, for the benchmarks to read: ``token_times`` (one list per stream,
``time.perf_counter()`` just before each token event is written to the socket;
the server runs in the benchmark's process, so clocks are comparable),
``connections`` (TCP connections accepted) and ``requests`` (client port, method
and path of every request, so "how many connections carried these requests" can
be counted).

Sockets get ``TCP_NODELAY`` and each response part is one ``sendall``, so the
stub itself adds no Nagle/delayed-ACK stalls to what is measured. It is a
benchmark fixture, not a TGI emulator: no validation, no errors, no sampling.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

__all__ = ["StubServer"]

WORDS = ["the", "old", "ferryman", "lit", "his", "lantern", "and", "waited", "by", "the", "river", "for", "passengers"]


class StubServer(ThreadingHTTPServer):
    """Start with ``with StubServer(...) as stub:``; ``stub.url`` is its root URL."""

    daemon_threads = True
    request_queue_size = 128  # listen() backlog; socketserver's 5 drops SYNs when many clients connect at once

    def __init__(self, *, tokens: int = 50, token_delay: float = 0.0, latency: float = 0.0) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.tokens = tokens
        self.token_delay = token_delay
        self.latency = latency
        self.token_times: list[list[float]] = []
        self.requests: list[tuple[int, str]] = []
        self.connections = 0
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def __enter__(self) -> StubServer:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.shutdown()
        self.server_close()

    def get_request(self) -> tuple[socket.socket, Any]:
        conn, address = super().get_request()
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        with self._lock:
            self.connections += 1
        return conn, address

    def token_texts(self) -> list[str]:
        return [" " + WORDS[i % len(WORDS)] for i in range(self.tokens)]

    def details(self) -> dict[str, Any]:
        tokens = [_token(i, text) for i, text in enumerate(self.token_texts())]
        return {
            "finish_reason": "length",
            "generated_tokens": len(tokens),
            "seed": None,
            "prefill": [],
            "tokens": tokens,
        }

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client hanging up mid-stream is not news here


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: what the connection counts are about
    server: StubServer

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self._note_peer()
        if self.path.rstrip("/") == "/info":
            self._send_json({"model_id": "stub", "max_total_tokens": 4096, "max_input_tokens": 4000})
        else:
            self._send_json({"error": "not found"}, status=404)

    def do_POST(self) -> None:
        self._note_peer()
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
        if self.path.rstrip("/") == "/tokenize":
            words = str(body.get("inputs", "")).split()
            self._send_json([{"id": i, "text": word, "start": 0, "stop": 0} for i, word in enumerate(words)])
            return
        time.sleep(self.server.latency)
        if body.get("stream"):
            self._stream()
        else:
            text = "".join(self.server.token_texts())
            wanted = body.get("parameters", {}).get("details")  # as TGI: details only when asked for
            self._send_json(
                [{"generated_text": text, "details": self.server.details()} if wanted else {"generated_text": text}]
            )

    def _note_peer(self) -> None:
        with self.server._lock:
            self.server.requests.append((self.client_address[1], f"{self.command} {self.path}"))

    def _send_json(self, data: Any, status: int = 200) -> None:
        payload = json.dumps(data).encode()
        head = f"HTTP/1.1 {status} {HTTPStatus(status).phrase}\r\nContent-Type: application/json\r\n"
        self.wfile.write(f"{head}Content-Length: {len(payload)}\r\n\r\n".encode() + payload)

    def _stream(self) -> None:
        head = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\n"
        self.wfile.write((head + "Transfer-Encoding: chunked\r\n\r\n").encode())
        times: list[float] = []
        self.server.token_times.append(times)
        texts = self.server.token_texts()
        started = time.perf_counter()
        for i, text in enumerate(texts):
            delay = started + (i + 1) * self.server.token_delay - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            last = i == len(texts) - 1
            event = {
                "index": i,
                "token": _token(i, text),
                "top_tokens": None,
                "generated_text": "".join(texts) if last else None,
                "details": {"finish_reason": "length", "generated_tokens": len(texts), "seed": None} if last else None,
            }
            data = f"data:{json.dumps(event)}\n\n".encode()
            times.append(time.perf_counter())
            self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.write(b"0\r\n\r\n")


def _token(index: int, text: str) -> dict[str, Any]:
    return {"id": 100 + index, "text": text, "logprob": -0.5, "special": False}
