"""The steps of docs/deploy.md that can run on one machine: a Chroma server, and llama-cpp-python's OpenAI server.

(The graph profile store shared by two processes is in tests/sessions/test_graph.py, beside its server.)
Both run on the fast tier's parts (its slice of the demo catalogue, no graph, in-memory sessions).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from langchain_core.messages import HumanMessage

from assistant.api import Assistant
from assistant.ingest import Manifest, vector_location
from assistant.llm import chat_model_from_settings, packaged_gguf
from assistant.sessions.memory import InMemorySessionStore
from assistant.settings import Settings
from assistant.types import Reply
from kg.catalogue import Catalogue
from retrieval.embeddings import shared_embedder
from retrieval.vector_store import VectorIndex, build_collection
from tests.servers import ChromaServer, LlamaServer

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


@pytest.fixture(scope="module")
def llama_server(tmp_path_factory: pytest.TempPathFactory, small_settings: Settings) -> Iterator[LlamaServer]:
    """llama-cpp-python's OpenAI-compatible server on loopback, serving the packaged SmolLM2 GGUF."""
    gguf = packaged_gguf("smollm2-135m", small_settings.model_cache_dir)
    server = LlamaServer(gguf, "smollm2-135m", tmp_path_factory.mktemp("llama-log") / "server.log").start()
    yield server
    server.stop()


def test_the_openai_backend_talks_to_a_real_server_on_loopback(
    llama_server: LlamaServer,
    small_settings: Settings,
    small_catalogue: Catalogue,
    small_vector_index: VectorIndex,
    caplog: pytest.LogCaptureFixture,
) -> None:
    settings = small_settings.model_copy(
        update={"llm_backend": "openai", "openai_base_url": llama_server.base_url, "llm_model": "smollm2-135m"}
    )
    chat_model = chat_model_from_settings(settings)  # langchain-openai's ChatOpenAI, as docs/deploy.md sets it up
    short = chat_model.invoke([HumanMessage("Name a film.")], max_new_tokens=4)
    assert short.usage_metadata is not None and 0 < short.usage_metadata["output_tokens"] <= 4
    assistant = Assistant(settings, small_catalogue, chat_model, None, small_vector_index, InMemorySessionStore())
    assert assistant.parts.gate.slots == 8, "a server batches: turns do not queue behind one generation"
    events = list(assistant.stream("deploy-openai", "I loved Alien, something like it"))
    reply = events[-1]
    assert isinstance(reply, Reply) and len(reply.recommendations) == settings.n_recommendations
    assert "".join(event for event in events[:-1] if isinstance(event, str)) == reply.text
    assert not [record for record in caplog.records if "chat model failed" in record.getMessage()]
    introduction = [part for part in reply.parts if part.role == "introduction"]
    assert introduction and all(part.llm_attempts >= 1 for part in introduction), "the served model was asked"
