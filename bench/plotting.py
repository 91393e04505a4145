"""Figures for the benchmarks: a headless pyplot and one way to save a figure.

Matplotlib is imported only when a plot is asked for, so a benchmark run
without ``--plot`` does not pay for it.
"""

from __future__ import annotations

from pathlib import Path
from types import ModuleType
from typing import Any


def pyplot() -> ModuleType:
    """matplotlib.pyplot on the Agg backend (no display on servers and CI)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def save(figure: Any, path: Path) -> None:
    """Lay out, write as a 120 dpi PNG (creating the folder), and free the figure."""
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=120)
    pyplot().close(figure)
