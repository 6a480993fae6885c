"""TextCNN (Kim 2014): parallel 1-D convolutions of several widths over word embeddings,
max-pooled over time (padding masked out), concatenated, dropout, linear."""

from __future__ import annotations

import torch
from torch import nn

from seqlab.models.registry import register_model


class TextCNN(nn.Module):
    def __init__(self, *, vocab_size: int, num_classes: int, pad_id: int = 0, embed_dim: int = 128,
                 kernel_sizes: tuple[int, ...] = (3, 4, 5), num_filters: int = 100,
                 dropout: float = 0.5):
        super().__init__()
        self.pad_id = pad_id
        self.embed = nn.Embedding(vocab_size, embed_dim, padding_idx=pad_id)
        self.convs = nn.ModuleList(
            nn.Conv1d(embed_dim, num_filters, k, padding=k // 2) for k in kernel_sizes)
        self.drop = nn.Dropout(dropout)
        self.head = nn.Linear(num_filters * len(kernel_sizes), num_classes)

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor | None = None):
        if attention_mask is None:
            attention_mask = (input_ids != self.pad_id).long()
        x = self.embed(input_ids).transpose(1, 2)  # (B, E, L)
        L = input_ids.shape[1]
        pooled = []
        for conv in self.convs:
            h = torch.relu(conv(x))[:, :, :L]  # (B, F, L)
            h = h.masked_fill(attention_mask[:, None, :] == 0, 0.0)  # ReLU ≥ 0, so 0 is neutral
            pooled.append(h.amax(dim=2))  # (B, F)
        return self.head(self.drop(torch.cat(pooled, dim=1)))  # (B, K)


@register_model
def text_cnn(*, vocab_size: int, num_classes: int, pad_id: int = 0, max_length: int | None = None,
             embed_dim: int = 128, kernel_sizes: tuple[int, ...] = (3, 4, 5),
             num_filters: int = 100, dropout: float = 0.5):
    """TextCNN (Kim 2014): convolutions of widths 3/4/5 + max-over-time pooling."""
    return TextCNN(vocab_size=vocab_size, num_classes=num_classes, pad_id=pad_id,
                   embed_dim=embed_dim, kernel_sizes=tuple(kernel_sizes), num_filters=num_filters,
                   dropout=dropout)
