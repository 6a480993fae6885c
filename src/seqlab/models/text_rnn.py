"""Embedding + bidirectional recurrent network (RNN / LSTM / GRU) for text classification.

Padded positions are packed away (``pack_padded_sequence``) so the backward direction starts
at each review's last real token, not at the padding; the two directions' final states plus a
masked max-pool over time feed a linear classifier.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from seqlab.models.registry import register_model

_CELLS = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}


class TextBiRNN(nn.Module):
    def __init__(self, *, vocab_size: int, num_classes: int, pad_id: int = 0, cell: str = "lstm",
                 embed_dim: int = 128, hidden_size: int = 128, num_layers: int = 1,
                 dropout: float = 0.3):
        super().__init__()
        if cell not in _CELLS:
            raise ValueError(f"unknown cell {cell!r}; valid: {', '.join(_CELLS)}")
        self.pad_id = pad_id
        self.embed = nn.Embedding(vocab_size, embed_dim, padding_idx=pad_id)
        self.rnn = _CELLS[cell](embed_dim, hidden_size, num_layers=num_layers, batch_first=True,
                                bidirectional=True, dropout=dropout if num_layers > 1 else 0.0)
        self.drop = nn.Dropout(dropout)
        self.head = nn.Linear(4 * hidden_size, num_classes)

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor | None = None):
        if attention_mask is None:
            attention_mask = (input_ids != self.pad_id).long()
        lengths = attention_mask.sum(1).clamp(min=1).cpu()  # (B,)
        emb = self.drop(self.embed(input_ids))  # (B, L, E)
        packed = pack_padded_sequence(emb, lengths, batch_first=True, enforce_sorted=False)
        out, state = self.rnn(packed)
        h = state[0] if isinstance(state, tuple) else state  # (layers*2, B, H)
        last = torch.cat([h[-2], h[-1]], dim=1)  # (B, 2H): forward and backward final states
        seq, _ = pad_packed_sequence(out, batch_first=True, total_length=input_ids.shape[1])  # (B, L, 2H)
        mask = attention_mask[:, :, None].bool()
        pooled = seq.masked_fill(~mask, float("-inf")).amax(dim=1)  # (B, 2H)
        pooled = torch.where(torch.isfinite(pooled), pooled, torch.zeros_like(pooled))
        return self.head(self.drop(torch.cat([last, pooled], dim=1)))  # (B, K)


@register_model
def text_birnn(*, vocab_size: int, num_classes: int, pad_id: int = 0, max_length: int | None = None,
               embed_dim: int = 128, hidden_size: int = 128, num_layers: int = 1,
               dropout: float = 0.3):
    """Embedding + bidirectional Elman RNN (tanh)."""
    return TextBiRNN(vocab_size=vocab_size, num_classes=num_classes, pad_id=pad_id, cell="rnn",
                     embed_dim=embed_dim, hidden_size=hidden_size, num_layers=num_layers,
                     dropout=dropout)


@register_model
def text_bilstm(*, vocab_size: int, num_classes: int, pad_id: int = 0, max_length: int | None = None,
                embed_dim: int = 128, hidden_size: int = 128, num_layers: int = 1,
                dropout: float = 0.3):
    """Embedding + bidirectional LSTM."""
    return TextBiRNN(vocab_size=vocab_size, num_classes=num_classes, pad_id=pad_id, cell="lstm",
                     embed_dim=embed_dim, hidden_size=hidden_size, num_layers=num_layers,
                     dropout=dropout)


@register_model
def text_bigru(*, vocab_size: int, num_classes: int, pad_id: int = 0, max_length: int | None = None,
               embed_dim: int = 128, hidden_size: int = 128, num_layers: int = 1,
               dropout: float = 0.3):
    """Embedding + bidirectional GRU."""
    return TextBiRNN(vocab_size=vocab_size, num_classes=num_classes, pad_id=pad_id, cell="gru",
                     embed_dim=embed_dim, hidden_size=hidden_size, num_layers=num_layers,
                     dropout=dropout)
