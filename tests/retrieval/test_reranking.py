"""Exposure-aware re-ranking: off at 0, only reorders what it is given, and marks what it brought in."""

from __future__ import annotations

import numpy as np
import pytest

from retrieval.candidates import Candidate
from retrieval.ranking import RankedCandidate
from retrieval.reranking import list_counts, rerank, rerank_positions, scaled_exposure

pytestmark = pytest.mark.fast


def scored(count: int) -> list[RankedCandidate]:
    """``count`` candidates ``i0``, ``i1``... scored 10, 9.9, 9.8..., best first."""
    return [
        RankedCandidate(Candidate(f"i{index}"), 10 - index / 10, {"graph": 10 - index / 10}) for index in range(count)
    ]


def test_at_zero_the_list_is_the_score_order() -> None:
    pool = scored(30)
    exposure = {entry.candidate.item_id: 1.0 for entry in pool}
    assert rerank(pool, exposure, {}, 0.0, 5) == pool[:5]
    assert rerank_positions(np.arange(5.0)[::-1], np.zeros(5), np.zeros(5), 2.0, 10) == [0, 1, 2, 3, 4]


def test_a_rarely_shown_film_liked_by_fewer_people_is_brought_in_with_its_counts() -> None:
    pool = scored(30)
    exposure = {entry.candidate.item_id: 1.0 for entry in pool} | {"i12": 0.0}
    likes = {entry.candidate.item_id: 200 for entry in pool} | {"i12": 9}
    picks = rerank(pool, exposure, likes, 1.5, 5)
    assert [entry.candidate.item_id for entry in picks] == ["i0", "i12", "i1", "i2", "i3"]  # the first leads
    found = picks[1].discovery
    assert found is not None and (found.score_position, found.likes, found.typical_likes) == (13, 9, 200)
    assert found.diversity == 1.5 and picks[1].score == pool[12].score
    assert all(entry.discovery is None for entry in (picks[0], *picks[2:]))


def test_a_pick_brought_in_has_what_the_request_asked_for_when_the_list_has_it() -> None:
    pool = scored(30)
    for entry in [*pool[:5], pool[14]]:
        entry.candidate.attribute_matches = (("directors", "Christopher Nolan"),)
    exposure = {entry.candidate.item_id: 1.0 for entry in pool} | {"i12": 0.0, "i14": 0.0}
    likes = {entry.candidate.item_id: 200 for entry in pool} | {"i12": 9, "i14": 9}
    picks = [entry.candidate.item_id for entry in rerank(pool, exposure, likes, 1.5, 5)]
    assert "i14" in picks and "i12" not in picks


def test_a_film_liked_by_as_many_people_as_the_list_is_never_brought_in() -> None:
    """What the list would say of it, "a less-known film", would not be true."""
    pool = scored(30)
    exposure = {entry.candidate.item_id: 1.0 for entry in pool} | {"i12": 0.0}
    likes = {entry.candidate.item_id: 200 for entry in pool}
    assert rerank(pool, exposure, likes, 5.0, 5) == pool[:5]


def test_only_the_given_candidates_are_listed_and_none_twice() -> None:
    rng = np.random.default_rng(0)
    pool = scored(80)
    exposure = {entry.candidate.item_id: float(rng.random()) for entry in pool}
    likes = {entry.candidate.item_id: int(rng.integers(0, 300)) for entry in pool}
    for diversity in (0.5, 2.0, 10.0):
        picks = rerank(pool, exposure, likes, diversity, 10)
        ids = [entry.candidate.item_id for entry in picks]
        assert len(ids) == len(set(ids)) == 10 and set(ids) <= {entry.candidate.item_id for entry in pool}
        assert all(int(item_id[1:]) < 50 for item_id in ids)  # from the re-ranking depth only
        for entry in picks:
            if entry.discovery is not None:
                assert entry.discovery.likes < entry.discovery.typical_likes


def test_exposure_counts_lists_without_the_history() -> None:
    scores = np.array([[0, 5, 4, 3, 2], [0, 1, 2, 3, 4]], dtype=np.float32)
    counts = list_counts(scores, [[1], []], n=2)
    assert counts.tolist() == [0, 0, 1, 2, 1]
    assert scaled_exposure({"a": 0, "b": 3, "c": 1}) == pytest.approx({"a": 0.0, "b": 1.0, "c": np.log(2) / np.log(4)})


def test_the_median_is_rounded_down_so_a_pick_never_ties_it() -> None:
    pool = scored(30)
    exposure = {entry.candidate.item_id: 1.0 for entry in pool} | {"i12": 0.0}
    likes = {f"i{index}": count for index, count in enumerate((100, 101, 180, 181, 300, 400))} | {"i12": 180}
    picks = rerank(pool, exposure, likes, 5.0, 6)
    assert "i12" not in [entry.candidate.item_id for entry in picks]  # median 180.5: 180 is not fewer
