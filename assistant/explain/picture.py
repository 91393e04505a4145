"""A picture of the knowledge-graph paths and people counts behind one suggestion.

Drawn in three columns — the user's liked items, the shared attributes, the
suggested item — so the eye reads "you liked this, it shares that, hence this"
from left to right; a people count (co-likes, conversation co-mentions) sits
in the middle column like a shared attribute.  Only nodes and
edges that the stored evidence holds are drawn; the picture can't show more
than the "why?" text states.
"""

from __future__ import annotations

import io
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass

from assistant.explain.templates import people
from kg.schema import CatalogueSchema
from retrieval.evidence import Evidence, PathEvidence

LIKED_COLOUR = "#2b8a3e"
TARGET_COLOUR = "#e8590c"
ATTRIBUTE_COLOUR = "#495057"
PEOPLE_COLOUR = "#1971c2"
NODE_COLOURS = {
    "liked": LIKED_COLOUR,
    "target": TARGET_COLOUR,
    "ratings": PEOPLE_COLOUR,
    "conversations": PEOPLE_COLOUR,
}
LABEL_WIDTH = 22


def _phrase(schema: CatalogueSchema, path: PathEvidence) -> str:
    return schema.relation_by_type(path.relations[-1]).phrase if path.relations else ""


def _column_positions(count: int) -> list[float]:
    if count == 1:
        return [0.45]
    return [0.82 - 0.74 * index / (count - 1) for index in range(count)]


@dataclass(frozen=True)
class PeopleLink:
    """A liked film tied to the suggestion by a people count, drawn in the middle column like a shared attribute."""

    source: str
    count: str
    kind: str
    """What was counted, shown under the count: 'ratings' or 'conversations'."""


def people_links(evidence: Evidence) -> list[PeopleLink]:
    """The evidence's people counts (co-likes, conversation co-mentions) with the film they were counted on."""
    links = []
    if evidence.collaborative is not None:
        signal = evidence.collaborative
        links.append(PeopleLink(signal.source_title, f"{people(signal.co_likers)} liked both", "ratings"))
    if evidence.conversations is not None:
        said = evidence.conversations
        links.append(PeopleLink(said.source_title, f"recommended to {people(said.people)}", "conversations"))
    return links


def discovery_caption(evidence: Evidence) -> str | None:
    """'A less-known pick: 9 people liked it (median 180 for the score's own picks)', for a re-ranked pick."""
    found = evidence.discovery
    if found is None:
        return None
    return (
        f"A less-known pick, brought in for variety: {people(found.likes)} liked it "
        f"(median {found.typical_likes} for the films that score alone would have listed)"
    )


def draw_paths_png(
    paths: Sequence[PathEvidence],
    schema: CatalogueSchema,
    title: str,
    links: Sequence[PeopleLink] = (),
    caption: str | None = None,
) -> bytes | None:
    """PNG bytes of the two-hop paths and the people counts, or None when there is neither to draw.

    ``caption``: one more fact of the evidence, written under the picture (a re-ranked pick's counts).
    """
    two_hop = [path for path in paths if len(path.nodes) == 3]
    if not two_hop and not links:
        return None
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    edges = [(path.nodes[0].name, (path.nodes[1].kind, path.nodes[1].name), _phrase(schema, path)) for path in two_hop]
    edges += [(link.source, (link.kind, link.count), "") for link in links]
    sources = list(dict.fromkeys(source for source, _, _ in edges))
    middles = list(dict.fromkeys(middle for _, middle, _ in edges))
    target = two_hop[0].nodes[2].name if two_hop else title
    position: dict[tuple[str, str], tuple[float, float]] = {}
    for name, y in zip(sources, _column_positions(len(sources)), strict=True):
        position[("liked", name)] = (0.12, y)
    for key, y in zip(middles, _column_positions(len(middles)), strict=True):
        position[key] = (0.5, y)
    position[("target", target)] = (0.88, 0.45)

    height = max(3.0, 0.9 * max(len(sources), len(middles)) + 1.2)
    figure, axis = plt.subplots(figsize=(8.5, height))
    axis.set_axis_off()
    axis.set_xlim(0, 1)
    axis.set_ylim(0, 1)
    for source_name, key, phrase in edges:
        source, middle, end = position[("liked", source_name)], position[key], position[("target", target)]
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
        colour = NODE_COLOURS.get(kind, ATTRIBUTE_COLOUR)
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
    if caption:
        axis.text(0.5, -0.02, "\n".join(textwrap.wrap(caption, 90)), ha="center", va="top", fontsize=8.5)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    plt.close(figure)
    return buffer.getvalue()
