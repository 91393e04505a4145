"""A turn's stages as data: what each stage produced, for benchmarks, the UI and tests to read.

The pipeline fills one :class:`TurnTrace` stage by stage, in the order the
README's "What happens in one turn" lists them, so nobody needs to reach into
private attributes to see what the delta, the pool, the ranking or the texts
of a turn were.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from assistant.sessions.profile import UserProfile
from assistant.types import Recommendation, Reply, TextPart
from assistant.understanding.interpreter import Understanding
from retrieval.candidates import Candidate
from retrieval.ranking import RankedCandidate
from retrieval.request import RetrievalRequest


@dataclass
class TurnTrace:
    """Every stage's output for one message (or, without a session, for one ranking of a profile)."""

    message: str
    session_id: str | None = None
    understanding: Understanding | None = None
    """understand: the intent and the preference delta, every name grounded."""
    profile: UserProfile | None = None
    """remember: the profile after the delta (saved with the rest of the message at the commit)."""
    turn: int | None = None
    """commit: the stored position of the user's message."""
    request: RetrievalRequest | None = None
    """retrieve: what the candidate sources were asked."""
    pool: tuple[Candidate, ...] = ()
    """retrieve: the fused candidates with every feature (the scorer's added when it ranks)."""
    notes: tuple[str, ...] = ()
    """retrieve: sources that were down."""
    allowed: tuple[Candidate, ...] = ()
    """filter: the candidates the law allows."""
    dropped: int = 0
    """filter: how many candidates the law removed."""
    ranked: tuple[RankedCandidate, ...] = ()
    """rank: the top candidates with their per-feature contributions."""
    recommendations: tuple[Recommendation, ...] = ()
    """explain: each ranked item with its evidence and justification (the final wording after reply)."""
    texts: list[TextPart] = field(default_factory=list)
    """reply: the text as written, piece by piece, with who wrote each piece."""
    reply: Reply | None = None
    """reply: what the caller receives."""

    @property
    def intent(self) -> str:
        return self.understanding.intent if self.understanding is not None else "recommend"
