"""The public entry point: ``Assistant.chat``, ``why``, ``feedback`` and the profile.

A thin facade: it validates input (:mod:`assistant.validation`, the checks
every door shares), takes the session's lock and hands the work to the turn
pipeline (:mod:`assistant.turn`), whose seven stages are listed in the
README's "What happens in one turn".  A message is stored as one unit once
its reply is written, so a failure leaves the session as it was; a chat model
that fails is replaced by the checked templates, so its preferences are kept.
A graph or vector store that is down degrades the answer with a note instead
of failing it (but when the sessions themselves are kept on the graph server,
``profile_store="graph"``, the turn fails with
:class:`~assistant.errors.ProfileStoreUnavailable`: a preference must not be
lost).
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import cached_property
from typing import Any

from langchain_core.language_models.chat_models import BaseChatModel

from assistant.errors import InvalidInput
from assistant.explain.profile_text import profile_entries
from assistant.explain.welcome import HISTORY_SHOWN, Welcome, greeting
from assistant.learning.learn import learn
from assistant.learning.reactions import ReactionRecorder
from assistant.llm.gate import GateLoad
from assistant.sessions.impression_stores import impression_log_for
from assistant.sessions.impressions import ImpressionLog, exported
from assistant.sessions.locks import SessionLocks
from assistant.sessions.notice import storage_note
from assistant.sessions.profile import PreferenceDelta, UserProfile
from assistant.sessions.secret import session_key
from assistant.sessions.store import SessionStore
from assistant.sessions.visitors import Visit, Visitors
from assistant.settings import Settings
from assistant.turn.pipeline import TurnPipeline
from assistant.turn.trace import TurnTrace
from assistant.types import ProfileEntry, Reply, WhyAnswer
from assistant.understanding.reactions import implied_reactions
from assistant.validation import FeedbackKind, checked_feedback, checked_item, checked_message, checked_session
from assistant.wiring import Parts, build_pipeline
from kg.catalogue import Catalogue
from kg.store import GraphStore
from retrieval.vector_store import VectorIndex

FEEDBACK_FIELDS = {"liked": "liked_items", "disliked": "disliked_items", "seen": "seen_items"}


class Assistant:
    """A conversational recommender over one catalogue."""

    def __init__(
        self,
        settings: Settings,
        catalogue: Catalogue,
        chat_model: BaseChatModel,
        graph: GraphStore | None,
        vector_index: VectorIndex | None,
        sessions: SessionStore,
    ) -> None:
        """Run on parts opened elsewhere; ``graph`` or ``vector_index`` None answers without that source."""
        self.parts = Parts(settings, catalogue, chat_model, graph, vector_index, sessions)
        self.pipeline: TurnPipeline = build_pipeline(self.parts)
        self._locks = SessionLocks()
        self.impressions: ImpressionLog = impression_log_for(sessions)
        self.reactions = ReactionRecorder(self.impressions, self.pipeline.rank.policy, settings.learn_every, self.learn)

    @classmethod
    def from_settings(
        cls, settings: Settings | None = None, chat_model: BaseChatModel | None = None, progress: bool = False
    ) -> Assistant:
        """Open every store named by ``settings`` (building missing indexes first); ``chat_model``: any LangChain one."""
        parts = Parts.open(settings or Settings(), chat_model, progress)
        return cls(parts.settings, parts.catalogue, parts.chat_model, parts.graph, parts.vector_index, parts.sessions)

    @property
    def settings(self) -> Settings:
        return self.parts.settings

    @property
    def catalogue(self) -> Catalogue:
        return self.parts.catalogue

    def close(self) -> None:
        self.parts.close()

    def model_load(self) -> GateLoad:
        """How busy the chat model is now: what a UI tells a person who would wait for its words."""
        return self.parts.gate.load()

    # Turns ---------------------------------------------------------------

    def chat(self, session_id: str, text: str) -> Reply:
        """Answer one user message; the reply's text is the streamed text joined."""
        reply = self.turn(session_id, text).reply
        assert reply is not None
        return reply

    def turn(self, session_id: str, text: str) -> TurnTrace:
        """Answer one user message and return every stage's output, the reply included."""
        session_id, message = self._checked_turn(session_id, text)
        with self._locks.of(session_id):
            last = self.parts.sessions.last_suggestions(session_id)
            for event in self.pipeline.stream(session_id, message):
                if isinstance(event, TurnTrace):
                    self._log_turn(event, last)
                    return event
        raise AssertionError("the pipeline ended without a trace")

    def stream(self, session_id: str, text: str) -> Iterator[str | Reply]:
        """Yield pieces of the reply text as they are written, then the full :class:`Reply`."""
        session_id, message = self._checked_turn(session_id, text)
        with self._locks.of(session_id):
            last = self.parts.sessions.last_suggestions(session_id)
            for event in self.pipeline.stream(session_id, message):
                if isinstance(event, TurnTrace):
                    assert event.reply is not None
                    self._log_turn(event, last)
                    yield event.reply
                else:
                    yield event.text

    def recommend(self, profile: UserProfile, message: str, n: int | None = None) -> TurnTrace:
        """Retrieve, filter, rank and explain for a profile, without the LLM or any storage (what benchmarks score)."""
        return self.pipeline.recommend(profile, message, n)

    # Why, feedback, profile ------------------------------------------------

    def why(self, session_id: str, item_id: str) -> WhyAnswer:
        """The stored evidence of a suggestion made in this session; never a new story."""
        session_id, item_id = checked_session(session_id), checked_item(item_id, self.catalogue.items)
        answer = self.pipeline.explain.why(session_id, item_id, self.parts.sessions.recommendation(session_id, item_id))
        if answer.suggested:
            self.reactions.react_quietly(session_id, item_id, "why")
        return answer

    def why_picture(self, session_id: str, item_id: str) -> bytes | None:
        """PNG of the stored graph paths of a suggestion; None when it has none (or was not suggested)."""
        session_id, item_id = checked_session(session_id), checked_item(item_id, self.catalogue.items)
        stored = self.parts.sessions.recommendation(session_id, item_id)
        return self.pipeline.explain.picture(stored) if stored is not None else None

    def feedback(self, session_id: str, item_id: str, kind: FeedbackKind, event_id: str = "") -> UserProfile:
        """Record a thumbs up, thumbs down or "seen it" on an item, in the profile and, when the item was shown,
        in the impression log against its latest list (``event_id``: the caller's id of the click; by default
        one per list, item and kind, so a replay raises :class:`~assistant.sessions.impressions.ImpressionRefused`
        and is not counted twice)."""
        session_id, item_id = checked_session(session_id), checked_item(item_id, self.catalogue.items)
        field = FEEDBACK_FIELDS[checked_feedback(kind)]
        with self._locks.of(session_id):
            self.reactions.react(session_id, item_id, kind, event_id)
            return self.pipeline.remember.apply(session_id, PreferenceDelta.model_validate({field: (item_id,)}))

    def profile(self, session_id: str) -> UserProfile:
        return self.parts.sessions.load_profile(checked_session(session_id))

    def feedback_log(self, session_id: str) -> dict[str, Any]:
        """The lists shown to the session and its reactions, as ``concierge profile show`` exports them."""
        return exported(*self.impressions.session_log(checked_session(session_id)))

    def learn(self, progress: bool = False) -> dict[str, Any]:
        """Refit the learning policy from the log and promote it when off-policy evaluation says it is not worse."""
        settings = self.settings
        return learn(self.impressions, settings.policy_path, settings.feedback_interactions_path, progress=progress)

    def profile_entries(self, session_id: str) -> list[ProfileEntry]:
        """The profile as labelled entries, each removable with :meth:`update_profile`."""
        return profile_entries(self.profile(session_id), self.catalogue)

    def update_profile(self, session_id: str, section: str, value: str, field: str | None = None) -> UserProfile:
        """Remove one entry from the profile (the user changed their mind)."""
        session_id = checked_session(session_id)
        with self._locks.of(session_id):
            try:
                profile = self.parts.sessions.load_profile(session_id).remove(section, value, field)
            except ValueError as exc:
                raise InvalidInput(str(exc)) from exc
            self.parts.sessions.save_profile(session_id, profile)
        return profile

    def forget(self, session_id: str) -> None:
        """Delete everything stored about a session (privacy), its mirrored edges in the graph first.

        A graph that is down raises, and the session is kept: a forget request
        that left the user's likes in the graph would be a silent failure.
        """
        session_id = checked_session(session_id)
        with self._locks.of(session_id):
            self.pipeline.remember.mirror.forget(session_id)
            self.impressions.delete_session(session_id)
            self.parts.sessions.delete_session(session_id)

    # Visitors: who comes back to which conversation -------------------------

    @cached_property
    def visitors(self) -> Visitors:
        """Made on first use, so that an assistant used without the UI writes no key into its data directory."""
        return Visitors(self.parts.sessions, session_key(self.settings))

    @property
    def browser_storage_secret(self) -> str:
        """What the UI encrypts its browser storage with; stable across restarts, derived from the signing key."""
        return self.visitors.browser_storage_secret

    def visit(self, username: str | None, token: object) -> Visit:
        """The conversation a person returns to: a logged-in user's by login, else a browser's by its signed token.

        A token the server did not sign (forged, altered, from another
        deployment) starts a new browser and conversation; it never reaches
        stored data.
        """
        return self.visitors.arrive(username, token)

    def new_session(self, visit: Visit) -> Visit:
        """A fresh conversation whose profile starts empty; the earlier ones stay the owner's until forgotten."""
        return self.visitors.start(visit)

    def welcome(self, session_id: str) -> Welcome:
        """What a returning person sees: a greeting built from the stored profile, the chat so far, the last list."""
        session_id = checked_session(session_id)
        sessions = self.parts.sessions
        history = sessions.history(session_id, HISTORY_SHOWN)
        stored = (sessions.recommendation(session_id, item_id) for item_id in sessions.last_suggestions(session_id))
        return Welcome(
            greeting=greeting(sessions.load_profile(session_id), self.catalogue, bool(history)),
            history=tuple(history),
            recommendations=tuple(rec for rec in stored if rec is not None),
        )

    def forget_visitor(self, visit: Visit) -> Visit:
        """Delete every conversation the person had (profile, dialogue, suggestions, graph edges), then start afresh.

        The list of their conversations goes last, so a graph that is down
        midway leaves it naming what is still to delete.  A browser gets a
        new id, so its old token names nothing any more.
        """
        for session_id in self.visitors.sessions_of(visit):
            self.forget(session_id)
        self.visitors.forget_owner(visit)
        return self.visitors.arrive(None, None) if not visit.logged_in else self.visitors.start(visit)

    def storage_note(self, visit: Visit) -> str:
        """One line on what is stored about a person, where, and how to delete it."""
        return storage_note(self.settings, visit.logged_in, mirrored=self.parts.graph is not None)

    def _log_turn(self, trace: TurnTrace, last_suggestions: list[str]) -> None:
        """The reactions the message implied to the last list, then the list this turn showed."""
        assert trace.session_id is not None
        if trace.understanding is not None:
            for item_id, kind in implied_reactions(trace.understanding.delta, last_suggestions):
                self.reactions.react_quietly(trace.session_id, item_id, kind)
        if trace.recommendations:
            self.reactions.record_list(trace.session_id, trace.ranked)

    def _checked_turn(self, session_id: str, text: str) -> tuple[str, str]:
        return checked_session(session_id), checked_message(text, self.settings.max_message_chars)
