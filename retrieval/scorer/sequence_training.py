"""Training of the sequence model: full cross-entropy, early stopping, accelerate.

``accelerate`` places the model and batches on whatever the machine has (one
CPU, one GPU, or several GPUs with ``accelerate launch -m ui.cli
train-scorer ...``, where each process trains on its share of every epoch's
windows and gradients are averaged), so the same command trains everywhere.  Batches are built from a seeded generator so that one seed
gives one model.
"""

from __future__ import annotations

import copy
import random
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
from accelerate import Accelerator
from tqdm.auto import tqdm

from retrieval.scorer.metrics import ranking_metrics, target_ranks
from retrieval.scorer.sequence_model import SequenceModel, SequenceModelConfig


@dataclass(frozen=True)
class SequenceTrainingConfig:
    max_epochs: int = 120
    patience: int = 4
    evaluate_every: int = 5
    batch_size: int = 64
    learning_rate: float = 1e-3
    seed: int = 0


@dataclass(frozen=True)
class SequenceTrainingResult:
    model: SequenceModel
    epochs: int
    best_epoch: int
    best_valid_ndcg10: float
    epoch_losses: tuple[float, ...]


def left_padded(sequences: Sequence[Sequence[int]], length: int) -> torch.Tensor:
    """The last ``length`` items of each sequence, left-padded with 0."""
    batch = torch.zeros(len(sequences), length, dtype=torch.long)
    for row, sequence in enumerate(sequences):
        tail = list(sequence)[-length:]
        if tail:
            batch[row, length - len(tail) :] = torch.tensor(tail)
    return batch


def next_item_scores(model: SequenceModel, histories: Sequence[Sequence[int]], batch_size: int = 256) -> np.ndarray:
    """``[users, n_items + 1]`` next-item log-probabilities for each history (empty ones get uniform).

    Column 0 (padding) gets each row's minimum so that every value stays finite.
    """
    model.eval()
    device = next(model.parameters()).device
    rows: list[np.ndarray] = []
    with torch.no_grad():
        for start in range(0, len(histories), batch_size):
            chunk = histories[start : start + batch_size]
            scores = model.next_item_scores(left_padded(chunk, model.config.max_length).to(device))
            log_probs = torch.log_softmax(scores[:, 1:], dim=-1)
            log_probs = torch.cat([log_probs.min(dim=-1, keepdim=True).values, log_probs], dim=-1)
            empty = torch.tensor([len(history) == 0 for history in chunk], device=device)
            log_probs[empty] = -float(np.log(model.config.n_items))
            rows.append(log_probs.float().cpu().numpy())
    return np.concatenate(rows) if rows else np.zeros((0, model.config.n_items + 1), np.float32)


def _training_windows(train: Sequence[Sequence[int]], length: int, rng: random.Random) -> list[Sequence[int]]:
    """One window of ``length + 1`` items per user; long histories get a random earlier window half the time."""
    windows = []
    for sequence in train:
        if len(sequence) > length + 1 and rng.random() < 0.5:
            end = rng.randint(length + 1, len(sequence))
            sequence = sequence[end - length - 1 : end]
        windows.append(sequence)
    return [window for window in windows if len(window) >= 2]


def train_sequence_model(
    train: Sequence[Sequence[int]],
    valid: Sequence[int],
    model_config: SequenceModelConfig,
    training: SequenceTrainingConfig,
    progress: bool = True,
) -> SequenceTrainingResult:
    """Fit on ``train`` histories; stop when NDCG@10 of ``valid`` (predicted from ``train``) stops rising."""
    torch.manual_seed(training.seed)
    rng = random.Random(training.seed)
    accelerator = Accelerator()
    model = SequenceModel(model_config)
    optimiser = torch.optim.AdamW(model.parameters(), lr=training.learning_rate, weight_decay=0.0)
    model, optimiser = accelerator.prepare(model, optimiser)
    length = model_config.max_length
    best_ndcg, best_epoch, best_state, waited = (
        -1.0,
        0,
        copy.deepcopy(accelerator.unwrap_model(model).state_dict()),
        0,
    )
    bar = tqdm(
        range(1, training.max_epochs + 1),
        desc="sequence model",
        unit="epoch",
        disable=not progress,
    )
    epoch = 0
    epoch_losses: list[float] = []
    for epoch in bar:
        model.train()
        total, batches = 0.0, 0
        windows = _training_windows(train, length, rng)
        rng.shuffle(windows)
        # Every process draws the same shuffle and trains on its own share; gradients are averaged.
        windows = windows[accelerator.process_index :: accelerator.num_processes]
        for start in range(0, len(windows), training.batch_size):
            batch = windows[start : start + training.batch_size]
            inputs = left_padded([window[:-1] for window in batch], length).to(accelerator.device)
            targets = left_padded([window[1:] for window in batch], length).to(accelerator.device)
            loss = model(inputs, targets)
            optimiser.zero_grad()
            accelerator.backward(loss)
            optimiser.step()
            total, batches = total + float(loss.detach()), batches + 1
        epoch_losses.append(total / max(batches, 1))
        if epoch % training.evaluate_every and epoch != training.max_epochs:
            continue
        scores = next_item_scores(accelerator.unwrap_model(model), train)
        ndcg = ranking_metrics(target_ranks(scores, train, valid), ks=(10,))["ndcg@10"]
        bar.set_postfix(valid_ndcg10=f"{ndcg:.4f}", best=f"{max(ndcg, best_ndcg):.4f}")
        if ndcg > best_ndcg:
            best_ndcg, best_epoch, waited = ndcg, epoch, 0
            best_state = copy.deepcopy(accelerator.unwrap_model(model).state_dict())
        else:
            waited += 1
            if waited >= training.patience:
                break
    final = SequenceModel(model_config)
    final.load_state_dict(best_state)
    final.eval()
    return SequenceTrainingResult(final, epoch, best_epoch, best_ndcg, tuple(epoch_losses))
