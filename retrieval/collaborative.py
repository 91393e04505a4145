"""Collaborative signal: items co-liked with the user's liked items.

Built in memory from the catalogue's interaction log (a rating at or above
``min_liked_rating`` is a like).  Scores are cosine-normalised co-like counts,
so a blockbuster liked by everyone does not drown the niche film that the same
few people loved; the raw counts and ratings stay available as evidence
("31 people who liked The Matrix also liked it, rating it 4.2 on average").
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy import sparse

from kg.catalogue import Interaction


@dataclass(frozen=True)
class CoLikeSignal:
    """Why the collaborative source proposed an item."""

    source_item_id: str
    co_likers: int
    mean_rating: float | None


class CoLikeIndex:
    """Item-item co-like statistics over a user x item like matrix."""

    def __init__(self, interactions: Iterable[Interaction], item_ids: Sequence[str], min_liked_rating: float) -> None:
        self.item_ids = list(item_ids)
        self._column = {item_id: column for column, item_id in enumerate(self.item_ids)}
        users: dict[str, int] = {}
        rows: list[int] = []
        columns: list[int] = []
        ratings: list[float] = []
        for interaction in interactions:
            column = self._column.get(interaction.item_id)
            if column is None:
                continue
            rows.append(users.setdefault(interaction.user_id, len(users)))
            columns.append(column)
            ratings.append(interaction.rating)
        shape = (max(len(users), 1), len(self.item_ids))
        self._ratings = sparse.csc_matrix((np.asarray(ratings, dtype=np.float32), (rows, columns)), shape=shape)
        self._ratings_by_user = self._ratings.tocsr()
        liked = (self._ratings >= min_liked_rating).astype(np.float32)
        self._likes = sparse.csc_matrix(liked)
        self._like_counts = np.asarray(self._likes.sum(axis=0)).ravel()
        rated = (self._ratings > 0).astype(np.float32)
        rating_counts = np.asarray(rated.sum(axis=0)).ravel()
        rating_sums = np.asarray(self._ratings.sum(axis=0)).ravel()
        self._mean_rating = np.divide(
            rating_sums, rating_counts, out=np.zeros_like(rating_sums), where=rating_counts > 0
        )
        self._rating_counts = rating_counts

    def like_count(self, item_id: str) -> int:
        column = self._column.get(item_id)
        return int(self._like_counts[column]) if column is not None else 0

    def popularity(self) -> dict[str, float]:
        """log(1 + likes) scaled to [0, 1]: a weak prior for otherwise tied items."""
        logs = np.log1p(self._like_counts)
        top = float(logs.max()) or 1.0
        return {item_id: float(logs[column] / top) for item_id, column in self._column.items()}

    def mean_rating(self, item_id: str) -> tuple[float, int]:
        column = self._column[item_id]
        return float(self._mean_rating[column]), int(self._rating_counts[column])

    def related(self, liked_ids: Sequence[str], k: int) -> dict[str, tuple[float, CoLikeSignal]]:
        """Top ``k`` items co-liked with ``liked_ids``: id -> (score, strongest signal)."""
        sources = [self._column[item_id] for item_id in liked_ids if item_id in self._column]
        sources = [column for column in sources if self._like_counts[column] > 0]
        if not sources:
            return {}
        co_counts = (self._likes[:, sources].T @ self._likes).toarray()
        norms = np.sqrt(np.outer(self._like_counts[sources], self._like_counts)) + 1e-9
        cosine = co_counts / norms
        scores = cosine.sum(axis=0)
        scores[sources] = 0.0
        order = np.argsort(-scores)[:k]
        best_sources = np.argmax(cosine, axis=0)
        means = {best: self._mean_ratings_among_likers(sources[best]) for best in set(best_sources[order].tolist())}
        related: dict[str, tuple[float, CoLikeSignal]] = {}
        for column in order:
            if scores[column] <= 0:
                break
            best = int(best_sources[column])
            mean = means[best][column]
            signal = CoLikeSignal(
                source_item_id=self.item_ids[sources[best]],
                co_likers=int(co_counts[best, column]),
                mean_rating=None if np.isnan(mean) else round(float(mean), 1),
            )
            related[self.item_ids[column]] = (float(scores[column]), signal)
        return related

    def _mean_ratings_among_likers(self, source_column: int) -> NDArray[np.float64]:
        """Per item, the mean rating given by the people who liked ``source_column`` (NaN where none rated it).

        One pass over those people's rows for every item at once: looked up
        item by item it was the largest cost of a turn under load.
        """
        likers = self._likes[:, source_column].nonzero()[0]
        their_ratings = self._ratings_by_user[likers]
        sums = np.asarray(their_ratings.sum(axis=0), dtype=np.float64).ravel()
        counts = np.asarray((their_ratings > 0).sum(axis=0), dtype=np.float64).ravel()
        return np.divide(sums, counts, out=np.full_like(sums, np.nan), where=counts > 0)
