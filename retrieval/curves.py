"""A ranking learned from conversations: one step curve per feature, added up.

The weighted sum (:mod:`retrieval.fusion`) can only scale each source's
signal; real conversations say more than that.  ReDial's recommenders, for
instance, follow a film's mention count steeply at the top and barely below
it, and trust a close description only when it is very close.  This model
learns one curve per feature, so that shape is learned, while the score stays
a sum of per-feature parts: "why" still reads exactly how much each feature
gave (its curve at the item's value less its curve at zero, where a source
that did not find the item sits).

The curves are fitted by cyclic gradient boosting on the logistic loss (as
explainable boosting machines do): every round, each feature in turn gets a
Newton step per bin of its values, shrunk, so no feature takes credit for
another's signal.  Rows are the candidates of recommendation turns, labelled
1 for the items the human recommender named next; the features are
normalised per pool as every ranker normalises them
(:func:`retrieval.fusion.turn_pool`).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray
from tqdm.auto import tqdm

from retrieval.fusion import PoolScorer, TurnPool, held_out_metrics

FORMAT = 1
BINS = 32
"""Most bins per feature: quantiles of its non-zero values, plus zero (a source that did not find the item)."""


@dataclass(frozen=True)
class CurveFitting:
    rounds: int = 200
    shrinkage: float = 0.05
    """Each Newton step times this: many small steps, so correlated features share the credit."""
    smoothing: float = 100.0
    """Added to each bin's Hessian: a bin seen on few candidates barely moves."""
    negatives_per_turn: int = 200
    """Candidates that were not recommended, drawn per turn and weighted up to stand for all of them: fitting
    time grows with this, not with the pool size."""
    seed: int = 0


@dataclass(frozen=True)
class FeatureCurve:
    """A step function: ``values[i]`` for a value in ``(edges[i - 1], edges[i]]``, the last past every edge."""

    edges: tuple[float, ...]
    values: tuple[float, ...]

    def __post_init__(self) -> None:
        if len(self.values) != len(self.edges) + 1:
            raise ValueError(f"a curve with {len(self.edges)} edges needs {len(self.edges) + 1} values")
        if any(b <= a for a, b in zip(self.edges, self.edges[1:], strict=False)):
            raise ValueError("a curve's edges must rise")
        if not all(math.isfinite(v) for v in (*self.edges, *self.values)):
            raise ValueError("a curve's edges and values must be finite")

    def __call__(self, x: NDArray[np.float64]) -> NDArray[np.float64]:
        return np.asarray(self.values)[np.searchsorted(np.asarray(self.edges), x, side="left")]

    def gain(self, x: NDArray[np.float64]) -> NDArray[np.float64]:
        """The curve at ``x`` less the curve at zero: what the feature gave."""
        return self(x) - self(np.zeros(1))[0]


@dataclass(frozen=True)
class RankingCurves:
    curves: Mapping[str, FeatureCurve]

    @property
    def feature_names(self) -> tuple[str, ...]:
        return tuple(self.curves)

    def gains(self, features: NDArray[np.float64]) -> NDArray[np.float64]:
        """Per candidate (row) and feature (column, ``feature_names`` order), what the feature gave."""
        columns = [curve.gain(features[:, index]) for index, curve in enumerate(self.curves.values())]
        return np.stack(columns, axis=1) if columns else np.zeros((len(features), 0))

    def score(self, features: NDArray[np.float64]) -> NDArray[np.float64]:
        """One score per candidate: the sum of its gains."""
        return self.gains(features).sum(axis=1)

    def spans(self) -> dict[str, float]:
        """How far each curve can move a score (its highest value less its lowest): the features' say."""
        return {name: round(max(curve.values) - min(curve.values), 4) for name, curve in self.curves.items()}

    def save(self, path: Path, fitted_on: Mapping[str, Any]) -> None:
        data = {
            "format": FORMAT,
            "curves": {
                name: {"edges": list(curve.edges), "values": list(curve.values)} for name, curve in self.curves.items()
            },
            "fitted_on": dict(fitted_on),
        }
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f"{path.name}.tmp")
        temporary.write_text(json.dumps(data, indent=1) + "\n", "utf-8")
        temporary.replace(path)

    @classmethod
    def load(cls, path: Path) -> RankingCurves | None:
        """The curves at ``path``, or None when there are none; a damaged file is an error, not a default."""
        if not path.is_file():
            return None
        try:
            data = json.loads(path.read_text("utf-8"))
            if data.get("format") != FORMAT:
                raise ValueError(f"format {data.get('format')!r}, expected {FORMAT}")
            curves = {
                str(name): FeatureCurve(
                    tuple(float(e) for e in curve["edges"]), tuple(float(v) for v in curve["values"])
                )
                for name, curve in data["curves"].items()
            }
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise ValueError(f"{path}: not a ranking curves file ({exc})") from exc
        return cls(curves)


def bin_edges(column: NDArray[np.float64]) -> NDArray[np.float64]:
    """Zero, then up to ``BINS`` quantiles of the non-zero values: the places a curve may step."""
    nonzero = column[column != 0]
    quantiles = np.quantile(nonzero, np.linspace(0, 1, BINS + 1)[1:-1]) if len(nonzero) else np.zeros(0)
    return np.unique(np.concatenate(([0.0], quantiles)))


def training_rows(
    pools: Sequence[TurnPool], negatives_per_turn: int, seed: int
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """Features, labels (1: recommended) and weights of every target and of drawn non-targets, per turn."""
    generator = np.random.default_rng(seed)
    features, labels, weights = [], [], []
    for pool in pools:
        targets = set(pool.targets)
        hit = np.array([item_id in targets for item_id in pool.item_ids], dtype=bool)
        if not hit.any():
            continue
        negatives = np.flatnonzero(~hit)
        drawn = generator.choice(negatives, min(negatives_per_turn, len(negatives)), replace=False)
        rows = np.concatenate((np.flatnonzero(hit), drawn))
        features.append(pool.features[rows])
        labels.append(hit[rows].astype(np.float64))
        weight = len(negatives) / max(len(drawn), 1)
        weights.append(np.where(hit[rows], 1.0, weight))
    if not features:
        raise ValueError("no turn with a recommended item in its candidate pool: nothing to learn curves from")
    return np.vstack(features), np.concatenate(labels), np.concatenate(weights)


def fit_curves(
    pools: Sequence[TurnPool], feature_names: Sequence[str], fitting: CurveFitting = CurveFitting()
) -> RankingCurves:
    """Curves over ``feature_names`` (the pools' columns) fitted to which candidates were recommended."""
    features, labels, weights = training_rows(pools, fitting.negatives_per_turn, fitting.seed)
    edges = [bin_edges(features[:, index]) for index in range(len(feature_names))]
    bins = [np.searchsorted(edge, features[:, index], side="left") for index, edge in enumerate(edges)]
    rate = float(np.average(labels, weights=weights))
    bias = math.log(rate / (1 - rate)) if 0 < rate < 1 else 0.0
    logits = np.full(len(labels), bias)
    values = [np.zeros(len(edge) + 1) for edge in edges]
    for _ in tqdm(range(fitting.rounds), desc="ranking curves", unit="round", leave=False):
        for index, assigned in enumerate(bins):
            probability = 1 / (1 + np.exp(-logits))
            gradient = np.bincount(assigned, weights * (labels - probability), minlength=len(values[index]))
            hessian = np.bincount(assigned, weights * probability * (1 - probability), minlength=len(values[index]))
            step = fitting.shrinkage * gradient / (hessian + fitting.smoothing)
            values[index] += step
            logits += step[assigned]
    return RankingCurves(
        {
            name: FeatureCurve(tuple(float(e) for e in edge), tuple(float(v) for v in value))
            for name, edge, value in zip(feature_names, edges, values, strict=True)
        }
    )


def cross_validate_curves(
    pools: Sequence[TurnPool], folds: int, feature_names: Sequence[str], fitting: CurveFitting = CurveFitting()
) -> dict[str, Any]:
    """Metrics of every fold ranked by curves fitted on the other folds; each fold reports its curves' spans."""

    def fit(train: Sequence[TurnPool]) -> tuple[PoolScorer, dict[str, float]]:
        curves = fit_curves(train, feature_names, fitting)
        return curves.score, curves.spans()

    return held_out_metrics(pools, folds, fit)
