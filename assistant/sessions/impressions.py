"""The impression log: every list shown (item, position, features, propensity) and every reaction to it.

What the learning policy is trained and evaluated on.  It lives beside the
profiles (the same SQLite file, or the graph server when profiles are shared),
is exported with a person's profile and deleted with it.  A reaction names the
list it reacts to; one to an unknown list, to an item that list did not show,
of an unknown kind, or replayed (the same event id twice) is refused with
:class:`ImpressionRefused` and counted once.  An event's id defaults to
``list:item:kind``, so a second click on the same button is a replay.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol

from assistant.errors import InvalidInput

EVENT_KINDS = ("liked", "disliked", "seen", "why", "accepted", "rejected")
"""Buttons (liked, disliked = "not for me", seen), the "Why?" panel opened, and what the next message implied
("I'll check it out": accepted; "not that one": rejected)."""


class ImpressionRefused(InvalidInput):
    """A reaction the log will not count: unknown list, item not in it, unknown kind, or a replay."""


@dataclass(frozen=True)
class Impression:
    """One item of one list shown to a person."""

    list_id: str
    session_id: str
    item_id: str
    position: int
    score: float
    context: dict[str, float]
    """The policy's feature vector of the item in its list."""
    propensity: float
    """The probability the policy placed it at this position."""
    explored: bool = False
    at: float = field(default_factory=time.time)


@dataclass(frozen=True)
class Reaction:
    """One reaction to an item of a list."""

    list_id: str
    item_id: str
    kind: str
    session_id: str = ""
    event_id: str = ""
    at: float = field(default_factory=time.time)

    def __post_init__(self) -> None:
        if not self.event_id:
            object.__setattr__(self, "event_id", f"{self.list_id}:{self.item_id}:{self.kind}")


def exported(impressions: Sequence[Impression], reactions: Sequence[Reaction]) -> dict[str, Any]:
    """A session's log as plain JSON, for ``concierge profile show``."""
    return {
        "impressions": [asdict(impression) for impression in impressions],
        "reactions": [asdict(reaction) for reaction in reactions],
    }


def check_reaction(reaction: Reaction, shown: Sequence[Impression], known_event: bool) -> None:
    """Raise :class:`ImpressionRefused` unless ``reaction`` may be counted against the list ``shown``."""
    if reaction.kind not in EVENT_KINDS:
        raise ImpressionRefused(f"a reaction is one of {', '.join(EVENT_KINDS)}, not {reaction.kind!r}")
    if not shown:
        raise ImpressionRefused(f"there is no shown list {reaction.list_id!r}; the reaction was not counted")
    if all(impression.item_id != reaction.item_id for impression in shown):
        raise ImpressionRefused(
            f"list {reaction.list_id!r} did not show item {reaction.item_id!r}; the reaction was not counted"
        )
    if known_event:
        raise ImpressionRefused(f"event {reaction.event_id!r} was already counted; it is not counted twice")


class ImpressionLog(Protocol):
    """Lists shown and reactions, as the assistant, ``concierge learn`` and the profile export use them."""

    def log_list(self, impressions: Sequence[Impression]) -> None:
        """Store one shown list (every impression has the same list id)."""
        ...

    def log_reaction(self, reaction: Reaction) -> Reaction:
        """Store a reaction, with its session filled in; raises :class:`ImpressionRefused`."""
        ...

    def latest_list_with(self, session_id: str, item_id: str) -> str | None:
        """The id of the session's latest list that showed ``item_id``."""
        ...

    def session_log(self, session_id: str) -> tuple[list[Impression], list[Reaction]]: ...

    def everything(self) -> tuple[list[Impression], list[Reaction]]:
        """Every impression and reaction still kept (forgotten sessions are gone), oldest first."""
        ...

    def delete_session(self, session_id: str) -> None: ...


class InMemoryImpressionLog:
    """The log in this process only (fast tests, throwaway assistants)."""

    def __init__(self) -> None:
        self._impressions: list[Impression] = []
        self._reactions: list[Reaction] = []
        self._lock = threading.Lock()

    def log_list(self, impressions: Sequence[Impression]) -> None:
        with self._lock:
            self._impressions += impressions

    def log_reaction(self, reaction: Reaction) -> Reaction:
        with self._lock:
            shown = [impression for impression in self._impressions if impression.list_id == reaction.list_id]
            known = any(stored.event_id == reaction.event_id for stored in self._reactions)
            check_reaction(reaction, shown, known)
            stored = Reaction(**{**asdict(reaction), "session_id": shown[0].session_id})
            self._reactions.append(stored)
            return stored

    def latest_list_with(self, session_id: str, item_id: str) -> str | None:
        with self._lock:
            found = [i.list_id for i in self._impressions if i.session_id == session_id and i.item_id == item_id]
            return found[-1] if found else None

    def session_log(self, session_id: str) -> tuple[list[Impression], list[Reaction]]:
        with self._lock:
            return (
                [impression for impression in self._impressions if impression.session_id == session_id],
                [reaction for reaction in self._reactions if reaction.session_id == session_id],
            )

    def everything(self) -> tuple[list[Impression], list[Reaction]]:
        with self._lock:
            return list(self._impressions), list(self._reactions)

    def delete_session(self, session_id: str) -> None:
        with self._lock:
            self._impressions = [i for i in self._impressions if i.session_id != session_id]
            self._reactions = [r for r in self._reactions if r.session_id != session_id]
