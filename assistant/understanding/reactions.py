"""What the next message implies about the last list: "I'll check it out" accepts, "not that one" rejects.

The interpreter already resolves such messages against the last answer's
items into the delta (a like, a dislike, seen); this reads that back as
reactions to the list, so the impression log hears them without a button.
"""

from __future__ import annotations

from collections.abc import Sequence

from assistant.sessions.profile import PreferenceDelta

IMPLIED_KINDS = (("liked_items", "accepted"), ("disliked_items", "rejected"), ("seen_items", "seen"))


def implied_reactions(delta: PreferenceDelta, last_suggestions: Sequence[str]) -> list[tuple[str, str]]:
    """(item id, kind) for every item of the last list the message liked, rejected or said it had seen."""
    shown = set(last_suggestions)
    return [(item_id, kind) for field, kind in IMPLIED_KINDS for item_id in getattr(delta, field) if item_id in shown]
