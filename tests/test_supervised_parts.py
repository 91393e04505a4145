"""Parts that die under a running assistant: the embedded graph server, a Chroma server, the index directory.

One small data directory (the first demo films) is ingested once, with its
own embedded graph server; the graph test kills that server with SIGKILL,
the Chroma test starts and kills a Chroma server of its own, and the damage
tests delete or corrupt the vector index, or corrupt a graph database, and
repair them with ``concierge ingest``.  Each shows the turn after the failure degrading with its note
within the configured timeout, and a later turn served by the part again.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from langchain_core.language_models.fake_chat_models import FakeListChatModel

from assistant.api import Assistant
from assistant.ingest import ingest, read_manifest, vector_location
from assistant.settings import Settings
from assistant.turn.trace import TurnTrace
from kg import embedded
from kg.errors import GraphUnavailable
from kg.store import GraphStore
from kg.supervision import Backoff
from retrieval.candidates import GRAPH_DOWN_NOTE, VECTOR_DOWN_NOTE
from retrieval.embeddings import shared_embedder
from retrieval.vector_store import VectorIndex, VectorIndexDamaged
from tests.catalogues import demo_head, write_catalogue
from tests.conftest import CONCIERGE
from tests.servers import ChromaServer, free_port
from ui import cli

TIMEOUT_S = 3.0
"""The configured timeout of one graph or Chroma call in these tests."""
SLACK_S = 6.0
"""What a turn may add to that timeout on two shared cores (its own work, not waiting): still well below the
10 graph calls of a turn, each of which waited the whole timeout before the graph was supervised."""
REQUEST = "I loved Toy Story, something like it"
CATALOGUE_ITEMS = 60


def settings_for(data_dir: Path, catalogue: Path, **update: object) -> Settings:
    return Settings(
        data_dir=data_dir,
        catalogue=catalogue,
        justifications="template",
        extraction="rules",
        graph_timeout_s=TIMEOUT_S,
        chroma_timeout_s=TIMEOUT_S,
        restart_backoff_s=0.5,
        restart_backoff_max_s=2.0,
        arcadedb_heap_mb=512,
        **update,  # type: ignore[arg-type]
    )


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    """A data directory ingested from the first demo films, with its embedded graph server running."""
    root = tmp_path_factory.mktemp("supervised")
    settings = settings_for(root / "data", write_catalogue(root / "catalogue", *demo_head(CATALOGUE_ITEMS)))
    ingest(settings, progress=False)
    yield settings
    embedded.shutdown(settings.graph_dir)


def assistant_on(settings: Settings) -> Assistant:
    return Assistant.from_settings(settings, chat_model=FakeListChatModel(responses=["Here you go."]))


def timed_turn(assistant: Assistant, session: str) -> tuple[TurnTrace, float]:
    started = time.monotonic()
    trace = assistant.turn(session, REQUEST)
    return trace, time.monotonic() - started


def test_a_killed_graph_server_degrades_one_turn_and_is_restarted(
    served: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    assistant = assistant_on(served)
    try:
        graph = assistant.parts.graph
        assert graph is not None and graph.server is not None
        first = assistant.turn("graph-1", REQUEST)
        assert any("graph" in candidate.features for candidate in first.pool) and not first.notes

        killed = graph.server.pid
        os.kill(killed, signal.SIGKILL)
        degraded, waited = timed_turn(assistant, "graph-2")
        assert GRAPH_DOWN_NOTE in degraded.notes
        assert len(degraded.recommendations) == served.n_recommendations
        assert waited < TIMEOUT_S + SLACK_S, waited
        with pytest.raises(GraphUnavailable, match="recovering it"):
            graph.health()  # while it is restarted, every call fails at once

        assert graph.connection.supervisor.wait_up(120), "the graph server was not restarted"
        assert graph.server.pid != killed and graph.server.alive()
        served_again = assistant.turn("graph-3", REQUEST)
        assert any("graph" in candidate.features for candidate in served_again.pool) and not served_again.notes
        assert graph.connection.supervisor.outages == 1
    finally:
        assistant.close()
    logged = [record.getMessage() for record in caplog.records]
    assert len([line for line in logged if "down:" in line and "graph server" in line]) == 1, logged
    assert [line for line in logged if line.startswith("session graph-2, stage retrieve: graph source:")], logged
    password = (served.graph_dir / embedded.PASSWORD_FILE).read_text(encoding="utf-8").strip()
    assert password and not [line for line in logged if password in line]


def test_no_password_reaches_a_log_or_an_error(served: Settings, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    secret = "a-password-that-must-not-leak"
    with GraphStore.embedded(served.graph_dir, heap_mb=512) as running:
        assert running.server is not None
        wrong = GraphStore.connect(running.server.uri, "root", secret, database="concierge", timeout_s=TIMEOUT_S)
        with pytest.raises(GraphUnavailable) as refused:
            wrong.health()
        with pytest.raises(GraphUnavailable) as fast:
            wrong.health()
        wrong.close()
    for text in (str(refused.value), str(fast.value), *(record.getMessage() for record in caplog.records)):
        assert secret not in text


def test_a_chroma_server_that_dies_and_comes_back_is_reconnected(
    served: Settings, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    server = ChromaServer(tmp_path / "chroma", tmp_path / "chroma.log").start()
    try:
        settings = served.model_copy(
            update={"data_dir": tmp_path / "data", "chroma_host": "127.0.0.1", "chroma_port": server.port}
        )
        (tmp_path / "data").mkdir()
        (tmp_path / "data" / "graph").symlink_to(served.graph_dir, target_is_directory=True)  # the running one
        assistant = assistant_on(settings)
        try:
            index = assistant.parts.vector_index
            assert index is not None and index.location.host == "127.0.0.1"
            first = assistant.turn("chroma-1", REQUEST)
            assert any("vector" in candidate.features for candidate in first.pool) and not first.notes

            server.kill()
            degraded, waited = timed_turn(assistant, "chroma-2")
            assert VECTOR_DOWN_NOTE in degraded.notes
            assert len(degraded.recommendations) == settings.n_recommendations
            assert waited < TIMEOUT_S + SLACK_S, waited

            server.start()  # the same port and data: the operator's restart
            assert index.supervisor.wait_up(60), "the Chroma server was not reconnected"
            served_again = assistant.turn("chroma-3", REQUEST)
            assert any("vector" in candidate.features for candidate in served_again.pool) and not served_again.notes
        finally:
            assistant.close()
    finally:
        server.stop()
    logged = [record.getMessage() for record in caplog.records]
    assert len([line for line in logged if line.startswith(f"Chroma server 127.0.0.1:{server.port} down:")]) == 1
    assert [line for line in logged if line.startswith("session chroma-2, stage retrieve: vector source:")], logged


@pytest.mark.parametrize("harm", ["deleted", "corrupted"])
def test_a_damaged_vector_index_names_concierge_ingest_which_repairs_it(
    served: Settings, tmp_path: Path, harm: str, caplog: pytest.LogCaptureFixture
) -> None:
    settings = served.model_copy(update={"data_dir": tmp_path / "data"})
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "graph").symlink_to(served.graph_dir, target_is_directory=True)  # the running one
    ingest(settings, progress=False, with_graph=False)
    manifest = read_manifest(settings)
    assert manifest is not None and manifest.vector_dir is not None
    location = vector_location(settings, manifest)
    assert location.path is not None
    if harm == "deleted":
        shutil.rmtree(location.path)
    else:
        (location.path / "chroma.sqlite3").write_bytes(b"not a database " * 100)

    embedder = shared_embedder(settings.embedding_spec, settings.embedding_batch_size)
    with pytest.raises(VectorIndexDamaged, match="run `concierge ingest` to rebuild it") as damaged:
        VectorIndex(location, embedder)
    assert str(location.path) in str(damaged.value)
    assistant = assistant_on(settings)  # an app started on it: degraded, and the log names the repair
    try:
        index = assistant.parts.vector_index
        assert index is not None and not index.supervisor.up
        assert VECTOR_DOWN_NOTE in assistant.turn("damaged-1", REQUEST).notes
        assert [record for record in caplog.records if "run `concierge ingest` to rebuild it" in record.getMessage()]

        where = ["--data-dir", str(settings.data_dir), "--catalogue", str(settings.catalogue)]
        if harm == "corrupted":  # the command in a process of its own, as an operator runs it
            done = subprocess.run(
                [str(CONCIERGE), *where, "ingest"], capture_output=True, text=True, timeout=600, check=False
            )
            assert done.returncode == 0, done.stderr
            assert "built" in done.stdout and "rebuilding the vector index" in done.stderr
        else:  # the same command in this process, which spares the suite a second start of one
            assert cli.main([*where, "ingest"]) == 0
            assert [record for record in caplog.records if "rebuilding the vector index" in record.getMessage()]
        repaired = read_manifest(settings)
        assert repaired is not None and repaired.vector_dir != manifest.vector_dir
        assert VectorIndex(vector_location(settings, repaired), embedder).count() == manifest.items

        assert index.supervisor.wait_up(60), "the running app did not move to the rebuilt index"
        assert index.location.path == settings.index_dir / str(repaired.vector_dir)
        answered = assistant.turn("damaged-2", REQUEST)
        assert any("vector" in candidate.features for candidate in answered.pool) and not answered.notes
    finally:
        assistant.close()


def test_a_corrupted_graph_database_names_concierge_ingest_which_rebuilds_it(
    served: Settings, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings = served.model_copy(update={"data_dir": tmp_path / "data"})
    ingest(settings, progress=False)
    embedded.shutdown(settings.graph_dir)  # as when the machine stopped
    database = settings.graph_dir / "databases" / embedded.DATABASE
    for path in database.iterdir():
        if path.is_file() and path.stat().st_size:
            path.write_bytes(b"not a database " * 100)

    with pytest.raises(embedded.GraphDatabaseDamaged, match="run `concierge ingest` to rebuild it") as damaged:
        GraphStore.from_config(settings.graph_config())
    assert str(database) in str(damaged.value)
    password = (settings.graph_dir / embedded.PASSWORD_FILE).read_text(encoding="utf-8").strip()
    assert password not in str(damaged.value)

    report = ingest(settings, progress=False)  # what `concierge ingest` runs
    assert not report.skipped
    with GraphStore.from_config(settings.graph_config()) as graph:
        assert graph.item_count() == CATALOGUE_ITEMS
    kept = list((settings.graph_dir / embedded.DAMAGED_DIR).iterdir())
    assert len(kept) == 1 and kept[0].name.startswith(embedded.DATABASE)
    assert [record for record in caplog.records if "rebuilding the graph database" in record.getMessage()]
    embedded.shutdown(settings.graph_dir)


class Relay:
    """A TCP relay on a fixed loopback port to a server: stopped and started again, as a remote server restarts."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.port = free_port()
        self._open: list[socket.socket] = []
        self._listener: socket.socket | None = None

    def start(self) -> Relay:
        listener = socket.create_server(("127.0.0.1", self.port), reuse_port=False)
        self._listener = listener
        self._open.append(listener)
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()
        return self

    def stop(self) -> None:
        for sock in self._open:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()
        self._open.clear()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(("127.0.0.1", self.target_port))
            self._open += [client, upstream]
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    @staticmethod
    def _pump(source: socket.socket, sink: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while data := source.recv(65536):
                sink.sendall(data)


def test_a_remote_graph_server_that_goes_away_is_probed_until_it_answers(served: Settings) -> None:
    """A Neo4j of yours cannot be restarted from here: the connection fails fast while it is away, then returns."""
    with GraphStore.embedded(served.graph_dir, heap_mb=512) as local:
        assert local.server is not None
        relay = Relay(local.server.bolt_port).start()
        remote = GraphStore.connect(
            f"bolt://127.0.0.1:{relay.port}",
            *local.server.auth,
            database=local.server.database,
            timeout_s=TIMEOUT_S,
            backoff=Backoff(0.2, 0.5),
        )
        try:
            assert remote.item_count() == CATALOGUE_ITEMS
            relay.stop()
            with pytest.raises(GraphUnavailable):
                remote.item_count()
            with pytest.raises(GraphUnavailable, match="recovering it"):
                remote.item_count()
            relay.start()
            assert remote.connection.supervisor.wait_up(60), "the connection did not come back"
            assert remote.item_count() == CATALOGUE_ITEMS and remote.connection.supervisor.outages == 1
        finally:
            remote.close()
            relay.stop()
