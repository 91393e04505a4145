"""The impression log's contract, on SQLite and in memory: what it keeps, what it refuses, what it forgets."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from assistant.sessions.impressions import (
    Impression,
    ImpressionLog,
    ImpressionRefused,
    InMemoryImpressionLog,
    Reaction,
    exported,
)
from assistant.sessions.impressions_graph import GraphImpressionLog
from assistant.sessions.impressions_sqlite import SqliteImpressionLog
from assistant.sessions.migrations import SCHEMA_VERSION
from tests.sessions.test_graph import instance, server  # noqa: F401 (the module's graph server fixture)

LOGS: dict[str, Callable[[Path], ImpressionLog]] = {
    "sqlite": lambda tmp_path: SqliteImpressionLog(tmp_path / "profiles.sqlite3"),
    "memory": lambda tmp_path: InMemoryImpressionLog(),
}


@pytest.fixture(params=[pytest.param(name, marks=pytest.mark.fast) for name in sorted(LOGS)] + ["graph"])
def log(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ImpressionLog]:
    """The same contract on the SQLite file, in memory and (real-parts tier) on the embedded graph server."""
    if request.param != "graph":
        yield LOGS[request.param](tmp_path)
        return
    graph = instance(request.getfixturevalue("server"))
    log = GraphImpressionLog(graph)
    impressions, _ = log.everything()
    for session_id in {impression.session_id for impression in impressions}:
        log.delete_session(session_id)  # the module's server is shared by the tests
    yield log
    graph.close()


def shown(list_id: str, session_id: str, items: tuple[str, ...], at: float = 1.0) -> list[Impression]:
    return [
        Impression(
            list_id,
            session_id,
            item_id,
            position,
            5.0 - position,
            {"score": 1.0 - position / 10, "graph": 1.0},
            0.9 if position else 1.0,
            explored=position == 2,
            at=at,
        )
        for position, item_id in enumerate(items)
    ]


def test_a_list_is_kept_with_positions_features_and_propensities(log: ImpressionLog) -> None:
    log.log_list(shown("L1", "alice", ("10", "20", "30")))
    impressions, reactions = log.session_log("alice")
    assert [(i.item_id, i.position, i.propensity, i.explored) for i in impressions] == [
        ("10", 0, 1.0, False),
        ("20", 1, 0.9, False),
        ("30", 2, 0.9, True),
    ]
    assert impressions[1].context == {"score": 0.9, "graph": 1.0} and impressions[1].score == 4.0
    assert reactions == []
    assert log.latest_list_with("alice", "20") == "L1" and log.latest_list_with("alice", "99") is None


def test_bad_and_replayed_reactions_are_refused_with_a_clear_error_and_counted_once(log: ImpressionLog) -> None:
    log.log_list(shown("L1", "alice", ("10", "20")))
    stored = log.log_reaction(Reaction("L1", "20", "liked"))
    assert stored.session_id == "alice" and stored.event_id == "L1:20:liked"
    with pytest.raises(ImpressionRefused, match="already counted"):
        log.log_reaction(Reaction("L1", "20", "liked"))
    with pytest.raises(ImpressionRefused, match="no shown list 'L9'"):
        log.log_reaction(Reaction("L9", "20", "liked"))
    with pytest.raises(ImpressionRefused, match="did not show item '30'"):
        log.log_reaction(Reaction("L1", "30", "liked"))
    with pytest.raises(ImpressionRefused, match="not 'loved'"):
        log.log_reaction(Reaction("L1", "10", "loved"))
    log.log_reaction(Reaction("L1", "10", "disliked", event_id="click-7"))
    with pytest.raises(ImpressionRefused, match="click-7"):
        log.log_reaction(Reaction("L1", "20", "seen", event_id="click-7"))
    assert [(r.item_id, r.kind) for r in log.everything()[1]] == [("20", "liked"), ("10", "disliked")]


def test_forgetting_a_session_removes_its_log_and_keeps_everyone_elses(log: ImpressionLog) -> None:
    log.log_list(shown("L1", "alice", ("10", "20")))
    log.log_list(shown("L2", "bob", ("10", "30"), at=2.0))
    log.log_reaction(Reaction("L1", "10", "liked"))
    log.log_reaction(Reaction("L2", "30", "why"))
    export = exported(*log.session_log("alice"))
    assert [row["item_id"] for row in export["impressions"]] == ["10", "20"]
    assert [row["kind"] for row in export["reactions"]] == ["liked"]
    log.delete_session("alice")
    impressions, reactions = log.everything()
    assert {i.session_id for i in impressions} == {"bob"} and [r.session_id for r in reactions] == ["bob"]
    assert log.session_log("alice") == ([], [])


@pytest.mark.fast
def test_the_sqlite_log_is_a_schema_migration_of_the_profile_store(tmp_path: Path) -> None:
    import sqlite3

    SqliteImpressionLog(tmp_path / "profiles.sqlite3")
    with sqlite3.connect(tmp_path / "profiles.sqlite3") as connection:
        assert connection.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 3
        tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"impressions", "reactions", "profiles"} <= tables


@pytest.mark.fast
def test_profile_show_exports_the_sessions_feedback_log(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import json

    from ui import cli

    log = SqliteImpressionLog(tmp_path / "profiles.sqlite3")
    log.log_list(shown("L1", "alice", ("10", "20")))
    log.log_list(shown("L2", "bob", ("30",)))
    log.log_reaction(Reaction("L1", "20", "accepted"))
    assert cli.main(["--data-dir", str(tmp_path), "profile", "show", "--session", "alice"]) == 0
    exported_log = json.loads(capsys.readouterr().out)["feedback_log"]
    assert [(row["item_id"], row["position"], row["propensity"]) for row in exported_log["impressions"]] == [
        ("10", 0, 1.0),
        ("20", 1, 0.9),
    ]
    assert [(row["item_id"], row["kind"]) for row in exported_log["reactions"]] == [("20", "accepted")]
