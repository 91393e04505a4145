"""Where the graph server is and how long a call may take, typed, so kg reads no application settings."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class GraphConfig:
    """A Bolt server at ``uri`` (a user's Neo4j 5) or, without one, the embedded ArcadeDB under ``embedded_dir``.

    ``user`` None connects without credentials; ``database`` None opens the
    server's default; ``timeout_s`` bounds every interactive call;
    ``heap_mb`` and ``startup_timeout_s`` apply to the embedded server only;
    ``backoff_s`` and ``backoff_max_s`` pace the attempts to bring a server
    that failed back (restarting the embedded one, probing a remote one).
    """

    uri: str | None = None
    user: str | None = None
    password: str = field(default="", repr=False)
    database: str | None = None
    timeout_s: float = 5.0
    embedded_dir: Path | None = None
    heap_mb: int = 1024
    startup_timeout_s: float = 90.0
    backoff_s: float = 1.0
    backoff_max_s: float = 30.0

    def __post_init__(self) -> None:
        if self.timeout_s <= 0:
            raise ValueError("timeout_s must be positive")
        if not self.uri and self.embedded_dir is None:
            raise ValueError("a graph config names a server uri or an embedded_dir")
