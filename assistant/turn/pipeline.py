"""One turn as seven named stages: understand, remember, retrieve, filter, rank, explain, reply; then one commit.

:meth:`TurnPipeline.stream` runs them in that order for a session's message
and yields the reply text as it is written, then the filled
:class:`~assistant.turn.trace.TurnTrace`; the message is stored, whole, only
after the last piece (see :mod:`assistant.turn.remember`).
:meth:`TurnPipeline.recommend` runs retrieve to explain for a profile alone,
with no storage and no LLM, which is what benchmarks score.
"""

from __future__ import annotations

import contextvars
import logging
from collections.abc import Iterator

from assistant.explain.about import which_film_text
from assistant.explain.profile_text import describe_delta
from assistant.llm.gate import TURN_DEADLINE, TurnDeadline
from assistant.sessions.exchange import Exchange
from assistant.sessions.profile import UserProfile
from assistant.turn.crash import StageCrash
from assistant.turn.explain import ExplainStage
from assistant.turn.filter import FilterStage
from assistant.turn.rank import RankStage
from assistant.turn.remember import RememberStage
from assistant.turn.reply import ReplyStage
from assistant.turn.retrieve import RetrieveStage
from assistant.turn.trace import TurnTrace
from assistant.turn.understand import UnderstandStage
from assistant.types import Recommendation, Reply, TextPart
from kg.catalogue import Catalogue
from retrieval.request import RetrievalRequest

MODEL_BUSY_NOTE = "The language model was busy, so I answered without waiting for its words."

LOGGER = logging.getLogger(__name__)


class TurnPipeline:
    def __init__(
        self,
        catalogue: Catalogue,
        understand: UnderstandStage,
        remember: RememberStage,
        retrieve: RetrieveStage,
        filter: FilterStage,
        rank: RankStage,
        explain: ExplainStage,
        reply: ReplyStage,
        crash: StageCrash | None = None,
        model_deadline_s: float = 20.0,
    ) -> None:
        self.catalogue = catalogue
        self.understand = understand
        self.remember = remember
        self.retrieve = retrieve
        self.filter = filter
        self.rank = rank
        self.explain = explain
        self.reply = reply
        self.crash = crash or StageCrash()
        self.model_deadline_s = model_deadline_s

    def stream(self, session_id: str, message: str) -> Iterator[TextPart | TurnTrace]:
        """Each piece of the reply text as it is written, then the turn's trace (its ``reply`` set).

        Every step runs in one context that carries the turn's deadline for the
        chat model (:attr:`Settings.model_deadline_s`), whichever thread asks
        for the next piece (a web server's worker threads take turns).
        """
        deadline = TurnDeadline.after(self.model_deadline_s)
        context = contextvars.copy_context()
        context.run(TURN_DEADLINE.set, deadline)
        steps = self._steps(session_id, message, deadline)
        while True:
            try:
                event = context.run(next, steps)
            except StopIteration:
                return
            yield event

    def _steps(self, session_id: str, message: str, deadline: TurnDeadline) -> Iterator[TextPart | TurnTrace]:
        trace = TurnTrace(message=message, session_id=session_id)
        self.crash.reached("understand")
        understanding = self.understand.run(message, self.remember.last_suggestions(session_id))
        trace.understanding = understanding
        self.crash.reached("remember")
        trace.profile = profile = self.remember.run(session_id, understanding.delta)
        final: list[Recommendation] = []
        pieces = self._pieces(trace, profile, final)
        self.crash.reached("reply")
        for piece in pieces:
            trace.texts.append(piece)
            yield piece
        if deadline.busy is not None:
            trace.notes = (*trace.notes, MODEL_BUSY_NOTE)
            piece = TextPart(role="note", text=f"\n\n_{MODEL_BUSY_NOTE}_", source="template")
            trace.texts.append(piece)
            yield piece
        trace.recommendations = tuple(final)
        text = "".join(piece.text for piece in trace.texts)
        exchange = Exchange(message=message, reply=text, profile=profile, recommendations=trace.recommendations)
        trace.turn = self.remember.commit(session_id, exchange, understanding.delta, self.crash)
        trace.reply = Reply(
            session_id=session_id,
            text=text,
            intent=understanding.intent,
            recommendations=trace.recommendations,
            notes=trace.notes,
            item_id=understanding.act.item_id if understanding.intent in ("why", "about") else None,
            understood=describe_delta(understanding.delta, self.catalogue),
            parts=tuple(trace.texts),
        )
        yield trace

    def _pieces(self, trace: TurnTrace, profile: UserProfile, final: list[Recommendation]) -> Iterator[TextPart]:
        """The reply the message's act calls for; only a recommendation request runs retrieval."""
        assert trace.understanding is not None and trace.session_id is not None
        act, message, session_id = trace.understanding.act, trace.message, trace.session_id
        if act.act == "why":
            item_id = act.item_id or ""
            answer = self.explain.why(session_id, item_id, self.remember.stored(session_id, item_id))
            return self.reply.answer("why", answer.text if act.item_id else which_film_text())
        if act.act == "about":
            return self.reply.answer("about", self.explain.about(act.item_id, act.topic or "plot"))
        if act.act == "thanks":
            return self.reply.thanks()
        if act.act == "chat":
            return self.reply.small_talk(message, profile)
        shown = self.remember.suggested_ids(session_id) if act.act == "more" else ()
        self._rank_into(trace, self.retrieve.request(profile, message, shown), None)
        return self.reply.recommendations(message, profile, trace.recommendations, trace.notes, final)

    def recommend(self, profile: UserProfile, message: str, n: int | None = None) -> TurnTrace:
        """Retrieve, filter, rank and explain (templates only) for a profile, without any storage."""
        return self.recommend_request(self.retrieve.request(profile, message), n, profile)

    def recommend_request(
        self, request: RetrievalRequest, n: int | None = None, profile: UserProfile | None = None
    ) -> TurnTrace:
        """:meth:`recommend` for a request already built, so a caller that replays it embeds the message once."""
        trace = TurnTrace(message=request.query_text, profile=profile)
        self._rank_into(trace, request, n)
        return trace

    def _rank_into(self, trace: TurnTrace, request: RetrievalRequest, n: int | None) -> None:
        trace.request = request
        self.crash.reached("retrieve")
        retrieved = self.retrieve.run(request)
        trace.pool, trace.notes = tuple(retrieved.pool), retrieved.notes
        for failure in retrieved.failures:
            LOGGER.warning("session %s, stage retrieve: %s", trace.session_id, failure)
        self.crash.reached("filter")
        filtered = self.filter.run(retrieved.pool, request)
        trace.allowed, trace.dropped = tuple(filtered.allowed), filtered.dropped
        self.crash.reached("rank")
        trace.ranked = tuple(self.rank.run(filtered.allowed, request, n, explore=trace.session_id is not None))
        self.crash.reached("explain")
        trace.recommendations = tuple(self.explain.run(trace.ranked, request))
