"""Shared fixtures: the demo catalogue, an ingested data directory, assistants.

Expensive things (the ingest, the embedded graph server, the packaged models)
are built once per test session and shared; every test that changes state
uses its own session id or its own temporary data directory.
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
from kg.catalogue import Catalogue, load_catalogue

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

    def runner(*arguments: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(CONCIERGE), *arguments], env=environment, capture_output=True, text=True, timeout=600)

    return runner
