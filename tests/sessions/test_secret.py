"""The signing key: made once, owner-only, and the same on every later read."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from pydantic import SecretStr

from assistant.sessions.secret import load_or_create_secret, session_key
from assistant.settings import Settings

pytestmark = pytest.mark.fast


def test_the_key_is_created_once_with_mode_0600(tmp_path: Path) -> None:
    path = tmp_path / "data" / "session.key"
    first = load_or_create_secret(path)
    assert len(first) == 32
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_or_create_secret(path) == first


def test_a_key_readable_by_others_is_narrowed(tmp_path: Path) -> None:
    path = tmp_path / "session.key"
    first = load_or_create_secret(path)
    path.chmod(0o644)
    assert load_or_create_secret(path) == first
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_a_configured_secret_wins_and_must_be_long(tmp_path: Path) -> None:
    shared = "s" * 40
    settings = Settings(data_dir=tmp_path, session_secret=SecretStr(shared))
    assert session_key(settings) == shared.encode()
    assert not settings.session_key_path.exists()
    with pytest.raises(ValueError, match="at least 32"):
        session_key(Settings(data_dir=tmp_path, session_secret=SecretStr("short")))
    assert session_key(Settings(data_dir=tmp_path)) == settings.session_key_path.read_bytes()
