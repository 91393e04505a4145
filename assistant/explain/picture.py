"""A picture of the knowledge-graph paths behind one suggestion.

Drawn in three columns — the user's liked items, the shared attributes, the
suggested item — so the eye reads "you liked this, it shares that, hence this"
from left to right.  Only nodes and edges that the stored evidence holds are
drawn; the picture can't show more than the "why?" text states.
"""

from __future__ import annotations

import io
import textwrap
from collections.abc import Sequence

from kg.schema import CatalogueSchema
from retrieval.evidence import PathEvidence

LIKED_COLOUR = "#2b8a3e"
TARGET_COLOUR = "#e8590c"
ATTRIBUTE_COLOUR = "#495057"
LABEL_WIDTH = 22


def _column_positions(count: int) -> list[float]:
    if count == 1:
        return [0.45]
    return [0.82 - 0.74 * index / (count - 1) for index in range(count)]


def draw_paths_png(paths: Sequence[PathEvidence], schema: CatalogueSchema, title: str) -> bytes | None:
    """PNG bytes of the two-hop paths, or None when there is no path to draw."""
    two_hop = [path for path in paths if len(path.nodes) == 3]
    if not two_hop:
        return None
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sources = list(dict.fromkeys(path.nodes[0].name for path in two_hop))
    attributes = list(dict.fromkeys((path.nodes[1].kind, path.nodes[1].name) for path in two_hop))
    target = two_hop[0].nodes[2].name
    position: dict[tuple[str, str], tuple[float, float]] = {}
    for name, y in zip(sources, _column_positions(len(sources)), strict=True):
        position[("liked", name)] = (0.12, y)
    for key, y in zip(attributes, _column_positions(len(attributes)), strict=True):
        position[key] = (0.5, y)
    position[("target", target)] = (0.88, 0.45)

    height = max(3.0, 0.9 * max(len(sources), len(attributes)) + 1.2)
    figure, axis = plt.subplots(figsize=(8.5, height))
    axis.set_axis_off()
    axis.set_xlim(0, 1)
    axis.set_ylim(0, 1)
    for path in two_hop:
        source = position[("liked", path.nodes[0].name)]
        middle = position[(path.nodes[1].kind, path.nodes[1].name)]
        end = position[("target", target)]
        phrase = schema.relation_by_type(path.relations[-1]).phrase if path.relations else ""
        for start, stop in ((source, middle), (end, middle)):
            axis.plot([start[0], stop[0]], [start[1], stop[1]], color="#adb5bd", linewidth=1.4, zorder=1)
        axis.text(
            (source[0] + middle[0]) / 2,
            (source[1] + middle[1]) / 2 + 0.02,
            phrase,
            fontsize=8,
            color="#868e96",
            ha="center",
        )
    for (kind, name), (x, y) in position.items():
        colour = {"liked": LIKED_COLOUR, "target": TARGET_COLOUR}.get(kind, ATTRIBUTE_COLOUR)
        label = "\n".join(textwrap.wrap(name, LABEL_WIDTH))
        if kind not in ("liked", "target"):
            label = f"{label}\n({kind.lower()})"
        axis.text(
            x,
            y,
            label,
            ha="center",
            va="center",
            fontsize=9,
            color="white",
            bbox={"boxstyle": "round,pad=0.45", "facecolor": colour, "edgecolor": "none"},
        )
    axis.text(0.12, 0.99, "you liked", ha="center", va="top", fontsize=9, color=LIKED_COLOUR, weight="bold")
    axis.text(0.5, 0.99, "shared", ha="center", va="top", fontsize=9, color=ATTRIBUTE_COLOUR, weight="bold")
    axis.text(0.88, 0.99, "suggested", ha="center", va="top", fontsize=9, color=TARGET_COLOUR, weight="bold")
    axis.set_title(f"Why {title}?", fontsize=11)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    plt.close(figure)
    return buffer.getvalue()
