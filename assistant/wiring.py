"""Everything a turn needs, built from :class:`~assistant.settings.Settings`; kept apart from the turn itself.

:class:`Parts` are the things that hold resources (the catalogue, the graph
connection, the vector index, the session store, the chat model);
:func:`build_pipeline` assembles the seven stages over them.  A caller that
wants other parts (an in-memory session store, no graph, a scripted chat
model) builds :class:`Parts` itself and passes them to the assistant.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field

from langchain_core.language_models.chat_models import BaseChatModel

from assistant.errors import ProfileStoreUnavailable
from assistant.explain.evidence import EvidenceBuilder
from assistant.explain.faithfulness import FaithfulnessChecker
from assistant.explain.grounding import ReplyTextChecker
from assistant.explain.reply_text import ReplyWriter
from assistant.explain.writer import JustificationWriter
from assistant.ingest import Manifest, ingest, read_manifest, vector_location
from assistant.llm.gate import GatedChatModel, GenerationGate
from assistant.sessions.mirror import GraphMirror
from assistant.sessions.store import SessionStore, open_session_store
from assistant.settings import Settings
from assistant.turn.crash import StageCrash
from assistant.turn.explain import ExplainStage
from assistant.turn.filter import FilterStage
from assistant.turn.pipeline import TurnPipeline
from assistant.turn.rank import RankStage
from assistant.turn.remember import RememberStage
from assistant.turn.reply import ReplyStage
from assistant.turn.retrieve import RetrieveStage
from assistant.turn.understand import UnderstandStage
from assistant.understanding.extraction import PreferenceExtractor
from assistant.understanding.interpreter import TurnInterpreter
from assistant.understanding.linking import EntityLinker
from kg.catalogue import Catalogue, load_catalogue
from kg.store import GraphStore, GraphUnavailable
from kg.supervision import Backoff
from retrieval.candidates import CandidateGenerator
from retrieval.collaborative import CoLikeIndex
from retrieval.comentions import CoMentionIndex
from retrieval.curves import RankingCurves
from retrieval.embeddings import Embedder, shared_embedder
from retrieval.filters import ConstraintFilter
from retrieval.fusion import load_fusion_weights
from retrieval.policy import SharedPolicy
from retrieval.ranking import DEFAULT_WEIGHTS, CurvesRanker, Ranker, ScorerRanker, WeightedSumRanker
from retrieval.reranking import scaled_exposure
from retrieval.scorer.scorer import CONFIG_FILE
from retrieval.scorer.serving import load_catalogue_scorer, scorer_exposure
from retrieval.scorer.vectors import CATALOGUE_VECTORS
from retrieval.vector_store import VectorIndex, VectorLocation

LOGGER = logging.getLogger(__name__)


@dataclass
class Parts:
    """The resources one assistant runs on; ``graph`` or ``vector_index`` None means that source is down."""

    settings: Settings
    catalogue: Catalogue
    chat_model: BaseChatModel
    graph: GraphStore | None
    vector_index: VectorIndex | None
    sessions: SessionStore
    gate: GenerationGate = field(init=False)

    def __post_init__(self) -> None:
        self.gate = GenerationGate(
            self.settings.llm_slots,
            self.settings.llm_queue_limit,
            first_hold_guess_s=self.settings.model_deadline_s / 2,
        )

    @classmethod
    def open(cls, settings: Settings, chat_model: BaseChatModel | None = None, progress: bool = False) -> Parts:
        """Open every store the settings name, building missing indexes first.

        Sessions live where ``settings.profile_store`` says; with ``"graph"``
        they share the graph connection opened here, and a graph server that
        is down is an error rather than a degraded answer.
        """
        catalogue = load_catalogue(settings.catalogue)
        graph = _open_graph(settings)
        try:
            sessions = open_session_store(settings, graph)
        except ProfileStoreUnavailable:
            if graph is not None:
                graph.close()
            raise
        ingest(
            settings, catalogue=catalogue, graph=graph, progress=progress, with_graph=graph is not None, repair=False
        )
        vector_index = _open_vectors(settings)
        if chat_model is None:
            from assistant.llm import chat_model_from_settings

            chat_model = chat_model_from_settings(settings)
        return cls(settings, catalogue, chat_model, graph, vector_index, sessions)

    def close(self) -> None:
        if self.vector_index is not None:
            self.vector_index.close()
        if self.graph is not None:
            self.graph.close()


def build_pipeline(parts: Parts) -> TurnPipeline:
    """The seven stages over ``parts``, each given only what its one job needs."""
    settings, catalogue = parts.settings, parts.catalogue
    colike = CoLikeIndex(catalogue.interactions, list(catalogue.items), settings.min_liked_rating)
    linker = EntityLinker(catalogue, lambda item_id: float(colike.like_count(item_id)))
    embedder = shared_embedder(settings.embedding_spec, settings.embedding_batch_size)
    chat_model = GatedChatModel(inner=parts.chat_model, gate=parts.gate)
    extractor = PreferenceExtractor(chat_model, linker) if settings.llm_extraction else None
    checker = FaithfulnessChecker(linker, catalogue.schema)
    justifier = JustificationWriter(chat_model, checker, catalogue.schema) if settings.llm_justifications else None
    explain = ExplainStage(catalogue, EvidenceBuilder(catalogue, parts.graph), checker, justifier)
    comentions = settings.comentions_path
    generator = CandidateGenerator(
        catalogue,
        colike,
        parts.vector_index,
        parts.graph,
        settings.candidate_pool,
        CoMentionIndex.load(comentions) if comentions is not None else None,
    )
    return TurnPipeline(
        catalogue=catalogue,
        understand=UnderstandStage(TurnInterpreter(linker), extractor),
        remember=RememberStage(parts.sessions, GraphMirror(parts.graph)),
        retrieve=RetrieveStage(embedder, generator),
        filter=FilterStage(ConstraintFilter(catalogue)),
        rank=build_rank_stage(
            settings, catalogue, build_ranker(settings, catalogue, parts.vector_index, embedder), colike
        ),
        explain=explain,
        crash=StageCrash(settings.crash_at_stage),
        reply=ReplyStage(ReplyWriter(chat_model, ReplyTextChecker(linker)), explain, catalogue),
        model_deadline_s=settings.model_deadline_s,
    )


def build_ranker(
    settings: Settings, catalogue: Catalogue, vector_index: VectorIndex | None, embedder: Embedder
) -> Ranker:
    """The trained scorer when a checkpoint is configured, else curves fitted to conversations when there are
    some, else the weighted sum of source signals."""
    path = settings.scorer_path
    if path is None:
        curves = RankingCurves.load(settings.curves_path)
        if curves is not None:
            return CurvesRanker(curves)
        return WeightedSumRanker(load_fusion_weights(settings.fusion_path) or DEFAULT_WEIGHTS)
    vectors = CATALOGUE_VECTORS.vectors(catalogue.items, catalogue.schema, embedder, vector_index)
    return ScorerRanker(load_catalogue_scorer(path, catalogue, vectors))


def build_rank_stage(settings: Settings, catalogue: Catalogue, ranker: Ranker, colike: CoLikeIndex) -> RankStage:
    """The ranker with exposure-aware re-ranking at the settings' diversity.

    Exposure is how often the trained scorer lists each item to the catalogue's own users (computed on the first
    re-ranked turn); the weighted sum has no such lists, so its stand-in is the items' scaled like counts.
    """

    @functools.cache
    def exposure() -> Mapping[str, float]:
        if isinstance(ranker, ScorerRanker) and settings.scorer_path is not None:
            return scaled_exposure(_stored_exposure(settings, catalogue, ranker))
        return colike.popularity()

    likes = {item_id: colike.like_count(item_id) for item_id in catalogue.items}
    policy = SharedPolicy(settings.policy_path, settings.exploration) if settings.learning else None
    return RankStage(ranker, settings.n_recommendations, settings.diversity, exposure, likes, policy)


def _stored_exposure(settings: Settings, catalogue: Catalogue, ranker: ScorerRanker) -> dict[str, int]:
    """The scorer's exposure counts, kept in the data directory: counting them scores every user of the
    catalogue (seconds), which the first turn of each process would otherwise wait for."""
    assert settings.scorer_path is not None
    digest = hashlib.sha256((settings.scorer_path / CONFIG_FILE).read_bytes())
    digest.update(f"{len(catalogue.interactions)}\x1f{len(catalogue.items)}".encode())
    for item_id in catalogue.items:
        digest.update(f"\x1e{item_id}".encode())
    key = digest.hexdigest()
    path = settings.exposure_path
    try:
        stored = json.loads(path.read_text(encoding="utf-8"))
        if stored.get("key") == key:
            return {item_id: int(count) for item_id, count in stored["counts"].items()}
    except (OSError, ValueError, KeyError, AttributeError):
        pass
    counts = scorer_exposure(ranker.scorer, catalogue)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps({"key": key, "counts": counts}), encoding="utf-8")
    except OSError as exc:
        LOGGER.warning("could not keep the exposure counts in %s: %s", path, exc)
    return counts


def _open_graph(settings: Settings) -> GraphStore | None:
    try:
        graph = GraphStore.from_config(settings.graph_config())
        graph.health()
        return graph
    except GraphUnavailable as exc:
        if settings.profile_store == "graph":
            raise ProfileStoreUnavailable.graph_down(exc) from exc
        LOGGER.warning("knowledge graph unavailable, continuing without it: %s", exc)
        return None


def _current_location(settings: Settings, opened: Manifest) -> VectorLocation:
    """Where the index of the catalogue in use is now: moved when ``concierge ingest`` rebuilt a damaged one."""
    current = read_manifest(settings)
    return vector_location(
        settings, current if current is not None and current.fingerprint == opened.fingerprint else opened
    )


def _open_vectors(settings: Settings) -> VectorIndex | None:
    manifest = read_manifest(settings)
    if manifest is None:
        return None
    embedder = shared_embedder(settings.embedding_spec, settings.embedding_batch_size)
    return VectorIndex(
        vector_location(settings, manifest),
        embedder,
        timeout_s=settings.chroma_timeout_s,
        backoff=Backoff(settings.restart_backoff_s, max(settings.restart_backoff_s, settings.restart_backoff_max_s)),
        locate=lambda: _current_location(settings, manifest),
        require=False,  # one that cannot be opened now (damaged, its server down) starts down and is reopened
    )
