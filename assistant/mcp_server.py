"""Concierge as a Model Context Protocol server: its public API as tools, over stdio or streamable HTTP.

Agents and desktop assistants reach tools through MCP.  Each tool calls the
:class:`~assistant.api.Assistant` method of the same job, so validation,
errors, grounding and the faithfulness check are the API's own; input and
output schemas come from its pydantic types.  Results are structured data
(the JSON of a :class:`~assistant.types.Reply` and the like): catalogue text
reaches a client only as values in fields, and the server's instructions,
the one free text a client shows its model, say that those values are data,
never directions.  Streamable HTTP is served on loopback only: the server
has no authentication of its own.
"""

from __future__ import annotations

import ipaddress
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, Literal, TypeVar

import anyio.to_thread
from mcp.server.fastmcp import FastMCP
from mcp.server.fastmcp.exceptions import ToolError
from mcp.types import ToolAnnotations
from pydantic import BaseModel, ConfigDict, Field

from assistant.errors import InvalidInput, ProfileStoreUnavailable
from assistant.sessions.profile import UserProfile
from assistant.types import ProfileEntry, Reply, WhyAnswer
from kg.errors import GraphUnavailable
from prompts import load_prompt

if TYPE_CHECKING:
    from assistant.api import Assistant

LOGGER = logging.getLogger(__name__)
T = TypeVar("T")
SERVER_NAME = "concierge"
DEFAULT_PORT = 8765
HTTP_PATH = "/mcp"
LOOPBACK_NAMES = ("localhost",)

SessionId = Annotated[
    str, Field(description="Identifies the person's conversation; the same id keeps the same profile.")
]
Message = Annotated[
    str,
    Field(
        description="The person's own words: likes, dislikes, limits ('not horror', 'after 2010'), or a follow-up "
        "such as 'why the second one?' or 'more'."
    ),
]
ItemId = Annotated[str, Field(description="A catalogue id, as returned in a recommendation's item.id.")]


class ProfileView(BaseModel):
    """What Concierge has learned about a session: labelled entries, and the profile itself."""

    model_config = ConfigDict(frozen=True)

    session_id: str
    entries: tuple[ProfileEntry, ...] = Field(description="One line per thing learned, labelled for people.")
    profile: UserProfile


class Forgotten(BaseModel):
    """A session whose profile, dialogue, suggestions and graph edges were all deleted."""

    model_config = ConfigDict(frozen=True)

    session_id: str
    deleted: bool = True


def is_loopback(host: str) -> bool:
    if host.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def build_server(assistant: Assistant, host: str = "127.0.0.1", port: int = DEFAULT_PORT) -> FastMCP:
    """The MCP server of ``assistant``; ``host`` and ``port`` apply to streamable HTTP only (loopback hosts only)."""
    if not is_loopback(host):
        raise InvalidInput(f"the MCP server serves loopback only (it has no authentication), not {host!r}")
    server = FastMCP(
        SERVER_NAME,
        instructions=load_prompt("mcp_instructions"),
        host=host,
        port=port,
        streamable_http_path=HTTP_PATH,
        log_level="WARNING",
    )

    async def recommend(session_id: SessionId, message: Message) -> Reply:
        """Answer one message of the person: recommendations from the catalogue, each with its evidence."""
        return await _called(assistant.chat, session_id, message)

    async def why(session_id: SessionId, item_id: ItemId) -> WhyAnswer:
        """The stored reasons a film was recommended in this session; says so plainly when it was not."""
        return await _called(assistant.why, session_id, item_id)

    async def feedback(
        session_id: SessionId,
        item_id: ItemId,
        kind: Annotated[Literal["liked", "disliked", "seen"], Field(description="What the person said of it.")],
    ) -> ProfileView:
        """Record that the person liked, disliked or has seen a catalogue film; returns the updated profile."""
        await _called(assistant.feedback, session_id, item_id, kind)
        return await _called(_profile_view, assistant, session_id)

    async def profile_show(session_id: SessionId) -> ProfileView:
        """What Concierge has learned about the person in this session."""
        return await _called(_profile_view, assistant, session_id)

    async def profile_delete(session_id: SessionId) -> Forgotten:
        """Forget the session: its profile, conversation, suggestions and the likes it left in the graph."""
        await _called(assistant.forget, session_id)
        return Forgotten(session_id=session_id.strip())

    writes = ToolAnnotations(readOnlyHint=False, destructiveHint=False, idempotentHint=False, openWorldHint=False)
    reads = ToolAnnotations(readOnlyHint=True, openWorldHint=False)
    server.add_tool(recommend, title="Recommend films", annotations=writes)
    server.add_tool(why, title="Why was this recommended", annotations=reads)
    server.add_tool(feedback, title="Record feedback", annotations=writes.model_copy(update={"idempotentHint": True}))
    server.add_tool(profile_show, title="Show the profile", annotations=reads)
    server.add_tool(
        profile_delete,
        title="Delete the profile",
        annotations=ToolAnnotations(readOnlyHint=False, destructiveHint=True, idempotentHint=True, openWorldHint=False),
    )
    return server


def _profile_view(assistant: Assistant, session_id: str) -> ProfileView:
    return ProfileView(
        session_id=session_id.strip(),
        entries=tuple(assistant.profile_entries(session_id)),
        profile=assistant.profile(session_id),
    )


async def _called(function: Callable[..., T], *args: object) -> T:
    """``function(*args)`` in a worker thread (a turn takes seconds), its errors as tool errors for the client.

    Bad input and an unreachable store say what happened; anything else is
    logged here and reported without internals.
    """
    try:
        return await anyio.to_thread.run_sync(function, *args)
    except InvalidInput as exc:
        raise ToolError(f"invalid input: {exc}") from exc
    except (ProfileStoreUnavailable, GraphUnavailable) as exc:
        raise ToolError(f"unavailable: {exc}") from exc
    except Exception as exc:
        LOGGER.exception("MCP tool call failed")
        raise ToolError("internal error; the server's log has the details") from exc
