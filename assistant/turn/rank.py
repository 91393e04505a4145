"""Stage 5, rank: the trained scorer (or the fitted weighted sum) orders what the law allowed."""

from __future__ import annotations

from collections.abc import Sequence

from retrieval.candidates import Candidate
from retrieval.ranking import RankedCandidate, Ranker
from retrieval.request import RetrievalRequest


class RankStage:
    def __init__(self, ranker: Ranker, default_count: int) -> None:
        self.ranker = ranker
        self.default_count = default_count

    def run(
        self, allowed: Sequence[Candidate], request: RetrievalRequest, n: int | None = None
    ) -> list[RankedCandidate]:
        """The top ``n`` (default: the settings' count) with every score's per-feature contributions."""
        return self.ranker.rank(allowed, request, n or self.default_count)
