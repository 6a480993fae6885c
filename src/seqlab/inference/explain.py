"""Where a beat classifier looks: attributions over the beat waveform and its RR features.

Three methods from captum, each answering a different question:

- ``ig`` (Integrated Gradients, Sundararajan et al. 2017): how much each input sample moved
  the class score away from a baseline (a flat beat; RR log-ratios of 0, i.e. a beat on the
  local rhythm). Attributions sum to the score difference (completeness), so they compare
  across beats. Signed.
- ``saliency`` (Simonyan et al. 2014): |∂score/∂input|, the local sensitivity; cheap, noisy.
- ``gradcam`` (Selvaraju et al. 2017) in 1-D: the last convolution's feature maps weighted by
  their pooled gradients, ReLU'd and stretched back to the beat's length: a coarse "where"
  map that does not depend on the input's scale. Beat only (RR features have no feature map).

The model is any registered network taking ``x (B, C, T)`` and optionally ``rr (B, F)``.

>>> import torch
>>> from seqlab.models.tiny import tiny_cnn
>>> att = explain_beats(tiny_cnn(num_classes=2, seq_len=32).eval(), np.ones((3, 1, 32), np.float32),
...                     np.array([0, 1, 1]), "saliency")
>>> att.beat.shape, att.rr is None
((3, 1, 32), True)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import nn

from seqlab.errors import ConfigError
from seqlab.registry import suggest

METHODS = ("ig", "saliency", "gradcam")


@dataclass
class Attribution:
    """Per beat: the waveform attribution ``beat (N, C, T)``, the RR features' ``rr (N, F)``
    (None without RR input or for gradcam) and the class index each explains."""

    method: str
    beat: np.ndarray
    rr: np.ndarray | None
    target: np.ndarray


class _Positional(nn.Module):
    """captum passes inputs positionally; seqlab's networks take ``x`` and ``rr`` by name."""

    def __init__(self, model: nn.Module):
        super().__init__()
        self.model = model

    def forward(self, x: torch.Tensor, rr: torch.Tensor | None = None) -> torch.Tensor:
        return self.model(x) if rr is None else self.model(x=x, rr=rr)


def check_method(method: str) -> str:
    if method not in METHODS:
        raise ConfigError(f"unknown attribution method {method!r}{suggest(method, list(METHODS))}; "
                          f"valid: {', '.join(METHODS)}")
    return method


def check_network(model: Any, run: str = "the run") -> nn.Module:
    if not isinstance(model, nn.Module):
        raise ConfigError(f"{run} is a scikit-learn model, not a network: attributions need a network "
                          "(for linear text models use `seqlab explain RUN --text`)")
    if getattr(model, "beats_per_window", None) is not None:  # models.seq2seq labels beats in context
        raise ConfigError(f"{run} labels windows of consecutive beats: per-beat attributions do not apply to it")
    return model


def last_conv(model: nn.Module) -> nn.Module:
    convs = [m for m in model.modules() if isinstance(m, nn.Conv1d)]
    if not convs:
        raise ConfigError(f"{type(model).__name__} has no 1-D convolution for gradcam; use --method ig or saliency")
    return convs[-1]


def explain_beats(model: nn.Module, inputs: Any, targets: np.ndarray, method: str = "ig", *,
                  steps: int = 32, batch_size: int = 64) -> Attribution:
    """Attributions of ``targets`` (class index per beat) for model ``inputs`` (an (N, C, T)
    array or ``{"x", "rr"}``), computed in batches on the CPU."""
    check_method(method)
    net = _Positional(check_network(model).eval())
    x_all = np.asarray(inputs["x"] if isinstance(inputs, dict) else inputs, dtype=np.float32)
    rr_all = np.asarray(inputs["rr"], dtype=np.float32) if isinstance(inputs, dict) and "rr" in inputs else None
    targets = np.asarray(targets, dtype=np.int64)
    beats, rrs = [], []
    for start in range(0, len(x_all), batch_size):
        sl = slice(start, start + batch_size)
        parts = (torch.from_numpy(x_all[sl]),) + (() if rr_all is None else (torch.from_numpy(rr_all[sl]),))
        parts = tuple(p.clone().requires_grad_() for p in parts)
        with torch.enable_grad():
            out = _attribute(net, parts, torch.from_numpy(targets[sl]), method, steps)
        beats.append(out[0])
        if rr_all is not None and len(out) > 1:
            rrs.append(out[1])
    beat = np.concatenate(beats) if beats else np.zeros_like(x_all)
    rr = np.concatenate(rrs) if rrs else None
    return Attribution(method, beat, rr, targets)


def _attribute(net: nn.Module, parts: tuple, target: torch.Tensor, method: str, steps: int) -> list[np.ndarray]:
    from captum.attr import IntegratedGradients, LayerAttribution, LayerGradCam, Saliency

    if method == "ig":
        attr = IntegratedGradients(net).attribute(parts, baselines=tuple(torch.zeros_like(p) for p in parts),
                                                  target=target, n_steps=steps)
        return [a.detach().numpy() for a in attr]
    if method == "saliency":
        attr = Saliency(net).attribute(parts, target=target, abs=True)
        return [a.detach().numpy() for a in attr]
    cam = LayerGradCam(net, last_conv(net.model)).attribute(parts, target=target, relu_attributions=True)
    cam = LayerAttribution.interpolate(cam.mean(dim=1, keepdim=True), (parts[0].shape[-1],), "linear")
    return [cam.expand(-1, parts[0].shape[1], -1).detach().numpy()]  # (B, C, T): one map for every channel


def attribution_mass(beat_attr: np.ndarray, window: slice) -> np.ndarray:
    """Share of each beat's absolute attribution inside ``window`` (samples), over channels."""
    a = np.abs(beat_attr).sum(axis=1)  # (N, T)
    return a[:, window].sum(axis=1) / np.maximum(a.sum(axis=1), 1e-12)
