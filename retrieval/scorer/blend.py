"""The learned blend: one weight per standardised feature, fitted listwise.

A linear blend keeps every score an exact sum of per-feature contributions,
which the assistant shows as evidence.  It is fitted with softmax
cross-entropy over the whole catalogue (history items masked), the same
objective the ranking is judged by; a small MLP fitted the same way ranked
no better on held-out users and would lose the exact contributions.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import torch
from numpy.typing import NDArray
from tqdm.auto import tqdm

BLEND_STEPS = 300
BLEND_LEARNING_RATE = 0.05


@dataclass(frozen=True)
class LinearBlend:
    names: tuple[str, ...]
    weights: tuple[float, ...]
    means: tuple[float, ...]
    scales: tuple[float, ...]

    def contributions(self, features: Mapping[str, NDArray[np.float32]]) -> dict[str, NDArray[np.float32]]:
        """Each feature's share of the score: weight x standardised value."""
        return {
            name: (weight * (features[name] - mean) / scale).astype(np.float32)
            for name, weight, mean, scale in zip(self.names, self.weights, self.means, self.scales, strict=True)
        }

    def score(self, features: Mapping[str, NDArray[np.float32]]) -> NDArray[np.float32]:
        return np.sum(list(self.contributions(features).values()), axis=0)

    def to_dict(self) -> dict[str, list[float] | list[str]]:
        return {
            "names": list(self.names),
            "weights": list(self.weights),
            "means": list(self.means),
            "scales": list(self.scales),
        }

    @classmethod
    def from_dict(cls, raw: Mapping[str, Sequence[float] | Sequence[str]]) -> LinearBlend:
        return cls(
            names=tuple(str(name) for name in raw["names"]),
            weights=tuple(float(value) for value in raw["weights"]),
            means=tuple(float(value) for value in raw["means"]),
            scales=tuple(float(value) for value in raw["scales"]),
        )


def fit_blend(
    features: Mapping[str, NDArray[np.float32]],
    histories: Sequence[Sequence[int]],
    targets: Sequence[int],
    names: Sequence[str],
    seed: int,
    progress: bool = True,
) -> LinearBlend:
    """Fit weights so that each user's target item gets the highest score among the items they have not seen."""
    stacked = np.stack([features[name] for name in names], axis=-1)
    flat = stacked.reshape(-1, len(names))
    means = flat.mean(axis=0)
    scales = flat.std(axis=0) + 1e-6
    inputs = torch.from_numpy((stacked - means) / scales).float()
    seen = torch.zeros(inputs.shape[:2], dtype=torch.bool)
    seen[:, 0] = True
    for row, history in enumerate(histories):
        seen[row, list(history)] = True
    target_tensor = torch.tensor(list(targets))
    generator = torch.Generator().manual_seed(seed)
    weights = (torch.randn(len(names), generator=generator) * 0.01).requires_grad_()
    optimiser = torch.optim.Adam([weights], lr=BLEND_LEARNING_RATE)
    for _ in tqdm(range(BLEND_STEPS), desc="blend", unit="step", disable=not progress):
        logits = (inputs @ weights).masked_fill(seen, float("-inf"))
        loss = torch.nn.functional.cross_entropy(logits, target_tensor)
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
    return LinearBlend(
        names=tuple(names),
        weights=tuple(float(value) for value in weights.detach()),
        means=tuple(float(value) for value in means),
        scales=tuple(float(value) for value in scales),
    )
