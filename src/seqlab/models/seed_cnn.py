"""The two CNNs of the seed code, kept so its results can be reproduced (and its bug is gone).

The seed ended both networks with ``LogSoftmax`` and then trained them with
``CrossEntropyLoss``, which applies log-softmax a second time; here ``forward`` returns logits
and the trainer's ``CrossEntropyLoss`` is the only softmax.

- ``seed_leaky_cnn``: Kachuee's residual graph with Leaky-ReLU (conv 1->32 k5, five residual
  pairs of 32-channel k5 convolutions each followed by max-pool k5 s2, dense 32-32-classes).
- ``seed_cnn2``: a LeNet-like CNN (conv 16 k5, pool 2, conv 32 k5, pool 2, dense 120,
  dropout, classes) with unpadded convolutions, as PyTorch's ``Conv1d`` defaults.

>>> import torch
>>> seed_cnn2(num_classes=5)(torch.randn(2, 1, 187)).shape
torch.Size([2, 5])
"""

from __future__ import annotations

import torch
from torch import nn

from seqlab.models.kachuee import ResidualPoolCNN
from seqlab.models.layers import ClassifierHead, GaussianNoise
from seqlab.models.registry import register_model


@register_model
def seed_leaky_cnn(
    *,
    num_classes: int,
    in_channels: int = 1,
    seq_len: int = 187,
    num_rr: int = 0,
    dropout: float = 0.0,
    batch_norm: bool = False,
    noise_std: float = 0.0,
    dropconnect: float = 0.0,
) -> nn.Module:
    """The seed's Leaky-ReLU residual CNN: conv 32 k5, 5 residual pairs + max-pool, dense 32-32."""
    return ResidualPoolCNN(**locals(), channels=32, kernel_size=5, num_blocks=5, hidden=[32, 32],
                           activation="leaky_relu")


class SeedCNN2(nn.Module):
    """conv(16, k5) - pool 2 - conv(32, k5) - pool 2 - dense 120 - dropout - classes."""

    def __init__(
        self,
        *,
        num_classes: int,
        in_channels: int,
        seq_len: int,
        num_rr: int,
        hidden: int,
        dropout: float,
        batch_norm: bool,
        noise_std: float,
        dropconnect: float,
    ):
        super().__init__()
        flat_len = ((seq_len - 4) // 2 - 4) // 2
        if flat_len < 1:
            raise ValueError(f"seq_len={seq_len} is too short for seed_cnn2 (need >= 16)")
        layers: list[nn.Module] = [GaussianNoise(noise_std)] if noise_std > 0 else []
        for c_in, c_out in ((in_channels, 16), (16, 32)):
            layers.append(nn.Conv1d(c_in, c_out, 5, bias=not batch_norm))
            if batch_norm:
                layers.append(nn.BatchNorm1d(c_out))
            layers += [nn.ReLU(), nn.MaxPool1d(2)]
            if noise_std > 0:
                layers.append(GaussianNoise(noise_std))
        self.features = nn.Sequential(*layers)
        self.head = ClassifierHead(
            32 * flat_len,
            num_rr=num_rr,
            hidden=[hidden],
            num_classes=num_classes,
            dropout=dropout,
            dropconnect=dropconnect,
            noise_std=noise_std,
        )

    def forward(self, x: torch.Tensor, rr: torch.Tensor | None = None) -> torch.Tensor:
        h = self.features(x)  # (B, 32, T')
        return self.head(h.flatten(1), rr)  # (B, 32*T') -> (B, K)


@register_model
def seed_cnn2(
    *,
    num_classes: int,
    in_channels: int = 1,
    seq_len: int = 187,
    num_rr: int = 0,
    hidden: int = 120,
    dropout: float = 0.5,
    batch_norm: bool = False,
    noise_std: float = 0.0,
    dropconnect: float = 0.0,
) -> nn.Module:
    """The seed's small CNN: conv 16 k5, pool 2, conv 32 k5, pool 2, dense 120, dropout."""
    return SeedCNN2(
        num_classes=num_classes,
        in_channels=in_channels,
        seq_len=seq_len,
        num_rr=num_rr,
        hidden=hidden,
        dropout=dropout,
        batch_norm=batch_norm,
        noise_std=noise_std,
        dropconnect=dropconnect,
    )
