"""A conversation turn replayed through the assistant: the profile its context implies, and the ranked list.

Each seeker utterance of the context goes through the understand stage (with
the items the recommender named just before as what "that one" points at),
so the profile is the one the assistant would have built had it been the
recommender.  Everything the seeker said is the query.  Items mentioned
anywhere in the dialogue are never counted as hits, as the published
conversational-recommendation figures count them.
"""

from __future__ import annotations

from assistant.learning.turns import ConversationTurn
from assistant.sessions.profile import UserProfile
from assistant.turn.pipeline import TurnPipeline
from assistant.understanding.linking import normalise
from kg.catalogue import Catalogue
from retrieval.candidates import Candidate
from retrieval.request import RetrievalRequest


def title_index(catalogue: Catalogue) -> dict[str, str]:
    """Normalised 'Title (Year)' and bare title -> item id, the bare form only when it is unambiguous."""
    index: dict[str, str] = {}
    bare: dict[str, set[str]] = {}
    for item in catalogue.items.values():
        index.setdefault(normalise(item.display_title), item.id)
        bare.setdefault(normalise(item.title), set()).add(item.id)
    for title, ids in bare.items():
        if len(ids) == 1:
            index.setdefault(title, next(iter(ids)))
    return index


class TurnReplayer:
    """Builds the request a turn's context implies (once per turn) and asks the pipeline for a ranked list."""

    def __init__(self, pipeline: TurnPipeline, depth: int) -> None:
        self.pipeline = pipeline
        self.depth = depth
        self.titles = title_index(pipeline.catalogue)
        self._prepared: dict[ConversationTurn, tuple[RetrievalRequest, set[str]]] = {}

    def replay(self, turn: ConversationTurn) -> tuple[UserProfile, str, set[str]]:
        """The profile the seeker's utterances build, everything the seeker said, and every mentioned item id."""
        understand = self.pipeline.understand
        profile = UserProfile()
        mentioned = {self.titles[key] for key in map(normalise, turn.entities) if key in self.titles}
        last_named: list[str] = []
        seeker_text = ""
        for position, utterance in enumerate(turn.context):
            if not utterance.strip():
                continue
            if turn.by_seeker(position):
                understanding = understand.run(utterance, last_named)
                profile = profile.apply(understanding.delta)
                seeker_text = f"{seeker_text} {utterance}".strip()
                named = [m.item_id for m in understanding.mentions if m.item_id is not None]
            else:
                mentions = understand.interpreter.linker.link(utterance)[0]
                named = [m.item_id for m in mentions if m.item_id is not None]
                last_named = named
            mentioned.update(named)
        return profile, seeker_text or " ", mentioned

    def prepared(self, turn: ConversationTurn) -> tuple[RetrievalRequest, set[str]]:
        """The turn's retrieval request and mentioned ids, built once: ranking and fitting both replay every turn."""
        if turn not in self._prepared:
            profile, seeker_text, mentioned = self.replay(turn)
            self._prepared[turn] = self.pipeline.retrieve.request(profile, seeker_text), mentioned
        return self._prepared[turn]

    def allowed(self, turn: ConversationTurn) -> list[Candidate]:
        """The turn's candidate pool after the law: what the ranker orders."""
        request, _ = self.prepared(turn)
        return self.pipeline.filter.run(self.pipeline.retrieve.run(request).pool, request).allowed

    def ranked(self, turn: ConversationTurn, allowed: list[Candidate] | None = None) -> tuple[list[str], set[str]]:
        """The top ``depth`` item ids with every mentioned item removed, and the mentioned ids.

        Ranked by the pipeline's rank stage alone: explaining fifty items per
        turn would cost more than finding them and changes no position.
        """
        request, mentioned = self.prepared(turn)
        pool = self.allowed(turn) if allowed is None else allowed
        ranked = self.pipeline.rank.run(pool, request, self.depth + len(mentioned))
        kept = [entry.candidate.item_id for entry in ranked if entry.candidate.item_id not in mentioned]
        return kept[: self.depth], mentioned

    def targets(self, turn: ConversationTurn) -> list[str]:
        """The turn's recommended items as ids; one the catalogue lacks becomes an id nothing matches."""
        return [self.titles.get(normalise(title), "") for title in turn.rec]
