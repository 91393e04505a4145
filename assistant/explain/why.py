"""The answer to "why X?": the stored evidence of a suggestion in words, never a new story."""

from __future__ import annotations

from assistant.explain.templates import count_facts, discovery_fact
from assistant.types import Recommendation
from kg.catalogue import Item
from kg.schema import CatalogueSchema
from retrieval.evidence import LearningEvidence
from retrieval.features import describe_contributions


def why_text(item: Item, recommendation: Recommendation, schema: CatalogueSchema) -> str:
    """The justification, each graph path and people count, whether re-ranking brought it in, the limits it meets
    and what raised its score most.

    The counts are listed even when the justification, kept to two facts, left them out.
    """
    lines = [f"I suggested {item.display_title} because: {recommendation.justification}"]
    lines += [f"- {path.describe(schema)}" for path in recommendation.evidence.paths]
    lines += [f"- {fact}" for fact in count_facts(recommendation.evidence)]
    if (discovery := recommendation.evidence.discovery) is not None:
        lines.append(
            f"- It is {discovery_fact(discovery)}; by score alone it ranked {discovery.score_position}, and the "
            f"variety setting was {discovery.diversity:g}."
        )
    if recommendation.evidence.constraints_met:
        lines.append(f"- It meets your limits: {'; '.join(recommendation.evidence.constraints_met)}.")
    if (learning := recommendation.evidence.learning) is not None:
        lines += learning_lines(learning, recommendation.score)
    raised = describe_contributions(recommendation.evidence.contributions)
    lines.append(f"- It ranked with a score of {recommendation.score:.2f}; what counted most: {raised}.")
    return "\n".join(lines)


def learning_lines(learning: LearningEvidence, score: float) -> list[str]:
    """The learning policy's part: its share of the score, and whether the item was shown to learn."""
    lines = []
    if learning.policy_share:
        static = score - learning.policy_share
        share = abs(learning.policy_share) / (abs(static) + abs(learning.policy_share))
        direction = "raised" if learning.policy_share > 0 else "lowered"
        lines.append(
            f"- What people's reactions to earlier suggestions taught the ranking {direction} its score by "
            f"{abs(learning.policy_share):.2f} (about {share:.0%} of it)."
        )
    if learning.explored:
        lines.append(
            f"- It was shown partly to learn what you think of it: the ranking would have put another film here "
            f"(a chance of {learning.propensity:.0%} for this place)."
        )
    return lines


def not_suggested_text(item_id: str, item: Item | None) -> str:
    """Why there is no answer: an unknown id, or an item never suggested in this conversation."""
    if item is None:
        return f"There is no item with id {item_id!r} in the catalogue."
    return f"I have not suggested {item.display_title} in this conversation, so I have no reasons on record for it."
