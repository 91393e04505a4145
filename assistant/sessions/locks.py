"""One lock per session, so that two messages of one session never interleave their reads and writes."""

from __future__ import annotations

import threading


class SessionLocks:
    def __init__(self) -> None:
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()

    def of(self, session_id: str) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault(session_id, threading.Lock())
