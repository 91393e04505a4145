"""Stage 7, reply: the chat model's introduction around a list that code renders, streamed piece by piece.

The model never decides which items appear: the list is rendered from the
explained recommendations, each justification worded (and checked) by the
explain stage as its line is reached, so the first words reach the person
before the last justification is written.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from assistant.explain.profile_text import describe_constraints
from assistant.explain.reply_text import ReplyWriter, list_line
from assistant.sessions.profile import UserProfile
from assistant.turn.explain import ExplainStage
from assistant.types import Recommendation, TextPart
from kg.catalogue import Catalogue
from prompts import load_prompt


class ReplyStage:
    def __init__(self, writer: ReplyWriter, explain: ExplainStage, catalogue: Catalogue) -> None:
        self.writer = writer
        self.explain = explain
        self.catalogue = catalogue

    def small_talk(self, message: str) -> Iterator[TextPart]:
        yield from self.writer.small_talk(message)

    def recommendations(
        self,
        message: str,
        profile: UserProfile,
        drafts: Sequence[Recommendation],
        notes: Sequence[str],
        final: list[Recommendation],
    ) -> Iterator[TextPart]:
        """The introduction, then each list line as its justification is worded into ``final``, then the notes."""
        limits = describe_constraints(profile.constraints)
        if not drafts:
            text = load_prompt("no_results").format(constraints=limits or "none")
            yield TextPart(role="no_results", text=text, source="template")
        else:
            liked_titles = [self.catalogue.items[item_id].display_title for item_id in profile.liked]
            allowed_ids = {rec.item.id for rec in drafts} | set(profile.liked)
            yield from self.writer.introduction(message, liked_titles, limits, allowed_ids, len(drafts))
            for position, draft in enumerate(drafts, start=1):
                recommendation = self.explain.worded(draft)
                final.append(recommendation)
                separator = "\n\n" if position == 1 else "\n"
                line = separator + list_line(position, recommendation)
                yield TextPart(role="list_line", text=line, source=recommendation.justification_source)
        for note in notes:
            yield TextPart(role="note", text=f"\n\n_{note}_", source="template")
