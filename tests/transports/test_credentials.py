"""Token discovery: the documented order, what counts as absent, and unreadable files."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

import complete.transports.credentials
from complete.errors import AuthError, ParamsError
from complete.transports.credentials import FoundToken, find_token, hub_token_path, token_places
from tests.conftest import FAKE_TOKEN

OTHER_TOKEN = "hf_" + "OTHERother" * 3 + "4567"


@pytest.fixture
def hub_home(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    home = tmp_path / "hf-home"
    home.mkdir()
    monkeypatch.setenv("HF_HOME", str(home))
    return home


def write_everywhere(cwd: Path, hub_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (cwd / ".hf_token").write_text("hf_local_file\n")
    monkeypatch.setenv("HF_TOKEN", "hf_environment")
    (hub_home / "token").write_text("hf_hub_file")


def test_explicit_token_wins_over_every_other_place(cwd: Path, hub_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_everywhere(cwd, hub_home, monkeypatch)
    assert find_token(f"  {FAKE_TOKEN}\n") == FoundToken(FAKE_TOKEN, source="the token= argument")


def test_local_hf_token_file_beats_the_environment_and_is_stripped(
    cwd: Path, hub_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_everywhere(cwd, hub_home, monkeypatch)
    assert find_token() == FoundToken("hf_local_file", source=f".hf_token in {cwd}")


def test_environment_beats_huggingface_hub_file(cwd: Path, hub_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_everywhere(cwd, hub_home, monkeypatch)
    (cwd / ".hf_token").unlink()
    monkeypatch.setenv("HF_TOKEN", f" {OTHER_TOKEN} ")
    assert find_token() == FoundToken(OTHER_TOKEN, source="the HF_TOKEN environment variable")


def test_huggingface_hub_file_under_hf_home(hub_home: Path) -> None:
    (hub_home / "token").write_text(f"{FAKE_TOKEN}\n")
    assert find_token() == FoundToken(FAKE_TOKEN, source=f"huggingface_hub's token file {hub_home / 'token'}")


def test_hf_token_path_beats_hf_home(hub_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (hub_home / "token").write_text("hf_from_home")
    elsewhere = tmp_path / "my-token"
    elsewhere.write_text(OTHER_TOKEN)
    monkeypatch.setenv("HF_TOKEN_PATH", str(elsewhere))
    assert find_token() == FoundToken(OTHER_TOKEN, source=f"huggingface_hub's token file {elsewhere}")


def test_hub_file_defaults_follow_huggingface_hub(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("HF_HOME")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert hub_token_path() == tmp_path / "xdg" / "huggingface" / "token"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert hub_token_path() == tmp_path / "home" / ".cache" / "huggingface" / "token"
    (tmp_path / "home" / ".cache" / "huggingface").mkdir(parents=True)
    (tmp_path / "home" / ".cache" / "huggingface" / "token").write_text(FAKE_TOKEN)
    assert find_token() == FoundToken(
        FAKE_TOKEN, source=f"huggingface_hub's token file {tmp_path / 'home' / '.cache' / 'huggingface' / 'token'}"
    )


def test_a_token_already_found_is_passed_on_with_its_source(cwd: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_TOKEN", FAKE_TOKEN)
    found = find_token()
    (cwd / ".hf_token").write_text(OTHER_TOKEN)  # a later search would find this one first
    assert find_token(found) is found
    assert found == FoundToken(FAKE_TOKEN, source="the HF_TOKEN environment variable")


def test_nothing_found_means_anonymous() -> None:
    assert find_token() is None


def test_empty_files_and_variables_are_skipped(cwd: Path, hub_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (cwd / ".hf_token").write_text("  \n")
    monkeypatch.setenv("HF_TOKEN", "")
    (hub_home / "token").write_text(FAKE_TOKEN)
    assert find_token() == FoundToken(FAKE_TOKEN, source=f"huggingface_hub's token file {hub_home / 'token'}")


def test_a_directory_where_the_token_file_should_be_is_an_auth_error(cwd: Path) -> None:
    (cwd / ".hf_token").mkdir()
    with pytest.raises(AuthError) as caught:
        find_token()
    assert str(caught.value) == (f"cannot read the token file {cwd / '.hf_token'}: it is a directory, not a file")
    assert caught.value.status is None


def test_a_token_file_that_is_not_utf8_is_an_auth_error(hub_home: Path) -> None:
    (hub_home / "token").write_bytes(b"hf_\xff\xfe")
    with pytest.raises(AuthError) as caught:
        find_token()
    assert str(caught.value) == f"cannot read the token file {hub_home / 'token'}: it is not UTF-8 text"


def test_a_token_file_without_permission_is_an_auth_error(cwd: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = cwd / ".hf_token"
    path.write_text(FAKE_TOKEN)
    real_read_text = Path.read_text

    def refuse(self: Path, *args: object, **kwargs: object) -> str:
        if self == path:
            raise PermissionError(13, "Permission denied", str(self))
        return real_read_text(self, *args, **kwargs)

    # Permissions cannot be relied on when the tests run as root, so refuse by hand.
    monkeypatch.setattr(Path, "read_text", refuse)
    with pytest.raises(AuthError) as caught:
        find_token()
    assert str(caught.value) == f"cannot read the token file {path}: permission denied"
    assert FAKE_TOKEN not in str(caught.value)


def test_an_empty_explicit_token_is_a_params_error() -> None:
    with pytest.raises(ParamsError) as caught:
        find_token("   ")
    assert str(caught.value) == (
        "token='' is not allowed: expected a non-empty access token string, None to look for one, or False to send none"
    )


def test_found_token_never_shows_the_token() -> None:
    found = FoundToken(FAKE_TOKEN, source="the token= argument")
    assert repr(found) == "FoundToken(source='the token= argument')"
    assert FAKE_TOKEN not in str(found)


def test_token_places_lists_every_place_in_order(cwd: Path, hub_home: Path) -> None:
    assert token_places() == (
        "Tokens are looked for, in order: the token= argument; "
        f".hf_token in the current directory ({cwd}); "
        "the HF_TOKEN environment variable; "
        f"huggingface_hub's token file ({hub_home / 'token'}). "
        "Create a token at https://huggingface.co/settings/tokens."
    )


def test_importing_reads_no_file(cwd: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def forbidden(self: Path, *args: object, **kwargs: object) -> str:
        raise AssertionError(f"read {self} at import time")

    (cwd / ".hf_token").write_text(FAKE_TOKEN)
    monkeypatch.setattr(Path, "read_text", forbidden)
    # A fresh copy of the module, executed as an import would, outside sys.modules.
    spec = importlib.util.spec_from_file_location("credentials_copy", complete.transports.credentials.__file__)
    assert spec is not None
    assert spec.loader is not None
    spec.loader.exec_module(importlib.util.module_from_spec(spec))
