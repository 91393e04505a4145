"""The ``mood`` ranking feature: how well an item fits the moods the person asked for.

Moods are soft: they never remove an item, they move it up or down.  Each
mood's axis (:mod:`retrieval.mood_axes`) gives the item's genres and tags
signed weights; their sum, squashed to (-1, 1) so that a film with many
fitting genres does not run away, is turned round for a ``less`` mood (only
its positive part for a one-ended mood: "less violent" pushes violent films
down and lifts nothing), and the item's feature is the mean over the moods
asked for.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence

from kg.catalogue import Item
from retrieval.mood_axes import MOOD_AXES, MoodAxis

GENRES = "genres"
TAGS = "tags"


def axis_fit(item: Item, axis: MoodAxis, evidence_for_only: bool = False) -> float:
    """How much ``item`` leans to the axis's mood, in (-1, 1); 0 when nothing about it speaks to the mood.

    ``evidence_for_only``: count only what carries the mood, so that a film's
    far-end genres (Children on the violence axis) cannot cancel what it has.
    """
    weights = [axis.genres.get(genre, 0.0) for genre in item.values(GENRES)]
    weights += [axis.tags.get(tag, 0.0) for tag in {value.casefold() for value in item.values(TAGS)}]
    return math.tanh(sum(weight for weight in weights if weight > 0 or not evidence_for_only))


def directed_fit(item: Item, direction: str, axis: MoodAxis) -> float:
    """The fit to "more" of a mood, or to "less" of it: the far end of a two-ended mood, else only less of it.

    "Less violent" demotes a film by what makes it violent alone: a violent
    crime comedy stays down even though Comedy leans the other way.
    """
    if direction != "less":
        return axis_fit(item, axis)
    return -axis_fit(item, axis) if axis.two_ended else -axis_fit(item, axis, evidence_for_only=True)


def mood_fit(item: Item, moods: Sequence[tuple[str, str]], axes: Mapping[str, MoodAxis] = MOOD_AXES) -> float:
    """The mean directed fit of ``item`` to every (direction, mood) asked for; 0 for none."""
    known = [(direction, axes[name]) for direction, name in moods if name in axes]
    if not known:
        return 0.0
    return sum(directed_fit(item, direction, axis) for direction, axis in known) / len(known)


def mood_features(items: Iterable[Item], moods: Sequence[tuple[str, str]]) -> dict[str, float]:
    """Item id -> mood fit, for a pool; empty when no mood was asked for (the feature is then absent)."""
    if not moods:
        return {}
    return {item.id: mood_fit(item, moods) for item in items}
