"""Evidence: the facts a recommendation was chosen on, kept for "why?".

Everything here is data that came from the catalogue, the graph, the
interaction log or counted conversations; explanations may only restate it.
Models are pydantic so the evidence is stored with the session and returned as
JSON unchanged.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from kg.schema import CatalogueSchema


class PathNodeEvidence(BaseModel):
    model_config = ConfigDict(frozen=True)

    kind: str = Field(description="'item' or an attribute label such as 'Person'.")
    key: str = Field(description="Item id, or the attribute's name.")
    name: str = Field(description="What to show: a display title or the attribute's name.")


class PathEvidence(BaseModel):
    """A chain liked item -[relation]- attribute -[relation]- recommended item."""

    model_config = ConfigDict(frozen=True)

    nodes: tuple[PathNodeEvidence, ...]
    relations: tuple[str, ...]

    def describe(self, schema: CatalogueSchema) -> str:
        """'Blade Runner (1982) -directed by-> Ridley Scott <-directed by- Alien (1979)'."""
        text = self.nodes[0].name
        for index, relation_type in enumerate(self.relations):
            phrase = _phrase(schema, relation_type)
            arrow = f" -{phrase}-> " if index % 2 == 0 else f" <-{phrase}- "
            text += arrow + self.nodes[index + 1].name
        return text

    @property
    def attribute_nodes(self) -> tuple[PathNodeEvidence, ...]:
        return tuple(node for node in self.nodes if node.kind != "item")


def _phrase(schema: CatalogueSchema, relation_type: str) -> str:
    try:
        return schema.relation_by_type(relation_type).phrase
    except KeyError:
        return relation_type.lower().replace("_", " ")


class CollaborativeEvidence(BaseModel):
    """People who liked ``source`` also liked the item."""

    model_config = ConfigDict(frozen=True)

    source_item_id: str
    source_title: str
    co_likers: int
    mean_rating: float | None


class ConversationEvidence(BaseModel):
    """In real conversations the item was recommended to ``people`` who had said they liked ``source``."""

    model_config = ConfigDict(frozen=True)

    source_item_id: str
    source_title: str
    people: int


class DiscoveryEvidence(BaseModel):
    """Exposure-aware re-ranking brought the item in: the score alone ranked it ``score_position``, and fewer
    people liked it (``likes``) than the median (``typical_likes``) of the films the score alone would have listed."""

    model_config = ConfigDict(frozen=True)

    score_position: int
    likes: int
    typical_likes: int
    diversity: float


class LearningEvidence(BaseModel):
    """How the learning policy placed the item: its share of the score and whether it explored."""

    model_config = ConfigDict(frozen=True)

    policy_share: float = Field(description="What the policy added to (or took from) the static score.")
    explored: bool = Field(description="Placed by an exploration draw, to learn what the person thinks of it.")
    propensity: float = Field(description="The probability the policy put it at its position.")


class AttributeMatch(BaseModel):
    """An attribute the user asked for or liked that the item has."""

    model_config = ConfigDict(frozen=True)

    field: str
    value: str


class Evidence(BaseModel):
    """All the facts behind one recommendation."""

    model_config = ConfigDict(frozen=True)

    sources: tuple[str, ...] = ()
    paths: tuple[PathEvidence, ...] = ()
    collaborative: CollaborativeEvidence | None = None
    conversations: ConversationEvidence | None = Field(
        default=None, description="Co-mentions in recommendation dialogues; absent from evidence stored before them."
    )
    discovery: DiscoveryEvidence | None = Field(
        default=None, description="Set when re-ranking for less-shown films brought the item into the list."
    )
    attribute_matches: tuple[AttributeMatch, ...] = ()
    vector_similarity: float | None = None
    constraints_met: tuple[str, ...] = ()
    contributions: dict[str, float] = Field(default_factory=dict)
    learning: LearningEvidence | None = Field(default=None, description="Set when the learning policy ranked.")
