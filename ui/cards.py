"""HTML for recommendation cards and for the chat's "written by the model" mark.

Every value is escaped: titles, names and justifications come from catalogue
data that we do not control, and must never become markup or script.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from assistant.types import Recommendation, TextPart, TextRole

CARDS_CSS = """
.concierge-card { border: 1px solid var(--border-color-primary); border-radius: 10px; padding: 12px;
  background: var(--background-fill-secondary); }
.concierge-card h3 { margin: 0 0 4px 0; font-size: 1.05em; }
.concierge-card .meta { color: var(--body-text-color-subdued); font-size: 0.85em; margin-bottom: 6px; }
.concierge-card .why { font-size: 0.92em; margin: 6px 0 0 0; }
.concierge-card .score { float: right; font-size: 0.8em; color: var(--body-text-color-subdued); }
.concierge-model-mark { display: block; margin-top: 6px; font-size: 0.8em; font-style: italic;
  color: var(--body-text-color); opacity: 0.72; }
"""
# The mark is quiet by size and slant, not by a pale colour: 72% of the body text keeps it readable (about 5:1).

ROLE_WORDS: dict[TextRole, str] = {
    "small_talk": "the reply",
    "introduction": "the introduction",
    "no_results": "the reply",
    "list_line": "the reasons",
    "note": "the notes",
    "why": "the explanation",
    "about": "the answer",
    "thanks": "the reply",
}
"""How the mark names the pieces the chat model wrote: words for people, never the field names."""


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


def render_model_mark(parts: Sequence[TextPart]) -> str:
    """A quiet caption after a reply that the chat model wrote, in whole or in part; empty when it wrote nothing.

    People should know which words are the small model's phrasing and which
    come straight from the catalogue; the caption is text, so screen readers say it too.
    """
    written = [part for part in parts if part.source == "llm" and part.text.strip()]
    if not written:
        return ""
    if len(written) == len([part for part in parts if part.text.strip()]):
        caption = "✎ written by the chat model"
    else:
        pieces = list(dict.fromkeys(ROLE_WORDS[part.role] for part in written))
        caption = f"✎ written by the chat model: {' and '.join(pieces)}"
    return f'\n\n<span class="concierge-model-mark">{escape(caption)}</span>'
