"""The concierge command as a user runs it: one turn as JSON, why with a picture, the profile, bad input."""

from __future__ import annotations

import json
import subprocess
import uuid
from collections.abc import Callable
from pathlib import Path

from assistant.api import Assistant


def test_ask_json_why_picture_and_profile(
    run: Callable[..., subprocess.CompletedProcess[str]], tmp_path: Path, fast_assistant: Assistant
) -> None:
    session = f"cli-{uuid.uuid4().hex[:8]}"
    asked = run("ask", "I loved The Matrix and Blade Runner", "--session", session, "--json")
    assert asked.returncode == 0, asked.stderr[-2000:]
    reply = json.loads(asked.stdout)
    assert len(reply["recommendations"]) == 5
    titles = [rec["item"]["title"] for rec in reply["recommendations"]]
    assert "The Matrix (1999)" not in titles and "Blade Runner (1982)" not in titles
    assert all(rec["justification"] and rec["evidence"]["contributions"] for rec in reply["recommendations"])
    assert reply["intent"] == "recommend" and reply["parts"][0]["role"] == "introduction"

    chatted = run("chat", "--session", session, stdin="why the second one?\nquit\n")
    assert chatted.returncode == 0, chatted.stderr[-2000:]
    assert f"I suggested {titles[1]} because" in chatted.stdout

    with_paths = next(rec for rec in reply["recommendations"] if rec["evidence"]["paths"])
    picture = tmp_path / "why.png"
    why = run("why", with_paths["item"]["id"], "--session", session, "--picture", str(picture))
    assert why.returncode == 0, why.stderr[-2000:]
    assert f"I suggested {with_paths['item']['title']} because" in why.stdout
    assert picture.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    shown = run("profile", "show", "--session", session)
    assert json.loads(shown.stdout)["liked"] == ["2571", "541"]
    assert fast_assistant.parts.graph is not None and fast_assistant.parts.graph.user_edges(session) == {
        "LIKED": {"2571", "541"}
    }
    deleted = run("profile", "delete", "--session", session)
    assert deleted.returncode == 0 and "the graph" in deleted.stdout
    assert fast_assistant.parts.graph.user_edges(session) == {}
    assert json.loads(run("profile", "show", "--session", session).stdout)["liked"] == []


def test_bad_input_is_a_one_line_error(run: Callable[..., subprocess.CompletedProcess[str]]) -> None:
    result = run("ask", "   ", "--session", "cli-empty")
    assert result.returncode == 2
    assert "concierge: error: the message is empty" in result.stderr
    assert "Traceback" not in result.stderr


def test_train_scorer_writes_weights_config_and_metrics_together(
    run: Callable[..., subprocess.CompletedProcess[str]], tmp_path: Path
) -> None:
    """A real slice of the demo log (its first 40 users), two epochs: config, weights and metrics land together."""
    import gzip

    from assistant.settings import DEMO_CATALOGUE
    from retrieval.scorer.scorer import read_checkpoint

    with gzip.open(DEMO_CATALOGUE / "interactions.csv.gz", "rt", encoding="utf-8") as source:
        header, *rows = source.read().splitlines()
    slice_rows = [row for row in rows if int(row.split(",", 1)[0]) <= 40]
    ratings = tmp_path / "ratings.csv"
    ratings.write_text("\n".join([header, *slice_rows]) + "\n", encoding="utf-8")
    out = tmp_path / "scorer"
    trained = run("train-scorer", "--interactions", str(ratings), "--out", str(out), "--max-epochs", "2")
    assert trained.returncode == 0, trained.stderr[-2000:]
    assert "recall@10" in trained.stdout
    _, vocabulary, _, document = read_checkpoint(out)
    assert document["training"]["max_epochs"] == 2
    assert document["trained_on"]["interactions"] == "ratings.csv"
    assert document["metrics"]["users"] <= 40 and len(vocabulary) == document["metrics"]["items"]
    missing = run("train-scorer", "--interactions", str(tmp_path / "absent.csv"), "--out", str(out))
    assert missing.returncode == 2
    assert "no such file" in missing.stderr and "Traceback" not in missing.stderr
