"""Stage 4, filter: the law (hard constraints, the user's own items) applied to the whole pool."""

from __future__ import annotations

from collections.abc import Sequence

from retrieval.candidates import Candidate
from retrieval.filters import ConstraintFilter, FilteredPool
from retrieval.request import RetrievalRequest


class FilterStage:
    def __init__(self, law: ConstraintFilter) -> None:
        self.law = law

    def run(self, pool: Sequence[Candidate], request: RetrievalRequest) -> FilteredPool:
        return self.law.apply(pool, request)
