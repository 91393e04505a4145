"""Sessions on the graph server: the store contract, app instances sharing it, restarts, a server that is down.

One embedded ArcadeDB server is started for the module, in a temporary
directory; every "app instance" is a store on a driver of its own to it.
The contract tests run against the SQLite and in-memory stores too, so all three keep the
same semantics.  The end-to-end test reuses the session's ingested demo
graph server, where the catalogue already is.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from assistant.errors import ProfileStoreUnavailable, StoreNewerThanCode
from assistant.sessions.exchange import Exchange
from assistant.sessions.graph import GraphSessionStore
from assistant.sessions.memory import InMemorySessionStore
from assistant.sessions.profile import PreferenceDelta, UserProfile
from assistant.sessions.sqlite import SqliteSessionStore
from assistant.sessions.store import SessionStore, open_session_store
from assistant.settings import Settings
from assistant.types import ItemCard, Recommendation
from kg import embedded
from kg.embedded import EmbeddedArcadeDB
from kg.graph.migrations import MIGRATIONS as GRAPH_MIGRATIONS
from kg.graph.migrations import SCHEMA_VERSION as GRAPH_SCHEMA_VERSION
from kg.graph.migrations import migrate as migrate_graph
from kg.graph.migrations import schema_version as graph_schema_version
from kg.graph.user_data import SessionData
from kg.store import GraphStore
from retrieval.evidence import Evidence
from ui import cli

TEST_HEAP_MB = 512
FIXTURES = Path(__file__).parent / "fixtures"
HOSTILE = [
    'Ocean\'s "Eleven"',
    "}) DETACH DELETE n //",
    "'}) MATCH (n) DETACH DELETE n; //",
    "{braces} $session {{double}} `tick`",
    "\\u0027 backslash \\\\ Amélie, 千と千尋, 🎬",
    "",
]


def recommendation(item_id: str, justification: str = "Because of the graph.") -> Recommendation:
    return Recommendation(
        item=ItemCard(id=item_id, title=f"Film {item_id}", year=1999),
        score=1.5,
        evidence=Evidence(sources=("graph",), contributions={"graph": 1.5}),
        justification=justification,
    )


def session() -> str:
    return f"shared-{uuid.uuid4().hex[:10]}"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedArcadeDB]:
    directory = tmp_path_factory.mktemp("profiles-graph")
    graph = GraphStore.embedded(directory, heap_mb=TEST_HEAP_MB, timeout_s=10.0)
    try:
        graph.health()
        yield graph.server
    finally:
        graph.close()
        embedded.shutdown(directory)


def instance(server: EmbeddedArcadeDB, timeout_s: float = 10.0) -> GraphStore:
    """One app instance's own connection: a new driver to the shared server."""
    return GraphStore.connect(server.uri, *server.auth, database=server.database, timeout_s=timeout_s)


def node_count(graph: GraphStore) -> int:
    return graph.read(lambda tx: tx.run("MATCH (n) RETURN count(n) AS n").single(strict=True)["n"])


@pytest.fixture(params=["graph", "local", "memory"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SessionStore]:
    """Every session store keeps one contract: the graph server's, the SQLite file's and the in-memory one."""
    if request.param == "memory":
        yield InMemorySessionStore()
        return
    if request.param == "local":
        yield SqliteSessionStore(tmp_path / "profiles.sqlite3")
        return
    graph = instance(request.getfixturevalue("server"))
    yield GraphSessionStore(graph)
    graph.close()


# ------------------------------------------------------------- the contract


def test_profile_round_trip(store: SessionStore) -> None:
    sid = session()
    assert store.load_profile(sid) == UserProfile()
    profile = UserProfile().apply(PreferenceDelta(liked_items=("42",), year_max=1999, unlinked=("Some Film",)))
    store.save_profile(sid, profile)
    assert store.load_profile(sid) == profile
    changed = profile.apply(PreferenceDelta(disliked_items=("42",)))
    store.save_profile(sid, changed)
    assert store.load_profile(sid) == changed


def test_turns_are_numbered_per_session_and_read_back_oldest_first(store: SessionStore) -> None:
    sid, other = session(), session()
    assert [store.append_turn(sid, role, f"turn {n}") for n, role in enumerate(["user", "assistant"] * 3)] == list(
        range(6)
    )
    assert store.append_turn(other, "user", "elsewhere") == 0
    assert store.history(sid) == [(role, f"turn {n}") for n, role in enumerate(["user", "assistant"] * 3)]
    assert store.history(sid, limit=2) == [("user", "turn 4"), ("assistant", "turn 5")]
    assert store.history(other) == [("user", "elsewhere")]
    assert store.history(session()) == []


def test_a_resuggested_item_keeps_only_its_latest_evidence(store: SessionStore) -> None:
    sid = session()
    assert store.last_suggestions(sid) == []
    store.save_recommendations(sid, 0, [recommendation("a"), recommendation("b"), recommendation("c")])
    assert store.last_suggestions(sid) == ["a", "b", "c"]
    store.save_recommendations(sid, 2, [recommendation("d"), recommendation("a", "Seen again, for new reasons.")])
    store.save_recommendations(sid, 4, [])  # an answer without suggestions changes nothing
    assert store.suggested_ids(sid) == ["b", "c", "d", "a"]
    assert store.last_suggestions(sid) == ["d", "a"]
    assert store.recommendation(sid, "a") == recommendation("a", "Seen again, for new reasons.")
    assert store.recommendation(sid, "b") == recommendation("b")
    assert store.recommendation(sid, "z") is None
    assert store.recommendation(session(), "a") is None


def test_delete_session_forgets_everything_of_that_session_only(store: SessionStore) -> None:
    gone, kept = session(), session()
    for sid in (gone, kept):
        store.save_profile(sid, UserProfile().apply(PreferenceDelta(liked_items=("7",))))
        store.append_turn(sid, "user", "I loved 7")
        store.save_recommendations(sid, 0, [recommendation("8")])
    store.delete_session(gone)
    assert store.load_profile(gone) == UserProfile()
    assert store.history(gone) == []
    assert store.suggested_ids(gone) == [] and store.last_suggestions(gone) == []
    assert store.recommendation(gone, "8") is None
    assert store.append_turn(gone, "user", "back again") == 0  # a forgotten session starts afresh
    assert store.load_profile(kept).liked == ["7"]
    assert store.history(kept) == [("user", "I loved 7")]
    assert store.recommendation(kept, "8") == recommendation("8")
    store.delete_session(session())  # a session never seen: nothing to do, no error


def exchange(message: str, *item_ids: str) -> Exchange:
    profile = UserProfile().apply(PreferenceDelta(liked_items=item_ids))
    return Exchange(message, f"Reply to {message}", profile, tuple(recommendation(item_id) for item_id in item_ids))


def stored(store: SessionStore, sid: str) -> tuple[object, ...]:
    return store.load_profile(sid), store.history(sid), store.suggested_ids(sid), store.last_suggestions(sid)


def test_a_turn_commits_its_profile_utterances_and_suggestions_together(store: SessionStore) -> None:
    sid = session()
    assert store.commit_turn(sid, exchange("I loved 1", "1", "2")) == 0
    assert store.commit_turn(sid, exchange("and 3", "3", "1")) == 2
    assert store.load_profile(sid).liked == ["3", "1"]
    assert store.history(sid) == [
        ("user", "I loved 1"),
        ("assistant", "Reply to I loved 1"),
        ("user", "and 3"),
        ("assistant", "Reply to and 3"),
    ]
    assert store.suggested_ids(sid) == ["2", "3", "1"] and store.last_suggestions(sid) == ["3", "1"]


def test_a_turn_that_fails_inside_its_transaction_stores_nothing(store: SessionStore) -> None:
    sid = session()
    store.commit_turn(sid, exchange("I loved 1", "1"))
    before = stored(store, sid)

    def fail() -> None:
        raise RuntimeError("failed before the commit")

    with pytest.raises(RuntimeError, match="before the commit"):
        store.commit_turn(sid, exchange("and 2", "2"), fail)
    assert stored(store, sid) == before
    assert store.commit_turn(sid, exchange("and 3", "3")) == 2


def test_undecodable_bytes_in_a_turn_store_nothing_of_it(tmp_path: Path) -> None:
    """The crash issue 19 found: a surrogate (undecodable bytes) used to fail the turn after its profile was saved."""
    store = SqliteSessionStore(tmp_path / "profiles.sqlite3")
    sid = session()
    with pytest.raises(UnicodeEncodeError):
        store.commit_turn(sid, exchange("I loved 1 \udcff", "1"))
    assert stored(store, sid) == (UserProfile(), [], [], [])


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_ids_and_texts_are_stored_verbatim_and_harm_nothing(store: SessionStore, text: str) -> None:
    canary = session()
    store.save_profile(canary, UserProfile().apply(PreferenceDelta(liked_items=("1",))))
    store.append_turn(canary, "user", "canary")
    sid = text
    profile = UserProfile().apply(PreferenceDelta(unlinked=(text or "-",), liked_attributes=(("cast", text or "-"),)))
    store.save_profile(sid, profile)
    assert store.append_turn(sid, text, text) == 0
    store.save_recommendations(sid, 0, [recommendation(text, text)])
    assert store.load_profile(sid) == profile
    assert store.history(sid) == [(text, text)]
    assert store.last_suggestions(sid) == [text]
    assert store.recommendation(sid, text) == recommendation(text, text)
    store.delete_session(sid)
    assert store.load_profile(sid) == UserProfile()
    assert store.load_profile(canary).liked == ["1"]
    assert store.history(canary) == [("user", "canary")]


def test_deleted_sessions_leave_no_node_behind(server: EmbeddedArcadeDB) -> None:
    graph = instance(server)
    try:
        store = GraphSessionStore(graph)
        before = node_count(graph)
        sids = [session() for _ in range(3)]
        for sid in sids:
            store.save_profile(sid, UserProfile())
            store.append_turn(sid, "user", "hello")
            store.append_turn(sid, "assistant", "hi")
            store.save_recommendations(sid, 0, [recommendation("1"), recommendation("2")])
        assert node_count(graph) == before + 3 * (1 + 2 + 2)
        for sid in sids:
            store.delete_session(sid)
        assert node_count(graph) == before
    finally:
        graph.close()


# ------------------------------------------------------- instances, restarts


def test_two_app_instances_see_each_others_writes(server: EmbeddedArcadeDB) -> None:
    one, two = instance(server), instance(server)
    try:
        first, second = GraphSessionStore(one), GraphSessionStore(two)
        sid = session()
        profile = UserProfile().apply(PreferenceDelta(liked_items=("2571",)))
        first.save_profile(sid, profile)
        assert first.append_turn(sid, "user", "I loved The Matrix") == 0
        first.save_recommendations(sid, 0, [recommendation("541")])
        assert second.load_profile(sid) == profile
        assert second.last_suggestions(sid) == ["541"]
        assert second.append_turn(sid, "assistant", "Try Blade Runner.") == 1
        assert first.history(sid) == [("user", "I loved The Matrix"), ("assistant", "Try Blade Runner.")]
        second.delete_session(sid)
        assert first.load_profile(sid) == UserProfile() and first.history(sid) == []
    finally:
        one.close()
        two.close()


def test_instances_appending_to_one_session_at_once_get_distinct_positions(server: EmbeddedArcadeDB) -> None:
    graphs = [instance(server) for _ in range(3)]
    stores = [GraphSessionStore(graph) for graph in graphs]
    sid, positions, errors = session(), [], []

    def append(store: GraphSessionStore, name: int) -> None:
        for n in range(8):
            try:
                positions.append(store.append_turn(sid, "user", f"{name}-{n}"))
            except Exception as exc:  # collected: a failure in a thread must fail the test
                errors.append(exc)

    threads = [threading.Thread(target=append, args=(store, name)) for name, store in enumerate(stores)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert errors == []
        assert sorted(positions) == list(range(24))
        assert len(stores[0].history(sid, limit=100)) == 24
    finally:
        stores[0].delete_session(sid)
        for graph in graphs:
            graph.close()


def test_a_restarted_instance_finds_its_sessions(server: EmbeddedArcadeDB) -> None:
    sid = session()
    profile = UserProfile().apply(PreferenceDelta(liked_items=("1",), year_min=1990))
    graph = instance(server)
    store = GraphSessionStore(graph)
    store.save_profile(sid, profile)
    store.append_turn(sid, "user", "before the restart")
    store.save_recommendations(sid, 0, [recommendation("2")])
    graph.close()
    with pytest.raises(ProfileStoreUnavailable):
        store.load_profile(sid)  # a closed connection is an error, never an empty profile

    reopened = instance(server)
    try:
        again = GraphSessionStore(reopened)
        assert again.load_profile(sid) == profile
        assert again.history(sid) == [("user", "before the restart")]
        assert again.recommendation(sid, "2") == recommendation("2")
        assert again.append_turn(sid, "assistant", "after it") == 1
        again.delete_session(sid)
    finally:
        reopened.close()


# ------------------------------------------------------------- schema version


def set_graph_version(graph: GraphStore, version: int | None) -> None:
    """Write (or, with None, remove) the graph's schema-version node, as older or newer code would have left it."""
    if version is None:
        graph.write(lambda tx: tx.run("MATCH (v:ConciergeSchema) DETACH DELETE v").consume())
    else:
        graph.write(
            lambda tx: tx.run("MERGE (v:ConciergeSchema {id: 'graph'}) SET v.version = $v", v=version).consume()
        )


def test_a_graph_from_before_versions_opens_with_every_session_intact(server: EmbeddedArcadeDB) -> None:
    """The sessions of the SQLite fixture, written as the code before versions wrote them (no version node)."""
    expected = json.loads((FIXTURES / "expected-v0.json").read_text(encoding="utf-8"))
    graph = instance(server)
    try:
        set_graph_version(graph, None)
        old = SessionData(graph.connection)  # the session Cypher is unchanged since; only the version node is new
        sids = {sid: session() for sid in expected}
        for sid, held in expected.items():
            old.save_profile(sids[sid], json.dumps(held["profile"]))
            for role, content in held["history"]:
                old.append_turn(sids[sid], role, content)
            earlier, last = held["suggested"][: -len(held["last"])], held["last"]
            for turn, items in enumerate((earlier, last)):
                old.save_suggestions(sids[sid], turn, items, [json.dumps(held["recommendations"][i]) for i in items])
        assert graph_schema_version(graph.connection) == 0

        store = GraphSessionStore(graph)
        assert graph_schema_version(graph.connection) == GRAPH_SCHEMA_VERSION
        for sid, held in expected.items():
            assert json.loads(store.load_profile(sids[sid]).model_dump_json()).items() >= held["profile"].items()
            assert store.history(sids[sid], 1000) == [tuple(turn) for turn in held["history"]]
            assert store.suggested_ids(sids[sid]) == held["suggested"]
            assert store.last_suggestions(sids[sid]) == held["last"]
            for item_id in held["suggested"]:
                stored = store.recommendation(sids[sid], item_id)
                assert stored is not None and stored.item.id == item_id
            store.delete_session(sids[sid])
    finally:
        graph.close()


def test_graph_migrations_run_once_and_a_newer_graph_is_refused(server: EmbeddedArcadeDB) -> None:
    calls: list[int] = []
    extra = (*GRAPH_MIGRATIONS, lambda connection, schema: calls.append(1))
    graph = instance(server)
    try:
        assert migrate_graph(graph.connection, graph.schema, extra) == GRAPH_SCHEMA_VERSION
        assert migrate_graph(graph.connection, graph.schema, extra) == GRAPH_SCHEMA_VERSION + 1
        assert calls == [1]
        before = node_count(graph)
        other = instance(server)  # an instance of this code, which knows one migration fewer
        with pytest.raises(StoreNewerThanCode, match=f"schema version {GRAPH_SCHEMA_VERSION + 1}, newer than"):
            GraphSessionStore(other)
        with pytest.raises(StoreNewerThanCode):
            other.migrate()  # what ingest, and so every start, runs first
        other.close()
        assert node_count(graph) == before
    finally:
        set_graph_version(graph, GRAPH_SCHEMA_VERSION)
        graph.close()


# --------------------------------------------------------- a server that is down


def test_a_server_that_is_down_is_a_clear_error_within_the_timeout(closed_port: int) -> None:
    timeout = 1.0
    graph = GraphStore.connect(f"bolt://127.0.0.1:{closed_port}", "neo4j", "secret", timeout_s=timeout)
    started = time.monotonic()
    with pytest.raises(ProfileStoreUnavailable, match="graph server"):
        GraphSessionStore(graph)
    assert time.monotonic() - started < timeout + 1.5
    graph.close()


class Relay:
    """A TCP relay to the server that can be cut: the server goes away under an instance that was using it."""

    def __init__(self, port: int) -> None:
        self.target = ("127.0.0.1", port)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.sockets: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.target)
            self.sockets += [client, upstream]
            threading.Thread(target=self._pump, args=(client, upstream), daemon=True).start()
            threading.Thread(target=self._pump, args=(upstream, client), daemon=True).start()

    @staticmethod
    def _pump(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass

    def cut(self) -> None:
        for sock in [self.listener, *self.sockets]:  # shutdown first: close alone leaves a blocked accept() serving
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()


def test_every_call_raises_when_the_server_goes_away(server: EmbeddedArcadeDB) -> None:
    relay = Relay(server.bolt_port)
    timeout = 1.0
    graph = GraphStore.connect(
        f"bolt://127.0.0.1:{relay.port}", *server.auth, database=server.database, timeout_s=timeout
    )
    store = GraphSessionStore(graph)
    store.save_profile("s", UserProfile())
    relay.cut()
    calls = [
        lambda: store.load_profile("s"),
        lambda: store.save_profile("s", UserProfile()),
        lambda: store.append_turn("s", "user", "hello"),
        lambda: store.history("s"),
        lambda: store.save_recommendations("s", 0, [recommendation("1")]),
        lambda: store.recommendation("s", "1"),
        lambda: store.suggested_ids("s"),
        lambda: store.last_suggestions("s"),
        lambda: store.delete_session("s"),
    ]
    try:
        for call in calls:
            started = time.monotonic()
            with pytest.raises(ProfileStoreUnavailable):
                call()
            assert time.monotonic() - started < timeout + 1.5
    finally:
        graph.close()


# ------------------------------------------------------------ settings and CLI


def graph_settings(server: EmbeddedArcadeDB, data_dir: Path, **overrides: object) -> Settings:
    user, password = server.auth
    return Settings(
        data_dir=data_dir,
        profile_store="graph",
        neo4j_uri=server.uri,
        neo4j_user=user,
        neo4j_password=password,
        neo4j_database=server.database,
        **overrides,
    )


def test_settings_choose_the_store(server: EmbeddedArcadeDB, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert isinstance(open_session_store(Settings(data_dir=tmp_path), None), SqliteSessionStore)
    with pytest.raises(ProfileStoreUnavailable):
        open_session_store(Settings(data_dir=tmp_path, profile_store="graph"), None)
    graph = instance(server)
    try:
        assert isinstance(open_session_store(graph_settings(server, tmp_path), graph), GraphSessionStore)
    finally:
        graph.close()
    monkeypatch.setenv("CONCIERGE_PROFILE_STORE", "graph")
    assert Settings().profile_store == "graph"


def test_two_processes_share_the_graph_profile_store(server: EmbeddedArcadeDB, tmp_path: Path) -> None:
    """docs/deploy.md's app instances behind a load balancer: one process writes a session, another reads it."""
    sid = session()
    settings = graph_settings(server, tmp_path)
    environment = {**os.environ, "CONCIERGE_DATA_DIR": str(tmp_path), "CONCIERGE_PROFILE_STORE": "graph"}
    for name in ("neo4j_uri", "neo4j_user", "neo4j_database"):
        environment[f"CONCIERGE_{name.upper()}"] = str(getattr(settings, name))
    environment["CONCIERGE_NEO4J_PASSWORD"] = settings.neo4j_password.get_secret_value()
    writer = (
        "import sys\n"
        "from assistant.sessions.profile import PreferenceDelta, UserProfile\n"
        "from assistant.sessions.store import open_session_store\n"
        "from assistant.settings import Settings\n"
        "from kg.store import GraphStore\n"
        "settings = Settings()\n"
        "graph = GraphStore.from_config(settings.graph_config())\n"
        "store = open_session_store(settings, graph)\n"
        "store.save_profile(sys.argv[1], UserProfile().apply(PreferenceDelta(liked_items=('2571',))))\n"
        "store.append_turn(sys.argv[1], 'user', 'I loved The Matrix')\n"
        "graph.close()\n"
    )
    wrote = subprocess.run([sys.executable, "-c", writer, sid], env=environment, capture_output=True, text=True)
    assert wrote.returncode == 0, wrote.stderr[-2000:]
    concierge = Path(sys.executable).with_name("concierge")
    shown = subprocess.run(
        [str(concierge), "profile", "show", "--session", sid], env=environment, capture_output=True, text=True
    )
    assert shown.returncode == 0, shown.stderr[-2000:]
    assert json.loads(shown.stdout)["liked"] == ["2571"]
    graph = instance(server)
    try:
        assert GraphSessionStore(graph).history(sid) == [("user", "I loved The Matrix")]  # and this process too
        GraphSessionStore(graph).delete_session(sid)
    finally:
        graph.close()
    assert not (tmp_path / "profiles.sqlite3").exists()


def test_a_process_killed_inside_its_turn_transaction_leaves_the_session_on_the_server_as_before(
    server: EmbeddedArcadeDB, tmp_path: Path
) -> None:
    """A real SIGKILL (the crash hook, from the environment) inside the driver's transaction function."""
    sid = session()
    settings = graph_settings(server, tmp_path)
    environment = {**os.environ, "CONCIERGE_DATA_DIR": str(tmp_path), "CONCIERGE_PROFILE_STORE": "graph"}
    for name in ("neo4j_uri", "neo4j_user", "neo4j_database"):
        environment[f"CONCIERGE_{name.upper()}"] = str(getattr(settings, name))
    environment["CONCIERGE_NEO4J_PASSWORD"] = settings.neo4j_password.get_secret_value()
    environment["CONCIERGE_CRASH_AT_STAGE"] = "commit"
    writer = (
        "import sys\n"
        "from assistant.sessions.exchange import Exchange\n"
        "from assistant.sessions.profile import PreferenceDelta, UserProfile\n"
        "from assistant.sessions.store import open_session_store\n"
        "from assistant.settings import Settings\n"
        "from assistant.turn.crash import StageCrash\n"
        "from kg.store import GraphStore\n"
        "settings = Settings()\n"
        "store = open_session_store(settings, GraphStore.from_config(settings.graph_config()))\n"
        "profile = UserProfile().apply(PreferenceDelta(liked_items=('2571', '1214')))\n"
        "crash = StageCrash(settings.crash_at_stage)\n"
        "store.commit_turn(sys.argv[1], Exchange('and Alien', 'Noted.', profile), lambda: crash.reached('commit'))\n"
    )
    graph = instance(server)
    try:
        store = GraphSessionStore(graph)
        store.commit_turn(sid, exchange("I loved 2571", "2571"))
        before = stored(store, sid)
        killed = subprocess.run([sys.executable, "-c", writer, sid], env=environment, capture_output=True, text=True)
        assert killed.returncode == -9, killed.stderr[-2000:]
        assert stored(store, sid) == before
        assert store.commit_turn(sid, exchange("and 3", "3")) == 2
    finally:
        graph.close()


def test_cli_profile_reads_and_deletes_on_the_server(
    server: EmbeddedArcadeDB,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    closed_port: int,
) -> None:
    sid = session()
    graph = instance(server)
    try:
        GraphSessionStore(graph).save_profile(sid, UserProfile().apply(PreferenceDelta(liked_items=("2571",))))
    finally:
        graph.close()
    settings = graph_settings(server, tmp_path)
    for name in ("data_dir", "profile_store", "neo4j_uri", "neo4j_user", "neo4j_database"):
        monkeypatch.setenv(f"CONCIERGE_{name.upper()}", str(getattr(settings, name)))
    monkeypatch.setenv("CONCIERGE_NEO4J_PASSWORD", settings.neo4j_password.get_secret_value())
    assert cli.main(["profile", "show", "--session", sid]) == 0
    assert '"2571"' in capsys.readouterr().out
    assert cli.main(["profile", "delete", "--session", sid]) == 0
    assert cli.main(["profile", "show", "--session", sid]) == 0
    assert '"liked": []' in capsys.readouterr().out
    assert not (tmp_path / "profiles.sqlite3").exists()  # nothing went to a local file

    monkeypatch.setenv("CONCIERGE_NEO4J_URI", f"bolt://127.0.0.1:{closed_port}")
    monkeypatch.setenv("CONCIERGE_GRAPH_TIMEOUT_S", "1")
    assert cli.main(["profile", "show", "--session", sid]) == 1
    error = capsys.readouterr().err
    assert error.startswith("concierge: error: profiles are kept on the graph server") and "Traceback" not in error


# ------------------------------------------------------------ end to end


def test_a_like_said_to_one_instance_is_in_the_profile_on_another(ingested_settings: Settings, tmp_path: Path) -> None:
    """Two assistants with data directories of their own, sharing the graph server that holds the demo graph."""
    from assistant.api import Assistant
    from assistant.llm import chat_model_from_settings

    demo_graph = GraphStore.embedded(ingested_settings.graph_dir, heap_mb=ingested_settings.arcadedb_heap_mb)
    assistants: list[Assistant] = []
    chat_model = None
    try:
        for name in ("a", "b"):
            data_dir = tmp_path / name
            shutil.copytree(ingested_settings.index_dir, data_dir / "index")  # the vectors, built once already
            settings = graph_settings(
                demo_graph.server, data_dir, llm_model="smollm2-135m", justifications="template", extraction="rules"
            )
            chat_model = chat_model or chat_model_from_settings(settings)
            assistants.append(Assistant.from_settings(settings, chat_model=chat_model))
        first, second = assistants
        sid = session()
        reply = first.chat(sid, "I loved The Matrix")
        assert reply.recommendations
        assert second.profile(sid).liked == ["2571"]
        assert second.why(sid, reply.recommendations[0].item.id).suggested
        second.forget(sid)
        assert first.profile(sid) == UserProfile()
        assert not (tmp_path / "a" / "profiles.sqlite3").exists() and not (tmp_path / "b" / "profiles.sqlite3").exists()
    finally:
        for assistant in assistants:
            assistant.close()
        demo_graph.close()
