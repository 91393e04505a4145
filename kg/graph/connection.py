"""One Bolt connection to the graph server, with every call bounded in time.

Every call runs in a managed transaction (``execute_read``/``execute_write``,
retried by the driver on transient errors) with a server-side timeout, and a
server that is down, unreachable or refuses us surfaces as
:class:`~kg.errors.GraphUnavailable` within about ``timeout_s``.  A
:class:`~kg.supervision.Supervisor` then fails the calls at once while it
brings the server back: the embedded server is restarted, a user's Neo4j is
probed until it answers.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import neo4j
from neo4j import exceptions as neo4j_errors

from kg.errors import GraphUnavailable
from kg.graph import queries
from kg.graph.config import GraphConfig
from kg.graph.dialect import ArcadeDBDialect, Neo4jDialect, dialect_for_agent
from kg.supervision import Backoff, Supervisor

if TYPE_CHECKING:
    from kg.embedded import EmbeddedArcadeDB

T = TypeVar("T")

BULK_TIMEOUT_S = 300.0
_UNAVAILABLE = (
    neo4j_errors.ServiceUnavailable,
    neo4j_errors.SessionExpired,
    neo4j_errors.TransientError,
    neo4j_errors.AuthError,
    neo4j_errors.ConfigurationError,
    OSError,
)


@dataclass(frozen=True)
class EmbeddedServer:
    """How to (re)start the embedded server of a connection: its directory, heap and start-up bound."""

    graph_dir: Path
    heap_mb: int = 1024
    startup_timeout_s: float = 90.0


class GraphConnection:
    """A driver, the database its sessions open, and bounded read and write transactions over it.

    ``database`` None opens the server's default; ``timeout_s`` bounds every
    interactive call (connection acquisition, driver retries and the
    server-side transaction timeout); ``dialect`` (see :mod:`kg.graph.dialect`)
    is detected from the server when not given.  ``on_close`` runs once at
    :meth:`close`; ``server`` is the embedded server the connection holds a
    reference to, if any, and ``embedded`` how to start it again when it dies.
    ``backoff`` paces the recovery attempts; ``secrets`` (the password) never
    appear in a logged or raised cause.
    """

    def __init__(
        self,
        driver: neo4j.Driver,
        database: str | None = None,
        timeout_s: float = 5.0,
        dialect: Neo4jDialect | None = None,
        *,
        on_close: Callable[[], None] | None = None,
        server: EmbeddedArcadeDB | None = None,
        embedded: EmbeddedServer | None = None,
        backoff: Backoff | None = None,
        secrets: tuple[str, ...] = (),
    ) -> None:
        if timeout_s <= 0:
            raise ValueError("timeout_s must be positive")
        self.driver = driver
        self.database = database
        self.timeout_s = float(timeout_s)
        self.server = server
        self._embedded = embedded
        self._dialect = dialect
        self._on_close = on_close
        self._closed = False
        self._secrets = tuple(secret for secret in secrets if secret)
        part = f"embedded graph server ({embedded.graph_dir})" if embedded is not None else "graph server"
        self.supervisor = Supervisor(part, self._recover, GraphUnavailable, backoff, lambda: self._secrets)

    @classmethod
    def connect(
        cls,
        uri: str,
        user: str | None = None,
        password: str | None = None,
        *,
        database: str | None = None,
        timeout_s: float = 5.0,
        dialect: Neo4jDialect | None = None,
        backoff: Backoff | None = None,
        **driver_config: Any,
    ) -> GraphConnection:
        """A connection on a new driver for ``uri`` whose waits are bounded by ``timeout_s``."""
        driver = _driver(uri, user, password, timeout_s, **driver_config)
        return cls(
            driver,
            database=database,
            timeout_s=timeout_s,
            dialect=dialect,
            on_close=driver.close,
            backoff=backoff,
            secrets=(password or "",),
        )

    @classmethod
    def embedded(
        cls,
        graph_dir: Path | str,
        *,
        timeout_s: float = 5.0,
        heap_mb: int = 1024,
        startup_timeout_s: float = 90.0,
        backoff: Backoff | None = None,
    ) -> GraphConnection:
        """A connection to the ArcadeDB server of ``graph_dir``, started (or reused) as needed, and again if it dies.

        Closing the connection releases this process's reference to the server, which keeps running.
        """
        from kg import embedded

        spec = EmbeddedServer(Path(graph_dir), heap_mb, startup_timeout_s)
        server = embedded.acquire(spec.graph_dir, heap_mb=heap_mb, startup_timeout_s=startup_timeout_s)
        try:
            driver = _driver(server.uri, *server.auth, timeout_s)
        except BaseException:
            embedded.release(server)
            raise
        dialect = ArcadeDBDialect(sql=server.sql)
        return cls(
            driver,
            server.database,
            timeout_s,
            dialect,
            server=server,
            embedded=spec,
            backoff=backoff,
            secrets=(server.auth[1],),
        )

    @classmethod
    def from_config(cls, config: GraphConfig) -> GraphConnection:
        """The server at ``config.uri`` when set, else the embedded ArcadeDB under ``config.embedded_dir``."""
        backoff = Backoff(config.backoff_s, config.backoff_max_s)
        if config.uri:
            return cls.connect(
                config.uri,
                config.user,
                config.password,
                database=config.database,
                timeout_s=config.timeout_s,
                backoff=backoff,
            )
        assert config.embedded_dir is not None  # GraphConfig refuses a config naming neither
        return cls.embedded(
            config.embedded_dir,
            timeout_s=config.timeout_s,
            heap_mb=config.heap_mb,
            startup_timeout_s=config.startup_timeout_s,
            backoff=backoff,
        )

    def __enter__(self) -> GraphConnection:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self.supervisor.close()
        try:
            if self._on_close is not None:
                self._on_close()
            if self._embedded is not None:
                self.driver.close()
        finally:
            if self._embedded is not None and self.server is not None:
                from kg import embedded

                embedded.release(self.server)

    @property
    def dialect(self) -> Neo4jDialect:
        """The server's dialect, detected from its Bolt agent string on first use."""
        if self._dialect is None:
            agent = self._call(lambda: self.driver.get_server_info().agent, "server info")
            self._dialect = dialect_for_agent(agent)
        return self._dialect

    def read(self, work: Callable[[neo4j.ManagedTransaction], T], *, what: str = "read", bulk: bool = False) -> T:
        """Run ``work(tx)`` in a managed read transaction; ``bulk`` allows the long server-side timeout of an ingest."""
        return self._transaction(work, what, bulk, write=False)

    def write(self, work: Callable[[neo4j.ManagedTransaction], T], *, what: str = "write", bulk: bool = False) -> T:
        """Run ``work(tx)`` in a managed write transaction: its writes commit together or not at all."""
        return self._transaction(work, what, bulk, write=True)

    def health(self) -> None:
        """Raise :class:`GraphUnavailable` unless the server answers a query within ``timeout_s``."""
        value = self.read(lambda tx: tx.run(queries.HEALTH).single(strict=True)["ok"], what="health")
        if value != 1:
            raise GraphUnavailable(f"graph health check answered {value!r}")

    def ensure_unique(self, keys: Iterable[tuple[str, str]]) -> None:
        """Uniqueness constraints (with their indexes) on (label, property) pairs; idempotent.

        One statement per transaction: Neo4j refuses schema and data changes in one.
        """
        for label, prop in keys:
            self._run_schema_statement(queries.unique_constraint(label, prop))

    def _run_schema_statement(self, statement: str) -> None:
        self.write(lambda tx: tx.run(statement).consume(), what="schema", bulk=True)

    def _session(self) -> neo4j.Session:
        # Connection waits and the driver's retries together stay within about timeout_s,
        # for bulk writes too (only their server-side transaction timeout is longer).
        return self.driver.session(
            database=self.database,
            connection_acquisition_timeout=self.timeout_s / 2,
            max_transaction_retry_time=self.timeout_s / 2,
            initial_retry_delay=min(0.2, self.timeout_s / 10),
            retry_delay_multiplier=2.0,
        )

    def _transaction(self, work: Callable[[neo4j.ManagedTransaction], T], what: str, bulk: bool, write: bool) -> T:
        return self._call(self._unit(work, what, bulk, write), what)

    def _unit(
        self, work: Callable[[neo4j.ManagedTransaction], T], what: str, bulk: bool, write: bool
    ) -> Callable[[], T]:
        """``work`` as a managed transaction in a new session, ready to run."""
        timeout = BULK_TIMEOUT_S if bulk else self.timeout_s
        bounded = neo4j.unit_of_work(timeout=timeout, metadata={"app": "concierge", "op": what})(work)

        def run() -> T:
            with self._session() as session:
                if write:
                    return session.execute_write(bounded)
                return session.execute_read(bounded)

        return run

    def _call(self, fn: Callable[[], T], what: str) -> T:
        """``fn()`` unless the connection is closed or the server is known to be down (then at once); a failure
        raises :class:`GraphUnavailable` and starts the server's recovery."""
        if self._closed:
            raise GraphUnavailable("the graph connection is closed")
        return self.supervisor.call(lambda: self._alive_then(fn, what), lambda exc: isinstance(exc, GraphUnavailable))

    def _alive_then(self, fn: Callable[[], T], what: str) -> T:
        """``fn()`` bounded, but at once unavailable when our embedded server's process is gone: the driver would
        spend its retry time on a port nobody listens on."""
        server = self.server
        if self._embedded is not None and server is not None and not server.alive():
            raise GraphUnavailable(f"graph {what} failed: the embedded server (pid {server.pid}) is not running")
        return self._bounded(fn, what)

    def _bounded(self, fn: Callable[[], T], what: str) -> T:
        """``fn()`` with every driver failure raised as :class:`GraphUnavailable`, its cause free of secrets."""
        started = time.monotonic()
        try:
            return fn()
        except neo4j_errors.AuthError as exc:  # a ClientError, but the graph is unusable all the same
            raise self._unavailable(f"graph refused the credentials ({what}): {exc.message or exc}") from exc
        except neo4j_errors.ClientError as exc:
            if "TransactionTimedOut" in (exc.code or "") or "Timeout" in (exc.code or ""):
                raise self._unavailable(f"graph {what} timed out after {time.monotonic() - started:.1f}s") from exc
            raise
        except neo4j_errors.DriverError as exc:
            raise self._unavailable(f"graph {what} failed: {exc}") from exc
        except _UNAVAILABLE as exc:
            raise self._unavailable(f"graph unavailable ({what}): {exc}") from exc

    def _unavailable(self, message: str) -> GraphUnavailable:
        return GraphUnavailable(self.supervisor.clean(message))

    def _recover(self) -> None:
        """One recovery attempt: start the embedded server again if it died, then ask the server for its health."""
        if self._embedded is not None and (self.server is None or not self.server.alive()):
            self._restart(self._embedded)
        health = self._unit(lambda tx: tx.run(queries.HEALTH).single(strict=True)["ok"], "health", False, False)
        self._bounded(health, "health")

    def _restart(self, spec: EmbeddedServer) -> None:
        """A new embedded server for ``spec.graph_dir`` (or the one another process already restarted)."""
        from kg import embedded

        server = embedded.acquire(spec.graph_dir, heap_mb=spec.heap_mb, startup_timeout_s=spec.startup_timeout_s)
        try:
            driver = _driver(server.uri, *server.auth, self.timeout_s)
        except BaseException:
            embedded.release(server)
            raise
        old_server, old_driver = self.server, self.driver
        self.driver, self.server, self._dialect = driver, server, ArcadeDBDialect(sql=server.sql)
        self._secrets = tuple(dict.fromkeys((*self._secrets, server.auth[1])))
        old_driver.close()
        if old_server is not None:
            embedded.release(old_server)


def _driver(uri: str, user: str | None, password: str | None, timeout_s: float, **driver_config: Any) -> neo4j.Driver:
    """A driver whose connection waits and retries are bounded by ``timeout_s``; a bad URI is unavailable."""
    auth = (user, password or "") if user is not None else None
    config: dict[str, Any] = {
        "connection_timeout": timeout_s,
        "connection_acquisition_timeout": timeout_s,
        "max_transaction_retry_time": timeout_s,
        "keep_alive": True,
        "user_agent": "concierge-kg",
    }
    config.update(driver_config)
    try:
        return neo4j.GraphDatabase.driver(uri, auth=auth, **config)
    except (ValueError, neo4j_errors.ConfigurationError) as exc:
        raise GraphUnavailable(f"invalid graph URI {uri!r}: {exc}") from exc
