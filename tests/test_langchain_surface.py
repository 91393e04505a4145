"""Concierge as a LangChain Runnable and tool, and the README example that shows both."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import uuid
from pathlib import Path

from langchain_core.runnables import RunnableLambda

from assistant.api import Assistant
from assistant.langchain_surface import ChatRequest, as_runnable, as_tool
from assistant.settings import REPO_ROOT, Settings
from assistant.types import Reply


def test_runnable_invokes_streams_and_composes(fast_assistant: Assistant) -> None:
    runnable = as_runnable(fast_assistant)
    sid = f"lc-{uuid.uuid4().hex[:8]}"
    reply = runnable.invoke({"session_id": sid, "message": "I loved Alien"})
    assert isinstance(reply, Reply) and len(reply.recommendations) == 5
    events = list(runnable.stream(ChatRequest(session_id=sid, message="and Blade Runner too")))
    assert isinstance(events[-1], Reply)
    assert "".join(events[:-1]) == events[-1].text
    titles = (runnable | RunnableLambda(lambda r: [rec.item.title for rec in r.recommendations])).invoke(
        {"session_id": sid, "message": "more please"}
    )
    assert len(titles) == 5 and "Blade Runner (1982)" not in titles


def test_tool_returns_catalogue_items_as_json(fast_assistant: Assistant) -> None:
    tool = as_tool(fast_assistant)
    assert tool.name == "concierge_recommend"
    assert set(tool.args) == {"session_id", "message"}
    payload = json.loads(tool.invoke({"session_id": f"lc-{uuid.uuid4().hex[:8]}", "message": "I loved Heat (1995)"}))
    assert len(payload["recommendations"]) == 5
    for entry in payload["recommendations"]:
        assert entry["id"] in fast_assistant.catalogue.items and entry["why"]


def readme_example(heading: str) -> str:
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split(heading, 1)[1]
    return re.search(r"```python\n(.*?)```", section, re.DOTALL).group(1)


def test_readme_langchain_example_runs(ingested_settings: Settings, tmp_path: Path) -> None:
    script = tmp_path / "example.py"
    script.write_text(readme_example("### LangChain"), encoding="utf-8")
    environment = {
        **os.environ,
        "CONCIERGE_DATA_DIR": str(ingested_settings.data_dir),
        "CONCIERGE_LLM_MODEL": "smollm2-135m",
    }
    result = subprocess.run(
        [sys.executable, str(script)], cwd=tmp_path, env=environment, capture_output=True, text=True, timeout=600
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "concierge_recommend" in result.stdout
    assert result.stdout.count("(") >= 5
