"""Stage 5, rank: the trained scorer (or the fitted weighted sum) orders what the law allowed, then
exposure-aware re-ranking trades a little score for films the ranker rarely shows (:mod:`retrieval.reranking`).

With the learning policy (:mod:`retrieval.policy`) the whole allowed pool is scored, the policy adds what it
learned from reactions, re-ranking plans the list from that order, and in a session's turn some positions may be
explored; nothing outside the allowed pool is ever placed."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from retrieval.candidates import Candidate
from retrieval.policy import SharedPolicy
from retrieval.ranking import RankedCandidate, Ranker
from retrieval.request import RetrievalRequest
from retrieval.reranking import DEPTH, HIDDEN_GEMS_BOOST, rerank


class RankStage:
    def __init__(
        self,
        ranker: Ranker,
        default_count: int,
        diversity: float = 0.0,
        exposure: Callable[[], Mapping[str, float]] | None = None,
        likes: Mapping[str, int] | None = None,
        policy: SharedPolicy | None = None,
    ) -> None:
        """``diversity``: the setting (0: the score order); ``exposure``: how often the ranker shows each item
        (asked for only when re-ranking); ``likes``: how many people liked each item, the counts a pick that
        re-ranking brought in is shown with; ``policy``: the learning policy (None: the static ranking)."""
        self.ranker = ranker
        self.default_count = default_count
        self.diversity = diversity
        self.exposure = exposure
        self.likes = likes or {}
        self.policy = policy

    def diversity_for(self, request: RetrievalRequest) -> float:
        """The setting, raised for a person who asked for less obvious films."""
        return self.diversity + (HIDDEN_GEMS_BOOST if request.hidden_gems else 0.0)

    def run(
        self, allowed: Sequence[Candidate], request: RetrievalRequest, n: int | None = None, explore: bool = False
    ) -> list[RankedCandidate]:
        """The top ``n`` (default: the settings' count) with every score's per-feature contributions;
        ``explore``: a session's turn, where the policy may explore (never a benchmark's ranking)."""
        count = n or self.default_count
        diversity = self.diversity_for(request)
        if self.policy is not None:
            scored = self.ranker.rank(allowed, request, len(allowed))
            return self.policy.rank(scored, count, lambda ordered, k: self._arrange(ordered, k, diversity), explore)
        if diversity <= 0 or self.exposure is None:
            return self.ranker.rank(allowed, request, count)
        scored = self.ranker.rank(allowed, request, max(count, DEPTH))
        return rerank(scored, self.exposure(), self.likes, diversity, count)

    def _arrange(self, ordered: Sequence[RankedCandidate], count: int, diversity: float) -> list[RankedCandidate]:
        if diversity <= 0 or self.exposure is None:
            return list(ordered[:count])
        return rerank(ordered[: max(count, DEPTH)], self.exposure(), self.likes, diversity, count)
