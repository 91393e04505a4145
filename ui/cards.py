"""HTML for recommendation cards.

Every value is escaped: titles, names and justifications come from catalogue
data that we do not control, and must never become markup or script.
"""

from __future__ import annotations

from html import escape

from assistant.types import Recommendation

CARDS_CSS = """
.concierge-card { border: 1px solid var(--border-color-primary); border-radius: 10px; padding: 12px;
  background: var(--background-fill-secondary); }
.concierge-card h3 { margin: 0 0 4px 0; font-size: 1.05em; }
.concierge-card .meta { color: var(--body-text-color-subdued); font-size: 0.85em; margin-bottom: 6px; }
.concierge-card .why { font-size: 0.92em; margin: 6px 0 0 0; }
.concierge-card .score { float: right; font-size: 0.8em; color: var(--body-text-color-subdued); }
"""


def render_card(position: int, recommendation: Recommendation) -> str:
    item = recommendation.item
    people = []
    if item.directors:
        people.append(f"Directed by {escape(', '.join(item.directors))}")
    if item.cast:
        people.append(f"With {escape(', '.join(item.cast))}")
    return (
        f'<div class="concierge-card" data-item-id="{escape(item.id)}">'
        f'<span class="score">score {recommendation.score:.2f}</span>'
        f"<h3>{position}. {escape(item.title)}</h3>"
        f'<div class="meta">{escape(" · ".join(item.genres))}</div>'
        + "".join(f'<div class="meta">{line}</div>' for line in people)
        + f'<p class="why">{escape(recommendation.justification)}</p>'
        "</div>"
    )
