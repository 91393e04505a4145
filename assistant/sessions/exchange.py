"""One message and its answer as the unit a session store keeps: all of it, or none of it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from assistant.sessions.profile import UserProfile
from assistant.types import Recommendation

BeforeCommit = Callable[[], None]
"""Called inside the store's transaction after its writes and before they commit (the crash hook's last stage)."""


def nothing() -> None:
    """The :data:`BeforeCommit` of a turn that runs without the crash hook."""


@dataclass(frozen=True)
class Exchange:
    """What one message changes in a session: the profile with its delta, the two utterances, the suggestions."""

    message: str
    reply: str
    profile: UserProfile
    recommendations: tuple[Recommendation, ...] = ()
