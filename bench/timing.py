"""Timing helpers shared by the benchmarks."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence


def timed(action: Callable[[], object]) -> float:
    """Seconds ``action`` took, on the monotonic high-resolution clock."""
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def percentile(values: Sequence[float], share: float) -> float:
    """The nearest-rank percentile: a value that was measured, never an interpolation between two."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]
