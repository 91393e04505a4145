"""``concierge learn-comentions``: count what people who liked a film were recommended in real conversations.

From recommendation turns (:mod:`assistant.learning.turns`): each film the
seeker had mentioned before a turn (only the ones they said they liked, where
the data says) is a source; each film the recommender then named (only the
ones the seeker liked, where the data says) is a target.  A pair counts once
per dialogue, so the counts are people, which is what the evidence says
("recommended to 14 people who also liked Heat").
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping

from assistant.learning.turns import ConversationTurn
from assistant.understanding.linking import normalise
from retrieval.comentions import CoMentionIndex


def _ids(names: Iterable[str], titles: Mapping[str, str]) -> set[str]:
    return {item_id for item_id in (titles.get(normalise(name)) for name in names) if item_id is not None}


def count_comentions(turns: Iterable[ConversationTurn], titles: Mapping[str, str]) -> CoMentionIndex:
    """The co-mention index of ``turns`` over the catalogue whose titles ``titles`` maps to ids."""
    dialogues: dict[tuple[str, str], set[str]] = defaultdict(set)
    for turn in turns:
        known = turn.liked is not None
        liked = set(turn.liked or ())
        sources = _ids((name for name in turn.entities if not known or name in liked), titles)
        targets = _ids((name for name in turn.rec if not known or name in liked), titles) - sources
        for source in sources:
            for target in targets:
                dialogues[(source, target)].add(turn.dialog_id)
    counts: dict[str, dict[str, int]] = defaultdict(dict)
    for (source, target), ids in dialogues.items():
        counts[source][target] = len(ids)
    return CoMentionIndex(counts)
