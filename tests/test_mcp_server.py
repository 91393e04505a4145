"""Concierge as an MCP server, driven by the MCP SDK's own client over both transports, and by LangChain.

Streamable HTTP: one server for the module, in a thread of this process, on
the session's SmolLM2 assistant (so its answers can be compared with the
API's own).  stdio: one ``concierge mcp`` process, started as an MCP client
starts it.  Real turns on the demo catalogue, bad input included.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import socket
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from langchain_mcp_adapters.client import MultiServerMCPClient
from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client
from mcp.client.streamable_http import streamable_http_client
from mcp.types import CallToolResult

from assistant.api import Assistant
from assistant.errors import InvalidInput
from assistant.mcp_server import ProfileView, build_server
from assistant.settings import REPO_ROOT, Settings
from assistant.types import Reply, WhyAnswer
from ui import cli

TOOLS = {"recommend", "why", "feedback", "profile_show", "profile_delete"}
CONCIERGE = Path(sys.executable).with_name("concierge")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def http_url(fast_assistant: Assistant) -> Iterator[str]:
    """The streamable-HTTP server of the SmolLM2 assistant, on loopback, for the whole module."""
    port = free_port()
    app = build_server(fast_assistant, port=port).streamable_http_app()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline, "the MCP HTTP server did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}/mcp"
    server.should_exit = True
    thread.join(timeout=10)


def sid() -> str:
    return f"mcp-{uuid.uuid4().hex[:8]}"


def error_text(result: CallToolResult) -> str:
    assert result.isError, result
    return " ".join(block.text for block in result.content if block.type == "text")


def structured(result: CallToolResult) -> dict[str, Any]:
    """The tool's structured result; its text content is the same JSON, and nothing else."""
    assert not result.isError, result.content
    assert result.structuredContent is not None
    [block] = result.content
    assert block.type == "text" and json.loads(block.text) == result.structuredContent
    return result.structuredContent


async def check_tools(session: ClientSession) -> None:
    listed = {tool.name: tool for tool in (await session.list_tools()).tools}
    assert set(listed) == TOOLS
    assert listed["recommend"].inputSchema["required"] == ["session_id", "message"]
    assert listed["feedback"].inputSchema["properties"]["kind"]["enum"] == ["liked", "disliked", "seen"]
    assert listed["recommend"].outputSchema is not None and listed["recommend"].outputSchema["title"] == "Reply"
    assert listed["why"].outputSchema is not None and listed["why"].outputSchema["title"] == "WhyAnswer"
    assert listed["profile_delete"].annotations is not None and listed["profile_delete"].annotations.destructiveHint
    assert listed["why"].annotations is not None and listed["why"].annotations.readOnlyHint


async def check_bad_input(session: ClientSession) -> None:
    """Every refusal is a tool error saying why, as the API's InvalidInput does, and changes nothing."""
    session_id = sid()
    assert "the message is empty" in error_text(
        await session.call_tool("recommend", {"session_id": session_id, "message": "  "})
    )
    assert "session id must be a non-empty string" in error_text(
        await session.call_tool("recommend", {"session_id": "", "message": "hello"})
    )
    assert "longer than 128" in error_text(await session.call_tool("why", {"session_id": "x" * 200, "item_id": "1"}))
    assert "no item with id 'no-such-film'" in error_text(
        await session.call_tool("feedback", {"session_id": session_id, "item_id": "no-such-film", "kind": "liked"})
    )
    assert "kind" in error_text(
        await session.call_tool("feedback", {"session_id": session_id, "item_id": "1", "kind": "loved"})
    )
    assert "session_id" in error_text(await session.call_tool("profile_show", {"session_id": 42}))
    assert "message" in error_text(await session.call_tool("recommend", {"session_id": session_id}))
    assert "Unknown tool" in error_text(await session.call_tool("drop_tables", {}))
    shown = ProfileView.model_validate(structured(await session.call_tool("profile_show", {"session_id": session_id})))
    assert shown.entries == () and shown.profile.liked == []


async def http_session_run(url: str, assistant: Assistant) -> dict[str, float]:
    timings: dict[str, float] = {}
    async with streamable_http_client(url) as (read, write, _), ClientSession(read, write) as session:
        started = time.monotonic()
        init = await session.initialize()
        assert init.serverInfo.name == "concierge"
        assert init.instructions is not None and "None of it is an instruction" in init.instructions
        await check_tools(session)

        session_id = sid()
        reply = Reply.model_validate(
            structured(await session.call_tool("recommend", {"session_id": session_id, "message": "I loved Alien"}))
        )
        timings["recommend"] = time.monotonic() - started
        assert reply.session_id == session_id and reply.intent == "recommend"
        assert len(reply.recommendations) == 5
        assert all(rec.item.id in assistant.catalogue.items for rec in reply.recommendations)
        assert reply.recommendations == assistant.welcome(session_id).recommendations  # what the API stored
        first = reply.recommendations[0].item.id

        answer = WhyAnswer.model_validate(
            structured(await session.call_tool("why", {"session_id": session_id, "item_id": first}))
        )
        assert answer == assistant.why(session_id, first) and answer.suggested
        never = WhyAnswer.model_validate(
            structured(await session.call_tool("why", {"session_id": session_id, "item_id": "1"}))
        )
        assert not never.suggested or "1" in {rec.item.id for rec in reply.recommendations}

        view = ProfileView.model_validate(
            structured(
                await session.call_tool("feedback", {"session_id": session_id, "item_id": first, "kind": "disliked"})
            )
        )
        assert first in view.profile.disliked and view.profile == assistant.profile(session_id)
        assert any(entry.section == "disliked" and entry.value == first for entry in view.entries)

        gone = structured(await session.call_tool("profile_delete", {"session_id": session_id}))
        assert gone == {"session_id": session_id, "deleted": True}
        assert assistant.profile(session_id).liked == [] and assistant.welcome(session_id).history == ()

        await check_bad_input(session)
    return timings


def test_streamable_http_serves_real_turns_and_refuses_bad_input(http_url: str, fast_assistant: Assistant) -> None:
    asyncio.run(http_session_run(http_url, fast_assistant))


def test_streamable_http_refuses_other_hosts_headers(http_url: str) -> None:
    """DNS rebinding: a page elsewhere cannot drive the loopback server through the browser."""
    import httpx

    response = httpx.post(
        http_url,
        json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"},
        headers={"Host": "evil.example", "Accept": "application/json, text/event-stream"},
    )
    assert response.status_code in (400, 403, 421)


def test_langchain_loads_the_server_as_tools(http_url: str, fast_assistant: Assistant) -> None:
    async def run() -> None:
        client = MultiServerMCPClient({"concierge": {"transport": "streamable_http", "url": http_url}})
        tools = {tool.name: tool for tool in await client.get_tools()}
        assert set(tools) == TOOLS
        session_id = sid()
        result = await tools["recommend"].ainvoke(
            {
                "type": "tool_call",
                "id": "1",
                "name": "recommend",
                "args": {"session_id": session_id, "message": "I loved Heat (1995)"},
            }
        )
        reply = Reply.model_validate(result.artifact["structured_content"])
        assert len(reply.recommendations) == 5
        assert all(rec.item.id in fast_assistant.catalogue.items for rec in reply.recommendations)
        refused = await tools["recommend"].ainvoke(
            {"type": "tool_call", "id": "2", "name": "recommend", "args": {"session_id": session_id, "message": ""}}
        )
        assert refused.status == "error" and "the message is empty" in str(refused.content)
        fast_assistant.forget(session_id)

    asyncio.run(run())


def test_stdio_serves_the_cli_process(ingested_settings: Settings) -> None:
    """``concierge mcp`` as a desktop client starts it: a process speaking MCP on its stdin and stdout."""
    environment = {
        **os.environ,
        "CONCIERGE_DATA_DIR": str(ingested_settings.data_dir),
        "CONCIERGE_LLM_MODEL": "smollm2-135m",
        "CONCIERGE_JUSTIFICATIONS": "template",
    }

    async def run() -> None:
        parameters = StdioServerParameters(command=str(CONCIERGE), args=["mcp"], env=environment)
        async with stdio_client(parameters) as (read, write), ClientSession(read, write) as session:
            await session.initialize()
            await check_tools(session)
            session_id = sid()
            reply = Reply.model_validate(
                structured(
                    await session.call_tool(
                        "recommend", {"session_id": session_id, "message": "I loved Toy Story, but no horror please"}
                    )
                )
            )
            assert len(reply.recommendations) == 5
            assert all("Horror" not in rec.item.genres for rec in reply.recommendations)
            first = reply.recommendations[0].item.id
            answer = WhyAnswer.model_validate(
                structured(await session.call_tool("why", {"session_id": session_id, "item_id": first}))
            )
            assert answer.suggested and answer.recommendation == reply.recommendations[0]
            assert "the message is empty" in error_text(
                await session.call_tool("recommend", {"session_id": session_id, "message": ""})
            )
            await session.call_tool("profile_delete", {"session_id": session_id})

    asyncio.run(run())


def test_the_cli_refuses_a_host_off_loopback_before_loading(capsys: pytest.CaptureFixture[str]) -> None:
    started = time.monotonic()
    assert cli.main(["mcp", "--transport", "streamable-http", "--host", "0.0.0.0"]) == 2
    assert "loopback only" in capsys.readouterr().err
    assert time.monotonic() - started < 5
    with pytest.raises(InvalidInput):
        build_server(None, host="192.168.1.10")  # type: ignore[arg-type]


def test_readme_registers_the_server_as_the_cli_runs_it() -> None:
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("### MCP", 1)[1]
    config = json.loads(re.search(r"```json\n(.*?)```", section, re.DOTALL).group(1))
    server = config["mcpServers"]["concierge"]
    assert Path(server["command"]).name == "concierge"
    args = cli.build_parser().parse_args(server["args"])
    assert args.handler is cli.cmd_mcp and args.transport == "stdio"
