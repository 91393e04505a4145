"""Stage 7, reply: the words the person reads, streamed piece by piece.

For a recommendation the chat model introduces a list that code renders: the
model never decides which items appear, and each justification is worded
(and checked) by the explain stage as its line is reached, so the first
words reach the person before the last justification is written.  Small talk
is the model's, grounded the same way; answers to "why?", questions about a
film and thanks are the explain stage's facts or templates.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from assistant.explain.grounding import ReplyContext
from assistant.explain.profile_text import describe_constraints
from assistant.explain.reply_text import ReplyWriter, list_line
from assistant.sessions.profile import UserProfile
from assistant.turn.explain import ExplainStage
from assistant.types import Recommendation, TextPart, TextRole
from kg.catalogue import Catalogue
from prompts import load_prompt


class ReplyStage:
    def __init__(self, writer: ReplyWriter, explain: ExplainStage, catalogue: Catalogue) -> None:
        self.writer = writer
        self.explain = explain
        self.catalogue = catalogue

    def context(self, message: str, profile: UserProfile, drafts: Sequence[Recommendation] = ()) -> ReplyContext:
        """What the model's words may draw on: the message, the profile and this turn's suggestions."""
        constraints = profile.constraints
        ruled_out = [value for values in constraints.exclude.values() for value in values]
        ruled_out += [value for values in profile.disliked_attributes.values() for value in values]
        kept = [value for values in profile.liked_attributes.values() for value in values]
        kept += [value for values in constraints.include.values() for value in values]
        kept += [str(year) for year in (constraints.year_min, constraints.year_max) if year is not None]
        return ReplyContext(
            message=message,
            liked_titles=tuple(self.catalogue.items[item_id].display_title for item_id in profile.liked),
            profile_values=tuple(kept + ruled_out),
            ruled_out=tuple(ruled_out),
            suggestions=tuple(rec.item for rec in drafts),
        )

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
            yield _template("no_results", load_prompt("no_results").format(constraints=limits or "none"))
        else:
            yield from self.writer.introduction(self.context(message, profile, drafts), limits)
            for position, draft in enumerate(drafts, start=1):
                recommendation = self.explain.worded(draft)
                final.append(recommendation)
                separator = "\n\n" if position == 1 else "\n"
                line = separator + list_line(position, recommendation)
                yield TextPart(role="list_line", text=line, source=recommendation.justification_source)
        for note in notes:
            yield _template("note", f"\n\n_{note}_")

    def small_talk(self, message: str, profile: UserProfile) -> Iterator[TextPart]:
        """A short, grounded answer that steers back to films; no list, no change to the profile."""
        yield from self.writer.small_talk(self.context(message, profile))

    def thanks(self) -> Iterator[TextPart]:
        yield _template("thanks", load_prompt("thanks"))

    def answer(self, role: TextRole, text: str) -> Iterator[TextPart]:
        """An answer the explain stage wrote from stored evidence or catalogue facts."""
        yield _template(role, text)


def _template(role: TextRole, text: str) -> TextPart:
    return TextPart(role=role, text=text, source="template")
