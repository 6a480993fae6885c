"""The basics: linear regression, logistic and softmax regression, and the multi-layer perceptron.

One network, ``MLP``: zero or more hidden layers with a non-linearity, then an affine output.
Without hidden layers it is linear, and says so (``is_linear``): evaluation and the report use
that to explain what the model can and cannot separate (XOR, Minsky & Papert 1969).

Inputs are flattened, so a tabular row ``(B, F)`` and a window ``(B, C, T)`` both work
(``in_channels · seq_len`` input features; tabular data has ``seq_len`` 1). Outputs:

- classes, ``head="softmax"``: K logits, one weight vector per class (the ML convention);
- classes, ``head="logistic"``: K − 1 logits against class 0, returned as ``[0, z_1 … z_{K−1}]``:
  for two classes one sigmoid unit, ``p(class 1) = σ(z)`` (the statistician's identifiable
  multinomial logit); softmax of those logits is exactly that probability;
- a real-valued target (``num_classes`` 1): its prediction, plus with ``loss="gaussian_nll"`` a
  second column, the predicted variance (softplus, always > 0).

>>> import torch
>>> net = mlp(num_classes=2, in_channels=2, hidden_sizes=[4], activation="tanh", head="logistic")
>>> net(torch.zeros(3, 2)).shape, net.is_linear, sum(p.numel() for p in net.parameters())
(torch.Size([3, 2]), False, 17)
"""

from __future__ import annotations

from typing import Literal

import torch
from torch import nn
from torch.nn import functional as F

from seqlab.models.registry import register_model

ACTIVATIONS = {"relu": nn.ReLU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid, "leaky_relu": nn.LeakyReLU,
               "gelu": nn.GELU}
Activation = Literal["relu", "tanh", "sigmoid", "leaky_relu", "gelu"]
Head = Literal["softmax", "logistic"]
Loss = Literal["cross_entropy", "mse", "gaussian_nll"]
MIN_VARIANCE = 1e-6  # keeps the Gaussian NLL finite when a variance output collapses


class MLP(nn.Module):
    def __init__(self, *, in_features: int, hidden_sizes: list[int], num_outputs: int, activation: str,
                 dropout: float, reference_class: bool, gaussian: bool):
        super().__init__()
        layers: list[nn.Module] = []
        width = in_features
        for size in hidden_sizes:
            layers += [nn.Linear(width, size), ACTIVATIONS[activation]()]
            if dropout:
                layers.append(nn.Dropout(dropout))
            width = size
        layers.append(nn.Linear(width, num_outputs))
        self.net = nn.Sequential(*layers)
        self.reference_class, self.gaussian = reference_class, gaussian
        self.is_linear = not hidden_sizes  # an affine map: one hyperplane per decision

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.net(x.flatten(1))  # (B, F) or (B, C, T) -> (B, F') -> (B, outputs)
        if self.reference_class:  # class 0's logit is fixed at 0
            return torch.cat([torch.zeros_like(out[:, :1]), out], dim=1)  # (B, K)
        if self.gaussian:  # mean, variance
            return torch.cat([out[:, :1], F.softplus(out[:, 1:]) + MIN_VARIANCE], dim=1)  # (B, 2)
        return out


def _build(*, num_classes: int, in_channels: int, seq_len: int, hidden_sizes: list[int], activation: str,
           dropout: float, head: str, loss: str | None) -> MLP:
    """Check the arguments against the data (a ``ValueError`` is the config's one-line error)."""
    if any(size < 1 for size in hidden_sizes):
        raise ValueError(f"hidden_sizes must be positive, got {hidden_sizes}")
    if not 0 <= dropout < 1:
        raise ValueError(f"dropout must lie in [0, 1), got {dropout}")
    target = num_classes == 1  # the data has one real-valued target, no classes
    if target and head == "logistic":
        raise ValueError("head 'logistic' is for classes; a regression target takes the default head")
    if loss in ("mse", "gaussian_nll") and not target:
        raise ValueError(f"loss {loss!r} is for a real-valued target; classes use cross_entropy")
    if target and loss == "cross_entropy":
        raise ValueError("loss 'cross_entropy' is for classes; a regression target takes mse or gaussian_nll")
    gaussian = target and loss == "gaussian_nll"
    outputs = 2 if gaussian else num_classes - 1 if head == "logistic" else num_classes
    return MLP(in_features=in_channels * seq_len, hidden_sizes=list(hidden_sizes), num_outputs=outputs,
               activation=activation, dropout=dropout, reference_class=head == "logistic", gaussian=gaussian)


@register_model
def linear(*, num_classes: int, in_channels: int = 1, seq_len: int = 1, loss: Loss | None = None) -> nn.Module:
    """Linear regression: an affine map of the inputs (loss mse, or gaussian_nll with a variance)."""
    return _build(num_classes=num_classes, in_channels=in_channels, seq_len=seq_len, hidden_sizes=[],
                  activation="relu", dropout=0.0, head="softmax", loss=loss)


@register_model
def logistic(*, num_classes: int, in_channels: int = 1, seq_len: int = 1) -> nn.Module:
    """Logistic regression: one sigmoid unit for two classes (K − 1 logits against class 0)."""
    if num_classes < 2:
        raise ValueError(f"logistic regression needs at least 2 classes, the data has {num_classes} "
                         "(a regression target: use model 'linear')")
    return _build(num_classes=num_classes, in_channels=in_channels, seq_len=seq_len, hidden_sizes=[],
                  activation="relu", dropout=0.0, head="logistic", loss=None)


@register_model
def softmax(*, num_classes: int, in_channels: int = 1, seq_len: int = 1) -> nn.Module:
    """Softmax (multinomial logistic) regression: one weight vector per class."""
    if num_classes < 2:
        raise ValueError(f"softmax regression needs at least 2 classes, the data has {num_classes} "
                         "(a regression target: use model 'linear')")
    return _build(num_classes=num_classes, in_channels=in_channels, seq_len=seq_len, hidden_sizes=[],
                  activation="relu", dropout=0.0, head="softmax", loss=None)


@register_model
def mlp(*, num_classes: int, in_channels: int = 1, seq_len: int = 1,
        hidden_sizes: list[int] = [16],  # noqa: B006  (read, never mutated)
        activation: Activation = "relu", dropout: float = 0.0, head: Head = "softmax",
        loss: Loss | None = None) -> nn.Module:
    """Multi-layer perceptron: hidden layers with relu/tanh/sigmoid/leaky_relu/gelu, for classes or a target."""
    return _build(num_classes=num_classes, in_channels=in_channels, seq_len=seq_len,
                  hidden_sizes=list(hidden_sizes), activation=activation, dropout=dropout, head=head, loss=loss)
