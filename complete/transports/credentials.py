"""Finding a Hugging Face access token, and saying where it came from.

The order (the first one found wins):

1. the ``token=`` argument;
2. ``.hf_token`` in the current working directory (the original project's
   convention), whitespace stripped;
3. the ``HF_TOKEN`` environment variable;
4. the file huggingface_hub writes on ``hf auth login``: ``$HF_TOKEN_PATH``, else
   ``$HF_HOME/token``, else ``$XDG_CACHE_HOME/huggingface/token``, else
   ``~/.cache/huggingface/token`` (huggingface_hub's own defaults, so a token saved
   by its command line is found here too).

An empty file or variable counts as absent and the search goes on. A token file
that exists but cannot be read (permission denied, a directory, not UTF-8) is an
``AuthError`` naming the file rather than a silent fall-through to an anonymous
request, because the writer clearly meant to use it.

Where a token goes is the transports' business, with one rule from here: a token
found in the environment or a file goes only to ``hugging_face_host`` addresses.

What this module deliberately does not do: read anything at import time, cache
what it found (a token written mid-session is found on the next call), check a
token with the server, or ever put a token in a repr, message or log line.
``find_token`` returns the token with a description of its source (".hf_token in
/home/me/novel"); callers show the source, never the token.

A token found once is passed on as the ``FoundToken`` itself: ``find_token`` given a
``FoundToken`` returns it unchanged, so a transport built from a choice made
elsewhere (``complete.transports.hf.entry``) names where the token really came from when the
server refuses it, not "the token= argument".
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import urlsplit

import attrs

from complete.errors import AuthError, ParamsError

__all__ = [
    "ARGUMENT",
    "FoundToken",
    "find_token",
    "hub_token_path",
    "hugging_face_host",
    "token_for",
    "token_places",
]

ARGUMENT = "the token= argument"
"""The source of a token the writer passed in this process (the only explicit one)."""
TOKEN_FILE = ".hf_token"
TOKEN_ENV = "HF_TOKEN"
TOKENS_PAGE = "https://huggingface.co/settings/tokens"


@attrs.frozen
class FoundToken:
    """A token and where it was found; the token itself never shows in ``repr``.

    >>> FoundToken("hf_example", source="the HF_TOKEN environment variable")
    FoundToken(source='the HF_TOKEN environment variable')
    """

    token: str = attrs.field(repr=False)
    source: str

    @property
    def explicit(self) -> bool:
        """Whether the writer passed it (``token=``) rather than it being found lying around."""
        return self.source == ARGUMENT


def hub_token_path() -> Path:
    """Where huggingface_hub keeps its token, from the environment as it is now."""
    explicit = os.environ.get("HF_TOKEN_PATH")
    if explicit:
        return Path(explicit).expanduser()
    home = os.environ.get("HF_HOME")
    if home:
        return Path(home).expanduser() / "token"
    cache = os.environ.get("XDG_CACHE_HOME") or "~/.cache"
    return Path(cache).expanduser() / "huggingface" / "token"


def token_places() -> str:
    """Where tokens are looked for, in order, for error messages.

    >>> print(token_places())  # doctest: +ELLIPSIS
    Tokens are looked for, in order: the token= argument; .hf_token in the current directory (...);
    the HF_TOKEN environment variable; huggingface_hub's token file (...). Create a token at ...
    """
    return (
        "Tokens are looked for, in order: the token= argument; "
        f"{TOKEN_FILE} in the current directory ({Path.cwd()}); "
        f"the {TOKEN_ENV} environment variable; "
        f"huggingface_hub's token file ({hub_token_path()}). "
        f"Create a token at {TOKENS_PAGE}."
    )


def find_token(token: str | FoundToken | None = None) -> FoundToken | None:
    """The first token found, in the documented order, or None (anonymous).

    A ``FoundToken`` is returned as it is: it was found already, and keeps its source.

    >>> find_token("  hf_example\\n")
    FoundToken(source='the token= argument')
    >>> find_token("hf_example").token
    'hf_example'
    >>> find_token(FoundToken("hf_example", source="the HF_TOKEN environment variable"))
    FoundToken(source='the HF_TOKEN environment variable')
    """
    if isinstance(token, FoundToken):
        return token
    if token is not None:
        if not isinstance(token, str) or not token.strip():
            # The value is not shown: it is either empty or not a string.
            raise ParamsError(
                field="token",
                value=type(token).__name__ if not isinstance(token, str) else "",
                allowed="a non-empty access token string, None to look for one, or False to send none",
            )
        return FoundToken(token.strip(), source=ARGUMENT)
    local = Path.cwd() / TOKEN_FILE
    found = _read(local)
    if found:
        return FoundToken(found, source=f"{TOKEN_FILE} in {local.parent}")
    from_env = os.environ.get(TOKEN_ENV, "").strip()
    if from_env:
        return FoundToken(from_env, source=f"the {TOKEN_ENV} environment variable")
    hub = hub_token_path()
    found = _read(hub)
    if found:
        return FoundToken(found, source=f"huggingface_hub's token file {hub}")
    return None


_HF_HOSTS = ("huggingface.co", "endpoints.huggingface.cloud")
"""Hugging Face's own domains: the Hub, the router, Inference Endpoints (https only)."""


def hugging_face_host(url: str) -> bool:
    """Whether ``url`` is Hugging Face's own, where a token found lying around may go.

    Those are https addresses on huggingface.co or endpoints.huggingface.cloud (and
    their subdomains), and the hosts the writer's ``HF_ENDPOINT`` and
    ``HF_ROUTER_URL`` name. Anywhere else (a TGI server, an address from a shared
    file, plain http) gets a token only when the writer passes ``token=``.

    >>> hugging_face_host("https://router.huggingface.co/v1"), hugging_face_host("http://huggingface.co")
    (True, False)
    >>> hugging_face_host("https://huggingface.co.evil.example/")
    False
    """
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if parts.scheme == "https" and any(host == name or host.endswith("." + name) for name in _HF_HOSTS):
        return True
    for variable in ("HF_ENDPOINT", "HF_ROUTER_URL"):
        configured = urlsplit(os.environ.get(variable, "").strip())
        if configured.hostname and (configured.scheme, configured.hostname.lower(), configured.port) == (
            parts.scheme,
            host,
            parts.port,
        ):
            return True
    return False


def token_for(token: str | FoundToken | bool | None, addresses: Sequence[str]) -> tuple[FoundToken | None, str]:
    """The token to send to ``addresses``, and why none is sent when one was found.

    ``token=False`` sends none. A token the writer passed goes anywhere; a token
    found lying around only when every address is ``hugging_face_host``'s.

    >>> token_for(False, ["https://huggingface.co"])
    (None, '')
    >>> token_for("hf_example", ["http://127.0.0.1:8080"])[0]
    FoundToken(source='the token= argument')
    """
    if token is False:
        return None, ""
    if token is True:
        raise ParamsError(
            field="token",
            value=True,
            allowed="a non-empty access token string, None to look for one, or False to send none",
        )
    found = find_token(token)
    if found is None or found.explicit:
        return found, ""
    elsewhere = [address for address in addresses if not hugging_face_host(address)]
    if not elsewhere:
        return found, ""
    return None, (
        f"The token from {found.source} was not sent: {elsewhere[0]} is not a Hugging Face address, and a token "
        "found in the environment or a file goes only to Hugging Face. Pass token=... to send one there."
    )


def _read(path: Path) -> str:
    """The stripped contents of a token file; "" when it does not exist."""
    try:
        return path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return ""
    except IsADirectoryError as exc:
        raise AuthError(f"cannot read the token file {path}: it is a directory, not a file") from exc
    except PermissionError as exc:
        raise AuthError(f"cannot read the token file {path}: permission denied") from exc
    except UnicodeDecodeError as exc:
        raise AuthError(f"cannot read the token file {path}: it is not UTF-8 text") from exc
    except OSError as exc:
        raise AuthError(f"cannot read the token file {path}: {exc.strerror or type(exc).__name__}") from exc
