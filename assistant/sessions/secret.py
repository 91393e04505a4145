"""The server's signing key for session tokens, made once per data directory and readable by its owner only.

A browser keeps only a token; the key is what makes a token the server did
not issue worthless.  Losing the key logs every browser out of its profile
(the profiles stay stored), so it is created once and never rotated silently.
"""

from __future__ import annotations

import logging
import os
import secrets
import stat
from pathlib import Path

from assistant.settings import Settings

LOGGER = logging.getLogger(__name__)
KEY_BYTES = 32
PRIVATE = 0o600


def load_or_create_secret(path: Path) -> bytes:
    """The key stored at ``path``, created (mode 0600, exclusive create) when there is none yet."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE)
    except FileExistsError:
        return _read(path)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(secrets.token_bytes(KEY_BYTES))
    return _read(path)


def _read(path: Path) -> bytes:
    """Read the key; one that others may read is narrowed to its owner, and said so."""
    if stat.S_IMODE(path.stat().st_mode) & 0o077:
        LOGGER.warning("%s was readable by others; narrowing it to its owner (0600)", path)
        path.chmod(PRIVATE)
    key = path.read_bytes()
    if len(key) < KEY_BYTES:
        raise ValueError(
            f"{path} holds {len(key)} bytes; a session key needs {KEY_BYTES} (delete it to make a new one)"
        )
    return key


def session_key(settings: Settings) -> bytes:
    """``settings.session_secret`` when set (shared by the instances of one service), else the data directory's key."""
    if settings.session_secret is None:
        return load_or_create_secret(settings.session_key_path)
    key = settings.session_secret.get_secret_value().encode("utf-8")
    if len(key) < KEY_BYTES:
        raise ValueError(f"session_secret must be at least {KEY_BYTES} characters")
    return key
