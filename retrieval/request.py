"""What retrieval needs to know about the user for one turn.

A plain snapshot built by the assistant from the profile, so retrieval knows
nothing about dialogue.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from kg.constraints import Constraints


@dataclass(frozen=True)
class RetrievalRequest:
    query_text: str
    query_vector: NDArray[np.float32]
    """The message's embedding, computed once per turn for the vector source and the scorer."""
    liked_ids: tuple[str, ...] = ()
    disliked_ids: tuple[str, ...] = ()
    seen_ids: tuple[str, ...] = ()
    liked_attributes: dict[str, tuple[str, ...]] = field(default_factory=dict)
    disliked_attributes: dict[str, tuple[str, ...]] = field(default_factory=dict)
    constraints: Constraints = field(default_factory=Constraints)
    shown_ids: tuple[str, ...] = ()
    """Items already suggested, left out when the person asks for others."""
    moods: tuple[tuple[str, str], ...] = ()
    """Soft (direction, mood) preferences, ('more', 'light') for "a bit lighter": they rank, never filter."""
    hidden_gems: bool = False
    """The person asked for less obvious films: re-ranking trades more score for rarely shown ones."""

    @property
    def excluded_ids(self) -> frozenset[str]:
        """Items never to suggest: already liked, disliked or seen, or shown when others were asked for."""
        return (
            frozenset(self.liked_ids)
            | frozenset(self.disliked_ids)
            | frozenset(self.seen_ids)
            | frozenset(self.shown_ids)
        )
