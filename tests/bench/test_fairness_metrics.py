"""The fairness measures on lists small enough to check by hand."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import sparse

from bench.fairness_metrics import (
    calibration_kl,
    coverage,
    decile_shares,
    embedding_diversity,
    exposure_counts,
    genre_diversity,
    gini,
    novelty,
    popularity_deciles,
    tertiles,
)

pytestmark = pytest.mark.fast
GENRES = sparse.csr_matrix(np.array([[1, 0], [1, 0], [0, 1], [1, 1]]))


def test_coverage_and_exposure() -> None:
    lists = [[0, 1], [0, 2]]
    assert coverage(lists, 4) == 0.75
    assert exposure_counts(lists, 4).tolist() == [2, 1, 1, 0]


def test_gini_is_zero_for_equal_exposure_and_high_when_one_item_takes_it_all() -> None:
    assert gini(np.array([3, 3, 3, 3])) == 0.0
    assert gini(np.array([0, 0, 0, 12])) == pytest.approx(0.75)
    assert gini(np.zeros(3)) == 0.0


def test_deciles_split_items_by_popularity() -> None:
    popularity = np.arange(20, dtype=np.float64)[::-1]
    deciles = popularity_deciles(popularity)
    assert deciles[0] == 9 and deciles[-1] == 0 and np.bincount(deciles).tolist() == [2] * 10
    shares = decile_shares([[0, 1], [19, 0]], deciles)
    assert shares[9] == 0.75 and shares[0] == 0.25 and sum(shares) == pytest.approx(1.0)


def test_novelty_is_the_mean_self_information() -> None:
    share = np.array([0.5, 0.25, 0.0])
    assert novelty([[0, 1]], share) == pytest.approx(1.5)
    assert novelty([[2]], share) == pytest.approx(2.0)  # never seen counts as the rarest


def test_intra_list_diversity() -> None:
    assert genre_diversity([0, 1], GENRES) == 0.0
    assert genre_diversity([0, 2], GENRES) == 1.0
    assert genre_diversity([0, 3], GENRES) == pytest.approx(0.5)
    vectors = np.array([[1, 0], [0, 1], [1, 0]], dtype=np.float32)
    assert embedding_diversity([0, 2], vectors) == pytest.approx(0.0)
    assert embedding_diversity([0, 1], vectors) == pytest.approx(1.0)


def test_calibration_is_zero_for_the_same_genre_mix_and_grows_when_a_genre_is_missing() -> None:
    assert calibration_kl([0, 2], [1, 2], GENRES) == pytest.approx(0.0, abs=1e-9)
    missing = calibration_kl([0, 2], [0, 1], GENRES)
    assert missing is not None and missing > 1.0
    assert calibration_kl([], [0], GENRES) is None


def test_tertiles_by_rank() -> None:
    assert tertiles([5, 1, 9, 3, 7, 2]).tolist() == [1, 0, 2, 1, 2, 0]
