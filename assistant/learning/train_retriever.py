"""``concierge train-retriever``: fine-tune the text encoder on what people asked for and were recommended.

A dual encoder: the query side is what the seeker said, the item side the
item's catalogue text (:func:`retrieval.item_text.item_text`).  Two modes:

* ``head`` (the default, minutes on a laptop): the packaged model stays
  frozen and two linear heads, one per side (:mod:`retrieval.projection`),
  are trained on its cached vectors with a softmax over the whole catalogue:
  every item the dialogue did not name is a negative, the hardest included.
  The checkpoint is under 1.5 MB, small enough to ship with a catalogue.
* ``full`` (for a GPU: hours on 2 CPU cores): the whole sentence-transformers
  model is fine-tuned with multiple-negatives ranking: in-batch negatives
  plus one hard negative per pair, drawn from the items the packaged model
  puts nearest the query (what Concierge's vector source proposes) that the
  dialogue neither recommended nor mentioned.

A tenth of the dialogues (whole ones) is held out: the head stops when their
recall stops rising, and the report gives their recall before and after.
Both loops run through accelerate, so the same command uses a GPU when there
is one.  The checkpoint is written beside a manifest (``retriever.json``)
with a run id, so every index built with an earlier run is rebuilt.
"""

from __future__ import annotations

import json
import random
import shutil
import time
import uuid
import zlib
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray
from tqdm.auto import tqdm

from assistant.learning.retriever_pairs import RetrievalPair
from kg.catalogue import Catalogue
from retrieval.embeddings import RETRIEVER_MANIFEST, Embedder, load_sentence_model
from retrieval.item_text import item_text
from retrieval.projection import ProjectionHeads

HELD_OUT_SHARE = 10
"""One dialogue in this many is held out."""
SCALE = 20.0
"""Cosine similarities times this are the softmax's logits (as in multiple-negatives ranking)."""


@dataclass(frozen=True)
class RetrieverTraining:
    mode: Literal["head", "full"] = "head"
    epochs: int | None = None
    """Head: the most epochs (it stops earlier when held-out recall stops rising; default 40); full: default 1."""
    batch_size: int | None = None
    """Head: 256; full: 32."""
    learning_rate: float | None = None
    """Head: 1e-3; full: 3e-5."""
    identity_penalty: float = 0.01
    """Head: pulls the heads towards the identity, so what the packaged model knows is kept."""
    max_seq_length: int = 128
    warmup_share: float = 0.1
    patience: int = 3
    seed: int = 0

    @property
    def head(self) -> bool:
        return self.mode == "head"

    @property
    def epoch_count(self) -> int:
        return self.epochs or (40 if self.head else 1)

    @property
    def batch(self) -> int:
        return self.batch_size or (256 if self.head else 32)

    @property
    def rate(self) -> float:
        return self.learning_rate or (1e-3 if self.head else 3e-5)


def held_out(group: str) -> bool:
    return zlib.crc32(group.encode()) % HELD_OUT_SHARE == 0


NEGATIVE_DEPTH = 30
NEGATIVE_SKIP = 3
"""Full mode's hard negatives come from the nearest items below the first few, which are often as good as the target."""


def nearest_items(
    queries: NDArray[np.float32], items: NDArray[np.float32], depth: int, chunk: int = 1024
) -> NDArray[np.int64]:
    """Indices of the ``depth`` items nearest each query, best first (vectors are unit length)."""
    rows = []
    for start in range(0, len(queries), chunk):
        similarity = queries[start : start + chunk] @ items.T
        top = np.argpartition(-similarity, depth, axis=1)[:, :depth]
        order = np.take_along_axis(similarity, top, axis=1).argsort(axis=1)[:, ::-1]
        rows.append(np.take_along_axis(top, order, axis=1))
    return np.concatenate(rows) if rows else np.zeros((0, depth), dtype=np.int64)


def batches(pairs: Sequence[RetrievalPair], size: int, rng: random.Random) -> list[list[int]]:
    """Shuffled batches in which no item and no query appears twice (else a positive would be a negative)."""
    order = list(range(len(pairs)))
    rng.shuffle(order)
    open_batches: list[tuple[list[int], set[str]]] = []
    done: list[list[int]] = []
    for index in order:
        keys = {f"q:{pairs[index].query}", f"i:{pairs[index].item_id}"}
        for members, used in open_batches[-8:]:
            if not keys & used:
                members.append(index)
                used |= keys
                if len(members) == size:
                    done.append(members)
                    open_batches.remove((members, used))
                break
        else:
            open_batches.append(([index], set(keys)))
    done += [members for members, _ in open_batches if len(members) > 1]
    rng.shuffle(done)
    return done


@dataclass
class _Encoded:
    """The frozen model's vectors of every item and every distinct query, computed once."""

    item_ids: list[str]
    items: NDArray[np.float32]
    queries: dict[str, int]
    query_vectors: NDArray[np.float32]

    @classmethod
    def of(cls, pairs: Sequence[RetrievalPair], texts: dict[str, str], base: Embedder, progress: bool) -> _Encoded:
        item_ids = list(texts)
        queries = list(dict.fromkeys(pair.query for pair in pairs))
        return cls(
            item_ids,
            base.encode_base([texts[item_id] for item_id in item_ids], progress=progress),
            {query: index for index, query in enumerate(queries)},
            base.encode_base(queries, progress=progress),
        )


def recall_at(
    encoded: _Encoded, pairs: Sequence[RetrievalPair], heads: ProjectionHeads, cutoffs: Sequence[int] = (10, 50)
) -> dict[str, float]:
    """Recall of each pair's item among the nearest items, the dialogue's other named items left out."""
    if not pairs:
        return {f"recall@{cutoff}": 0.0 for cutoff in cutoffs}
    position = {item_id: index for index, item_id in enumerate(encoded.item_ids)}
    items = heads.items(encoded.items)
    queries = heads.queries(encoded.query_vectors[[encoded.queries[pair.query] for pair in pairs]])
    scores = queries @ items.T
    hits = dict.fromkeys(cutoffs, 0)
    for row, pair in zip(scores, pairs, strict=True):
        target = position[pair.item_id]
        others = [position[item] for item in pair.avoid if item in position and item != pair.item_id]
        row[others] = -np.inf
        rank = int((row > row[target]).sum())
        for cutoff in cutoffs:
            hits[cutoff] += rank < cutoff
    return {f"recall@{cutoff}": hits[cutoff] / len(pairs) for cutoff in cutoffs}


def _progress(figures: dict[str, float]) -> float:
    """What early stopping watches: held-out recall near the top and deep in the list."""
    return figures["recall@10"] + figures["recall@50"]


def _train_heads(
    pairs: Sequence[RetrievalPair], encoded: _Encoded, config: RetrieverTraining, progress: bool
) -> tuple[ProjectionHeads, dict[str, Any]]:
    import torch
    from accelerate import Accelerator

    accelerator = Accelerator()
    device = accelerator.device
    position = {item_id: index for index, item_id in enumerate(encoded.item_ids)}
    training = [pair for pair in pairs if not held_out(pair.group)]
    checking = [pair for pair in pairs if held_out(pair.group)]
    width = encoded.items.shape[1]
    query_head = torch.nn.Linear(width, width)
    item_head = torch.nn.Linear(width, width)
    for head in (query_head, item_head):
        torch.nn.init.eye_(head.weight)
        torch.nn.init.zeros_(head.bias)
    optimizer = torch.optim.Adam([*query_head.parameters(), *item_head.parameters()], lr=config.rate)
    query_head, item_head, optimizer = accelerator.prepare(query_head, item_head, optimizer)
    items = torch.from_numpy(encoded.items).to(device)
    queries = torch.from_numpy(encoded.query_vectors).to(device)
    eye = torch.eye(width, device=device)
    rng = random.Random(config.seed)

    def current() -> ProjectionHeads:
        unwrapped = [accelerator.unwrap_model(head) for head in (query_head, item_head)]
        weights = [
            (head.weight.detach().cpu().numpy().copy(), head.bias.detach().cpu().numpy().copy()) for head in unwrapped
        ]
        return ProjectionHeads(weights[0][0], weights[0][1], weights[1][0], weights[1][1])

    before = recall_at(encoded, checking, ProjectionHeads.identity(width))
    best, best_heads, stale, history = _progress(before), current(), 0, []
    for epoch in tqdm(range(config.epoch_count), desc="train retriever heads", unit="epoch", disable=not progress):
        order = list(range(len(training)))
        rng.shuffle(order)
        for start in range(0, len(order), config.batch):
            batch = [training[index] for index in order[start : start + config.batch]]
            query_vectors = torch.nn.functional.normalize(
                query_head(queries[[encoded.queries[pair.query] for pair in batch]]), dim=-1
            )
            item_vectors = torch.nn.functional.normalize(item_head(items), dim=-1)
            logits = SCALE * query_vectors @ item_vectors.T
            masked = [
                (row, position[item])
                for row, pair in enumerate(batch)
                for item in pair.avoid
                if item in position and item != pair.item_id
            ]
            if masked:
                logits[[row for row, _ in masked], [column for _, column in masked]] = -1e4
            targets = torch.tensor([position[pair.item_id] for pair in batch], device=device)
            penalty = sum(
                ((accelerator.unwrap_model(head).weight - eye) ** 2).sum() for head in (query_head, item_head)
            )
            loss = torch.nn.functional.cross_entropy(logits, targets) + config.identity_penalty * penalty
            optimizer.zero_grad()
            accelerator.backward(loss)
            optimizer.step()
        figures = recall_at(encoded, checking, current())
        history.append({"epoch": epoch + 1, **figures})
        if _progress(figures) > best:
            best, best_heads, stale = _progress(figures), current(), 0
        else:
            stale += 1
            if stale >= config.patience:
                break
    after = recall_at(encoded, checking, best_heads)
    report = {
        "held_out_pairs": len(checking),
        "held_out_before": before,
        "held_out_after": after,
        "held_out_by_source": {
            source: {
                "before": recall_at(encoded, subset, ProjectionHeads.identity(width)),
                "after": recall_at(encoded, subset, best_heads),
            }
            for source in sorted({pair.source for pair in checking})
            for subset in [[pair for pair in checking if pair.source == source]]
        },
        "epochs": history,
        "device": str(device),
    }
    return best_heads, report


def _train_full(
    pairs: Sequence[RetrievalPair],
    encoded: _Encoded,
    texts: dict[str, str],
    base_spec: str,
    config: RetrieverTraining,
    progress: bool,
) -> tuple[Any, dict[str, Any]]:
    import torch
    from accelerate import Accelerator
    from sentence_transformers.sentence_transformer.losses import MultipleNegativesRankingLoss

    rng = random.Random(config.seed)
    torch.manual_seed(config.seed)
    query_rows = [encoded.queries[pair.query] for pair in pairs]
    nearest = nearest_items(encoded.query_vectors[query_rows], encoded.items, min(NEGATIVE_DEPTH, len(texts) - 1))
    negatives = []
    for pair, row in zip(pairs, nearest, strict=True):
        options = [encoded.item_ids[i] for i in row[NEGATIVE_SKIP:]]
        options = [item for item in options if item != pair.item_id and item not in pair.avoid]
        negatives.append(rng.choice(options) if options else rng.choice(encoded.item_ids))
    accelerator = Accelerator()
    model = load_sentence_model(base_spec, device=str(accelerator.device))
    model.max_seq_length = config.max_seq_length
    optimizer = torch.optim.AdamW(model.parameters(), lr=config.rate)
    plan = [batch for _ in range(config.epoch_count) for batch in batches(pairs, config.batch, rng)]
    warmup = max(1, int(len(plan) * config.warmup_share))
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: min((step + 1) / warmup, max(0.0, (len(plan) - step) / max(1, len(plan) - warmup)))
    )
    model, optimizer, schedule = accelerator.prepare(model, optimizer, schedule)
    loss_function = MultipleNegativesRankingLoss(accelerator.unwrap_model(model))
    model.train()
    losses: list[float] = []
    bar = tqdm(plan, desc="train retriever", unit="batch", disable=not progress)
    for batch in bar:
        columns = (
            [pairs[index].query for index in batch],
            [texts[pairs[index].item_id] for index in batch],
            [texts[negatives[index]] for index in batch],
        )
        unwrapped = accelerator.unwrap_model(model)
        features = [_on_device(unwrapped.preprocess(column), accelerator.device) for column in columns]
        loss = loss_function(features, labels=None)
        accelerator.backward(loss)
        optimizer.step()
        schedule.step()
        optimizer.zero_grad()
        losses.append(float(loss.detach()))
        bar.set_postfix(loss=f"{np.mean(losses[-50:]):.3f}")
    model.eval()
    return accelerator.unwrap_model(model), {
        "steps": len(plan),
        "loss_first_steps": float(np.mean(losses[:50])),
        "loss_last_steps": float(np.mean(losses[-50:])),
        "device": str(accelerator.device),
    }


def _on_device(features: dict[str, Any], device: Any) -> dict[str, Any]:
    """Tokenised inputs on the training device; non-tensor entries (the modality name) stay as they are."""
    return {key: value.to(device) if hasattr(value, "to") else value for key, value in features.items()}


def train_retriever(
    pairs: Sequence[RetrievalPair],
    catalogue: Catalogue,
    base_spec: str,
    out: Path,
    config: RetrieverTraining,
    progress: bool = True,
) -> dict[str, Any]:
    """Train from ``base_spec`` on ``pairs`` and write the checkpoint to ``out``; returns the report."""
    texts = {item.id: item_text(item, catalogue.schema) for item in catalogue.items.values()}
    pairs = [pair for pair in pairs if pair.item_id in texts]
    if not pairs:
        raise ValueError("no training pairs: none of the data sets' items were found in the catalogue")
    started = time.perf_counter()
    import torch

    device = "cuda" if torch.cuda.is_available() else "cpu"
    encoded = _Encoded.of(pairs, texts, Embedder(base_spec, device=device), progress)
    trained: Any
    if config.head:
        trained, details = _train_heads(pairs, encoded, config, progress)
    else:
        trained, details = _train_full(pairs, encoded, texts, base_spec, config, progress)
    report = {
        "kind": config.mode,
        "base": base_spec,
        "run_id": uuid.uuid4().hex,
        "pairs": dict(Counter(pair.source for pair in pairs)),
        "items": len({pair.item_id for pair in pairs}),
        "train_seconds": round(time.perf_counter() - started, 1),
        "config": asdict(config),
        **details,
    }
    _save(trained, out, report)
    return report


def _save(trained: Any, out: Path, report: dict[str, Any]) -> None:
    """Write the checkpoint beside ``out`` and move it into place whole, so a reader never sees half of one."""
    building = out.with_name(f"{out.name}.building")
    shutil.rmtree(building, ignore_errors=True)
    building.mkdir(parents=True)
    if isinstance(trained, ProjectionHeads):
        trained.save(building)
    else:
        trained.save(str(building))
    (building / RETRIEVER_MANIFEST).write_text(json.dumps(report, indent=2), encoding="utf-8")
    shutil.rmtree(out, ignore_errors=True)
    building.rename(out)
