"""Building blocks shared by the ECG models, including the regularisation switches of issue 6.

Every switch is off at its default value and then adds no computation, so a model built with
the defaults runs exactly the paper's operations:

- ``noise_std``   -> :class:`GaussianNoise`, additive noise on inputs / hidden activations,
  active in training only;
- ``dropconnect`` -> :class:`DropConnectLinear`, Bernoulli mask on the *weights* of a linear
  layer (Wan et al. 2013), active in training only;
- ``batch_norm``  -> :func:`make_norm`, ``BatchNorm1d`` after each convolution;
- ``dropout``     -> plain ``nn.Dropout`` placed by each model.

>>> import torch
>>> head = ClassifierHead(in_features=64, num_rr=4, hidden=[32], num_classes=5)
>>> head(torch.randn(8, 64), torch.randn(8, 4)).shape
torch.Size([8, 5])
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

ACTIVATIONS: dict[str, type[nn.Module]] = {
    "relu": nn.ReLU,
    "leaky_relu": nn.LeakyReLU,
    "gelu": nn.GELU,
}


def make_activation(name: str) -> nn.Module:
    """An activation module by name; an unknown name lists the valid ones."""
    try:
        return ACTIVATIONS[name]()
    except KeyError:
        raise ValueError(f"unknown activation {name!r}; valid: {', '.join(ACTIVATIONS)}") from None


class GaussianNoise(nn.Module):
    """Add ``N(0, std^2)`` noise in training; the identity in ``eval()`` (noise injection)."""

    def __init__(self, std: float):
        super().__init__()
        if std < 0:
            raise ValueError(f"noise std must be >= 0, got {std}")
        self.std = float(std)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training or self.std == 0.0:
            return x
        return x + torch.randn_like(x) * self.std

    def extra_repr(self) -> str:
        return f"std={self.std}"


class DropConnectLinear(nn.Linear):
    """``nn.Linear`` whose weights are dropped with probability ``p`` in training (DropConnect).

    One mask is drawn per forward pass and shared by the batch (as AWD-LSTM's weight drop does):
    per-example masks would need a batched matmul per sample and cost far more on a CPU. Kept
    weights are scaled by ``1 / (1 - p)`` so ``eval()`` uses the plain weights. A subclass of
    ``nn.Linear``, so its state dict has the same keys and checkpoints transfer either way.
    """

    def __init__(self, in_features: int, out_features: int, p: float, bias: bool = True):
        super().__init__(in_features, out_features, bias=bias)
        if not 0.0 <= p < 1.0:
            raise ValueError(f"dropconnect probability must be in [0, 1), got {p}")
        self.p = float(p)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training or self.p == 0.0:
            return F.linear(x, self.weight, self.bias)
        weight = F.dropout(self.weight, p=self.p, training=True)  # masks and rescales
        return F.linear(x, weight, self.bias)

    def extra_repr(self) -> str:
        return f"{super().extra_repr()}, p={self.p}"


def make_linear(in_features: int, out_features: int, *, dropconnect: float = 0.0) -> nn.Linear:
    """A plain ``nn.Linear``, or a :class:`DropConnectLinear` when ``dropconnect > 0``."""
    if dropconnect > 0:
        return DropConnectLinear(in_features, out_features, p=dropconnect)
    return nn.Linear(in_features, out_features)


class FeatureBatchNorm(nn.BatchNorm1d):
    """``BatchNorm1d`` over feature vectors ``(B, F)`` that accepts a training batch of one.

    Plain batch norm raises on a single-sample training batch (no variance to estimate), which
    a data loader without ``drop_last`` produces whenever ``len(train) % batch_size == 1``; such
    a batch is normalised with the running statistics instead (and does not update them).
    """

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # (B, F) -> (B, F)
        if self.training and x.shape[0] == 1:
            return F.batch_norm(
                x, self.running_mean, self.running_var, self.weight, self.bias, False, 0.0, self.eps
            )
        return super().forward(x)


def make_norm(batch_norm: bool, channels: int) -> nn.Module:
    """``BatchNorm1d(channels)`` when ``batch_norm`` is on, else the identity."""
    return nn.BatchNorm1d(channels) if batch_norm else nn.Identity()


def conv_norm(
    in_channels: int, out_channels: int, kernel_size: int, *, batch_norm: bool, stride: int = 1
) -> list[nn.Module]:
    """A 'same'-padded ``Conv1d`` (no bias when a batch norm follows) plus its optional norm."""
    layers: list[nn.Module] = [
        nn.Conv1d(
            in_channels,
            out_channels,
            kernel_size,
            stride=stride,
            padding=kernel_size // 2,
            bias=not batch_norm,
        )
    ]
    if batch_norm:
        layers.append(nn.BatchNorm1d(out_channels))
    return layers


class ResidualBlock1d(nn.Module):
    """``act(x' + conv(act(conv(x))))`` with 'same' padding (Kachuee et al. 2018, Fig. 2).

    ``x'`` is ``x`` when the channel count is kept, else a 1x1 projection. ``noise_std`` adds
    Gaussian noise to the block's output in training.
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        *,
        kernel_size: int = 5,
        activation: str = "relu",
        batch_norm: bool = False,
        noise_std: float = 0.0,
        dropout: float = 0.0,
    ):
        super().__init__()
        inner: list[nn.Module] = conv_norm(
            in_channels, out_channels, kernel_size, batch_norm=batch_norm
        )
        inner.append(make_activation(activation))
        if dropout > 0:
            inner.append(nn.Dropout(dropout))
        inner += conv_norm(out_channels, out_channels, kernel_size, batch_norm=batch_norm)
        self.body = nn.Sequential(*inner)
        self.skip: nn.Module = (
            nn.Identity()
            if in_channels == out_channels
            else nn.Sequential(*conv_norm(in_channels, out_channels, 1, batch_norm=batch_norm))
        )
        self.act = make_activation(activation)
        self.noise = GaussianNoise(noise_std) if noise_std > 0 else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # (B, C_in, T) -> (B, C_out, T)
        out = self.act(self.body(x) + self.skip(x))
        return self.noise(out) if self.noise is not None else out


class RRBranch(nn.Module):
    """A small MLP over the RR-interval features ``(B, F) -> (B, out_features)``.

    ``input_norm`` puts a :class:`FeatureBatchNorm` on the raw features: RR intervals in
    seconds and ratios near 1 then reach the first layer on one scale, whatever the data
    module did.
    """

    def __init__(
        self,
        num_rr: int,
        out_features: int = 16,
        *,
        input_norm: bool = False,
        dropout: float = 0.0,
        dropconnect: float = 0.0,
    ):
        super().__init__()
        layers: list[nn.Module] = [FeatureBatchNorm(num_rr)] if input_norm else []
        layers += [make_linear(num_rr, out_features, dropconnect=dropconnect), nn.ReLU()]
        if dropout > 0:
            layers.append(nn.Dropout(dropout))
        self.net = nn.Sequential(*layers)
        self.out_features = out_features

    def forward(self, rr: torch.Tensor) -> torch.Tensor:  # (B, F) -> (B, out_features)
        return self.net(rr)


def check_rr(rr: torch.Tensor | None, num_rr: int) -> torch.Tensor | None:
    """``rr`` when the model was built for RR features (``num_rr > 0``), else ``None``.

    A model built with ``num_rr == 0`` accepts and ignores ``rr``; one built with ``num_rr > 0``
    refuses to run without it rather than silently predicting from the beat alone.
    """
    if num_rr == 0:
        return None
    if rr is None:
        raise ValueError(f"model was built with num_rr={num_rr} but forward got rr=None")
    if rr.ndim != 2 or rr.shape[1] != num_rr:
        raise ValueError(f"expected rr of shape (B, {num_rr}), got {tuple(rr.shape)}")
    return rr


class ClassifierHead(nn.Module):
    """Dense layers from a feature vector (plus the optional RR branch) to logits.

    The RR branch batch-normalises its input by default (``rr_input_norm``): the data module
    hands over seconds and ratios unscaled.

    ``features (B, D)`` and, when ``num_rr > 0``, ``rr (B, F)`` through :class:`RRBranch`, are
    concatenated, then ``hidden`` dense layers (activation, dropout, noise after each), then a
    linear layer to ``num_classes`` logits. No softmax: the loss takes logits.
    """

    def __init__(
        self,
        in_features: int,
        *,
        num_rr: int,
        hidden: list[int],
        num_classes: int,
        activation: str = "relu",
        dropout: float = 0.0,
        dropconnect: float = 0.0,
        noise_std: float = 0.0,
        rr_features: int = 16,
        rr_input_norm: bool = True,
    ):
        super().__init__()
        self.num_rr = num_rr
        self.rr = (
            RRBranch(
                num_rr,
                rr_features,
                input_norm=rr_input_norm,
                dropout=dropout,
                dropconnect=dropconnect,
            )
            if num_rr > 0
            else None
        )
        width = in_features + (rr_features if num_rr > 0 else 0)
        layers: list[nn.Module] = []
        for h in hidden:
            layers += [make_linear(width, h, dropconnect=dropconnect), make_activation(activation)]
            if dropout > 0:
                layers.append(nn.Dropout(dropout))
            if noise_std > 0:
                layers.append(GaussianNoise(noise_std))
            width = h
        layers.append(make_linear(width, num_classes, dropconnect=dropconnect))
        self.mlp = nn.Sequential(*layers)

    def forward(self, features: torch.Tensor, rr: torch.Tensor | None = None) -> torch.Tensor:
        rr = check_rr(rr, self.num_rr)
        if self.rr is not None:
            features = torch.cat([features, self.rr(rr)], dim=1)  # (B, D + rr_features)
        return self.mlp(features)  # (B, K)
