"""Kachuee et al. 2018's residual 1D-CNN for heartbeat classification.

M. Kachuee, S. Fazeli, M. Sarrafzadeh, "ECG Heartbeat Classification: A Deep Transferable
Representation", IEEE ICHI 2018 (arXiv:1805.00794). A 5x5 stack: one k5 convolution to 32
channels, then five residual blocks (conv k5 - ReLU - conv k5 - skip add - ReLU) each followed
by max-pooling (k5, stride 2), then dense 32 - 32 - classes. On 187-sample beats at 125 Hz
the time axis shrinks 187 -> 92 -> 44 -> 20 -> 8 -> 2, so the head sees 32 x 2 = 64 features.

The seed's Leaky-ReLU CNN is the same graph with another activation, so
``seqlab.models.seed_cnn`` builds it from :class:`ResidualPoolCNN` too.

>>> import torch
>>> net = kachuee_resnet(num_classes=5)
>>> net(torch.randn(4, 1, 187)).shape
torch.Size([4, 5])
"""

from __future__ import annotations

import torch
from torch import nn

from seqlab.models.layers import ClassifierHead, GaussianNoise, ResidualBlock1d, conv_norm
from seqlab.models.registry import register_model

POOL_KERNEL, POOL_STRIDE = 5, 2


def pooled_length(seq_len: int, num_pools: int) -> int:
    """Length after ``num_pools`` max-pools (k5, s2, no padding); an error when too short."""
    length = seq_len
    for _ in range(num_pools):
        if length < POOL_KERNEL:
            raise ValueError(
                f"seq_len={seq_len} is too short for {num_pools} max-pools of kernel "
                f"{POOL_KERNEL}; need at least {min_seq_len(num_pools)} samples"
            )
        length = (length - POOL_KERNEL) // POOL_STRIDE + 1
    return length


def min_seq_len(num_pools: int) -> int:
    """Shortest input that survives ``num_pools`` pools."""
    length = 1
    for _ in range(num_pools):
        length = (length - 1) * POOL_STRIDE + POOL_KERNEL
    return length


class ResidualPoolCNN(nn.Module):
    """Stem conv, ``num_blocks`` x (residual block + max-pool k5 s2), flatten, dense head."""

    def __init__(
        self,
        *,
        num_classes: int,
        in_channels: int,
        seq_len: int,
        num_rr: int,
        channels: int,
        kernel_size: int,
        num_blocks: int,
        hidden: list[int],
        activation: str,
        dropout: float,
        batch_norm: bool,
        noise_std: float,
        dropconnect: float,
    ):
        super().__init__()
        layers: list[nn.Module] = [GaussianNoise(noise_std)] if noise_std > 0 else []
        layers += conv_norm(in_channels, channels, kernel_size, batch_norm=batch_norm)
        for _ in range(num_blocks):
            layers.append(
                ResidualBlock1d(
                    channels,
                    channels,
                    kernel_size=kernel_size,
                    activation=activation,
                    batch_norm=batch_norm,
                    noise_std=noise_std,
                )
            )
            layers.append(nn.MaxPool1d(POOL_KERNEL, POOL_STRIDE))
        self.features = nn.Sequential(*layers)
        self.flat_features = channels * pooled_length(seq_len, num_blocks)
        self.head = ClassifierHead(
            self.flat_features,
            num_rr=num_rr,
            hidden=hidden,
            num_classes=num_classes,
            activation=activation,
            dropout=dropout,
            dropconnect=dropconnect,
            noise_std=noise_std,
        )

    def forward(self, x: torch.Tensor, rr: torch.Tensor | None = None) -> torch.Tensor:
        h = self.features(x)  # (B, C, T')
        return self.head(h.flatten(1), rr)  # (B, C*T') -> (B, K)


@register_model
def kachuee_resnet(
    *,
    num_classes: int,
    in_channels: int = 1,
    seq_len: int = 187,
    num_rr: int = 0,
    channels: int = 32,
    kernel_size: int = 5,
    num_blocks: int = 5,
    dropout: float = 0.0,
    batch_norm: bool = False,
    noise_std: float = 0.0,
    dropconnect: float = 0.0,
) -> nn.Module:
    """Kachuee et al. 2018: conv 32 k5, 5 residual k5 blocks + max-pool k5 s2, dense 32-32."""
    return ResidualPoolCNN(**locals(), hidden=[32, 32], activation="relu")
