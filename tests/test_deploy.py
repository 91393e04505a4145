"""The steps of docs/deploy.md that can run on one machine: a Chroma server, and an OpenAI-compatible server on loopback.

(The graph profile store shared by two processes is in tests/sessions/test_graph.py, beside its server.)
Both run on the fast tier's parts (its slice of the demo catalogue, no graph, in-memory sessions).
"""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from assistant.api import Assistant
from assistant.ingest import Manifest, vector_location
from assistant.llm import chat_model_from_settings
from assistant.sessions.memory import InMemorySessionStore
from assistant.settings import Settings
from assistant.types import Reply
from kg.catalogue import Catalogue
from retrieval.embeddings import shared_embedder
from retrieval.vector_store import VectorIndex, build_collection
from tests.servers import ChromaServer, free_port, wait_for_port

SERVED_TEXT = "Here are some films you may enjoy."


def test_a_chroma_server_holds_the_vector_index(
    chroma_server: ChromaServer, small_settings: Settings, small_catalogue: Catalogue
) -> None:
    chroma_port = chroma_server.port
    settings = small_settings.model_copy(update={"chroma_host": "127.0.0.1", "chroma_port": chroma_port})
    manifest = Manifest("f", "c", 0, f"deploy-{uuid.uuid4().hex[:6]}", vector_dir=None, built_at=0.0)
    location = vector_location(settings, manifest)  # what the settings of docs/deploy.md make of it
    assert (location.host, location.port, location.path) == ("127.0.0.1", chroma_port, None)
    embedder = shared_embedder(settings.embedding_model, settings.embedding_batch_size)
    build_collection(location, list(small_catalogue.items.values()), small_catalogue.schema, embedder, progress=False)
    index = VectorIndex(location, embedder)
    assert index.count() == len(small_catalogue.items)
    from langchain_core.language_models.fake_chat_models import FakeListChatModel

    assistant = Assistant(
        settings, small_catalogue, FakeListChatModel(responses=[SERVED_TEXT]), None, index, InMemorySessionStore()
    )
    reply = assistant.chat("deploy-chroma", "a space adventure like Star Wars")
    assert len(reply.recommendations) == settings.n_recommendations
    assert any("vector" in rec.evidence.sources for rec in reply.recommendations)


class OpenAICompatible:
    """The chat-completions endpoint of vLLM, TGI or Ollama, reduced to what a client sees: text, streamed or not."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.app = Starlette(routes=[Route("/v1/chat/completions", self.complete, methods=["POST"])])

    async def complete(self, request: Request) -> Response:
        body = await request.json()
        self.requests.append(body)
        base = {"id": "c1", "created": 0, "model": body["model"]}
        usage = {"prompt_tokens": 10, "completion_tokens": 8, "total_tokens": 18}
        if not body.get("stream"):
            message = {"role": "assistant", "content": SERVED_TEXT}
            return JSONResponse(
                {
                    **base,
                    "object": "chat.completion",
                    "choices": [{"index": 0, "message": message, "finish_reason": "stop"}],
                    "usage": usage,
                }
            )

        def events() -> Iterator[str]:
            for index, word in enumerate(SERVED_TEXT.split(" ")):
                delta = {"content": word if index == 0 else f" {word}"}
                chunk = {**base, "object": "chat.completion.chunk"}
                yield "data: " + json.dumps({**chunk, "choices": [{"index": 0, "delta": delta}]}) + "\n\n"
            last = {
                **base,
                "object": "chat.completion.chunk",
                "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}],
            }
            yield "data: " + json.dumps(last) + "\n\ndata: [DONE]\n\n"

        return StreamingResponse(events(), media_type="text/event-stream")


@pytest.fixture(scope="module")
def openai_server() -> Iterator[tuple[OpenAICompatible, int]]:
    served = OpenAICompatible()
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(served.app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    wait_for_port(port, 30)
    yield served, port
    server.should_exit = True
    thread.join(timeout=10)


def test_the_openai_backend_talks_to_a_server_on_loopback(
    openai_server: tuple[OpenAICompatible, int],
    small_settings: Settings,
    small_catalogue: Catalogue,
    small_vector_index: VectorIndex,
    caplog: pytest.LogCaptureFixture,
) -> None:
    served, port = openai_server
    settings = small_settings.model_copy(
        update={"llm_backend": "openai", "openai_base_url": f"http://127.0.0.1:{port}/v1", "llm_model": "served-model"}
    )
    chat_model = chat_model_from_settings(settings)  # langchain-openai's ChatOpenAI, as docs/deploy.md sets it up
    assistant = Assistant(settings, small_catalogue, chat_model, None, small_vector_index, InMemorySessionStore())
    events = list(assistant.stream("deploy-openai", "I loved Alien, something like it"))
    reply = events[-1]
    assert isinstance(reply, Reply) and len(reply.recommendations) == settings.n_recommendations
    assert "".join(event for event in events[:-1] if isinstance(event, str)) == reply.text
    assert served.requests and {request["model"] for request in served.requests} == {"served-model"}
    assert any(request.get("stream") for request in served.requests)
    # the calls went through (the per-call length as OpenAI's max_tokens); the grounding rule then judged the text
    assert all(request.get("max_completion_tokens") or request.get("max_tokens") for request in served.requests), (
        served.requests
    )
    assert not [record for record in caplog.records if "chat model failed" in record.getMessage()]
