"""The learning policy: a linear reward model over the ranking features, learned from people's reactions.

The static ranker scores the pool the law allowed.  The policy reads each
candidate as a context vector (a constant, the static score scaled to [0, 1]
over the pool, and every ranking feature scaled by its largest size over the
pool) and predicts the reward of showing it (like +1, not for me -1, nothing
0) by ridge regression from LinUCB's sufficient statistics.  Its prior
predicts the static order (weight 1 on the score), so an untrained policy
changes nothing; what it learned moves each score by its share,
``spread * (theta - prior) . x``, in the score's own units.  With probability
``exploration`` a position is filled by a uniform draw among the ``WINDOW``
unplaced candidates of highest upper confidence bound (of the ``DEPTH`` best
by learned score), and the probability of every placement is kept for
off-policy evaluation.  It only reorders the candidates it is given.
"""

from __future__ import annotations

import json
import os
import random
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from retrieval.features import FEATURES
from retrieval.ranking import PolicyChoice, RankedCandidate

FORMAT_VERSION = 1
WINDOW = 10
"""How many of the best unplaced candidates (by upper confidence bound) an exploration draw picks among."""
DEPTH = 50
"""How deep in the learned order a list's films may come from (by plan or by exploration), as re-ranking's."""
CONFIDENCE = 1.0
"""LinUCB's alpha: how far uncertainty lifts a candidate into the exploration window."""
CONSTANT, SCORE = "constant", "score"
CONTEXT_NAMES: tuple[str, ...] = (CONSTANT, SCORE, *FEATURES)
REWARDS: Mapping[str, float] = {
    "liked": 1.0,
    "accepted": 1.0,
    "disliked": -1.0,
    "rejected": -1.0,
    "seen": 0.0,
    "why": 0.0,
}
"""The reward of each reaction; an item shown and not reacted to earns 0.  "Seen it" and "Why?" say nothing
about taste, so they are logged and counted but earn nothing."""


class PolicyFileError(ValueError):
    """A policy file that cannot be read as one; the message names the file."""


def contexts(scored: Sequence[RankedCandidate], names: Sequence[str] = CONTEXT_NAMES) -> NDArray[np.float64]:
    """The context vector of every candidate, ``[len(scored), len(names)]``, each column scaled over the pool."""
    matrix = np.zeros((len(scored), len(names)), dtype=np.float64)
    if not scored:
        return matrix
    columns = {name: column for column, name in enumerate(names)}
    for row, entry in enumerate(scored):
        for name, value in entry.candidate.features.items():
            column = columns.get(name)
            if column is not None:
                matrix[row, column] = value
    peaks = np.abs(matrix).max(axis=0)
    matrix = np.divide(matrix, peaks, out=np.zeros_like(matrix), where=peaks > 0)
    scores = np.array([entry.score for entry in scored], dtype=np.float64)
    spread = float(scores.max() - scores.min())
    if CONSTANT in columns:
        matrix[:, columns[CONSTANT]] = 1.0
    if SCORE in columns:
        matrix[:, columns[SCORE]] = (scores - scores.min()) / spread if spread > 0 else 1.0
    return matrix


def context_vector(context: Mapping[str, float], names: Sequence[str] = CONTEXT_NAMES) -> NDArray[np.float64]:
    """A logged context (name to value, zeros left out) as the policy's vector."""
    return np.array([float(context.get(name, 0.0)) for name in names], dtype=np.float64)


@dataclass
class LinearPolicy:
    """Ridge regression of the reward on the context, with a prior that reproduces the static order."""

    names: tuple[str, ...] = CONTEXT_NAMES
    prior_strength: float = 1.0
    """How many impressions' worth of evidence the prior counts for."""
    gram: NDArray[np.float64] = field(default_factory=lambda: np.zeros((0, 0)))
    """Sum of x x' over logged impressions."""
    moments: NDArray[np.float64] = field(default_factory=lambda: np.zeros(0))
    """Sum of reward * x over logged reactions."""
    impressions: int = 0
    reactions: int = 0
    version: int = 0
    """Raised by every promotion (``concierge learn``)."""
    card: dict[str, Any] = field(default_factory=dict)
    """What it was trained on and how it was evaluated."""

    def __post_init__(self) -> None:
        size = len(self.names)
        if self.gram.shape != (size, size):
            self.gram = np.zeros((size, size), dtype=np.float64)
        if self.moments.shape != (size,):
            self.moments = np.zeros(size, dtype=np.float64)
        self._solved: tuple[NDArray[np.float64], NDArray[np.float64]] | None = None

    @property
    def prior(self) -> NDArray[np.float64]:
        return np.array([1.0 if name == SCORE else 0.0 for name in self.names], dtype=np.float64)

    def _solve(self) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        solved = self._solved
        if solved is None:
            precision = self.prior_strength * np.eye(len(self.names)) + self.gram
            inverse = np.asarray(np.linalg.inv(precision), dtype=np.float64)
            solved = self._solved = (inverse @ (self.prior_strength * self.prior + self.moments), inverse)
        return solved

    @property
    def weights(self) -> NDArray[np.float64]:
        """The posterior mean of the reward model."""
        return self._solve()[0]

    def shift(self) -> NDArray[np.float64]:
        """What was learned: the weights less the prior (zero for an untrained policy)."""
        return self.weights - self.prior

    def record_impression(self, context: NDArray[np.float64]) -> None:
        self.gram += np.outer(context, context)
        self.impressions += 1
        self._solved = None

    def record_reaction(self, context: NDArray[np.float64], reward: float) -> None:
        self.moments += reward * context
        self.reactions += 1
        self._solved = None

    def value(self, context: NDArray[np.float64]) -> NDArray[np.float64]:
        """Predicted reward of each row of ``context``."""
        return context @ self.weights

    def order(
        self, scored: Sequence[RankedCandidate], depth: int = DEPTH
    ) -> tuple[list[RankedCandidate], NDArray[np.float64]]:
        """The best ``depth`` of ``scored`` once the policy's share is added to each score
        (``contributions["policy"]``), best first, and their context rows in that order."""
        matrix = contexts(scored, self.names)
        if not scored:
            return [], matrix
        scores = np.array([entry.score for entry in scored], dtype=np.float64)
        spread = float(scores.max() - scores.min()) or 1.0
        shares = spread * (matrix @ self.shift())
        adjusted = np.round(scores + shares, 4)
        ids = np.array([entry.candidate.item_id for entry in scored])
        kept = np.lexsort((ids, -adjusted))[:depth]
        ordered = []
        for index in kept:
            entry, share = scored[index], float(shares[index])
            if abs(share) >= 5e-5:
                entry = replace(
                    entry,
                    score=float(adjusted[index]),
                    contributions={**entry.contributions, "policy": round(share, 4)},
                )
            ordered.append(entry)
        return ordered, matrix[kept]

    def choose(
        self,
        ordered: Sequence[RankedCandidate],
        matrix: NDArray[np.float64],
        greedy: Sequence[RankedCandidate],
        exploration: float,
        draw: random.Random,
    ) -> list[RankedCandidate]:
        """The list, position by position: ``greedy``'s next item, or with probability ``exploration`` a uniform
        draw among the best ``WINDOW`` unplaced candidates by upper confidence bound; each with its propensity."""
        if not ordered:
            return []
        rows = {entry.candidate.item_id: index for index, entry in enumerate(ordered)}
        inverse = self._solve()[1]
        spread = max(entry.score for entry in ordered) - min(entry.score for entry in ordered) or 1.0
        bonus = CONFIDENCE * spread * np.sqrt(np.einsum("ij,jk,ik->i", matrix, inverse, matrix))
        optimism = np.array([entry.score for entry in ordered]) + bonus
        by_optimism = [ordered[i] for i in np.argsort(-optimism, kind="stable")]
        placed: list[RankedCandidate] = []
        taken: set[str] = set()
        for _ in range(len(greedy)):
            planned = next(entry for entry in (*greedy, *ordered) if entry.candidate.item_id not in taken)
            window = [entry for entry in by_optimism if entry.candidate.item_id not in taken][:WINDOW]
            pick = draw.choice(window) if exploration > 0 and draw.random() < exploration else planned
            explored = pick.candidate.item_id != planned.candidate.item_id
            pick = pick if explored else planned
            in_window = any(entry.candidate.item_id == pick.candidate.item_id for entry in window)
            propensity = (1.0 - exploration) * (not explored) + (exploration / len(window) if in_window else 0.0)
            row = matrix[rows[pick.candidate.item_id]]
            context = {name: round(float(value), 6) for name, value in zip(self.names, row, strict=True) if value}
            placed.append(replace(pick, policy=PolicyChoice(context, round(propensity, 6), explored)))
            taken.add(pick.candidate.item_id)
        return placed

    # Persistence -------------------------------------------------------------

    def to_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT_VERSION,
            "version": self.version,
            "names": list(self.names),
            "prior_strength": self.prior_strength,
            "gram": self.gram.round(8).tolist(),
            "moments": self.moments.round(8).tolist(),
            "impressions": self.impressions,
            "reactions": self.reactions,
            "card": self.card,
        }

    @classmethod
    def from_json(cls, document: Mapping[str, Any]) -> LinearPolicy:
        if document.get("format") != FORMAT_VERSION:
            raise ValueError(f"policy format {document.get('format')!r}, this code reads {FORMAT_VERSION}")
        return cls(
            names=tuple(document["names"]),
            prior_strength=float(document["prior_strength"]),
            gram=np.array(document["gram"], dtype=np.float64),
            moments=np.array(document["moments"], dtype=np.float64),
            impressions=int(document["impressions"]),
            reactions=int(document["reactions"]),
            version=int(document["version"]),
            card=dict(document.get("card") or {}),
        )

    def describe(self) -> dict[str, Any]:
        """The state in words and numbers, for ``concierge learn --report``."""
        return {
            "version": self.version,
            "impressions": self.impressions,
            "reactions": self.reactions,
            "prior_strength": self.prior_strength,
            "learned_weights": {
                name: round(float(value), 4) for name, value in zip(self.names, self.shift(), strict=True)
            },
            "card": self.card,
        }


def read_policy(path: Path) -> LinearPolicy | None:
    """The policy saved at ``path``; None when there is none yet."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    try:
        return LinearPolicy.from_json(json.loads(text))
    except (ValueError, KeyError, TypeError) as exc:
        raise PolicyFileError(f"{path} is not a policy file this Concierge reads ({exc})") from exc


def write_policy(path: Path, policy: LinearPolicy) -> None:
    """Write atomically (a reader never sees half a file)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}")
    temporary.write_text(json.dumps(policy.to_json()), encoding="utf-8")
    os.replace(temporary, path)


class SharedPolicy:
    """The catalogue's policy as every session of every process uses it: read again when another process
    promoted or updated it, written after each online update."""

    def __init__(self, path: Path, exploration: float, seed: int | None = None) -> None:
        self.path = Path(path)
        self.exploration = exploration
        self.draw = random.Random(seed)
        self._lock = threading.Lock()
        self._stamp: float | None = None
        self._policy = LinearPolicy()

    def current(self) -> LinearPolicy:
        with self._lock:
            try:
                stamp = self.path.stat().st_mtime
            except FileNotFoundError:
                return self._policy
            if stamp != self._stamp:
                self._policy = read_policy(self.path) or LinearPolicy()
                self._stamp = stamp
            return self._policy

    def update(self, change: Callable[[LinearPolicy], None]) -> None:
        """Apply an online update and save it, so the next turn of any session ranks with it."""
        policy = self.current()
        with self._lock:
            change(policy)
            write_policy(self.path, policy)
            self._stamp = self.path.stat().st_mtime

    def rank(
        self,
        scored: Sequence[RankedCandidate],
        count: int,
        arrange: Callable[[list[RankedCandidate], int], list[RankedCandidate]],
        explore: bool = True,
    ) -> list[RankedCandidate]:
        """The policy's list of ``count`` from the whole scored pool; ``arrange`` turns the learned order into the
        planned list (exposure-aware re-ranking, or the first ``count``); ``explore`` False: the planned list."""
        policy = self.current()
        ordered, matrix = policy.order(scored)
        exploration = self.exploration if explore else 0.0
        with self._lock:
            return policy.choose(ordered, matrix, arrange(ordered, count), exploration, self.draw)
