"""Every bad input through every door: one clear error each, and nothing written.

The doors are the Python API, the command line (its ``main`` in this
process, and one real ``concierge`` process given bytes that are not UTF-8),
the web UI's handlers, the LangChain tool and the MCP server's tools.  Each
runs on one assistant of the fast tier whose sessions are a SQLite file, and
the file's whole content is compared before and after every refusal.
"""

from __future__ import annotations

import asyncio
import json
import os
import sqlite3
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import orjson
import pytest
from langchain_core.language_models.fake_chat_models import FakeListChatModel
from mcp.server.fastmcp.exceptions import ToolError

from assistant.api import Assistant
from assistant.errors import InvalidInput
from assistant.langchain_surface import as_runnable, as_tool
from assistant.mcp_server import build_server
from assistant.sessions.sqlite import SqliteSessionStore
from assistant.settings import Settings
from kg.catalogue import Catalogue
from tests.conftest import CONCIERGE
from ui import cli
from ui.app import ConciergeUI

pytestmark = pytest.mark.fast

SESSION = "validation"
ITEM = "2571"  # The Matrix, in the fast tier's catalogue
LIMIT = Settings().max_message_chars


@dataclass(frozen=True)
class Case:
    """One bad input: what the door is asked (a message, feedback or why) and what the error must say."""

    name: str
    call: str
    expected: str
    session: str = SESSION
    text: str = "I loved Alien"
    item: str = ITEM
    kind: str = "liked"


CASES = [
    Case("undecodable bytes", "message", "not valid UTF-8", text="I loved Alien \udcff\udcfe"),
    Case("a lone surrogate", "message", "not valid UTF-8", text="I loved \ud800 Alien"),
    Case("a NUL character", "message", "control character", text="I loved\x00 Alien"),
    Case("a terminal escape", "message", "control character", text="I loved \x1b[2J Alien"),
    Case("an empty message", "message", "the message is empty", text=""),
    Case("a blank message", "message", "the message is empty", text=" \n\t "),
    Case("a message over the limit", "message", f"the limit is {LIMIT}", text="x" * (LIMIT + 1)),
    Case("a session id with a slash", "message", "must not contain '/'", session="../../etc/passwd"),
    Case("a session id with a backslash", "message", "must not contain '/'", session="a\\b"),
    Case("a session id with a control character", "message", "control character", session="abc\x07"),
    Case("a session id with undecodable bytes", "message", "not valid UTF-8", session="s\udcff"),
    Case("an empty session id", "message", "session id must be a non-empty string", session="  "),
    Case("feedback on an unknown item", "feedback", "no item with id 'no-such-film'", item="no-such-film"),
    Case("why of an unknown item", "why", "no item with id 'no-such-film'", item="no-such-film"),
    Case("a feedback kind that does not exist", "feedback", "loved", kind="loved"),
]


def dump(path: Path) -> list[str]:
    """Every row of every table of the sessions file."""
    with sqlite3.connect(path) as connection:
        return list(connection.iterdump())


@pytest.fixture(scope="module")
def assistant(
    small_settings: Settings, small_catalogue: Catalogue, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Assistant]:
    """The fast tier's assistant on a SQLite file, with one turn already stored (so "unchanged" means something)."""
    store = SqliteSessionStore(tmp_path_factory.mktemp("validation") / "profiles.sqlite3")
    chat_model = FakeListChatModel(responses=["Here are some picks for you."])
    built = Assistant(small_settings, small_catalogue, chat_model, None, None, store)
    built.chat(SESSION, "I loved The Matrix")
    yield built
    built.close()


@pytest.fixture(scope="module")
def catalogue_dir(small_catalogue: Catalogue, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A catalogue folder holding the item the valid cases name, for the command line's own check."""
    directory = tmp_path_factory.mktemp("validation-catalogue")
    item = small_catalogue.items[ITEM]
    (directory / "items.jsonl").write_text(json.dumps({"id": item.id, "title": item.title}) + "\n", encoding="utf-8")
    (directory / "interactions.csv").write_text("user_id,item_id,rating,timestamp\n", encoding="utf-8")
    return directory


def through_api(assistant: Assistant, case: Case) -> str:
    with pytest.raises(InvalidInput) as refused:
        if case.call == "message":
            assistant.chat(case.session, case.text)
        elif case.call == "feedback":
            assistant.feedback(case.session, case.item, case.kind)  # type: ignore[arg-type]
        else:
            assistant.why(case.session, case.item)
    return str(refused.value)


def cli_arguments(case: Case, catalogue_dir: Path) -> list[str]:
    arguments = ["--catalogue", str(catalogue_dir)]
    if case.call == "message":
        return [*arguments, "ask", case.text, "--session", case.session]
    if case.call == "feedback":
        return [*arguments, "feedback", case.item, case.kind, "--session", case.session]
    return [*arguments, "why", case.item, "--session", case.session]


def through_cli(case: Case, catalogue_dir: Path, capsys: pytest.CaptureFixture[str]) -> str:
    with pytest.raises(SystemExit) as ended:  # an argument argparse refuses ends the parse
        raise SystemExit(cli.main(cli_arguments(case, catalogue_dir)))
    out, err = capsys.readouterr()
    assert ended.value.code == 2 and out == ""
    [line] = err.splitlines()
    assert line.startswith("concierge: error: ")
    return line


def through_ui(assistant: Assistant, case: Case) -> str:
    ui = ConciergeUI(assistant)
    if case.call == "message":
        *_, (history, textbox, *_) = ui.respond(case.text, [], case.session, [])
        orjson.dumps([history, textbox])  # what Gradio sends the page must encode
        return str(history[-1]["content"])
    if case.call == "feedback":
        return str(ui.feedback(0, case.kind, case.session, [case.item])[1]["value"])
    return str(ui.why(0, case.session, [case.item])[1]["value"])


def through_langchain(assistant: Assistant, case: Case) -> str:
    with pytest.raises(InvalidInput):
        as_runnable(assistant).invoke({"session_id": case.session, "message": case.text})
    return str(as_tool(assistant).invoke({"session_id": case.session, "message": case.text}))


def through_mcp(assistant: Assistant, case: Case) -> str:
    server = build_server(assistant)
    arguments: dict[str, str] = {"session_id": case.session}
    if case.call == "message":
        arguments["message"] = case.text
    else:
        arguments["item_id"] = case.item
    if case.call == "feedback":
        arguments["kind"] = case.kind
    tool = {"message": "recommend"}.get(case.call, case.call)
    with pytest.raises(ToolError) as refused:
        asyncio.run(server.call_tool(tool, arguments))
    return str(refused.value)


DOORS: dict[str, Callable[..., str]] = {
    "api": through_api,
    "cli": through_cli,
    "ui": through_ui,
    "langchain": through_langchain,
    "mcp": through_mcp,
}


DOOR_CASES = [
    pytest.param(door, case, id=f"{case.name}-{door}")
    for case in CASES
    for door in sorted(DOORS)
    if door != "langchain" or case.call == "message"  # the LangChain tool takes a session id and a message only
]


@pytest.mark.parametrize(("door", "case"), DOOR_CASES)
def test_every_door_refuses_bad_input_with_one_clear_error_and_writes_nothing(
    door: str, case: Case, assistant: Assistant, catalogue_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = assistant.parts.sessions.path  # type: ignore[attr-defined]
    before = dump(path)
    error = through_cli(case, catalogue_dir, capsys) if door == "cli" else DOORS[door](assistant, case)
    assert case.expected in error
    assert "Traceback" not in error
    assert dump(path) == before


def test_a_real_process_given_bytes_that_are_not_utf8_refuses_them_before_loading_anything(tmp_path: Path) -> None:
    """The crash issue 19 found: such bytes reached SQLite after the profile was saved, and ended in a traceback."""
    environment = {**os.environ, "CONCIERGE_DATA_DIR": str(tmp_path)}
    command = [os.fsencode(CONCIERGE), b"ask", b"I loved Alien \xff\xfe", b"--session", b"bytes"]
    result = subprocess.run(command, env=environment, capture_output=True, timeout=120)
    assert result.returncode == 2
    [line] = result.stderr.decode().splitlines()
    assert line.startswith("concierge: error: the message is not valid UTF-8 text")
    assert list(tmp_path.iterdir()) == []  # nothing written: not even a sessions file
