"""``concierge learn``: refit from the log, the off-policy guard that keeps a worse policy out, the report."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from assistant.learning.learn import better_or_equal, fit, learn, logged_lists, previous_path, rollback
from assistant.sessions.impressions import Impression, ImpressionLog, InMemoryImpressionLog, Reaction
from assistant.sessions.impressions_sqlite import SqliteImpressionLog
from retrieval.policy import LinearPolicy, read_policy
from ui import cli

pytestmark = pytest.mark.fast


def small_log(log: ImpressionLog, lists: int = 200, seed: int = 0) -> ImpressionLog:
    """Lists of four in static order where people like the items the graph found (positions 1 and 3) and turn
    down the others, shown by a policy that explored now and then (propensities below 1)."""
    draw = random.Random(seed)
    for number in range(lists):
        list_id = f"list-{number}"
        items = []
        for position in range(4):
            context = {"constant": 1.0, "score": 1.0 - position / 4 - draw.random() / 10}
            if position % 2:
                context["graph"] = 1.0
            propensity = 0.9 if position == 0 else 0.5
            items.append(
                Impression(
                    list_id,
                    f"s{number % 20}",
                    f"item{position}",
                    position,
                    4.0 - position,
                    context,
                    propensity,
                    at=float(number),
                )
            )
        log.log_list(items)
        for position in range(4):
            if draw.random() < 0.7:
                kind = "liked" if position % 2 else "disliked"
                log.log_reaction(Reaction(list_id, f"item{position}", kind, at=float(number)))
    return log


def test_the_guard_rejects_a_deliberately_worse_policy(tmp_path: Path) -> None:
    log = small_log(InMemoryImpressionLog())
    impressions, reactions = log.everything()
    lists = list(logged_lists(impressions, reactions, LinearPolicy().names).values())
    good = fit(lists)
    worse = LinearPolicy(gram=good.gram.copy(), moments=-good.moments)
    verdict = better_or_equal(good, worse, lists)
    assert verdict["promote"] is False and "worse" in verdict["reason"]
    assert verdict["candidate"]["snips"] < verdict["current"]["snips"]
    assert better_or_equal(worse, good, lists)["promote"] is True


def test_learn_promotes_a_better_policy_keeps_the_old_one_and_rolls_back(tmp_path: Path) -> None:
    log = small_log(InMemoryImpressionLog())
    policy_path = tmp_path / "policy.json"
    report = learn(log, policy_path, tmp_path / "interactions.csv")
    assert report["promote"] is True and report["version"] == 1
    assert report["candidate"]["snips"] > report["current"]["snips"]
    learned = read_policy(policy_path)
    assert learned is not None and learned.shift()[learned.names.index("graph")] > 0
    assert learned.card["reactions"] == report["reactions"]
    lines = (tmp_path / "interactions.csv").read_text().splitlines()
    assert lines[0] == "user_id,item_id,rating,timestamp" and len(lines) == 1 + report["interactions"]["rows"]

    again = learn(log, policy_path, tmp_path / "interactions.csv")
    assert again["version"] == 2 and previous_path(policy_path).is_file()
    assert rollback(policy_path).version == 1 and not previous_path(policy_path).is_file()


def test_forgotten_sessions_leave_the_next_refit(tmp_path: Path) -> None:
    log = small_log(InMemoryImpressionLog(), lists=40)
    before = learn(log, tmp_path / "policy.json", tmp_path / "interactions.csv")
    log.delete_session("s0")
    after = learn(log, tmp_path / "policy.json", tmp_path / "interactions.csv")
    assert after["lists"] == before["lists"] - 2 and after["reactions"] < before["reactions"]


def test_concierge_learn_reports_and_refits_a_small_log(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    small_log(SqliteImpressionLog(tmp_path / "profiles.sqlite3"), lists=30)
    assert cli.main(["--data-dir", str(tmp_path), "learn", "--json", str(tmp_path / "report.json")]) == 0
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["promote"] is True and "promoted: SNIPS" in capsys.readouterr().err
    assert cli.main(["--data-dir", str(tmp_path), "learn", "--report"]) == 0
    state = json.loads(capsys.readouterr().out)
    assert state["version"] == 1 and state["learned_weights"]["graph"] > 0
    assert cli.main(["--data-dir", str(tmp_path), "learn", "--rollback"]) == 0
    assert "back at version 0" in capsys.readouterr().out
    assert cli.main(["--data-dir", str(tmp_path), "learn", "--rollback"]) == 1
    assert "no earlier policy" in capsys.readouterr().err
