"""The learning policy: what it learns moves it, it never leaves the pool it is given, and off it changes nothing."""

from __future__ import annotations

import random

import numpy as np
import pytest

from retrieval.candidates import Candidate
from retrieval.policy import (
    SCORE,
    WINDOW,
    LinearPolicy,
    SharedPolicy,
    context_vector,
    contexts,
    read_policy,
    write_policy,
)
from retrieval.ranking import RankedCandidate

pytestmark = pytest.mark.fast


def pool(size: int = 30) -> list[RankedCandidate]:
    """A scored pool, best first: the score falls with the index; odd items have the ``graph`` feature."""
    return [
        RankedCandidate(
            Candidate(f"i{index}", {"vector": 1.0 - index / size, **({"graph": 1.0} if index % 2 else {})}),
            round(10.0 - index * 0.1, 4),
            {"vector": round(10.0 - index * 0.1, 4)},
        )
        for index in range(size)
    ]


def first(ordered: list[RankedCandidate], count: int) -> list[RankedCandidate]:
    return list(ordered[:count])


def ids(entries: list[RankedCandidate]) -> list[str]:
    return [entry.candidate.item_id for entry in entries]


def test_an_untrained_policy_without_exploration_keeps_the_static_order() -> None:
    policy = LinearPolicy()
    ordered, matrix = policy.order(pool())
    picked = policy.choose(ordered, matrix, first(ordered, 5), 0.0, random.Random(0))
    assert ids(picked) == ["i0", "i1", "i2", "i3", "i4"]
    assert all(entry.policy is not None and entry.policy.propensity == 1.0 for entry in picked)
    assert all("policy" not in entry.contributions for entry in picked)


def test_liked_features_rise_and_disliked_ones_fall() -> None:
    scored = pool()
    matrix = contexts(scored)
    graph = LinearPolicy().names.index("graph")
    policy = LinearPolicy()
    for row in matrix:
        policy.record_impression(row)
        policy.record_reaction(row, 1.0 if row[graph] else -1.0)
    assert policy.shift()[graph] > 0.5
    ordered, _ = policy.order(scored)
    assert all(entry.candidate.features.get("graph") for entry in ordered[:10])
    shares = {entry.candidate.item_id: entry.contributions.get("policy", 0.0) for entry in ordered}
    assert shares["i1"] > shares["i0"] and shares["i3"] > shares["i2"]


def test_exploration_only_places_candidates_of_the_pool_it_was_given() -> None:
    scored = pool()
    allowed = {entry.candidate.item_id for entry in scored}
    policy = LinearPolicy()
    draw = random.Random(1)
    explored = 0
    for _ in range(200):
        ordered, matrix = policy.order(scored)
        picked = policy.choose(ordered, matrix, first(ordered, 5), 0.5, draw)
        assert set(ids(picked)) <= allowed and len(set(ids(picked))) == 5
        for entry in picked:
            assert entry.policy is not None and 0 < entry.policy.propensity <= 1
            explored += entry.policy.explored
            if entry.policy.explored:
                assert entry.policy.propensity == pytest.approx(0.5 / WINDOW)
    assert 0 < explored < 1000


def test_the_shared_policy_is_saved_and_read_back(tmp_path) -> None:
    path = tmp_path / "policy.json"
    shared = SharedPolicy(path, exploration=0.0, seed=0)
    vector = context_vector({SCORE: 1.0, "graph": 1.0})
    shared.update(lambda policy: (policy.record_impression(vector), policy.record_reaction(vector, 1.0)))
    again = read_policy(path)
    assert again is not None and again.impressions == 1 and again.reactions == 1
    assert np.allclose(again.weights, shared.current().weights)
    write_policy(path, LinearPolicy(version=3))
    assert SharedPolicy(path, 0.0).current().version == 3
