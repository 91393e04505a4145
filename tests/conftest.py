"""Shared fixtures: the demo catalogue, an ingested data directory, assistants.

Two tiers.  The fast tier (``pytest -m fast``) runs turn logic in seconds on
a small slice of the demo catalogue, a throwaway Chroma index, in-memory
sessions, no graph server and a scripted chat model (LangChain's fake chat
model, answering from a list).  The real-parts tier builds the ingest, the
embedded graph server and the packaged models once per test session; every
test that changes state uses its own session id or temporary data directory.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from assistant.settings import DEMO_CATALOGUE, Settings
from assistant.understanding.linking import EntityLinker
from kg.catalogue import Catalogue, load_catalogue
from retrieval.collaborative import CoLikeIndex
from tests.servers import ChromaServer

os.environ.setdefault("CONCIERGE_LEARNING", "false")
"""The suite's other tests pin the static ranking; the learning policy's tests turn it on in their settings (a
policy learned by one test would otherwise reorder another's lists, across runs of the cached data directory)."""

SMALL_CATALOGUE_ITEMS = 400
"""The fast tier's catalogue: the demo's most rated films, enough for every turn rule to find its titles."""

CONCIERGE = Path(sys.executable).with_name("concierge")


@pytest.fixture
def closed_port() -> int:
    """A local port nothing listens on: the address of a graph server that is down."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def demo_catalogue() -> Catalogue:
    return load_catalogue(DEMO_CATALOGUE)


@pytest.fixture(scope="session")
def demo_linker(demo_catalogue: Catalogue) -> EntityLinker:
    """The entity linker on the demo catalogue, ranking ambiguous titles by their likes as the assistant does."""
    colike = CoLikeIndex(demo_catalogue.interactions, list(demo_catalogue.items), min_liked_rating=4.0)
    return EntityLinker(demo_catalogue, lambda item_id: float(colike.like_count(item_id)))


@pytest.fixture(scope="session")
def datasets_dir() -> Path:
    """The public research data sets, named by CONCIERGE_DATASETS_DIR (``make test`` sets it)."""
    directory = Settings().datasets_dir
    if directory is None or not Path(directory).is_dir():
        pytest.skip("CONCIERGE_DATASETS_DIR does not name the research data sets folder")
    return Path(directory)


@pytest.fixture(scope="session")
def ingested_settings(request: pytest.FixtureRequest) -> Settings:
    """Settings whose data directory holds a complete ingest of the demo catalogue.

    The directory lives in pytest's cache so that a second run finds the
    indexes current (ingest is idempotent and fingerprinted); tests use fresh
    session ids, and the ingest tests build their own directories.
    """
    from assistant.ingest import ingest

    settings = Settings(data_dir=request.config.cache.mkdir("concierge-data"))
    ingest(settings, progress=False)
    return settings


@pytest.fixture(scope="session")
def fast_assistant(ingested_settings: Settings) -> Iterator:
    """An assistant on the real stores with the small SmolLM2 model (fast tests)."""
    from assistant.api import Assistant

    settings = ingested_settings.model_copy(update={"llm_model": "smollm2-135m", "justifications": "template"})
    assistant = Assistant.from_settings(settings)
    yield assistant
    assistant.close()


@pytest.fixture(scope="session")
def qwen_assistant(ingested_settings: Settings) -> Iterator:
    """An assistant with the default packaged Qwen2.5 model, as users get it."""
    from assistant.api import Assistant

    assistant = Assistant.from_settings(ingested_settings)
    yield assistant
    assistant.close()


@pytest.fixture(scope="session")
def run(ingested_settings: Settings) -> Callable[..., subprocess.CompletedProcess[str]]:
    """The installed ``concierge`` command on the ingested data, each call a fresh process."""
    assert CONCIERGE.is_file(), "the concierge console script is installed beside the interpreter by pip install -e ."
    environment = {
        **os.environ,
        "CONCIERGE_DATA_DIR": str(ingested_settings.data_dir),
        "CONCIERGE_LLM_MODEL": "smollm2-135m",
    }

    def runner(*arguments: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(CONCIERGE), *arguments], env=environment, input=stdin, capture_output=True, text=True, timeout=600
        )

    return runner


@pytest.fixture(scope="session")
def small_catalogue(demo_catalogue: Catalogue) -> Catalogue:
    """The demo's most rated films with their ratings: the fast tier's catalogue."""
    from collections import Counter
    from dataclasses import replace

    counts = Counter(interaction.item_id for interaction in demo_catalogue.interactions)
    kept = {item_id for item_id, _ in counts.most_common(SMALL_CATALOGUE_ITEMS)}
    return replace(
        demo_catalogue,
        items={item_id: item for item_id, item in demo_catalogue.items.items() if item_id in kept},
        interactions=tuple(i for i in demo_catalogue.interactions if i.item_id in kept),
    )


@pytest.fixture(scope="session")
def small_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Settings for the fast tier: no scorer checkpoint (the weighted sum ranks), template justifications."""
    root = tmp_path_factory.mktemp("fast-tier")
    (root / "catalogue").mkdir()
    return Settings(data_dir=root / "data", catalogue=root / "catalogue", justifications="template", extraction="rules")


@pytest.fixture(scope="session")
def chroma_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ChromaServer]:
    """One real Chroma server (``chroma run`` of the installed chromadb) on loopback for the whole test session."""
    server = ChromaServer(tmp_path_factory.mktemp("chroma"), tmp_path_factory.mktemp("chroma-log") / "chroma.log")
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def small_vector_index(small_settings: Settings, small_catalogue: Catalogue):
    """A real Chroma collection of the small catalogue in a temporary directory."""
    from retrieval.embeddings import shared_embedder
    from retrieval.vector_store import VectorIndex, VectorLocation, build_collection

    embedder = shared_embedder(small_settings.embedding_model, small_settings.embedding_batch_size)
    location = VectorLocation(collection="fast-tier", path=small_settings.data_dir / "vectors")
    build_collection(location, list(small_catalogue.items.values()), small_catalogue.schema, embedder, progress=False)
    return VectorIndex(location, embedder)


@pytest.fixture
def scripted_assistant(
    small_settings: Settings, small_catalogue: Catalogue, small_vector_index: object
) -> Callable[..., object]:
    """Builds an assistant on the fast tier's parts whose chat model answers with the given texts, in turn."""
    from langchain_core.language_models.fake_chat_models import FakeListChatModel

    from assistant.api import Assistant
    from assistant.sessions.memory import InMemorySessionStore

    def build(*responses: str, settings: Settings = small_settings) -> Assistant:
        chat_model = FakeListChatModel(responses=list(responses) or ["Here you go."])
        return Assistant(settings, small_catalogue, chat_model, None, small_vector_index, InMemorySessionStore())

    return build
