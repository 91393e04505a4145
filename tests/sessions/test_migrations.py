"""The profile file's schema version: a store from before versions opens whole, a newer one is refused untouched.

``fixtures/profiles-v0.sqlite3`` was written by the code of commit de2cd71
(``fixtures/make_store_v0.py`` says how), from real turns on the demo
catalogue; ``fixtures/expected-v0.json`` is what that code read back from it.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import sqlite3
import threading
from pathlib import Path
from typing import Any

import pytest

from assistant.errors import StoreNewerThanCode
from assistant.sessions import migrations
from assistant.sessions.migrations import SCHEMA_VERSION, migrate
from assistant.sessions.profile import PreferenceDelta
from assistant.sessions.sqlite import SqliteSessionStore

pytestmark = pytest.mark.fast

FIXTURES = Path(__file__).parent / "fixtures"


def contains(new: Any, old: Any) -> bool:
    """``new`` holds everything ``old`` held (objects may have gained fields with their defaults)."""
    if isinstance(old, dict):
        return isinstance(new, dict) and all(key in new and contains(new[key], value) for key, value in old.items())
    if isinstance(old, list):
        return isinstance(new, list) and len(new) == len(old) and all(map(contains, new, old))
    return bool(new == old)


@pytest.fixture
def old_store(tmp_path: Path) -> Path:
    path = tmp_path / "profiles.sqlite3"
    shutil.copyfile(FIXTURES / "profiles-v0.sqlite3", path)
    return path


def version(path: Path) -> int:
    with sqlite3.connect(path) as connection:
        return int(connection.execute("PRAGMA user_version").fetchone()[0])


def test_a_store_from_before_versions_opens_with_every_profile_turn_and_suggestion(old_store: Path) -> None:
    assert version(old_store) == 0
    expected = json.loads((FIXTURES / "expected-v0.json").read_text(encoding="utf-8"))
    store = SqliteSessionStore(old_store)
    assert version(old_store) == SCHEMA_VERSION
    for session_id, held in expected.items():
        assert contains(json.loads(store.load_profile(session_id).model_dump_json()), held["profile"])
        assert store.history(session_id, 1000) == [tuple(turn) for turn in held["history"]]
        assert store.suggested_ids(session_id) == held["suggested"]
        assert store.last_suggestions(session_id) == held["last"]
        for item_id, recommendation in held["recommendations"].items():
            stored = store.recommendation(session_id, item_id)
            assert stored is not None and contains(json.loads(stored.model_dump_json()), recommendation)
    # and it goes on working: the next turn is numbered after the old ones, a profile change is kept
    session_id = "upgrade-alien"
    assert store.append_turn(session_id, "user", "after the upgrade") == len(expected[session_id]["history"])
    store.save_profile(session_id, store.load_profile(session_id).apply(PreferenceDelta(liked_items=("1",))))
    assert "1" in SqliteSessionStore(old_store).load_profile(session_id).liked


def test_migrations_run_once_in_order_and_a_current_store_is_left_alone(old_store: Path) -> None:
    assert migrate(old_store) == 0
    with sqlite3.connect(old_store) as connection:
        indexes = {row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
    assert "suggestions_by_turn" in indexes
    digest = hashlib.sha256(old_store.read_bytes()).hexdigest()
    assert migrate(old_store) == SCHEMA_VERSION
    assert hashlib.sha256(old_store.read_bytes()).hexdigest() == digest


def test_a_fresh_store_starts_at_the_latest_version(tmp_path: Path) -> None:
    SqliteSessionStore(tmp_path / "new.sqlite3")
    assert version(tmp_path / "new.sqlite3") == SCHEMA_VERSION


def test_a_failing_migration_leaves_the_file_as_it_was(old_store: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(connection: sqlite3.Connection) -> None:
        connection.execute("CREATE TABLE half_done (x)")
        raise RuntimeError("disk on fire")

    with pytest.raises(RuntimeError, match="disk on fire"):
        migrate(old_store, (*migrations.MIGRATIONS, broken))
    assert version(old_store) == 0
    with sqlite3.connect(old_store) as connection:
        tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert "half_done" not in tables


def test_two_processes_opening_an_old_store_at_once_migrate_it_once(old_store: Path) -> None:
    calls: list[int] = []

    def counted(connection: sqlite3.Connection) -> None:
        calls.append(1)

    errors: list[BaseException] = []

    def open_it() -> None:
        try:
            migrate(old_store, (*migrations.MIGRATIONS, counted))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=open_it) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors and calls == [1]
    assert version(old_store) == SCHEMA_VERSION + 1


def test_a_store_from_newer_code_is_refused_and_not_touched(old_store: Path) -> None:
    with sqlite3.connect(old_store) as connection:
        connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    digest = hashlib.sha256(old_store.read_bytes()).hexdigest()
    with pytest.raises(StoreNewerThanCode, match=rf"schema version {SCHEMA_VERSION + 1}, newer than"):
        SqliteSessionStore(old_store)
    assert hashlib.sha256(old_store.read_bytes()).hexdigest() == digest
    assert not Path(f"{old_store}-wal").exists()
