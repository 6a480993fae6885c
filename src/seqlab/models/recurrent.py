"""Recurrent beat classifiers after Singh et al. 2018 (vanilla RNN, GRU, LSTM; and a BiLSTM).

S. Singh, S. K. Pandey, U. Pawar, R. R. Janghel, "Classification of ECG Arrhythmia using
Recurrent Neural Networks", Procedia Computer Science 132 (2018) 1290-1297: each sample of the
beat is one time step, the recurrent state after the last step feeds a dense softmax layer;
normal vs abnormal beats, LSTM best (accuracy 0.88).

A 187-step recurrence is slow on a CPU (the steps are sequential), so ``downsample > 1`` puts a
strided convolution in front (kernel = stride = ``downsample``, ``frontend_channels`` out) and
the recurrence runs over ``T / downsample`` steps of learned features instead of raw samples.
``pool="last"`` classifies from the final hidden state (both directions for ``bilstm``),
``pool="mean"`` from the mean over time of the top layer's outputs.

>>> import torch
>>> lstm(num_classes=2, downsample=4)(torch.randn(3, 1, 187)).shape
torch.Size([3, 2])
"""

from __future__ import annotations

from typing import Literal

import torch
from torch import nn

from seqlab.models.layers import ClassifierHead, FeatureBatchNorm, GaussianNoise, make_norm
from seqlab.models.registry import register_model

Cell = Literal["rnn", "gru", "lstm"]
_CELLS: dict[str, type[nn.RNNBase]] = {"rnn": nn.RNN, "gru": nn.GRU, "lstm": nn.LSTM}


class RecurrentClassifier(nn.Module):
    """[strided conv front-end] -> RNN/GRU/LSTM over time -> last state or mean -> dense head."""

    def __init__(
        self,
        *,
        cell: Cell,
        bidirectional: bool,
        num_classes: int,
        in_channels: int,
        num_rr: int,
        hidden_size: int,
        num_layers: int,
        downsample: int,
        frontend_channels: int,
        pool: Literal["last", "mean"],
        dropout: float,
        batch_norm: bool,
        noise_std: float,
        dropconnect: float,
    ):
        super().__init__()
        if downsample < 1:
            raise ValueError(f"downsample must be >= 1, got {downsample}")
        if pool not in ("last", "mean"):
            raise ValueError(f"pool must be 'last' or 'mean', got {pool!r}")
        self.pool = pool
        self.bidirectional = bidirectional
        self.noise = GaussianNoise(noise_std) if noise_std > 0 else None
        step_features = in_channels
        self.frontend: nn.Module | None = None
        if downsample > 1:
            self.frontend = nn.Sequential(
                nn.Conv1d(
                    in_channels,
                    frontend_channels,
                    kernel_size=downsample,
                    stride=downsample,
                    bias=not batch_norm,
                ),
                make_norm(batch_norm, frontend_channels),
                nn.ReLU(),
            )
            step_features = frontend_channels
        self.rnn = _CELLS[cell](
            input_size=step_features,
            hidden_size=hidden_size,
            num_layers=num_layers,
            batch_first=True,
            dropout=dropout if num_layers > 1 else 0.0,
            bidirectional=bidirectional,
        )
        out_features = hidden_size * (2 if bidirectional else 1)
        self.norm = FeatureBatchNorm(out_features) if batch_norm else None
        self.dropout = nn.Dropout(dropout) if dropout > 0 else None
        self.head = ClassifierHead(
            out_features,
            num_rr=num_rr,
            hidden=[],
            num_classes=num_classes,
            dropout=dropout,
            dropconnect=dropconnect,
        )

    def forward(self, x: torch.Tensor, rr: torch.Tensor | None = None) -> torch.Tensor:
        if self.noise is not None:
            x = self.noise(x)  # (B, C, T)
        if self.frontend is not None:
            x = self.frontend(x)  # (B, F, T / downsample)
        out, state = self.rnn(x.transpose(1, 2))  # (B, T', C) -> (B, T', H * dirs)
        if self.pool == "mean":
            h = out.mean(dim=1)  # (B, H * dirs)
        else:
            h_n = state[0] if isinstance(state, tuple) else state  # (layers * dirs, B, H)
            if self.bidirectional:
                h = torch.cat([h_n[-2], h_n[-1]], dim=1)  # (B, 2H): top layer, both directions
            else:
                h = h_n[-1]  # (B, H)
        if self.norm is not None:
            h = self.norm(h)
        if self.noise is not None:
            h = self.noise(h)
        if self.dropout is not None:
            h = self.dropout(h)
        return self.head(h, rr)  # (B, K)


def _factory(cell: Cell, bidirectional: bool):
    """One factory signature for the four recurrent variants (the config checks it)."""

    def factory(
        *,
        num_classes: int,
        in_channels: int = 1,
        seq_len: int = 187,
        num_rr: int = 0,
        hidden_size: int = 64,
        num_layers: int = 1,
        downsample: int = 1,
        frontend_channels: int = 16,
        pool: Literal["last", "mean"] = "last",
        dropout: float = 0.0,
        batch_norm: bool = False,
        noise_std: float = 0.0,
        dropconnect: float = 0.0,
    ) -> nn.Module:
        kwargs = {k: v for k, v in locals().items() if k not in ("cell", "bidirectional", "seq_len")}
        return RecurrentClassifier(cell=cell, bidirectional=bidirectional, **kwargs)  # any length

    return factory


for _name, _cell, _bi, _doc in (
    ("rnn", "rnn", False, "Vanilla tanh RNN over the beat's samples, last state -> classes (Singh et al. 2018)."),
    ("gru", "gru", False, "GRU over the beat's samples, last hidden state -> classes (Singh et al. 2018)."),
    ("lstm", "lstm", False, "LSTM over the beat's samples, last hidden state -> classes (Singh et al. 2018's best)."),
    ("bilstm", "lstm", True, "Bidirectional LSTM over the beat's samples, both final states -> classes."),
):
    _f = _factory(_cell, _bi)
    _f.__name__ = _f.__qualname__ = _name
    _f.__doc__ = _doc
    globals()[_name] = register_model(_f)
