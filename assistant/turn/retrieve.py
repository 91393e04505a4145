"""Stage 3, retrieve: the profile and message become a request, and every source proposes candidates."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from assistant.sessions.profile import UserProfile
from retrieval.candidates import Candidate, CandidateGenerator
from retrieval.embeddings import Embedder
from retrieval.request import RetrievalRequest


@dataclass(frozen=True)
class Retrieved:
    pool: list[Candidate]
    notes: tuple[str, ...]
    failures: tuple[str, ...] = ()
    """Why a source was down, one entry each, for the operator's log (the notes are the person's)."""


class RetrieveStage:
    def __init__(self, embedder: Embedder, generator: CandidateGenerator) -> None:
        self.embedder = embedder
        self.generator = generator

    def request(self, profile: UserProfile, message: str, shown: Sequence[str] = ()) -> RetrievalRequest:
        """What the candidate sources are asked: the profile, the constraints and the message's embedding.

        ``shown``: items suggested before that the person asked to see others than.
        """
        return RetrievalRequest(
            query_text=message,
            query_vector=self.embedder.encode_query(message),
            liked_ids=tuple(profile.liked),
            disliked_ids=tuple(profile.disliked),
            seen_ids=tuple(profile.seen),
            liked_attributes={key: tuple(values) for key, values in profile.liked_attributes.items()},
            disliked_attributes={key: tuple(values) for key, values in profile.disliked_attributes.items()},
            constraints=profile.constraints,
            shown_ids=tuple(shown),
            moods=tuple(profile.moods),
            hidden_gems=profile.hidden_gems,
        )

    def run(self, request: RetrievalRequest) -> Retrieved:
        found = self.generator.generate(request)
        return Retrieved(pool=found.candidates, notes=tuple(dict.fromkeys(found.notes)), failures=tuple(found.failures))
