"""Full-ranking Recall@k and NDCG@k with one held-out target per user.

Every item is ranked; the user's history items and the padding index 0 are
excluded first, as in the LlamaRec protocol.  With a single relevant item,
Recall@k is a hit indicator and NDCG@k is ``1 / log2(rank + 1)``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from retrieval.scorer.interactions import LeaveOneOutSplit

DEFAULT_KS: tuple[int, ...] = (5, 10, 20)


def target_ranks(scores: np.ndarray, histories: Sequence[Sequence[int]], targets: Sequence[int]) -> np.ndarray:
    """0-based rank of each user's target among the items not in their history.

    ``scores`` is ``[users, n_items + 1]`` with column 0 the padding index.
    Ties count against the target (an item scored equal to it ranks ahead),
    so a constant scorer earns nothing.
    """
    scores = np.array(scores, dtype=np.float64, copy=True)
    if np.isnan(scores).any():
        raise ValueError("scores contain NaN; a ranking of them would be meaningless")
    scores[:, 0] = -np.inf
    for row, history in enumerate(histories):
        scores[row, list(history)] = -np.inf
    rows = np.arange(len(targets))
    target_scores = scores[rows, np.asarray(targets)]
    return (scores >= target_scores[:, None]).sum(axis=1) - 1


def ranking_metrics(ranks: np.ndarray, ks: Sequence[int] = DEFAULT_KS) -> dict[str, float]:
    """Mean Recall@k and NDCG@k over users from their targets' 0-based ranks."""
    metrics: dict[str, float] = {}
    for k in ks:
        hit = ranks < k
        metrics[f"recall@{k}"] = float(hit.mean())
        metrics[f"ndcg@{k}"] = float(np.where(hit, 1.0 / np.log2(ranks + 2.0), 0.0).mean())
    return metrics


def held_out_metrics(scores: np.ndarray, split: LeaveOneOutSplit) -> dict[str, float]:
    """Metrics of the split's test items, each ranked from its user's training items plus validation item."""
    histories = [split.test_history(user) for user in range(len(split.users))]
    return ranking_metrics(target_ranks(scores, histories, split.test))
