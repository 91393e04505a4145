"""Exposure-aware re-ranking: a little score traded for films the ranker rarely shows anyone.

A ranker trained on who-watched-what keeps showing the same few films to
everybody.  After scoring, each candidate among the ``DEPTH`` best by score
is valued ``score - diversity * exposure``, where ``exposure`` in [0, 1] is
how often the ranker puts the film in a top-``LIST_SIZE`` list across a
reference population (log-scaled, so the few films shown to everyone pay most),
and the list is the score's first choice followed by the best ``n - 1`` others by that value.  ``diversity`` 0 returns the
score order unchanged.  Only the candidates given are re-ordered, so the
constraints that made the pool still hold.

A pick from outside the score's own top ``n`` must be liked by fewer people
than the median of those top ``n``: what the list says about it ("a less-known
film") is then true by construction, and it carries a :class:`Discovery`
with the counts that show it.  It must also have what the request asked for
(a director, a genre) when the films it displaces have it.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence

import numpy as np
from numpy.typing import NDArray

from retrieval.ranking import Discovery, RankedCandidate

DEPTH = 50
"""How deep in the score order a pick may come from."""
LIST_SIZE = 10
"""The list length exposure is counted on."""
HIDDEN_GEMS_BOOST = 1.5
"""Added to the setting for a person who asked for less obvious films ("hidden gems")."""


def scaled_exposure(counts: Mapping[str, int]) -> dict[str, float]:
    """log(1 + times shown), scaled to [0, 1] by the most shown item."""
    top = math.log1p(max(counts.values(), default=0)) or 1.0
    return {item_id: math.log1p(count) / top for item_id, count in counts.items()}


def list_counts(
    scores: NDArray[np.float32], histories: Sequence[Sequence[int]], n: int = LIST_SIZE
) -> NDArray[np.int64]:
    """How many users' top ``n`` each item column is in; ``scores`` is ``[users, items + 1]``, column 0 padding,
    each user's history items left out as a list leaves them out."""
    scores = np.array(scores, dtype=np.float32, copy=True)
    scores[:, 0] = -np.inf
    for row, history in enumerate(histories):
        scores[row, list(history)] = -np.inf
    top = np.argpartition(-scores, n, axis=1)[:, :n]
    return np.bincount(top.ravel(), minlength=scores.shape[1])


def typical_likes(likes: NDArray[np.float64], n: int) -> int:
    """The median like count of the score's own top ``n``, rounded down: a pick brought in has fewer."""
    return int(np.floor(np.median(likes[:n]))) if len(likes) else 0


def rerank_positions(
    scores: NDArray[np.float64],
    exposure: NDArray[np.float64],
    likes: NDArray[np.float64],
    diversity: float,
    n: int,
    depth: int = DEPTH,
    matches: NDArray[np.bool_] | None = None,
) -> list[int]:
    """Positions, in the score order, of the re-ranked top ``n`` (``scores`` sorted best first, one per position).

    The score's first choice leads; the other ``n - 1`` best by value follow in that order (listing them by
    score instead cost validation NDCG@10 on MovieLens).  ``matches``: whether each candidate has what the
    request asked for; when any of the score's own top ``n`` has, a pick brought in must have it too.
    """
    if diversity <= 0 or len(scores) <= n:
        return list(range(min(n, len(scores))))
    window = min(depth, len(scores))
    value = np.asarray(scores[:window], dtype=np.float64) - diversity * np.asarray(exposure[:window], dtype=np.float64)
    eligible = np.asarray(likes[:window]) < typical_likes(likes, n)
    if matches is not None and bool(np.any(matches[:n])):
        eligible &= np.asarray(matches[:window], dtype=bool)
    eligible[:n] = True
    value[~eligible] = -np.inf
    value[0] = np.inf  # the score's first choice always leads: a first list opens with what people watch
    return [int(position) for position in np.argsort(-value, kind="stable")[:n]]


def rerank(
    scored: Sequence[RankedCandidate],
    exposure: Mapping[str, float],
    likes: Mapping[str, int],
    diversity: float,
    n: int,
) -> list[RankedCandidate]:
    """The top ``n`` of ``scored`` (best score first) after re-ranking; a pick the score alone would not have
    listed carries its :class:`Discovery`.  Items missing from ``exposure`` or ``likes`` count as never shown
    and liked by nobody."""
    ids = [entry.candidate.item_id for entry in scored]
    counts = np.array([likes.get(item_id, 0) for item_id in ids], dtype=np.float64)
    positions = rerank_positions(
        np.array([entry.score for entry in scored], dtype=np.float64),
        np.array([exposure.get(item_id, 0.0) for item_id in ids], dtype=np.float64),
        counts,
        diversity,
        n,
        matches=np.array([bool(entry.candidate.attribute_matches) for entry in scored]),
    )
    typical = typical_likes(counts, n)
    return [
        scored[position]
        if position < n
        else dataclasses.replace(
            scored[position],
            discovery=Discovery(
                score_position=position + 1, likes=int(counts[position]), typical_likes=typical, diversity=diversity
            ),
        )
        for position in positions
    ]
