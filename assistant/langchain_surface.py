"""The assistant as LangChain building blocks: a Runnable and a tool.

``as_runnable`` lets a LangChain pipeline call Concierge like any other step
(input: session id + message; output: the typed :class:`Reply`, streamed as
text pieces then the reply).  ``as_tool`` lets another LangChain agent ask
Concierge for recommendations; the tool returns compact JSON with the items'
ids, titles and justifications, so the calling agent can only repeat facts
that came from the catalogue.  Input the API refuses (:mod:`assistant.validation`)
is the tool's error, which the calling agent reads as the tool's answer
("invalid input: ..."); the Runnable raises the API's ``InvalidInput``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from langchain_core.runnables import Runnable, RunnableConfig
from langchain_core.tools import StructuredTool, ToolException
from pydantic import BaseModel, Field

from assistant.errors import InvalidInput
from assistant.types import Reply

if TYPE_CHECKING:
    from assistant.api import Assistant


class ChatRequest(BaseModel):
    """One user turn for a given session."""

    session_id: str = Field(description="Identifies the user's conversation; the same id keeps the same profile.")
    message: str = Field(description="What the user said, in their words.")


class ConciergeRunnable(Runnable[ChatRequest | dict, Reply]):
    """Concierge as a Runnable step: ``invoke`` gives the Reply, ``stream`` the text pieces and then the Reply."""

    def __init__(self, assistant: Assistant) -> None:
        self.assistant = assistant

    @property
    def InputType(self) -> type[ChatRequest]:
        return ChatRequest

    @property
    def OutputType(self) -> type[Reply]:
        return Reply

    def invoke(self, input: ChatRequest | dict, config: RunnableConfig | None = None, **kwargs: Any) -> Reply:
        turn = ChatRequest.model_validate(input)
        return self._call_with_config(
            lambda request: self.assistant.chat(request.session_id, request.message), turn, config
        )

    def stream(  # type: ignore[override]  # text pieces stream first, then the Reply: what a chat UI shows
        self,
        input: ChatRequest | dict,
        config: RunnableConfig | None = None,
        **kwargs: Any,
    ) -> Iterator[str | Reply]:
        turn = ChatRequest.model_validate(input)
        yield from self.assistant.stream(turn.session_id, turn.message)


def as_runnable(assistant: Assistant) -> ConciergeRunnable:
    """The assistant as a LangChain Runnable (input: session id + message; output: the typed Reply)."""
    return ConciergeRunnable(assistant)


def as_tool(assistant: Assistant) -> StructuredTool:
    """A tool another agent can call: recommendations with their justifications, as JSON."""

    def recommend(session_id: str, message: str) -> str:
        try:
            reply = assistant.chat(session_id, message)
        except InvalidInput as exc:
            raise ToolException(f"invalid input: {exc}") from exc
        return json.dumps(
            {
                "reply": reply.text,
                "recommendations": [
                    {"id": rec.item.id, "title": rec.item.title, "why": rec.justification}
                    for rec in reply.recommendations
                ],
                "notes": list(reply.notes),
            }
        )

    return StructuredTool.from_function(
        func=recommend,
        name="concierge_recommend",
        description=(
            "Recommend movies from the Concierge catalogue. Pass the user's own words (likes, dislikes, limits such as "
            "'not horror' or 'after 2010') and a session id that stays the same for the same user. Returns JSON with "
            "recommended titles and the facts each was chosen on."
        ),
        args_schema=ChatRequest,
        handle_tool_error=True,
    )
