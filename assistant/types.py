"""The typed values the assistant returns: replies, recommendations, item cards.

They are pydantic models so that the CLI prints them as JSON, the session
store keeps them verbatim for "why?", and the UI and LangChain callers get the
same structure.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from kg.catalogue import Item
from retrieval.evidence import Evidence

JustificationSource = Literal["template", "llm"]
TextRole = Literal["small_talk", "introduction", "no_results", "list_line", "note", "why", "about", "thanks"]
Intent = Literal["recommend", "more", "why", "about", "chat", "thanks"]
CARD_PEOPLE = 3


class ItemCard(BaseModel):
    """What the user sees of a catalogue item."""

    model_config = ConfigDict(frozen=True)

    id: str
    title: str
    year: int | None
    genres: tuple[str, ...] = ()
    directors: tuple[str, ...] = ()
    cast: tuple[str, ...] = ()

    @classmethod
    def from_item(cls, item: Item) -> ItemCard:
        return cls(
            id=item.id,
            title=item.display_title,
            year=item.year,
            genres=item.values("genres"),
            directors=item.values("directors")[:CARD_PEOPLE],
            cast=item.values("cast")[:CARD_PEOPLE],
        )


class TextPart(BaseModel):
    """One piece of a reply's text, and whether the chat model or a template wrote it."""

    model_config = ConfigDict(frozen=True)

    role: TextRole
    text: str
    source: JustificationSource
    llm_attempts: int = Field(default=0, description="Drafts asked of the chat model for this piece (0: none).")


class Recommendation(BaseModel):
    """One suggested catalogue item with the evidence it was chosen on."""

    model_config = ConfigDict(frozen=True)

    item: ItemCard
    score: float
    evidence: Evidence
    justification: str
    justification_source: JustificationSource = "template"
    llm_attempts: int = Field(default=0, description="LLM drafts tried before this justification (0: none asked for).")


class Reply(BaseModel):
    """The assistant's answer to one user turn."""

    model_config = ConfigDict(frozen=True)

    session_id: str
    text: str
    intent: Intent = Field(
        description="recommend, more (others than those shown), why (a suggestion's evidence), about (a film's "
        "catalogue facts), chat (small talk or off-topic), thanks (thanks or goodbye)."
    )
    recommendations: tuple[Recommendation, ...] = ()
    item_id: str | None = Field(default=None, description="The film a why- or about-answer is about.")
    parts: tuple[TextPart, ...] = Field(default=(), description="The text piece by piece, with who wrote each.")
    notes: tuple[str, ...] = Field(default=(), description="Degraded sources, relaxed nothing, and similar remarks.")
    understood: dict[str, list[str]] = Field(
        default_factory=dict, description="What this turn added to the profile, by display name."
    )


class WhyAnswer(BaseModel):
    """The stored reasons for one suggestion, or a plain statement that there are none."""

    model_config = ConfigDict(frozen=True)

    session_id: str
    item_id: str
    suggested: bool
    text: str
    recommendation: Recommendation | None = None


class ProfileEntry(BaseModel):
    """One removable line of the profile, labelled for people."""

    model_config = ConfigDict(frozen=True)

    section: str = Field(
        description="liked, disliked, seen, liked_attributes, disliked_attributes, include, exclude, year_min, year_max, unlinked_mentions, moods, hidden_gems"
    )
    value: str
    field: str | None = None
    label: str
