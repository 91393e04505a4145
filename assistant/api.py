"""The public entry point: ``Assistant.chat``, ``why``, ``feedback`` and the profile.

One turn runs understand -> remember -> retrieve -> rank -> justify -> reply
(see DESIGN.md).  The profile is persisted before retrieval starts, so a later
failure loses no preference; a graph or vector store that is down degrades the
answer with a note instead of failing it (but when the sessions themselves are
kept on the graph server, ``profile_store="graph"``, the turn fails with
:class:`~assistant.server_store.ProfileStoreUnavailable`: a preference must not
be lost).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Iterator
from dataclasses import replace
from typing import Literal

from langchain_core.language_models.chat_models import BaseChatModel

from assistant.extraction import PreferenceExtractor, combine
from assistant.faithfulness import FaithfulnessChecker
from assistant.ingest import ingest, read_manifest, vector_location
from assistant.justification_writer import JustificationWriter
from assistant.justify import template_justification
from assistant.linking import EntityLinker
from assistant.path_picture import draw_paths_png
from assistant.profile import PreferenceDelta, UserProfile
from assistant.reply import ReplyWriter, list_line
from assistant.server_store import ProfileStoreUnavailable
from assistant.settings import Settings
from assistant.store import SessionStore, open_session_store
from assistant.types import ItemCard, ProfileEntry, Recommendation, Reply, WhyAnswer
from assistant.understanding import TurnInterpreter
from kg.catalogue import Catalogue, load_catalogue
from kg.constraints import Constraints
from kg.store import GraphPath, GraphStore, GraphUnavailable
from prompts import load_prompt
from retrieval.candidates import PRIOR_FEATURES, Candidate, CandidateGenerator
from retrieval.collaborative import CoLikeIndex
from retrieval.embeddings import Embedder, shared_embedder
from retrieval.evidence import AttributeMatch, CollaborativeEvidence, Evidence, PathEvidence, PathNodeEvidence
from retrieval.fusion import load_fusion_weights
from retrieval.ranking import (
    DEFAULT_WEIGHTS,
    RankedCandidate,
    Ranker,
    ScorerRanker,
    WeightedSumRanker,
    describe_contributions,
)
from retrieval.request import RetrievalRequest
from retrieval.scorer.serving import load_catalogue_scorer
from retrieval.scorer.vectors import embedded_item_vectors, stored_vectors
from retrieval.vector_store import VectorIndex, VectorStoreUnavailable

LOGGER = logging.getLogger(__name__)
FeedbackKind = Literal["liked", "disliked", "seen"]
MAX_SESSION_ID_CHARS = 128
EVIDENCE_PATHS = 5


def _relay(pieces: Iterable[str], sink: list[str]) -> Iterator[str]:
    """Pass streamed pieces on while keeping them for the stored reply."""
    for piece in pieces:
        sink.append(piece)
        yield piece


class InvalidInput(ValueError):
    """A message, session id or item id that cannot be processed; nothing was changed."""


class Assistant:
    """A conversational recommender over one catalogue."""

    def __init__(
        self,
        settings: Settings,
        catalogue: Catalogue,
        chat_model: BaseChatModel,
        graph: GraphStore | None,
        vector_index: VectorIndex | None,
        store: SessionStore,
    ) -> None:
        self.settings = settings
        self.catalogue = catalogue
        self.graph = graph
        self.store = store
        self.colike = CoLikeIndex(catalogue.interactions, list(catalogue.items), settings.min_liked_rating)
        self.linker = EntityLinker(catalogue, lambda item_id: float(self.colike.like_count(item_id)))
        self.interpreter = TurnInterpreter(self.linker)
        self.extractor = PreferenceExtractor(chat_model, self.linker)
        self.embedder = shared_embedder(settings.embedding_model, settings.embedding_batch_size)
        self.generator = CandidateGenerator(catalogue, self.colike, vector_index, graph, settings.candidate_pool)
        self.ranker = self._ranker(settings, catalogue, vector_index, self.embedder)
        self.writer = ReplyWriter(chat_model, self.linker)
        self.justifier = JustificationWriter(chat_model, FaithfulnessChecker(self.linker, catalogue.schema), catalogue.schema)
        self._session_locks: dict[str, threading.Lock] = {}
        self._locks_guard = threading.Lock()

    @classmethod
    def from_settings(
        cls, settings: Settings | None = None, chat_model: BaseChatModel | None = None, progress: bool = False
    ) -> Assistant:
        """Open every store named by ``settings``, building missing indexes first.

        ``chat_model`` may be any LangChain chat model; by default the one the
        settings name is loaded.  Sessions live where ``settings.profile_store``
        says; with ``"graph"`` they share the graph connection opened here, and
        a graph server that is down is an error rather than a degraded answer.
        """
        settings = settings or Settings()
        catalogue = load_catalogue(settings.catalogue)
        graph = cls._open_graph(settings)
        try:
            store = open_session_store(settings, graph)
        except ProfileStoreUnavailable:
            if graph is not None:
                graph.close()
            raise
        ingest(settings, catalogue=catalogue, graph=graph, progress=progress, with_graph=graph is not None)
        vector_index = cls._open_vectors(settings)
        if chat_model is None:
            from assistant.llm import chat_model_from_settings

            chat_model = chat_model_from_settings(settings)
        return cls(settings, catalogue, chat_model, graph, vector_index, store)

    @staticmethod
    def _ranker(
        settings: Settings, catalogue: Catalogue, vector_index: VectorIndex | None, embedder: Embedder
    ) -> Ranker:
        """The trained scorer when a checkpoint is configured, else the weighted sum of source signals."""
        path = settings.scorer_path
        if path is None:
            return WeightedSumRanker(load_fusion_weights(settings.fusion_path) or DEFAULT_WEIGHTS)
        vectors = stored_vectors(vector_index, list(catalogue.items)) if vector_index is not None else {}
        if not vectors:
            vectors = embedded_item_vectors(catalogue.items, catalogue.schema, embedder)(list(catalogue.items))
        return ScorerRanker(load_catalogue_scorer(path, catalogue, vectors))

    @staticmethod
    def _open_graph(settings: Settings) -> GraphStore | None:
        try:
            graph = GraphStore.from_settings(settings)
            graph.health()
            return graph
        except GraphUnavailable as exc:
            if settings.profile_store == "graph":
                raise ProfileStoreUnavailable.graph_down(exc) from exc
            LOGGER.warning("knowledge graph unavailable, continuing without it: %s", exc)
            return None

    @staticmethod
    def _open_vectors(settings: Settings) -> VectorIndex | None:
        manifest = read_manifest(settings)
        if manifest is None:
            return None
        embedder = shared_embedder(settings.embedding_model, settings.embedding_batch_size)
        try:
            return VectorIndex(vector_location(settings, manifest), embedder)
        except VectorStoreUnavailable as exc:
            LOGGER.warning("vector store unavailable, continuing without it: %s", exc)
            return None

    def close(self) -> None:
        if self.graph is not None:
            self.graph.close()

    # Turns ---------------------------------------------------------------

    def chat(self, session_id: str, text: str) -> Reply:
        """Answer one user message; the reply's text is the streamed text joined."""
        reply: Reply | None = None
        for event in self.stream(session_id, text):
            if isinstance(event, Reply):
                reply = event
        assert reply is not None
        return reply

    def stream(self, session_id: str, text: str) -> Iterator[str | Reply]:
        """Yield pieces of the reply text as they are written, then the full :class:`Reply`."""
        session_id = self._check_session(session_id)
        message = self._check_message(text)
        with self._lock_for(session_id):
            understanding = self.interpreter.interpret(message, self.store.last_suggestions(session_id))
            if self.settings.llm_extraction and understanding.intent == "recommend":
                proposal = self.extractor.propose(message)
                understanding = replace(understanding, delta=combine(understanding.delta, proposal))
            profile = self.store.load_profile(session_id).apply(understanding.delta)
            self.store.save_profile(session_id, profile)
            turn = self.store.append_turn(session_id, "user", message)
            self._record_in_graph(session_id, understanding.delta)
            understood = self._describe_delta(understanding.delta)
            if understanding.intent == "chat":
                pieces: list[str] = []
                yield from _relay(self.writer.small_talk(message), pieces)
                reply_text = "".join(pieces)
                self.store.append_turn(session_id, "assistant", reply_text)
                yield Reply(session_id=session_id, text=reply_text, intent="chat", understood=understood)
                return
            drafts, notes = self.recommend(profile, message)
            pieces = []
            recommendations: list[Recommendation] = []
            yield from _relay(self._reply_pieces(message, profile, drafts, notes, recommendations), pieces)
            reply_text = "".join(pieces)
            self.store.save_recommendations(session_id, turn, recommendations)
            self.store.append_turn(session_id, "assistant", reply_text)
            yield Reply(
                session_id=session_id,
                text=reply_text,
                intent="recommend",
                recommendations=tuple(recommendations),
                notes=tuple(notes),
                understood=understood,
            )

    def _reply_pieces(
        self,
        message: str,
        profile: UserProfile,
        drafts: list[Recommendation],
        notes: list[str],
        final: list[Recommendation],
    ) -> Iterator[str]:
        """Stream the introduction, then each list line as its justification is written into ``final``."""
        if not drafts:
            yield load_prompt("no_results").format(constraints=self.describe_constraints(profile.constraints) or "none")
        else:
            liked_titles = [self.catalogue.items[item_id].display_title for item_id in profile.liked]
            yield from self.writer.introduction(
                message,
                liked_titles,
                self.describe_constraints(profile.constraints),
                {rec.item.id for rec in drafts} | set(profile.liked),
                len(drafts),
            )
            yield "\n"
            for position, draft in enumerate(drafts, start=1):
                recommendation = self.justifier.rewrite(draft) if self.settings.llm_justifications else draft
                final.append(recommendation)
                yield "\n" + list_line(position, recommendation)
        for note in notes:
            yield f"\n\n_{note}_"

    def recommend(
        self, profile: UserProfile, message: str, n: int | None = None
    ) -> tuple[list[Recommendation], list[str]]:
        """Retrieve, filter, rank and justify for a profile, without the LLM or any storage.

        Returns the top ``n`` (default: the settings' count) and notes about
        degraded sources.  Benchmarks call this to score ranked lists.
        """
        return self.recommend_for(self.retrieval_request(profile, message), n)

    def recommend_for(self, request: RetrievalRequest, n: int | None = None) -> tuple[list[Recommendation], list[str]]:
        """:meth:`recommend` for a request already built, so a caller that also needs it embeds the message once."""
        candidates = self.generator.generate(request)
        ranked = self.ranker.rank(candidates.candidates, request, n or self.settings.n_recommendations)
        notes = list(dict.fromkeys(candidates.notes))
        return [self._recommendation(entry, request) for entry in ranked], notes

    def retrieval_request(self, profile: UserProfile, message: str) -> RetrievalRequest:
        """What the candidate sources are asked: the profile, the constraints and the message's embedding."""
        return RetrievalRequest(
            query_text=message,
            query_vector=self.embedder.encode_one(message),
            liked_ids=tuple(profile.liked),
            disliked_ids=tuple(profile.disliked),
            seen_ids=tuple(profile.seen),
            liked_attributes={key: tuple(values) for key, values in profile.liked_attributes.items()},
            disliked_attributes={key: tuple(values) for key, values in profile.disliked_attributes.items()},
            constraints=profile.constraints,
        )

    def _recommendation(self, ranked: RankedCandidate, request: RetrievalRequest) -> Recommendation:
        candidate = ranked.candidate
        item = self.catalogue.items[candidate.item_id]
        evidence = Evidence(
            sources=tuple(feature for feature in candidate.features if feature not in PRIOR_FEATURES),
            paths=self._evidence_paths(candidate, request),
            collaborative=self._collaborative(candidate),
            attribute_matches=tuple(AttributeMatch(field=f, value=v) for f, v in candidate.attribute_matches),
            vector_similarity=round(candidate.features["vector"], 4) if "vector" in candidate.features else None,
            constraints_met=tuple(request.constraints.satisfied_by(item)),
            contributions=ranked.contributions,
        )
        return Recommendation(
            item=ItemCard.from_item(item),
            score=ranked.score,
            evidence=evidence,
            justification=template_justification(evidence, self.catalogue.schema, item.display_title),
            justification_source="template",
        )

    def _evidence_paths(self, candidate: Candidate, request: RetrievalRequest) -> tuple[PathEvidence, ...]:
        paths: tuple[GraphPath, ...] = candidate.paths
        if not paths and request.liked_ids and self.graph is not None:
            try:
                paths = tuple(self.graph.paths(request.liked_ids, candidate.item_id, max_hops=2, limit=EVIDENCE_PATHS))
            except GraphUnavailable:
                paths = ()
        return tuple(self._path_evidence(path) for path in paths[:EVIDENCE_PATHS])

    def _path_evidence(self, path: GraphPath) -> PathEvidence:
        nodes = []
        for node in path.nodes:
            item = self.catalogue.get(node.key) if node.kind == "item" else None
            name = item.display_title if item is not None else node.name
            nodes.append(PathNodeEvidence(kind=node.kind, key=node.key, name=name))
        return PathEvidence(nodes=tuple(nodes), relations=tuple(path.relations))

    def _collaborative(self, candidate: Candidate) -> CollaborativeEvidence | None:
        signal = candidate.colike
        if signal is None or signal.co_likers == 0:
            return None
        return CollaborativeEvidence(
            source_item_id=signal.source_item_id,
            source_title=self.catalogue.items[signal.source_item_id].display_title,
            co_likers=signal.co_likers,
            mean_rating=signal.mean_rating,
        )

    # Why, feedback, profile ------------------------------------------------

    def why(self, session_id: str, item_id: str) -> WhyAnswer:
        """The stored evidence of a suggestion made in this session; never a new story."""
        session_id = self._check_session(session_id)
        item = self.catalogue.get(item_id)
        recommendation = self.store.recommendation(session_id, item_id) if item is not None else None
        if item is None or recommendation is None:
            text = (
                f"There is no item with id {item_id!r} in the catalogue."
                if item is None
                else f"I have not suggested {item.display_title} in this conversation, so I have no reasons on record for it."
            )
            return WhyAnswer(session_id=session_id, item_id=item_id, suggested=False, text=text)
        lines = [f"I suggested {item.display_title} because: {recommendation.justification}"]
        for path in recommendation.evidence.paths:
            lines.append(f"- {path.describe(self.catalogue.schema)}")
        if recommendation.evidence.constraints_met:
            lines.append(f"- It meets your limits: {'; '.join(recommendation.evidence.constraints_met)}.")
        raised = describe_contributions(recommendation.evidence.contributions)
        lines.append(f"- It ranked with a score of {recommendation.score:.2f}; what counted most: {raised}.")
        return WhyAnswer(
            session_id=session_id, item_id=item_id, suggested=True, text="\n".join(lines), recommendation=recommendation
        )

    def why_picture(self, session_id: str, item_id: str) -> bytes | None:
        """PNG of the stored graph paths of a suggestion; None when it has none (or was not suggested)."""
        recommendation = self.store.recommendation(self._check_session(session_id), item_id)
        if recommendation is None:
            return None
        return draw_paths_png(recommendation.evidence.paths, self.catalogue.schema, recommendation.item.title)

    def feedback(self, session_id: str, item_id: str, kind: FeedbackKind) -> UserProfile:
        """Record a thumbs up, thumbs down or "seen it" on an item."""
        session_id = self._check_session(session_id)
        if item_id not in self.catalogue.items:
            raise InvalidInput(f"there is no item with id {item_id!r} in the catalogue")
        field = {"liked": "liked_items", "disliked": "disliked_items", "seen": "seen_items"}.get(kind)
        if field is None:
            raise InvalidInput(f"feedback must be liked, disliked or seen, not {kind!r}")
        delta = PreferenceDelta(**{field: (item_id,)})
        with self._lock_for(session_id):
            profile = self.store.load_profile(session_id).apply(delta)
            self.store.save_profile(session_id, profile)
        self._record_in_graph(session_id, delta)
        return profile

    def profile(self, session_id: str) -> UserProfile:
        return self.store.load_profile(self._check_session(session_id))

    def profile_entries(self, session_id: str) -> list[ProfileEntry]:
        """The profile as labelled entries, each removable with :meth:`update_profile`."""
        profile = self.profile(session_id)
        entries: list[ProfileEntry] = []
        for section, verb in (("liked", "Liked"), ("disliked", "Disliked"), ("seen", "Seen")):
            for item_id in getattr(profile, section):
                item = self.catalogue.get(item_id)
                title = item.display_title if item is not None else item_id
                entries.append(ProfileEntry(section=section, value=item_id, label=f"{verb}: {title}"))
        for section, verb in (("liked_attributes", "Likes"), ("disliked_attributes", "Dislikes")):
            for field, values in getattr(profile, section).items():
                entries += [ProfileEntry(section=section, value=v, field=field, label=f"{verb} {v} ({field})") for v in values]
        for section, verb in (("include", "Only"), ("exclude", "Never")):
            for field, values in getattr(profile.constraints, section).items():
                entries += [ProfileEntry(section=section, value=v, field=field, label=f"{verb}: {v} ({field})") for v in values]
        if profile.constraints.year_min is not None:
            entries.append(ProfileEntry(section="year_min", value=str(profile.constraints.year_min), label=f"From {profile.constraints.year_min}"))
        if profile.constraints.year_max is not None:
            entries.append(ProfileEntry(section="year_max", value=str(profile.constraints.year_max), label=f"Until {profile.constraints.year_max}"))
        for mention in profile.unlinked_mentions:
            entries.append(ProfileEntry(section="unlinked_mentions", value=mention, label=f"Not in the catalogue: {mention}"))
        return entries

    def update_profile(self, session_id: str, section: str, value: str, field: str | None = None) -> UserProfile:
        """Remove one entry from the profile (the user changed their mind)."""
        session_id = self._check_session(session_id)
        with self._lock_for(session_id):
            try:
                profile = self.store.load_profile(session_id).remove(section, value, field)
            except ValueError as exc:
                raise InvalidInput(str(exc)) from exc
            self.store.save_profile(session_id, profile)
        return profile

    def forget(self, session_id: str) -> None:
        """Delete everything stored about a session (privacy), its mirrored edges in the graph first.

        A graph that is down raises, and the session is kept: a forget request
        that left the user's likes in the graph would be a silent failure.
        """
        session_id = self._check_session(session_id)
        if self.graph is not None:
            self.graph.forget_user(session_id)
        self.store.delete_session(session_id)

    def describe_constraints(self, constraints: Constraints) -> str:
        parts = []
        if constraints.year_min is not None:
            parts.append(f"from {constraints.year_min}")
        if constraints.year_max is not None:
            parts.append(f"until {constraints.year_max}")
        for field, values in constraints.include.items():
            parts.append(f"{field}: {', '.join(values)}")
        for values in constraints.exclude.values():
            parts.append(f"no {', '.join(values)}")
        return "; ".join(parts)

    # Helpers ------------------------------------------------------------------

    def _describe_delta(self, delta: PreferenceDelta) -> dict[str, list[str]]:
        def titles(item_ids: tuple[str, ...]) -> list[str]:
            return [self.catalogue.items[item_id].display_title for item_id in item_ids]

        described = {
            "liked": titles(delta.liked_items),
            "disliked": titles(delta.disliked_items),
            "seen": titles(delta.seen_items),
            "liked_attributes": [value for _, value in delta.liked_attributes],
            "disliked_attributes": [value for _, value in delta.disliked_attributes],
            "include": [value for _, value in delta.include],
            "exclude": [value for _, value in delta.exclude],
            "lifted": [value for _, value in delta.lifted]
            + (["year range"] if delta.lift_years else [])
            + [f"required {field}" for field in delta.lift_include_fields],
            "unlinked": list(delta.unlinked),
        }
        if delta.year_min is not None:
            described["year_min"] = [str(delta.year_min)]
        if delta.year_max is not None:
            described["year_max"] = [str(delta.year_max)]
        return {key: values for key, values in described.items() if values}

    def _record_in_graph(self, session_id: str, delta: PreferenceDelta) -> None:
        """Mirror likes, dislikes and seen marks as user edges; the profile store stays authoritative."""
        if self.graph is None:
            return
        edges = [(item_id, "LIKED") for item_id in delta.liked_items]
        edges += [(item_id, "DISLIKED") for item_id in delta.disliked_items]
        edges += [(item_id, "SEEN") for item_id in delta.seen_items]
        try:
            for item_id, kind in edges:
                self.graph.record(session_id, item_id, kind)
        except GraphUnavailable as exc:
            LOGGER.warning("could not mirror feedback into the graph: %s", exc)

    def _lock_for(self, session_id: str) -> threading.Lock:
        with self._locks_guard:
            return self._session_locks.setdefault(session_id, threading.Lock())

    def _check_session(self, session_id: str) -> str:
        if not isinstance(session_id, str) or not session_id.strip():
            raise InvalidInput("session id must be a non-empty string")
        if len(session_id) > MAX_SESSION_ID_CHARS:
            raise InvalidInput(f"session id is longer than {MAX_SESSION_ID_CHARS} characters")
        return session_id.strip()

    def _check_message(self, text: str) -> str:
        if not isinstance(text, str) or not text.strip():
            raise InvalidInput("the message is empty")
        if len(text) > self.settings.max_message_chars:
            raise InvalidInput(
                f"the message has {len(text)} characters; the limit is {self.settings.max_message_chars}"
            )
        return text.strip()
