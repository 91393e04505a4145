"""The fairness bench's own rules: how the default is chosen, lists at 0, the targets."""

from __future__ import annotations

import numpy as np
import pytest

from bench.fairness import choose_default, reranked_lists, targets_met

pytestmark = pytest.mark.fast


def rows(*figures: tuple[float, float, float, float]) -> dict[float, dict[str, float]]:
    return {knob: {"ndcg@10": ndcg, "gini@10": g, "coverage@10": c} for knob, ndcg, g, c in figures}


def test_the_default_is_the_lowest_gini_that_keeps_98_percent_of_validation_ndcg() -> None:
    valid = rows((0.0, 0.100, 0.80, 0.40), (1.0, 0.099, 0.70, 0.50), (2.0, 0.097, 0.60, 0.60))
    assert choose_default(valid) == 1.0
    assert choose_default(rows((0.0, 0.1, 0.8, 0.4), (1.0, 0.05, 0.5, 0.7))) == 0.0


def test_targets_are_relative_to_zero() -> None:
    figures = rows((0.0, 0.100, 0.80, 0.40), (1.5, 0.099, 0.66, 0.53))
    met = targets_met(figures, figures, 1.5)
    assert met["test"] == {"gini_cut": 0.175, "coverage_gain": 0.325, "ndcg_share": 0.99, "met": True}


def test_lists_at_zero_are_the_top_ten_unseen_by_score() -> None:
    scores = np.tile(np.arange(70, dtype=np.float32)[::-1], (2, 1))  # column 1 best, 0 is padding
    lists = reranked_lists(scores, [[1, 2], []], np.zeros(70), np.zeros(70), 0.0)
    assert lists == [list(range(3, 13)), list(range(1, 11))]
