"""Errors raised by the graph layer."""

from __future__ import annotations


class GraphUnavailable(RuntimeError):
    """The graph server is down, unreachable or refused us, within ``timeout_s``.

    Callers degrade (recommend without graph evidence) rather than hang: every
    call through a :class:`kg.graph.connection.GraphConnection` raises this
    within a bounded time.
    """


class StoreNewerThanCode(RuntimeError):
    """A store (the profile file, the graph) carries a schema version newer than this code knows.

    Newer code wrote it; older code must not read or write it, so opening it
    stops with this error instead of risking silent damage.
    """
