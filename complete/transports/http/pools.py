"""Requests sent straight through urllib3's connection pools, as requests would send them.

``http.post``'s way for a session from ``http.new_session`` (a ``PooledSession``):
requests' own work per request (preparing it, merging settings, hooks, cookies,
building its ``Response``) cost more than the rest of a short request to a loopback
server. Here a session keeps, per host, the proxy and TLS settings requests finds in
the environment, and per URL the ``Route`` a request takes: the pool requests would
pick, and what the request line names. ``urlopen`` sends what
``session.request(method, url, json=body)`` sends (the session's headers under the
call's, the body as JSON), with no redirect followed and no retry; ``Answer`` holds
what the transports read of the response. ``pool_for`` finds the pool of any other
session; ``next_connection_is_pooled`` and ``close_idle_connections`` look into a
pool, for the keep-alive retry.

What it deliberately does not do: a session's ``auth``, ``params``, cookies, hooks,
or a ``.netrc`` (nothing this library talks to needs them: a token goes in the
``Authorization`` header, or as ``user:password@`` in the URL), and
adapters other than requests' own ``HTTPAdapter`` (``route`` is None for those, and
``http.post`` goes through ``session.request``).
"""

from __future__ import annotations

import json
import queue
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import attrs
import requests
import urllib3.exceptions
from requests.adapters import HTTPAdapter
from requests.structures import CaseInsensitiveDict

if TYPE_CHECKING:
    from requests.sessions import _Settings  # the stubs' name for what merge_environment_settings returns

__all__ = [
    "Answer",
    "PooledSession",
    "Route",
    "close_idle_connections",
    "next_connection_is_pooled",
    "pool_for",
    "route",
    "urlopen",
]

ROUTES_KEPT = 256
"""A session forgets its routes when it has found this many (a URL per model, say)."""


@attrs.frozen
class Route:
    """How a request to one URL goes out: the pool (proxy and TLS settings are part of
    its key), what the request line names (the path, or the whole URL to an HTTP
    proxy), the adapter it was found through, the URL as requests prepares it, and
    the ``Authorization`` a ``user:password@`` in it makes (it replaces the call's, as
    in requests)."""

    pool: Any
    target: str
    adapter: HTTPAdapter
    url: str
    authorization: str | None


class PooledSession(requests.Session):
    """A ``requests.Session`` that keeps, per host, the proxy and TLS settings it found
    in the environment, and, per URL, the ``Route`` a request to it takes."""

    def __init__(self) -> None:
        super().__init__()
        self._settings: dict[tuple[str, str], _Settings] = {}
        self.routes: dict[str, Route] = {}

    def merge_environment_settings(
        self, url: str | bytes | None, proxies: Any, stream: Any, verify: Any, cert: Any
    ) -> _Settings:
        if proxies or verify is not None or cert is not None or not isinstance(url, str):
            return super().merge_environment_settings(url, proxies, stream, verify, cert)
        scheme, host = urlsplit(url)[:2]
        if (scheme, host) not in self._settings:
            self._settings[scheme, host] = super().merge_environment_settings(url, {}, None, None, None)
        found = self._settings[scheme, host]
        chosen = self.stream if stream is None else stream  # as requests merges it
        return {**found, "stream": chosen, "proxies": dict(found["proxies"])}  # requests may change what it gets


def route(session: requests.Session, url: str) -> Route | None:
    """The route a request to ``url`` takes from a ``PooledSession``, found once (a
    malformed URL or a missing CA bundle raises requests' or urllib3's error); None
    for any other session, or when an adapter other than requests' own serves ``url``."""
    if not isinstance(session, PooledSession):
        return None
    adapter = session.get_adapter(url)
    kept = session.routes.get(url)
    if kept is not None and kept.adapter is adapter and kept.pool.pool is not None:
        return kept  # urllib3 closes a pool (its ``pool`` is None) that its manager dropped
    if type(adapter) is not HTTPAdapter:
        return None
    prepared = requests.Request("GET", url).prepare()  # checks the URL, and quotes it as requests does
    found = session.merge_environment_settings(prepared.url, {}, None, None, None)
    pool = adapter.get_connection_with_tls_context(prepared, found["verify"], found["proxies"], found["cert"])
    adapter.cert_verify(pool, str(prepared.url), found["verify"], found["cert"])  # type: ignore[no-untyped-call]
    if len(session.routes) >= ROUTES_KEPT:
        session.routes.clear()
    target = adapter.request_url(prepared, found["proxies"])
    authorization = prepared.headers.get("Authorization")
    kept = session.routes[url] = Route(pool, target, adapter, str(prepared.url), authorization)
    return kept


def urlopen(
    session: requests.Session,
    way: Route,
    body: Mapping[str, Any],
    *,
    headers: Mapping[str, str],
    timeout: float | tuple[float, float],
    method: str,
) -> Answer:
    """Send ``method`` (POST with ``body`` as JSON, GET without a body) through
    ``way``'s pool; the answer's body is left unread. Failures are urllib3's errors."""
    sent = CaseInsensitiveDict(session.headers)
    sent.update(headers)
    if way.authorization is not None:
        sent["Authorization"] = way.authorization
    data = None
    if method == "POST":
        data = json.dumps(body, allow_nan=False).encode("utf-8")
        sent["Content-Length"] = str(len(data))
        sent.setdefault("Content-Type", "application/json")
    connect, read = timeout if isinstance(timeout, tuple) else (timeout, timeout)
    raw = way.pool.urlopen(
        method,
        way.target,
        body=data,
        headers={name: value for name, value in sent.items() if value is not None},  # None unsets, as in requests
        redirect=False,
        assert_same_host=False,
        retries=False,
        preload_content=False,
        decode_content=False,  # iter_body decodes
        timeout=urllib3.Timeout(connect=connect, read=read),
    )
    return Answer(raw, way.url)


class Answer:
    """What the transports read of a response (``http.Response``): the status line and
    headers urllib3 read, and urllib3's response with the unread body as ``raw``."""

    __slots__ = ("headers", "raw", "reason", "status_code", "url")

    def __init__(self, raw: Any, url: str) -> None:
        self.raw = raw
        self.url = url
        self.status_code: int = raw.status
        self.reason: str | None = raw.reason
        found = raw.headers  # vcrpy's replayed responses carry an email.message.Message
        self.headers = found if isinstance(found, urllib3.HTTPHeaderDict) else urllib3.HTTPHeaderDict(found.items())

    def close(self) -> None:
        """Close the body (a connection with some of it unread is hung up) and give the
        connection back to its pool, as requests' ``Response.close`` does."""
        self.raw.close()
        release = getattr(self.raw, "release_conn", None)
        if release is not None:
            release()


def pool_for(session: requests.Session, url: str) -> Any:
    """The urllib3 pool ``session.request`` sends a request to ``url`` through (the one
    requests picks), or None when it cannot be told (a custom adapter)."""
    try:
        adapter = session.get_adapter(url)
        found = session.merge_environment_settings(url, {}, None, None, None)
        pool = adapter.get_connection_with_tls_context(  # type: ignore[attr-defined]
            requests.Request("GET", url).prepare(), found["verify"], found["proxies"], found["cert"]
        )
    except (AttributeError, TypeError, requests.RequestException, urllib3.exceptions.HTTPError, ValueError):
        return None
    return pool if isinstance(getattr(pool, "pool", None), queue.LifoQueue) else None


def next_connection_is_pooled(pool: Any) -> bool:
    """Whether the next request through ``pool`` (urllib3's, or None) goes out on a
    kept-alive connection.

    urllib3 keeps idle connections in a LIFO queue, with None for room not yet used:
    the next request takes the top one.
    """
    if pool is None:
        return False
    with pool.pool.mutex:
        idle = pool.pool.queue
        return bool(idle) and idle[-1] is not None


def close_idle_connections(pool: Any) -> None:
    """Close every idle connection in ``pool``; each reconnects when next used."""
    if pool is None:
        return
    with pool.pool.mutex:
        for connection in pool.pool.queue:
            if connection is not None:
                connection.close()
