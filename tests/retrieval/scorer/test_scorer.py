"""The trained scorer: split protocol, metrics, training on a real slice, checkpoints, cold start."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from assistant.settings import DEMO_CATALOGUE
from kg.catalogue import Catalogue
from retrieval.candidates import Candidate
from retrieval.ranking import ScorerRanker
from retrieval.request import RetrievalRequest
from retrieval.scorer.features import FEATURE_NAMES
from retrieval.scorer.interactions import Event, ScorerInputError, leave_one_out, read_events
from retrieval.scorer.item_side import build_item_side
from retrieval.scorer.metrics import ranking_metrics, target_ranks
from retrieval.scorer.scorer import ProfileScorer, ScorerCheckpointError, read_checkpoint
from retrieval.scorer.serving import load_catalogue_scorer
from retrieval.scorer.training import ScorerTrainingConfig, TrainedScorer, histories_for_test, train_scorer

SLICE_USERS = 40
TINY = ScorerTrainingConfig(
    seed=0,
    sequence_model={"max_length": 30, "hidden": 16, "layers": 1, "heads": 1},
    sequence_training={"max_epochs": 6, "evaluate_every": 2, "batch_size": 16, "learning_rate": 3e-3},
)


def random_vectors(item_ids: list[str] | tuple[str, ...], dimension: int = 8) -> dict[str, np.ndarray]:
    """Deterministic unit vectors standing in for sentence embeddings (content is not under test here)."""
    rng = np.random.default_rng(7)
    vectors = rng.normal(size=(len(item_ids), dimension)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    return dict(zip(item_ids, vectors, strict=True))


@pytest.fixture(scope="module")
def slice_events() -> list[Event]:
    """The real demo interaction log of its first users: a tiny but genuine training set."""
    events = read_events(DEMO_CATALOGUE / "interactions.csv.gz")
    users = sorted({event.user_id for event in events}, key=int)[:SLICE_USERS]
    keep = set(users)
    return [event for event in events if event.user_id in keep]


@pytest.fixture(scope="module")
def trained(slice_events: list[Event], demo_catalogue: Catalogue) -> TrainedScorer:
    return train_scorer(slice_events, demo_catalogue.items, demo_catalogue.schema, random_vectors, TINY, progress=False)


def write_ratings(path: Path, header: str, rows: list[str]) -> Path:
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


def test_read_events_accepts_movielens_and_catalogue_headers(tmp_path: Path) -> None:
    movielens = read_events(write_ratings(tmp_path / "ml.csv", "userId,movieId,rating,timestamp", ["1,10,4.0,5"]))
    catalogue = read_events(write_ratings(tmp_path / "c.csv", "user_id,item_id,rating,timestamp", ["1,10,4.0,5"]))
    assert movielens == catalogue == [Event("1", "10", 4.0, 5)]


@pytest.mark.parametrize(
    ("header", "rows", "message"),
    [
        ("user,item,rating,timestamp", ["1,2,3,4"], "lacks a 'user_id' column"),
        ("user_id,item_id,rating,timestamp", ["1,2,3,4", "1,2,three,5"], ":3: malformed row"),
    ],
)
def test_read_events_reports_the_bad_line(tmp_path: Path, header: str, rows: list[str], message: str) -> None:
    with pytest.raises(ScorerInputError, match=message):
        read_events(write_ratings(tmp_path / "bad.csv", header, rows))


def test_split_orders_by_time_then_item_and_holds_out_the_last_two() -> None:
    events = [Event("u", str(item), 4.0, time) for item, time in [(30, 1), (20, 2), (10, 2), (40, 3), (50, 4)]]
    events += [Event(f"v{n}", str(item), 3.0, n) for n in range(5) for item in (10, 20, 30, 40, 50)]
    split = leave_one_out(events, min_count=5)
    user = split.users.index("u")
    as_ids = [split.item_ids[index - 1] for index in split.train[user]]
    assert as_ids == ["30", "10", "20"]
    assert split.item_ids[split.valid[user] - 1] == "40"
    assert split.item_ids[split.test[user] - 1] == "50"


def test_split_needs_enough_data() -> None:
    with pytest.raises(ScorerInputError, match="5-core"):
        leave_one_out([Event("u", "1", 4.0, 1)])


def test_metrics_exclude_history_and_count_ties_against_the_target() -> None:
    scores = np.array([[0.0, 9.0, 2.0, 2.0, 1.0]])
    ranks = target_ranks(scores, histories=[[1]], targets=[2])
    assert ranks.tolist() == [1]
    metrics = ranking_metrics(ranks, ks=(1, 2))
    assert metrics["recall@1"] == 0.0
    assert metrics["recall@2"] == 1.0
    assert metrics["ndcg@2"] == pytest.approx(1 / np.log2(3))
    with pytest.raises(ValueError, match="NaN"):
        target_ranks(np.array([[0.0, np.nan]]), [[]], [1])


def test_training_on_a_real_slice_learns_and_reports(trained: TrainedScorer) -> None:
    metrics = trained.metrics
    losses = metrics["sequence_epoch_losses"]
    assert losses[-1] < losses[0]
    assert metrics["users"] <= SLICE_USERS
    assert set(metrics["test"]) == {f"{kind}@{k}" for k in (5, 10, 20) for kind in ("recall", "ndcg")}
    assert trained.scorer.fitted_blend.names == FEATURE_NAMES
    assert np.isfinite(trained.test_scores).all()
    popularity = trained.scorer.side.popularity
    popular_ranks = target_ranks(
        np.tile(popularity, (len(trained.split.users), 1)),
        [history.items for history in histories_for_test(trained.split)],
        trained.split.test,
    )
    scorer_ranks = target_ranks(
        trained.test_scores, [history.items for history in histories_for_test(trained.split)], trained.split.test
    )
    assert np.median(scorer_ranks) <= np.median(popular_ranks)


def test_same_seed_same_scorer_other_seed_other_scorer(
    slice_events: list[Event], demo_catalogue: Catalogue, trained: TrainedScorer
) -> None:
    again = train_scorer(
        slice_events, demo_catalogue.items, demo_catalogue.schema, random_vectors, TINY, progress=False
    )
    np.testing.assert_array_equal(again.test_scores, trained.test_scores)
    other_config = dataclasses.replace(TINY, seed=1)
    other = train_scorer(
        slice_events, demo_catalogue.items, demo_catalogue.schema, random_vectors, other_config, progress=False
    )
    assert not np.array_equal(other.test_scores, trained.test_scores)


def test_checkpoint_round_trip_scores_identically(trained: TrainedScorer, tmp_path: Path) -> None:
    trained.scorer.save(tmp_path / "scorer", {"metrics": trained.metrics})
    model, vocabulary, blend, document = read_checkpoint(tmp_path / "scorer")
    loaded = ProfileScorer(model, vocabulary, blend, trained.scorer.side)
    histories = histories_for_test(trained.split)
    np.testing.assert_allclose(loaded.score_all(histories), trained.scorer.score_all(histories), rtol=1e-6)
    assert document["metrics"]["test"] == trained.metrics["test"]


def test_a_missing_checkpoint_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ScorerCheckpointError, match="not a scorer checkpoint"):
        read_checkpoint(tmp_path)


def test_cold_start_from_stated_attributes_and_unseen_items(trained: TrainedScorer, demo_catalogue: Catalogue) -> None:
    """No liked items at all: a stated genre alone ranks that genre first, over the whole catalogue."""
    item_ids = list(demo_catalogue.items)
    side = build_item_side(item_ids, demo_catalogue.items, random_vectors(item_ids), demo_catalogue.schema, [], [])
    scorer = trained.scorer.with_side(side)
    history = scorer.history([], {"genres": ("Horror",)})
    horror = [item_id for item_id, item in demo_catalogue.items.items() if "Horror" in item.values("genres")]
    other = [item_id for item_id, item in demo_catalogue.items.items() if "Horror" not in item.values("genres")]
    scored = scorer.score_items(history, horror[:200] + other[:200])
    top = sorted(scored, key=lambda entry: -entry.score)[:50]
    assert sum(entry.item_id in set(horror) for entry in top) >= 45
    unseen = next(item_id for item_id in item_ids if item_id not in set(trained.scorer.vocabulary))
    (entry,) = scorer.score_items(history, [unseen])
    assert entry.contributions["sequence"] == 0.0
    assert entry.score == pytest.approx(sum(entry.contributions.values()), abs=1e-3)
    with pytest.raises(KeyError, match="not in the scorer"):
        scorer.score_items(history, ["no-such-item"])


def test_catalogue_scorer_covers_every_catalogue_item(
    trained: TrainedScorer, demo_catalogue: Catalogue, tmp_path: Path
) -> None:
    trained.scorer.save(tmp_path / "scorer", {})
    scorer = load_catalogue_scorer(tmp_path / "scorer", demo_catalogue, random_vectors(list(demo_catalogue.items)))
    liked = [demo_catalogue.items[item_id].id for item_id in ("2571", "541")]
    scores = scorer.score_all([scorer.history(liked)])
    assert scores.shape == (1, len(demo_catalogue.items) + 1)
    assert np.isfinite(scores).all()


def test_shipped_demo_scorer_is_complete() -> None:
    """The committed checkpoint loads and records the run that produced it."""
    model, vocabulary, blend, document = read_checkpoint(DEMO_CATALOGUE / "scorer")
    assert model.config.n_items == len(vocabulary)
    assert blend.names == FEATURE_NAMES
    assert document["metrics"]["test"]["recall@10"] > 0.15
    assert document["trained_on"]["interactions"] == "interactions.csv.gz"


def test_both_rankers_read_the_scorers_features_from_the_candidates(
    trained: TrainedScorer, demo_catalogue: Catalogue
) -> None:
    """The feature contract: the scorer ranker writes its features into the pool and ranks from them alone."""
    item_ids = list(demo_catalogue.items)[:300]
    side = build_item_side(item_ids, demo_catalogue.items, random_vectors(item_ids), demo_catalogue.schema, [], [])
    scorer = trained.scorer.with_side(side)
    request = RetrievalRequest(query_text="", query_vector=np.zeros(8, dtype=np.float32), liked_ids=tuple(item_ids[:3]))
    candidates = [Candidate(item_id, {"vector": 0.5}) for item_id in item_ids[3:]]
    ranked = ScorerRanker(scorer).rank(candidates, request, n=len(candidates))
    expected = {entry.item_id: entry for entry in scorer.score_items(scorer.history(item_ids[:3]), item_ids[3:])}
    for entry in ranked:
        assert set(FEATURE_NAMES) <= set(entry.candidate.features) and entry.candidate.features["vector"] == 0.5
        assert entry.contributions == expected[entry.candidate.item_id].contributions
        assert entry.score == expected[entry.candidate.item_id].score
    assert [entry.score for entry in ranked] == sorted((entry.score for entry in ranked), reverse=True)
