"""Who gets shown what: exposure, coverage, novelty, diversity and calibration of top-k lists.

Pure functions over lists of item indices (``lists[u]`` is user u's top k,
best first), so the fairness benchmark scores every knob value with the same
code on the MovieLens split and on the conversational turns.  Definitions:

- coverage: the share of the catalogue's items that appear in at least one list;
- exposure Gini: the Gini coefficient of how many lists each item appears in,
  over every item (never-shown items count as zero exposure);
- decile shares: the share of all list slots taken by each item-popularity
  decile (equal-sized groups of items, least popular first);
- novelty: the mean self-information ``-log2(p(i))`` of listed items, ``p(i)``
  the share of users who interacted with ``i`` (Zhou et al. 2010);
- intra-list diversity: the mean pairwise distance within a list, ``1 -
  Jaccard`` of genre sets and ``1 - cosine`` of item embeddings;
- calibration: ``KL(p || q~)`` between the genre mix of a user's history ``p``
  and of their list ``q``, ``q~ = (1 - a) q + a p`` with ``a = 0.01`` (Steck 2018).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray
from scipy import sparse

CALIBRATION_ALPHA = 0.01
DECILES = 10


def coverage(lists: Sequence[Sequence[int]], n_items: int) -> float:
    """Share of the ``n_items`` items shown to at least one user."""
    shown = {item for items in lists for item in items}
    return len(shown) / n_items if n_items else 0.0


def exposure_counts(lists: Sequence[Sequence[int]], n_items: int) -> NDArray[np.int64]:
    """How many lists each item (index 0 .. n_items - 1) appears in."""
    flat = np.fromiter((item for items in lists for item in items), dtype=np.int64)
    return np.bincount(flat, minlength=n_items)[:n_items]


def gini(values: NDArray[np.int64] | NDArray[np.float64]) -> float:
    """Gini coefficient of non-negative values: 0 when all are equal, near 1 when one holds everything."""
    ordered = np.sort(np.asarray(values, dtype=np.float64))
    total = ordered.sum()
    if total == 0 or len(ordered) == 0:
        return 0.0
    ranks = np.arange(1, len(ordered) + 1)
    return float(((2 * ranks - len(ordered) - 1) * ordered).sum() / (len(ordered) * total))


def popularity_deciles(popularity: NDArray[np.float64]) -> NDArray[np.int64]:
    """Each item's popularity decile, 0 the least popular tenth of items and 9 the most (ties by index)."""
    order = np.lexsort((np.arange(len(popularity)), popularity))
    deciles = np.empty(len(popularity), dtype=np.int64)
    deciles[order] = np.arange(len(popularity)) * DECILES // max(len(popularity), 1)
    return deciles


def decile_shares(lists: Sequence[Sequence[int]], deciles: NDArray[np.int64]) -> list[float]:
    """Share of all list slots taken by each popularity decile, least popular first."""
    flat = np.fromiter((item for items in lists for item in items), dtype=np.int64)
    if not len(flat):
        return [0.0] * DECILES
    counts = np.bincount(deciles[flat], minlength=DECILES)
    return [float(count / len(flat)) for count in counts]


def novelty(lists: Sequence[Sequence[int]], user_share: NDArray[np.float64]) -> float:
    """Mean self-information of the listed items; ``user_share[i]`` the share of users who had item ``i``."""
    flat = np.fromiter((item for items in lists for item in items), dtype=np.int64)
    if not len(flat):
        return 0.0
    floor = float(user_share[user_share > 0].min(initial=1.0))  # an item no user had counts as the rarest one
    return float(np.mean(-np.log2(np.maximum(user_share[flat], floor))))


def _mean_pairwise(distance: NDArray[np.float64]) -> float:
    size = distance.shape[0]
    if size < 2:
        return 0.0
    return float((distance.sum() - np.trace(distance)) / (size * (size - 1)))


def genre_diversity(items: Sequence[int], genres: sparse.csr_matrix) -> float:
    """Mean pairwise ``1 - Jaccard`` of the items' genre sets (rows of a 0/1 item x genre matrix)."""
    rows = genres[list(items)].astype(np.float64)
    shared = (rows @ rows.T).toarray()
    sizes = np.asarray(rows.sum(axis=1)).ravel()
    union = sizes[:, None] + sizes[None, :] - shared
    jaccard = np.divide(shared, union, out=np.ones_like(shared), where=union > 0)
    return _mean_pairwise(1.0 - jaccard)


def embedding_diversity(items: Sequence[int], vectors: NDArray[np.float32]) -> float:
    """Mean pairwise ``1 - cosine`` of the items' vectors."""
    rows = vectors[list(items)].astype(np.float64)
    rows = rows / np.maximum(np.linalg.norm(rows, axis=1, keepdims=True), 1e-12)
    return _mean_pairwise(1.0 - rows @ rows.T)


def genre_mix(items: Sequence[int], genres: sparse.csr_matrix) -> NDArray[np.float64]:
    """The genre distribution of some items, each item's weight split evenly over its genres."""
    rows = genres[list(items)].astype(np.float64)
    sizes = np.asarray(rows.sum(axis=1)).ravel()
    weights = np.divide(1.0, sizes, out=np.zeros_like(sizes), where=sizes > 0)
    mix = np.asarray(rows.T @ weights).ravel()
    total = mix.sum()
    return mix / total if total > 0 else mix


def calibration_kl(history: Sequence[int], listed: Sequence[int], genres: sparse.csr_matrix) -> float | None:
    """``KL(p || q~)`` of the history's genre mix ``p`` against the list's ``q``; None when the history has none."""
    p = genre_mix(history, genres)
    if p.sum() == 0 or not listed:
        return None
    q = (1 - CALIBRATION_ALPHA) * genre_mix(listed, genres) + CALIBRATION_ALPHA * p
    present = p > 0
    return float(np.sum(p[present] * np.log(p[present] / q[present])))


def tertiles(values: Sequence[float]) -> NDArray[np.int64]:
    """Each value's tertile, 0 (lowest third) to 2 (highest), by rank so that ties split evenly."""
    order = np.lexsort((np.arange(len(values)), np.asarray(values, dtype=np.float64)))
    groups = np.empty(len(values), dtype=np.int64)
    groups[order] = np.arange(len(values)) * 3 // max(len(values), 1)
    return groups
