"""Published recommenders from RecBole, trained and scored on our own leave-one-out split.

Used by ``python -m bench.ranking``, which runs them beside our scorer.

Peer figures copied from papers come from other splits, filters and metric
code, so they do not compare with ours.  Here RecBole 1.2.1 (PyPI ``recbole``)
trains SASRec and LightGCN on exactly ``LeaveOneOutSplit.train``, stops early
on ``valid[u]`` predicted from ``train[u]``, and hands back full score vectors
that ``retrieval.scorer.metrics`` ranks the same way as our own models.  Test
items never reach RecBole: its dataset holds only ``train[u] + (valid[u],)``.

RecBole 1.2.1 predates numpy 2, recent scipy and torch 2.6; the workarounds
live here, not in site-packages: the numpy aliases and the scipy method it
still calls are restored before it is imported, and the best epoch is kept in
memory so that its ``torch.load`` of a pickled checkpoint (refused under
torch's ``weights_only=True`` default) is never called.
"""

from __future__ import annotations

import contextlib
import copy
import logging
import sys
import time
import warnings
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from retrieval.scorer.interactions import LeaveOneOutSplit

DATASET = "split"
VALID_METRIC = "NDCG@10"
SCORE_BATCH = 256

COMMON_CONFIG: dict[str, Any] = {
    "eval_args": {
        "split": {"LS": "valid_only"},
        "group_by": "user",
        "order": "TO",
        "mode": "full",
    },
    "load_col": {"inter": ["user_id", "item_id", "timestamp"]},
    "metrics": ["Recall", "NDCG"],
    "topk": [10],
    "valid_metric": VALID_METRIC,
    "stopping_step": 10,
    "learning_rate": 1e-3,
    "eval_batch_size": 4096,
    "show_progress": False,
    "reproducibility": True,
    "worker": 0,
}
"""Shared RecBole settings.  ``LS: valid_only`` with time order makes each user's
last row in the dataset, ``valid[u]``, the validation target and the rest the
training data; ``stopping_step`` is the early-stopping patience in epochs.
RecBole's validation masks the training history for LightGCN, as our metrics
do, but not for sequential models, so SASRec stops on a slightly different
NDCG@10 than the benchmark reports."""

MODEL_CONFIG: dict[str, dict[str, Any]] = {
    "SASRec": {
        "loss_type": "CE",
        "train_neg_sample_args": None,
        "hidden_size": 64,
        "inner_size": 256,
        "n_layers": 2,
        "n_heads": 2,
        "hidden_dropout_prob": 0.2,
        "attn_dropout_prob": 0.2,
        "MAX_ITEM_LIST_LENGTH": 50,
        "train_batch_size": 256,
        "epochs": 3,
    },
    "LightGCN": {
        "embedding_size": 64,
        "n_layers": 3,
        "reg_weight": 1e-4,
        "train_batch_size": 2048,
        "epochs": 300,
    },
}
"""Per-model settings: RecBole's defaults and the LightGCN/SASRec papers', with
full softmax (CE) for SASRec as in LlamaRec's SASRec.  ``epochs`` is the cap.

SASRec is bounded by CPU time, not by early stopping.  RecBole trains one
example per history prefix (88k an epoch here) with right-padded attention over
the whole window; on two CPU cores shared with other work an epoch took about
22 minutes with LlamaRec's window of 200 and about 3 minutes with RecBole's
default of 50, which is used.  Three epochs already reach the published SASRec
figures on this split while validation is still rising; pass ``max_epochs`` for
a longer run.  LightGCN's epochs take seconds, so early stopping ends it."""


@dataclass(frozen=True)
class PeerRun:
    """One trained peer's score vectors over our item indices.

    Rows follow ``split.users``; column ``i`` scores ``split.item_ids[i - 1]``
    and column 0 (padding) is ``-inf``, as are items RecBole never saw.
    ``valid_scores`` predict ``valid[u]`` from ``train[u]`` and ``test_scores``
    predict ``test[u]`` from ``split.test_history(u)``.  For a model that
    scores from a learned user embedding rather than the history (LightGCN,
    transductive) the two are the same vector.
    """

    model: str
    test_scores: np.ndarray
    valid_scores: np.ndarray
    train_seconds: float
    epochs: int
    best_epoch: int
    budget: str


def _compatibility_shims() -> None:
    """Restore what RecBole 1.2.1 still calls and numpy 2 and recent scipy removed.

    Its ``Config`` copies ``np.float_``, ``np.complex_`` and ``np.unicode_`` to
    ``np.float`` and friends, which its metrics use; LightGCN and other graph
    models fill their adjacency through ``dok_matrix._update``, now the public
    ``update``.  Only missing names are added, so newer code is unaffected.
    """
    import scipy.sparse

    for alias, target in (
        ("float_", np.float64),
        ("complex_", np.complex128),
        ("unicode_", np.str_),
    ):
        if alias not in np.__dict__:
            setattr(np, alias, target)
    if not hasattr(scipy.sparse.dok_matrix, "_update"):
        scipy.sparse.dok_matrix._update = scipy.sparse.dok_matrix.update


def write_atomic_files(split: LeaveOneOutSplit, directory: Path) -> Path:
    """RecBole's ``.inter`` file for ``train[u] + (valid[u],)``, the test item left out.

    The timestamp is the position in the user's sequence, not the rating time:
    our split breaks equal timestamps by item id, and RecBole's time ordering
    must reproduce that order exactly for its last row per user to be ``valid[u]``.
    """
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{DATASET}.inter"
    with path.open("w", encoding="utf-8") as out:
        out.write("user_id:token\titem_id:token\ttimestamp:float\n")
        for row, user in enumerate(split.users):
            for position, item in enumerate(split.train[row] + (split.valid[row],)):
                out.write(f"{user}\t{split.item_ids[item - 1]}\t{position}\n")
    return path


@contextlib.contextmanager
def _contained(workdir: Path, threads: int) -> Iterator[None]:
    """Keep RecBole's side effects inside ``workdir`` and this call.

    RecBole logs through the root logger, writes TensorBoard events under the
    current directory, reads ``--key=value`` settings from ``sys.argv`` and
    warns about pandas copy-on-write on every load; the root logger's handlers,
    the working directory, ``sys.argv``, warning filters and torch's thread
    count are all restored on exit.
    """
    root = logging.getLogger()
    saved_handlers, saved_level, saved_threads = (
        root.handlers[:],
        root.level,
        torch.get_num_threads(),
    )
    log_file = logging.FileHandler(workdir / "recbole.log", encoding="utf-8")
    root.handlers = [log_file]
    root.setLevel(logging.INFO)
    torch.set_num_threads(threads)
    saved_argv, sys.argv = sys.argv, sys.argv[:1]
    try:
        with contextlib.chdir(workdir), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        sys.argv = saved_argv
        log_file.close()
        root.handlers = saved_handlers
        root.setLevel(saved_level)
        torch.set_num_threads(saved_threads)


def _to_internal(split: LeaveOneOutSplit, dataset: Any) -> np.ndarray:
    """RecBole's internal item id for each of our item indices; -1 for padding and unseen items."""
    tokens = dataset.field2token_id[dataset.iid_field]
    lookup = np.full(split.n_items + 1, -1, dtype=np.int64)
    for index, item_id in enumerate(split.item_ids, start=1):
        lookup[index] = tokens.get(item_id, -1)
    return lookup


def _score_matrix(
    model: Any,
    dataset: Any,
    split: LeaveOneOutSplit,
    histories: Sequence[Sequence[int]],
    lookup: np.ndarray,
    device: torch.device,
) -> np.ndarray:
    """``model.full_sort_predict`` for every user, mapped onto our item indices.

    Sequential models read the last ``MAX_ITEM_LIST_LENGTH`` items of each
    history; the others read the user's id, whose embedding saw ``train[u]`` only.
    """
    from recbole.data.interaction import Interaction
    from recbole.utils import ModelType

    sequential = model.type == ModelType.SEQUENTIAL
    window = dataset.max_item_list_len if sequential else 0
    user_tokens = dataset.field2token_id[dataset.uid_field]
    known = np.flatnonzero(lookup > 0)
    scores = np.full((len(split.users), split.n_items + 1), -np.inf, dtype=np.float32)
    model.eval()
    with torch.no_grad():
        for start in range(0, len(split.users), SCORE_BATCH):
            rows = range(start, min(start + SCORE_BATCH, len(split.users)))
            if sequential:
                sequences = [
                    [int(lookup[item]) for item in histories[row] if lookup[item] > 0][-window:] for row in rows
                ]
                items = torch.zeros((len(sequences), window), dtype=torch.long)
                for position, sequence in enumerate(sequences):
                    items[position, : len(sequence)] = torch.tensor(sequence, dtype=torch.long)
                lengths = torch.tensor([len(sequence) for sequence in sequences], dtype=torch.long)
                batch = Interaction({model.ITEM_SEQ: items, model.ITEM_SEQ_LEN: lengths})
            else:
                users = torch.tensor([user_tokens[split.users[row]] for row in rows], dtype=torch.long)
                batch = Interaction({model.USER_ID: users})
            predicted = model.full_sort_predict(batch.to(device)).view(len(rows), -1).cpu().numpy()
            scores[start : start + len(rows), known] = predicted[:, lookup[known]]
    return scores


def _budget(config: Any) -> str:
    return (
        f"max {config['epochs']} epochs, early stop patience {config['stopping_step']} "
        f"on valid {config['valid_metric']}, batch {config['train_batch_size']}, lr {config['learning_rate']}"
    )


def run_recbole(
    model_name: str,
    split: LeaveOneOutSplit,
    seed: int,
    workdir: Path,
    max_epochs: int | None = None,
    threads: int = 1,
    overrides: Mapping[str, Any] | None = None,
) -> PeerRun:
    """Train RecBole's ``model_name`` ("SASRec" or "LightGCN") on ``split`` and score it.

    ``workdir`` receives the atomic file, RecBole's log and TensorBoard events.
    ``max_epochs`` replaces the model's epoch cap and ``overrides`` any other
    RecBole setting.  ``threads`` defaults to one because on two cores shared
    with other work two OpenMP threads ran SASRec six times slower than one.
    ``train_seconds`` covers RecBole's ``fit`` (training and per-epoch
    validation), not building the dataset or scoring.
    """
    if model_name not in MODEL_CONFIG:
        raise ValueError(f"unknown model {model_name!r}; expected one of {', '.join(MODEL_CONFIG)}")
    _compatibility_shims()
    from recbole.config import Config
    from recbole.data import create_dataset, data_preparation
    from recbole.trainer import Trainer
    from recbole.utils import get_model, init_seed

    workdir = workdir.resolve()
    write_atomic_files(split, workdir / DATASET)
    settings = copy.deepcopy(
        {
            **COMMON_CONFIG,
            **MODEL_CONFIG[model_name],
            **({"epochs": max_epochs} if max_epochs is not None else {}),
            **(overrides or {}),
            "data_path": str(workdir),
            "checkpoint_dir": str(workdir / "saved"),
            "use_gpu": torch.cuda.is_available(),
            "seed": seed,
        }
    )
    with _contained(workdir, threads):
        config = Config(model=model_name, dataset=DATASET, config_dict=settings)
        init_seed(config["seed"], config["reproducibility"])
        dataset = create_dataset(config)
        train_data, valid_data, _ = data_preparation(config, dataset)
        init_seed(config["seed"], config["reproducibility"])
        model = get_model(model_name)(config, train_data.dataset).to(config["device"])
        trainer = Trainer(config, model)
        best: dict[str, Any] = {}
        finished: list[int] = []

        def keep_best(epoch: int, _score: float) -> None:
            # RecBole resets cur_step to 0 exactly when this epoch's validation improved.
            finished.append(epoch)
            if trainer.cur_step == 0:
                best.update(
                    epoch=epoch,
                    state=copy.deepcopy(model.state_dict()),
                    other=copy.deepcopy(model.other_parameter()),
                )

        started = time.perf_counter()
        trainer.fit(
            train_data,
            valid_data,
            saved=False,
            show_progress=False,
            callback_fn=keep_best,
        )
        train_seconds = time.perf_counter() - started
        trainer.tensorboard.close()
        model.load_state_dict(best["state"])
        model.load_other_parameter(best["other"])
        lookup = _to_internal(split, dataset)
        users = range(len(split.users))
        valid_scores = _score_matrix(model, dataset, split, split.train, lookup, config["device"])
        test_scores = _score_matrix(
            model,
            dataset,
            split,
            [split.test_history(user) for user in users],
            lookup,
            config["device"],
        )
    return PeerRun(
        model=f"{model_name.lower()} (recbole)",
        test_scores=test_scores,
        valid_scores=valid_scores,
        train_seconds=train_seconds,
        epochs=finished[-1] + 1,
        best_epoch=best["epoch"] + 1,
        budget=_budget(config),
    )
