"""A tiny 1D-CNN for smoke tests and the trainer-overhead benchmark."""

from __future__ import annotations

import torch
from torch import nn

from seqlab.models.registry import register_model


class TinyCNN(nn.Module):
    def __init__(self, *, in_channels: int, num_classes: int, width: int, dropout: float):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv1d(in_channels, width, 5, padding=2), nn.ReLU(), nn.MaxPool1d(2),
            nn.Conv1d(width, width, 5, padding=2), nn.ReLU(), nn.AdaptiveAvgPool1d(1),
        )
        self.head = nn.Sequential(nn.Flatten(), nn.Dropout(dropout), nn.Linear(width, num_classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x))  # (B, C, T) -> (B, width, 1) -> (B, K)


@register_model
def tiny_cnn(*, num_classes: int, in_channels: int = 1, seq_len: int = 64,
             width: int = 16, dropout: float = 0.0) -> nn.Module:
    """Two-layer 1D-CNN with global average pooling (smoke tests, benchmarks)."""
    return TinyCNN(in_channels=in_channels, num_classes=num_classes, width=width, dropout=dropout)
