"""The GraphStore contract, run against every graph server we support.

Always against the embedded ArcadeDB (started once for this module in a
temporary directory); also against a real Neo4j 5 when
``CONCIERGE_TEST_NEO4J_URI`` (with ``CONCIERGE_TEST_NEO4J_USER`` /
``CONCIERGE_TEST_NEO4J_PASSWORD``, optionally ``CONCIERGE_TEST_NEO4J_DATABASE``)
names a disposable test server: the suite writes items with ids ``t-...``,
users ``test-user-...`` and their attribute nodes, and deletes them again.

The embedded server's life cycle (stale pid files, reuse, sharing, a crashed
server) is tested at the end, on servers of their own.
"""

from __future__ import annotations

import dataclasses
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from kg import embedded
from kg.catalogue import Item
from kg.constraints import Constraints
from kg.errors import GraphUnavailable
from kg.paths import GraphPath
from kg.schema import MOVIE_SCHEMA, AttributeRelation, CatalogueSchema
from kg.store import GraphStore

REPO_ROOT = Path(__file__).resolve().parents[2]
TEST_HEAP_MB = 512
NEO4J_URI = os.environ.get("CONCIERGE_TEST_NEO4J_URI")
BACKENDS = ["arcadedb"] + (["neo4j"] if NEO4J_URI else [])


def movie(item_id: str, title: str, year: int | None, **attributes: list[str]) -> Item:
    return Item(item_id, title, year, {field: tuple(values) for field, values in attributes.items()})


# A small real slice: three Ridley Scott films, three James Cameron films, two by David Fincher...
ITEMS = [
    movie(
        "t-541",
        "Blade Runner",
        1982,
        genres=["Action", "Sci-Fi", "Thriller"],
        directors=["Ridley Scott"],
        cast=["Harrison Ford", "Rutger Hauer", "Sean Young"],
        writers=["Hampton Fancher", "David Webb Peoples"],
        composers=["Vangelis"],
        studios=["Warner Bros."],
        countries=["USA"],
        languages=["English"],
        tags=["cyberpunk", "dystopia"],
    ),
    movie(
        "t-1214",
        "Alien",
        1979,
        genres=["Horror", "Sci-Fi"],
        directors=["Ridley Scott"],
        cast=["Sigourney Weaver", "Tom Skerritt", "John Hurt"],
        writers=["Dan O'Bannon"],
        composers=["Jerry Goldsmith"],
        studios=["20th Century Fox"],
        countries=["USA", "UK"],
        languages=["English"],
        tags=["space", "aliens"],
    ),
    movie(
        "t-3578",
        "Gladiator",
        2000,
        genres=["Action", "Adventure", "Drama"],
        directors=["Ridley Scott"],
        cast=["Russell Crowe", "Joaquin Phoenix"],
        writers=["David Franzoni"],
        composers=["Hans Zimmer"],
        studios=["DreamWorks"],
        countries=["USA", "UK"],
        languages=["English"],
    ),
    movie(
        "t-2571",
        "Matrix, The",
        1999,
        genres=["Action", "Sci-Fi", "Thriller"],
        directors=["Lana Wachowski", "Lilly Wachowski"],
        cast=["Keanu Reeves", "Laurence Fishburne", "Carrie-Anne Moss"],
        writers=["Lana Wachowski", "Lilly Wachowski"],
        composers=["Don Davis"],
        studios=["Warner Bros."],
        countries=["USA"],
        languages=["English"],
        tags=["cyberpunk"],
    ),
    movie(
        "t-1200",
        "Aliens",
        1986,
        genres=["Action", "Adventure", "Horror", "Sci-Fi"],
        directors=["James Cameron"],
        cast=["Sigourney Weaver", "Michael Biehn"],
        writers=["James Cameron"],
        composers=["James Horner"],
        studios=["20th Century Fox"],
        countries=["USA"],
        languages=["English"],
        tags=["space", "aliens"],
    ),
    movie(
        "t-589",
        "Terminator 2: Judgment Day",
        1991,
        genres=["Action", "Sci-Fi"],
        directors=["James Cameron"],
        cast=["Arnold Schwarzenegger", "Linda Hamilton", "Michael Biehn"],
        writers=["James Cameron"],
        composers=["Brad Fiedel"],
        studios=["TriStar"],
        countries=["USA"],
        languages=["English"],
    ),
    movie(
        "t-1127",
        "Abyss, The",
        1989,
        genres=["Action", "Adventure", "Sci-Fi", "Thriller"],
        directors=["James Cameron"],
        cast=["Ed Harris", "Mary Elizabeth Mastrantonio"],
        writers=["James Cameron"],
        composers=["Alan Silvestri"],
        studios=["20th Century Fox"],
        countries=["USA"],
        languages=["English"],
    ),
    movie(
        "t-47",
        "Seven (a.k.a. Se7en)",
        1995,
        genres=["Mystery", "Thriller"],
        directors=["David Fincher"],
        cast=["Brad Pitt", "Morgan Freeman"],
        writers=["Andrew Kevin Walker"],
        composers=["Howard Shore"],
        studios=["New Line Cinema"],
        countries=["USA"],
        languages=["English"],
    ),
    movie(
        "t-2959",
        "Fight Club",
        1999,
        genres=["Action", "Crime", "Drama", "Thriller"],
        directors=["David Fincher"],
        cast=["Brad Pitt", "Edward Norton"],
        writers=["Jim Uhls"],
        studios=["20th Century Fox"],
        countries=["USA"],
        languages=["English"],
    ),
    movie(
        "t-1",
        "Toy Story",
        1995,
        genres=["Adventure", "Animation", "Children", "Comedy", "Fantasy"],
        directors=["John Lasseter"],
        cast=["Tom Hanks", "Tim Allen"],
        composers=["Randy Newman"],
        studios=["Pixar"],
        countries=["USA"],
        languages=["English"],
    ),
    movie("t-noyear", "Untitled Ridley Scott Project", None, directors=["Ridley Scott"]),
]
BY_ID = {item.id: item for item in ITEMS}

NASTY = [
    'Ocean\'s "Eleven"',
    "back`tick` `MATCH (n) DETACH DELETE n`",
    "{braces} $param {{double}} }",
    "// comment /* block */ -- sql",
    "MATCH (n) DETACH DELETE n",
    "'); MATCH (n) DETACH DELETE n; //",
    "\\u0027 \\ backslash \\\\ and unicode: Amélie, 千と千尋, 🎬",
    "x" * 10_000 + "'end\"",
]
NASTY_ITEMS = [
    movie(f"t-nasty-{n}", text, 2001, directors=["Injection Test Director"], cast=[text], tags=[text])
    for n, text in enumerate(NASTY)
]
ALL_ITEMS = ITEMS + NASTY_ITEMS
ALL_IDS = [item.id for item in ALL_ITEMS]


# ------------------------------------------------------------------ fixtures


@pytest.fixture(scope="module")
def graph_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    directory = tmp_path_factory.mktemp("graph")
    yield directory
    embedded.shutdown(directory)


def _connect(backend: str, graph_dir: Path, schema: CatalogueSchema = MOVIE_SCHEMA) -> GraphStore:
    if backend == "arcadedb":
        return GraphStore.embedded(graph_dir, schema=schema, timeout_s=10.0, heap_mb=TEST_HEAP_MB)
    return GraphStore.connect(
        NEO4J_URI,
        os.environ.get("CONCIERGE_TEST_NEO4J_USER", "neo4j"),
        os.environ.get("CONCIERGE_TEST_NEO4J_PASSWORD", ""),
        database=os.environ.get("CONCIERGE_TEST_NEO4J_DATABASE") or None,
        schema=schema,
        timeout_s=10.0,
    )


def _wipe_test_data(store: GraphStore) -> None:
    with store.driver.session(database=store.database) as session:
        session.run("MATCH (i:Item) WHERE i.id STARTS WITH 't-' DETACH DELETE i").consume()
        session.run("MATCH (u:User) WHERE u.id STARTS WITH 'test-user-' DETACH DELETE u").consume()
        for label in MOVIE_SCHEMA.labels:
            session.run(f"MATCH (a:{label}) WHERE NOT (a)--() DELETE a").consume()


@pytest.fixture(scope="module", params=BACKENDS)
def store(request: pytest.FixtureRequest, graph_dir: Path) -> Iterator[GraphStore]:
    started = time.monotonic()
    graph = _connect(request.param, graph_dir)
    graph.health()
    request.config._graph_startup_s = time.monotonic() - started  # reported by test_startup_time
    graph.ensure_schema()
    _wipe_test_data(graph)
    assert graph.upsert_items(ALL_ITEMS, batch_size=4, progress=False) == len(ALL_ITEMS)
    yield graph
    _wipe_test_data(graph)
    graph.close()


def first_path(paths: tuple[GraphPath, ...] | list[GraphPath], attribute_key: str) -> GraphPath | None:
    return next((p for p in paths if any(n.key == attribute_key for n in p.nodes[1:-1])), None)


# ------------------------------------------------------------ schema, ingest


def test_startup_time(store: GraphStore, request: pytest.FixtureRequest) -> None:
    startup = request.config._graph_startup_s
    if store.server is not None:
        print(f"\nembedded ArcadeDB: launch to first query {startup:.2f}s (server start {store.server.startup_s}s)")
        assert store.server.uri.startswith("bolt://127.0.0.1:")
    assert startup < 90


def test_schema_is_idempotent(store: GraphStore) -> None:
    def constraints() -> set[str]:
        with store.driver.session(database=store.database) as session:
            return {r["name"] for r in session.run("SHOW CONSTRAINTS") if str(r["name"]).startswith("concierge_")}

    before = constraints()
    store.ensure_schema()
    store.ensure_schema()
    after = constraints()
    assert before == after
    assert {"concierge_item_id_unique", "concierge_person_name_key_unique", "concierge_user_id_unique"} <= after


def test_upsert_is_idempotent(store: GraphStore) -> None:
    before = store.stats()
    assert store.upsert_items(ALL_ITEMS, batch_size=3, progress=False) == len(ALL_ITEMS)
    assert store.stats() == before
    assert before["Item"] >= len(ALL_ITEMS)
    assert store.item_count() == before["Item"]


def test_upsert_replaces_changed_attributes(store: GraphStore) -> None:
    alien = BY_ID["t-1214"]
    changed = dataclasses.replace(
        alien, title="Alien (Director's Cut)", attributes={**alien.attributes, "cast": ("Sigourney Weaver",)}
    )
    store.upsert_items([changed], progress=False)
    try:
        # his only edge went with the update, and so did his node
        assert store.lookup_names(["Tom Skerritt"], labels=["Person"]) == {"Tom Skerritt": []}
        assert store.lookup_names(["Sigourney Weaver"]) == {"Sigourney Weaver": [("Person", "Sigourney Weaver")]}
        paths = store.paths(["t-541"], "t-1214")
        assert paths[0].end.name == "Alien (Director's Cut)"
    finally:
        store.upsert_items([alien], progress=False)
    assert store.paths(["t-541"], "t-1214")[0].end.name == "Alien"


def _all_item_ids(store: GraphStore) -> set[str]:
    with store.driver.session(database=store.database) as session:
        return {r["id"] for r in session.run("MATCH (i:Item) RETURN i.id AS id")}


def _degree(store: GraphStore, label: str, key: str) -> int | None:
    with store.driver.session(database=store.database) as session:
        record = session.run(f"MATCH (a:{label} {{name_key: $key}}) RETURN a.degree AS d", key=key).single()
        return None if record is None else record["d"]


def test_prune_items_removes_what_the_catalogue_dropped(store: GraphStore) -> None:
    user = "test-user-prune"
    dropped = [
        movie("t-prune-1", "Pruned Ridley Scott Film", 1990, directors=["Ridley Scott"], cast=["Pruned Only Actor"]),
        movie("t-prune-2", "Pruned Second Film", 1991, directors=["Pruned Only Director"], tags=["cyberpunk"]),
    ]
    ridley_degree = _degree(store, "Person", "ridley scott")
    count = store.item_count()
    store.upsert_items(dropped, progress=False)
    store.record(user, "t-prune-1", "LIKED")
    store.record(user, "t-541", "LIKED")
    assert "t-prune-1" in {c.item_id for c in store.candidates(["t-541"], k=100)}
    assert _degree(store, "Person", "ridley scott") == ridley_degree + 1
    with pytest.raises(TypeError):
        store.prune_items("t-541")  # a single id string is a mistake, not a set of characters
    # keep everything else in the graph: a shared Neo4j test server may hold other items
    keep = _all_item_ids(store) - {"t-prune-1", "t-prune-2"}

    assert store.prune_items(keep, batch_size=1) == 2

    assert store.item_count() == count
    assert {"t-prune-1", "t-prune-2"}.isdisjoint(c.item_id for c in store.candidates(["t-541"], k=100))
    assert store.paths(["t-541"], "t-prune-1") == []
    assert store.user_edges(user) == {"LIKED": {"t-541"}}  # the edge to the pruned item went with it
    assert store.lookup_names(["Pruned Only Actor", "Pruned Only Director"], labels=["Person"]) == {
        "Pruned Only Actor": [],
        "Pruned Only Director": [],
    }
    assert _degree(store, "Person", "ridley scott") == ridley_degree
    assert store.lookup_names(["cyberpunk"], labels=["Tag"]) == {"cyberpunk": [("Tag", "cyberpunk")]}
    assert store.prune_items(keep) == 0


# ----------------------------------------------------------------- candidates


def test_candidates_find_alien_from_blade_runner_via_ridley_scott(store: GraphStore) -> None:
    candidates = store.candidates(["t-541"], k=50)
    by_id = {c.item_id: c for c in candidates}
    assert "t-541" not in by_id
    assert "t-1214" in by_id and "t-3578" in by_id
    path = first_path(by_id["t-1214"].paths, "ridley scott")
    assert path is not None
    assert [(n.kind, n.key) for n in path.nodes] == [("item", "t-541"), ("Person", "ridley scott"), ("item", "t-1214")]
    assert [n.name for n in path.nodes] == ["Blade Runner", "Ridley Scott", "Alien"]
    assert path.relations == ("DIRECTED", "DIRECTED")
    # the shared director is the strongest path and outweighs shared genres
    assert by_id["t-1214"].paths[0] == path
    if "t-1" in by_id:  # Toy Story shares only genres, country and language
        assert by_id["t-1214"].score > by_id["t-1"].score
    assert len(by_id["t-1214"].paths) <= 5
    scores = [c.score for c in candidates]
    assert scores == sorted(scores, reverse=True)


def test_candidates_exclude_liked_and_disliked(store: GraphStore) -> None:
    ids = {c.item_id for c in store.candidates(["t-541", "t-2571"], disliked_ids=["t-1214"], k=50)}
    assert ids.isdisjoint({"t-541", "t-2571", "t-1214"})
    assert "t-3578" in ids


def test_candidates_honour_year_range(store: GraphStore) -> None:
    found = store.candidates(["t-541"], constraints=Constraints(year_min=1980, year_max=1999), k=50)
    ids = {c.item_id for c in found}
    assert ids
    assert "t-1214" not in ids  # 1979
    assert "t-3578" not in ids  # 2000
    assert "t-noyear" not in ids  # no year never satisfies a year bound
    assert all(1980 <= BY_ID[i].year <= 1999 for i in ids)


def test_candidates_honour_genre_include_and_exclude(store: GraphStore) -> None:
    without_horror = {
        c.item_id
        for c in store.candidates(["t-541"], constraints=Constraints(exclude={"genres": frozenset({"HORROR"})}), k=50)
    }
    assert without_horror and "t-1214" not in without_horror and "t-1200" not in without_horror
    adventure = {
        c.item_id
        for c in store.candidates(
            ["t-541"], constraints=Constraints(include={"genres": frozenset({"adventure"})}), k=50
        )
    }
    assert adventure == {i for i in adventure if "Adventure" in BY_ID[i].values("genres")}
    assert {"t-3578", "t-1200", "t-1127"} <= adventure
    nothing = store.candidates(["t-541"], constraints=Constraints(include={"no_such_field": frozenset({"x"})}))
    assert nothing == []


def test_candidates_skip_attributes_over_max_degree(store: GraphStore) -> None:
    relations = tuple(
        dataclasses.replace(r, max_degree=3) if r.field == "genres" else r for r in MOVIE_SCHEMA.relations
    )
    narrow_schema = dataclasses.replace(MOVIE_SCHEMA, relations=relations)
    narrow = GraphStore(store.connection, narrow_schema)
    found = narrow.candidates(["t-541"], k=50)
    genres_used = {n.key for c in found for p in c.paths for n in p.nodes if n.kind == "Genre"}
    assert "sci-fi" not in genres_used and "action" not in genres_used  # linked to more than 3 items
    assert "t-1214" in {c.item_id for c in found}  # still reached through Ridley Scott


def test_candidates_of_unknown_or_no_items(store: GraphStore) -> None:
    assert store.candidates([]) == []
    assert store.candidates(["t-does-not-exist"]) == []
    with pytest.raises(TypeError):
        store.candidates("t-541")  # a single id string is a mistake, not a list of characters


def test_candidates_rank_shared_attributes_of_several_liked_items(store: GraphStore) -> None:
    found = store.candidates(["t-1200", "t-589"], k=5)  # Cameron films with Michael Biehn
    assert found[0].item_id == "t-1127"  # the remaining Cameron film
    keys = {n.key for p in found[0].paths for n in p.nodes}
    assert "james cameron" in keys


# ---------------------------------------------------------------------- paths


def test_paths_two_hops(store: GraphStore) -> None:
    paths = store.paths(["t-541", "t-2571"], "t-1214", max_hops=2)
    assert paths and all(p.hops == 2 for p in paths)
    assert paths[0].nodes[1].key == "ridley scott" and paths[0].relations == ("DIRECTED", "DIRECTED")
    strengths = [p.strength for p in paths]
    assert strengths == sorted(strengths, reverse=True)
    assert all(p.end.key == "t-1214" and p.start.key in {"t-541", "t-2571"} for p in paths)


def test_paths_four_hops(store: GraphStore) -> None:
    paths = store.paths(["t-541"], "t-589", max_hops=4, limit=20)
    hops = [p.hops for p in paths]
    assert hops == sorted(hops) and 4 in hops
    keys = [tuple(n.key for n in p.nodes) for p in paths]
    # e.g. Blade Runner -(Sci-Fi)- Aliens -(Michael Biehn)- Terminator 2
    assert any(k[-2] in {"james cameron", "michael biehn"} for k in keys if len(k) == 5)
    for path in paths:
        assert len(path.relations) == path.hops
        if path.hops == 4:
            assert path.nodes[2].kind == "item" and path.nodes[2].name


def test_paths_edge_cases(store: GraphStore) -> None:
    assert store.paths(["t-541"], "t-541") == []
    assert store.paths(["t-541"], "t-does-not-exist") == []
    assert store.paths([], "t-541") == []
    assert len(store.paths(["t-541"], "t-2571", limit=2)) == 2


# ---------------------------------------------------------------- user edges


def test_record_liked_then_disliked_replaces(store: GraphStore) -> None:
    user = "test-user-1"
    store.record(user, "t-541", "LIKED", rating=4.5)
    assert store.user_edges(user) == {"LIKED": {"t-541"}, "RATED": {"t-541"}}
    store.record(user, "t-541", "DISLIKED")
    assert store.user_edges(user) == {"DISLIKED": {"t-541"}, "RATED": {"t-541"}}
    store.record(user, "t-541", "LIKED")
    store.record(user, "t-1214", "SEEN")
    assert store.user_edges(user) == {"LIKED": {"t-541"}, "RATED": {"t-541"}, "SEEN": {"t-1214"}}
    with pytest.raises(KeyError):
        store.record(user, "t-does-not-exist", "LIKED")
    with pytest.raises(ValueError):
        store.record(user, "t-541", "LOVED")  # type: ignore[arg-type]
    # user edges never turn into candidate paths
    for candidate in store.candidates(["t-541"]):
        assert all(n.kind != "User" for p in candidate.paths for n in p.nodes)


def test_lookup_names_is_case_insensitive(store: GraphStore) -> None:
    found = store.lookup_names(["ridley SCOTT", "sci-fi", "  Warner Bros. ", "Nobody At All"])
    assert found["ridley SCOTT"] == [("Person", "Ridley Scott")]
    assert found["sci-fi"] == [("Genre", "Sci-Fi")]
    assert found["  Warner Bros. "] == [("Company", "Warner Bros.")]
    assert found["Nobody At All"] == []
    assert store.lookup_names(["Ridley Scott"], labels=["Genre"]) == {"Ridley Scott": []}
    assert store.lookup_names([]) == {}
    with pytest.raises(ValueError):
        store.lookup_names(["x"], labels=["Item) DETACH DELETE (n"])


# ----------------------------------------------------------------- injection


def test_hostile_strings_are_parameters_and_round_trip(store: GraphStore) -> None:
    count = store.item_count()
    found = store.lookup_names(NASTY, labels=["Person", "Tag"])
    for text in NASTY:
        assert sorted(found[text]) == [("Person", text), ("Tag", text)], text[:40]
    candidates = store.candidates(["t-nasty-0"], k=50)
    titles = {c.item_id: c.paths[0].end.name for c in candidates if c.item_id.startswith("t-nasty-")}
    assert titles == {f"t-nasty-{n}": text for n, text in enumerate(NASTY) if n != 0}
    store.record("test-user-'); MATCH (n) DETACH DELETE n //", "t-nasty-4", "LIKED")
    assert store.user_edges("test-user-'); MATCH (n) DETACH DELETE n //") == {"LIKED": {"t-nasty-4"}}
    assert store.item_count() == count


# -------------------------------------------------------------- availability


BOOK_SCHEMA = CatalogueSchema(
    item_label="Item",
    item_noun="book",
    relations=(
        AttributeRelation("authors", "Person", "AUTHORED", "written by", 3.0, "was written by", value_is_subject=True),
        AttributeRelation("series", "Series", "IN_SERIES", "part of", 2.5, "is part of"),
        AttributeRelation("genres", "Genre", "HAS_GENRE", "genre", 0.6, "is also"),
    ),
)
BOOKS = [
    movie(
        "t-book-1",
        "The Fellowship of the Ring",
        1954,
        authors=["J. R. R. Tolkien"],
        series=["The Lord of the Rings"],
        genres=["Fantasy"],
    ),
    movie(
        "t-book-2",
        "The Two Towers",
        1954,
        authors=["J. R. R. Tolkien"],
        series=["The Lord of the Rings"],
        genres=["Fantasy"],
    ),
    movie(
        "t-book-3",
        "A Game of Thrones",
        1996,
        authors=["George R. R. Martin"],
        series=["A Song of Ice and Fire"],
        genres=["Fantasy"],
    ),
]


def test_a_books_catalogue_plugs_in_by_describing_its_relations(
    store: GraphStore, graph_dir: Path, request: pytest.FixtureRequest
) -> None:
    books = _connect(request.node.callspec.params["store"], graph_dir, schema=BOOK_SCHEMA)
    try:
        books.upsert_items(BOOKS, progress=False)
        found = {candidate.item_id: candidate for candidate in books.candidates(["t-book-1"], k=10)}
        assert "t-book-2" in found
        relations = {relation for path in found["t-book-2"].paths for relation in path.relations}
        assert {"AUTHORED", "IN_SERIES"} <= relations
        assert found["t-book-2"].score > found.get("t-book-3", dataclasses.replace(found["t-book-2"], score=0)).score
        assert books.lookup_names(["the lord of the rings"], ["Series"])["the lord of the rings"] == [
            ("Series", "The Lord of the Rings")
        ]
    finally:
        keep = _all_item_ids(store) - {book.id for book in BOOKS}
        books.prune_items(keep)
        books.close()
    assert not {book.id for book in BOOKS} & _all_item_ids(store)


def test_unreachable_server_raises_within_timeout(closed_port: int) -> None:
    timeout = 1.0
    store = GraphStore.connect(f"bolt://127.0.0.1:{closed_port}", "neo4j", "secret", timeout_s=timeout)
    for call in (
        store.health,
        lambda: store.candidates(["t-541"]),
        lambda: store.paths(["t-541"], "t-1214"),
        store.ensure_schema,
    ):
        started = time.monotonic()
        with pytest.raises(GraphUnavailable):
            call()
        assert time.monotonic() - started < timeout + 1.5
    store.close()
    with pytest.raises(GraphUnavailable):
        store.health()


def test_wrong_password_is_unavailable(store: GraphStore) -> None:
    if store.server is None:
        pytest.skip("embedded server only")
    wrong = GraphStore.connect(store.server.uri, "root", "not-the-password", database="concierge", timeout_s=2.0)
    started = time.monotonic()
    with pytest.raises(GraphUnavailable):
        wrong.health()
    assert time.monotonic() - started < 2.0 + 1.5
    wrong.close()


# ------------------------------------------------------- embedded life cycle


def test_from_settings_and_two_stores_share_one_server(store: GraphStore, graph_dir: Path) -> None:
    if store.server is None:
        pytest.skip("embedded server only")
    from assistant.settings import Settings

    data_dir = graph_dir.parent / f"{graph_dir.name}-data"
    data_dir.mkdir(exist_ok=True)
    link = data_dir / "graph"
    if not link.exists():
        link.symlink_to(graph_dir, target_is_directory=True)
    settings = Settings(data_dir=data_dir, arcadedb_heap_mb=TEST_HEAP_MB, graph_timeout_s=10.0)
    refs = embedded.refcount(graph_dir)
    one = GraphStore.from_config(settings.graph_config())
    two = GraphStore.embedded(graph_dir, heap_mb=TEST_HEAP_MB)
    try:
        assert one.server is two.server is store.server
        assert embedded.refcount(graph_dir) == refs + 2
        assert one.item_count() == two.item_count() == store.item_count()
        one.close()
        assert two.item_count() == store.item_count()  # closing one store leaves the server up
    finally:
        one.close()
        two.close()
    assert embedded.refcount(graph_dir) == refs
    store.health()
    # password file is private
    assert (graph_dir / "root_password").stat().st_mode & 0o077 == 0


CHILD = textwrap.dedent(
    """
    import os, sys
    sys.path.insert(0, {root!r})
    from kg import embedded
    server = embedded.acquire({directory!r}, heap_mb={heap}, startup_timeout_s=90)
    print(server.pid, server.reused, flush=True)
    if {crash!r}:
        os._exit(0)  # no atexit: the server outlives its owner, as after a crash
    """
)


def _child(directory: Path, crash: bool) -> tuple[int, bool]:
    code = CHILD.format(root=str(REPO_ROOT), directory=str(directory), heap=TEST_HEAP_MB, crash=crash)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    pid, reused = done.stdout.split()[-2:]
    return int(pid), reused == "True"


DELETING_CHILD = textwrap.dedent(
    """
    import shutil, sys
    sys.path.insert(0, {root!r})
    from kg import embedded
    server = embedded.acquire({directory!r}, heap_mb={heap}, startup_timeout_s=90)
    print(server.pid, flush=True)
    shutil.rmtree({directory!r})  # a temporary data directory, cleaned up before the process exits
    """
)


def test_a_server_whose_directory_was_deleted_is_stopped_when_its_process_exits(tmp_path: Path) -> None:
    directory = tmp_path / "graph"
    code = DELETING_CHILD.format(root=str(REPO_ROOT), directory=str(directory), heap=TEST_HEAP_MB)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    pid = int(done.stdout.split()[-1])
    try:
        assert _dead(pid), "the server outlived the process that started it"
        assert "failed" not in done.stderr, done.stderr
    finally:
        if embedded._pid_alive(pid):
            os.kill(pid, signal.SIGKILL)


def _dead(pid: int, timeout: float = 20.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not embedded._pid_alive(pid):
            return True
        time.sleep(0.1)
    return False


def test_reuse_adopt_crash_and_stale_state(tmp_path: Path) -> None:
    directory = tmp_path / "graph"
    # 1. another process starts a server and dies without stopping it
    orphan, reused = _child(directory, crash=True)
    assert not reused
    try:
        # 2. we reuse it, and adopt it since its owner is gone
        store = GraphStore.embedded(directory, heap_mb=TEST_HEAP_MB, timeout_s=2.0)
        assert store.server.reused and store.server.owned and store.server.pid == orphan
        store.ensure_schema()
        store.upsert_items(ITEMS[:3], progress=False)
        # a third process uses it too and exits cleanly: the server stays up for us
        assert _child(directory, crash=False) == (orphan, True)
        store.health()
        assert json.loads((directory / "server.json").read_text())["clients"] == [os.getpid()]
        # 3. the server crashes: calls fail fast with GraphUnavailable, and the store starts it again on the same data
        os.kill(orphan, signal.SIGKILL)
        assert _dead(orphan)
        started = time.monotonic()
        with pytest.raises(GraphUnavailable):
            store.candidates(["t-541"])
        assert time.monotonic() - started < 2.0 + 1.5
        assert store.connection.supervisor.wait_up(120)
        restarted = store.server.pid
        assert restarted != orphan and store.item_count() == 3
        store.close()
        # 4. it crashes again with no process left to restart it: its state file names a dead pid, and the next
        # store starts a fresh server on the same data
        os.kill(restarted, signal.SIGKILL)
        assert _dead(restarted)
        state = json.loads((directory / "server.json").read_text())
        assert state["pid"] == restarted
        fresh = GraphStore.embedded(directory, heap_mb=TEST_HEAP_MB)
        assert fresh.server.pid not in (orphan, restarted) and not fresh.server.reused
        assert fresh.item_count() == 3
        fresh.close()
        embedded.shutdown(directory)
        assert not (directory / "server.json").exists()
        # 5. a state file whose pid is alive but is not our server (here: this test process)
        (directory / "server.json").write_text(
            json.dumps({"pid": os.getpid(), "owner_pid": os.getpid(), "bolt_port": 1, "http_port": 1})
        )
        third = GraphStore.embedded(directory, heap_mb=TEST_HEAP_MB)
        assert third.server.pid not in (os.getpid(), orphan)
        third.health()
        third.close()
    finally:
        embedded.shutdown(directory)
        if embedded._pid_alive(orphan):
            os.kill(orphan, signal.SIGKILL)
