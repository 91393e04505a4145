"""A turn is stored whole or not at all: the process is killed (SIGKILL) at each stage of a real turn.

Each kill is a real ``SIGKILL`` of a real process running a real turn on the
fast tier's catalogue and scripted chat model with SQLite sessions: a forked
child of this process for every stage (cheap: nothing to import or load
again), and one fresh ``python -c`` process that reads the hook from
``CONCIERGE_CRASH_AT_STAGE``.  The turns run without the vector index, whose
client does not survive a fork, and without the graph server, as the fast
tier does: every stage still runs, on the collaborative and attribute
candidates.  Afterwards the session is exactly as before the message, or
exactly as after it.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, get_args

import pytest
import torch
from langchain_core.language_models.fake_chat_models import FakeListChatModel

from assistant.api import Assistant
from assistant.sessions.sqlite import SqliteSessionStore
from assistant.settings import REPO_ROOT, Settings, TurnStage
from kg.catalogue import Catalogue

pytestmark = pytest.mark.fast

SESSION = "kill-test"
FIRST, SECOND = "I loved Alien", "I loved The Matrix, but no horror please"
INTRODUCTION = "Here are some picks for you."
STORED_AFTER_COMMIT = ("mirror",)
"""The one stage reached after the commit: a kill there leaves the message stored."""


def snapshot(path: Path) -> tuple[Any, ...]:
    """Everything the store holds about the session, timestamps aside."""
    store = SqliteSessionStore(path)
    suggested = store.suggested_ids(SESSION)
    return (
        store.load_profile(SESSION),
        store.history(SESSION, 100),
        [store.recommendation(SESSION, item_id) for item_id in suggested],
        store.last_suggestions(SESSION),
    )


def assistant_on(settings: Settings, catalogue: Catalogue, path: Path) -> Assistant:
    chat_model = FakeListChatModel(responses=[INTRODUCTION])
    return Assistant(settings, catalogue, chat_model, None, None, SqliteSessionStore(path))


@pytest.fixture(scope="module")
def prepared(small_settings: Settings, small_catalogue: Catalogue, tmp_path_factory: Any) -> dict[str, Any]:
    """One data directory with a first turn stored, and the session as it is before and after the second message."""
    root = tmp_path_factory.mktemp("kill")
    before_path = root / "before.sqlite3"
    assistant_on(small_settings, small_catalogue, before_path).chat(SESSION, FIRST)
    after_path = root / "after.sqlite3"
    shutil.copy(before_path, after_path)
    reply = assistant_on(small_settings, small_catalogue, after_path).chat(SESSION, SECOND)
    assert reply.recommendations, "the second message must run every stage, retrieval to explain included"
    return {"before_path": before_path, "before": snapshot(before_path), "after": snapshot(after_path)}


def killed_child(assistant: Assistant) -> int:
    """The signal that ended a forked child running the second message (0: it finished).

    Torch's pool of threads does not survive a fork (the child's first embedding would wait forever), so the
    parent runs on one thread while it forks.
    """
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        pid = os.fork()
    finally:
        if pid != 0:
            torch.set_num_threads(threads)
    if pid == 0:  # the child: the turn, then out without running the parent's cleanup
        try:
            assistant.chat(SESSION, SECOND)
        finally:
            os._exit(0)
    deadline = time.monotonic() + 120
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return os.WTERMSIG(status) if os.WIFSIGNALED(status) else 0
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            pytest.fail("the turn did not reach its stage within two minutes")
        time.sleep(0.02)


@pytest.mark.parametrize("stage", get_args(TurnStage))
def test_a_kill_at_any_stage_leaves_the_session_before_or_after_the_message(
    stage: TurnStage,
    prepared: dict[str, Any],
    small_settings: Settings,
    small_catalogue: Catalogue,
    tmp_path: Path,
) -> None:
    path = tmp_path / "profiles.sqlite3"
    shutil.copy(prepared["before_path"], path)
    settings = small_settings.model_copy(update={"crash_at_stage": stage})
    assert killed_child(assistant_on(settings, small_catalogue, path)) == signal.SIGKILL
    expected = prepared["after"] if stage in STORED_AFTER_COMMIT else prepared["before"]
    assert snapshot(path) == expected


CHILD = """
import sys
from collections import Counter
from dataclasses import replace
from langchain_core.language_models.fake_chat_models import FakeListChatModel
from assistant.api import Assistant
from assistant.sessions.sqlite import SqliteSessionStore
from assistant.settings import DEMO_CATALOGUE, Settings
from kg.catalogue import load_catalogue

settings = Settings(justifications="template", extraction="rules")
catalogue = load_catalogue(DEMO_CATALOGUE)
kept = {item_id for item_id, _ in Counter(i.item_id for i in catalogue.interactions).most_common(400)}
catalogue = replace(catalogue, items={k: v for k, v in catalogue.items.items() if k in kept},
                    interactions=tuple(i for i in catalogue.interactions if i.item_id in kept))
chat_model = FakeListChatModel(responses=["Here are some picks for you."])
store = SqliteSessionStore(settings.profile_db)
Assistant(settings, catalogue, chat_model, None, None, store).chat(sys.argv[1], sys.argv[2])
"""


def test_a_fresh_process_killed_inside_the_commit_stores_nothing_and_the_next_turn_commits(
    prepared: dict[str, Any], small_settings: Settings, small_catalogue: Catalogue, tmp_path: Path
) -> None:
    """The hook as an operator sets it (an environment variable), in a new interpreter, on SQLite in WAL mode."""
    path = tmp_path / "profiles.sqlite3"
    shutil.copy(prepared["before_path"], path)
    environment = {
        **os.environ,
        "CONCIERGE_DATA_DIR": str(tmp_path),
        "CONCIERGE_CATALOGUE": str(small_settings.catalogue),  # no shipped scorer: the fast tier's weighted sum
        "CONCIERGE_CRASH_AT_STAGE": "commit",
    }
    command = [sys.executable, "-c", CHILD, SESSION, SECOND]
    result = subprocess.run(command, env=environment, cwd=REPO_ROOT, capture_output=True, text=True, timeout=600)
    assert result.returncode == -signal.SIGKILL, result.stderr
    assert snapshot(path) == prepared["before"]
    assistant_on(small_settings, small_catalogue, path).chat(SESSION, SECOND)
    assert snapshot(path) == prepared["after"]
