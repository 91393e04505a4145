"""A SASRec-style next-item model trained with full softmax cross-entropy.

A causal Transformer reads the user's items in order and scores every item
in the catalogue as the next one.  Cross-entropy over all items (rather than
SASRec's original one sampled negative with binary loss) is the choice that
makes this model competitive; item embeddings are shared between input and
output so rarely seen items still get sensible scores.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
from torch import nn


@dataclass(frozen=True)
class SequenceModelConfig:
    n_items: int
    max_length: int = 200
    hidden: int = 64
    layers: int = 2
    heads: int = 2
    dropout: float = 0.2

    def to_dict(self) -> dict[str, int | float]:
        return asdict(self)


class SequenceModel(nn.Module):
    """Causal self-attention over item sequences; index 0 is padding."""

    def __init__(self, config: SequenceModelConfig) -> None:
        super().__init__()
        self.config = config
        self.item_embedding = nn.Embedding(config.n_items + 1, config.hidden, padding_idx=0)
        self.position_embedding = nn.Embedding(config.max_length, config.hidden)
        self.input_dropout = nn.Dropout(config.dropout)
        layer = nn.TransformerEncoderLayer(
            d_model=config.hidden,
            nhead=config.heads,
            dim_feedforward=config.hidden * 4,
            dropout=config.dropout,
            activation="gelu",
            batch_first=True,
            norm_first=True,
        )
        self.encoder = nn.TransformerEncoder(layer, num_layers=config.layers, enable_nested_tensor=False)
        self.output_norm = nn.LayerNorm(config.hidden)
        causal = torch.triu(
            torch.ones(config.max_length, config.max_length, dtype=torch.bool),
            diagonal=1,
        )
        self.causal_mask: torch.Tensor
        self.register_buffer("causal_mask", causal, persistent=False)
        nn.init.normal_(self.item_embedding.weight, std=0.02)
        nn.init.normal_(self.position_embedding.weight, std=0.02)

    def hidden_states(self, sequences: torch.Tensor) -> torch.Tensor:
        """``[batch, length]`` left-padded item indices -> ``[batch, length, hidden]``."""
        length = sequences.size(1)
        positions = torch.arange(length, device=sequences.device)
        states = self.item_embedding(sequences) * (self.config.hidden**0.5) + self.position_embedding(positions)
        # Padding positions carry nothing; they stay attendable so that no
        # query row is fully masked (which would make the softmax undefined).
        states = self.input_dropout(states) * (sequences != 0).unsqueeze(-1)
        states = self.encoder(states, mask=self.causal_mask[:length, :length], is_causal=True)
        return self.output_norm(states)

    def logits(self, states: torch.Tensor) -> torch.Tensor:
        """Scores for every item (column 0 is padding and should be ignored)."""
        return states @ self.item_embedding.weight.T

    def forward(self, inputs: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        """Training loss: cross-entropy over every item at every non-padding position.

        The loss is computed inside ``forward`` so that a distributed wrapper
        (``accelerate`` on several GPUs) sees the whole computation.
        """
        states = self.hidden_states(inputs)
        present = targets != 0
        return nn.functional.cross_entropy(self.logits(states[present]), targets[present])

    def next_item_scores(self, sequences: torch.Tensor) -> torch.Tensor:
        """``[batch, n_items + 1]`` scores of the item after each left-padded sequence."""
        return self.logits(self.hidden_states(sequences)[:, -1, :])
