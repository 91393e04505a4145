"""Stage 6, explain: evidence, the template justification, the checked LLM wording and the "why?" text.

Everything a person is told about why an item was suggested comes from here:
the template from the evidence while ranking, the chat model's wording of
the same facts (kept only when the faithfulness checker passes it) while the
reply streams, and the answer to "why X?" from the evidence stored with the
suggestion.
"""

from __future__ import annotations

from collections.abc import Sequence

from assistant.explain.about import about_text, which_film_text
from assistant.explain.evidence import EvidenceBuilder
from assistant.explain.faithfulness import FaithfulnessChecker, Verdict
from assistant.explain.picture import discovery_caption, draw_paths_png, people_links
from assistant.explain.templates import evidence_facts, template_justification
from assistant.explain.why import not_suggested_text, why_text
from assistant.explain.writer import JustificationWriter
from assistant.types import ItemCard, Recommendation, WhyAnswer
from assistant.understanding.acts import AboutTopic
from kg.catalogue import Catalogue
from retrieval.ranking import RankedCandidate
from retrieval.request import RetrievalRequest


class ExplainStage:
    def __init__(
        self,
        catalogue: Catalogue,
        evidence: EvidenceBuilder,
        checker: FaithfulnessChecker,
        justifier: JustificationWriter | None,
    ) -> None:
        """``justifier`` None: justifications stay the template's (no LLM wording)."""
        self.catalogue = catalogue
        self.evidence = evidence
        self.checker = checker
        self.justifier = justifier

    def run(self, ranked: Sequence[RankedCandidate], request: RetrievalRequest) -> list[Recommendation]:
        """Each ranked item with its evidence and the template justification."""
        return [self._draft(entry, request) for entry in ranked]

    def _draft(self, ranked: RankedCandidate, request: RetrievalRequest) -> Recommendation:
        item = self.catalogue.items[ranked.candidate.item_id]
        evidence = self.evidence.build(ranked, request)
        return Recommendation(
            item=ItemCard.from_item(item),
            score=ranked.score,
            evidence=evidence,
            justification=template_justification(evidence, self.catalogue.schema, item.display_title),
            justification_source="template",
        )

    def worded(self, draft: Recommendation) -> Recommendation:
        """The chat model's wording of the justification when it is faithful, else the draft unchanged."""
        return self.justifier.rewrite(draft) if self.justifier is not None else draft

    def check(self, recommendation: Recommendation) -> Verdict:
        """Whether the justification states only what the recommendation's evidence holds."""
        facts = evidence_facts(recommendation.evidence, self.catalogue.schema, recommendation.item)
        return self.checker.check(recommendation.justification, recommendation.evidence, recommendation.item, facts)

    def why(self, session_id: str, item_id: str, stored: Recommendation | None) -> WhyAnswer:
        """The stored evidence of a suggestion in words; a plain statement when there is none."""
        item = self.catalogue.get(item_id)
        if item is None or stored is None:
            text = not_suggested_text(item_id, item)
            return WhyAnswer(session_id=session_id, item_id=item_id, suggested=False, text=text)
        text = why_text(item, stored, self.catalogue.schema)
        return WhyAnswer(session_id=session_id, item_id=item_id, suggested=True, text=text, recommendation=stored)

    def about(self, item_id: str | None, topic: AboutTopic) -> str:
        """The catalogue's facts that answer a question about a film; which film, when none was named."""
        item = self.catalogue.get(item_id) if item_id is not None else None
        return about_text(item, topic) if item is not None else which_film_text()

    def picture(self, stored: Recommendation) -> bytes | None:
        """PNG of the stored graph paths and people counts of a suggestion; None when it has neither."""
        links = people_links(stored.evidence)
        caption = discovery_caption(stored.evidence)
        return draw_paths_png(stored.evidence.paths, self.catalogue.schema, stored.item.title, links, caption)
