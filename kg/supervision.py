"""Supervision of a server we depend on: fail fast while it is down, bring it back in the background.

A :class:`Supervisor` sits in front of every call to one part (the graph
server, a Chroma server).  The first call that finds the part unavailable
trips it: one log line names the part and the cause, and a background thread
starts recovering it (restarting an embedded server, reconnecting to a remote
one) with a doubling back-off.  Until that succeeds every call fails at once
with the part's own "unavailable" error, so a turn that needs the part waits
at most one call's timeout before it degrades, however many calls it makes.
Retrieval uses it too (retrieval may import kg).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TypeVar

T = TypeVar("T")

log = logging.getLogger(__name__)

REDACTED = "***"


@dataclass(frozen=True)
class Backoff:
    """Seconds between recovery attempts: ``first`` after the first failed attempt, doubling up to ``most``."""

    first: float = 1.0
    most: float = 30.0

    def __post_init__(self) -> None:
        if self.first <= 0 or self.most < self.first:
            raise ValueError("a back-off needs 0 < first <= most")

    def delays(self) -> Iterable[float]:
        delay = self.first
        while True:
            yield delay
            delay = min(delay * 2, self.most)


def redact(text: str, secrets: Iterable[str]) -> str:
    """``text`` with every non-empty secret replaced, so a cause can be logged or shown."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, REDACTED)
    return text


class Supervisor:
    """Guards the calls to one part and recovers it when it fails (see the module docstring).

    ``recover`` brings the part back or raises (any exception: the attempt
    failed and is retried after the next back-off delay); ``unavailable``
    builds the error a call gets while the part is down.  ``secrets`` are
    removed from every cause before it is logged or raised.
    """

    def __init__(
        self,
        part: str,
        recover: Callable[[], None],
        unavailable: Callable[[str], Exception],
        backoff: Backoff | None = None,
        secrets: Callable[[], Iterable[str]] = tuple,
    ) -> None:
        self.part = part
        self.backoff = backoff or Backoff()
        self._recover = recover
        self._unavailable = unavailable
        self._secrets = secrets
        self._lock = threading.Lock()
        self._closed = threading.Event()
        self._up = threading.Event()
        self._up.set()
        self._cause = ""
        self._down_since = 0.0
        self._generation = 0
        self._thread: threading.Thread | None = None
        self.outages = 0

    @property
    def up(self) -> bool:
        return self._up.is_set()

    @property
    def generation(self) -> int:
        """Counts recoveries; a call that began in an earlier generation does not trip the part again."""
        return self._generation

    def check(self) -> None:
        """Raise the part's unavailable error at once while it is down."""
        if not self._up.is_set():
            waited = time.monotonic() - self._down_since
            raise self._unavailable(f"{self.part} is down since {waited:.0f} s ({self._cause}); recovering it")

    def call(self, work: Callable[[], T], is_failure: Callable[[BaseException], bool]) -> T:
        """``work()`` unless the part is down; a failure ``is_failure`` accepts trips the part, and is re-raised."""
        self.check()
        generation = self._generation
        try:
            return work()
        except BaseException as exc:
            if is_failure(exc):
                self.trip(exc, generation)
            raise

    def trip(self, cause: BaseException, generation: int | None = None) -> None:
        """Mark the part down (once per outage: one log line) and start recovering it in the background."""
        with self._lock:
            if self._closed.is_set() or not self._up.is_set():
                return
            if generation is not None and generation != self._generation:
                return  # the call began before the last recovery; the part has been back since
            self._cause = self.clean(cause)
            self._down_since = time.monotonic()
            self._up.clear()
            self.outages += 1
            log.warning("%s down: %s; recovering it in the background", self.part, self._cause)
            self._thread = threading.Thread(target=self._recovering, name=f"recover {self.part}", daemon=True)
            self._thread.start()

    def wait_up(self, timeout: float) -> bool:
        """Block until the part is back (True) or ``timeout`` passes (False)."""
        return self._up.wait(timeout)

    def close(self) -> None:
        """Stop recovering; a recovery attempt under way finishes first (bounded by its own timeouts)."""
        self._closed.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join()

    def clean(self, cause: BaseException | str) -> str:
        """A cause as one line without secrets."""
        text = " ".join(str(cause).split()) or type(cause).__name__
        return redact(text, self._secrets())

    def _recovering(self) -> None:
        delays = iter(self.backoff.delays())
        logged = self._cause
        while not self._closed.is_set():
            try:
                self._recover()
            except Exception as exc:
                cause = self.clean(exc)
                if cause != logged:  # a new reason (say, the data is damaged) is worth a line; a repeat is not
                    log.warning("%s still down: %s", self.part, cause)
                    logged = cause
                with self._lock:
                    self._cause = cause
                if self._closed.wait(next(delays)):
                    return
                continue
            with self._lock:
                log.warning("%s back after %.1f s", self.part, time.monotonic() - self._down_since)
                self._generation += 1
                self._up.set()
            return
