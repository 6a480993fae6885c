"""ECG augmentation on training batches: amplitude scaling, baseline wander, Gaussian and
electrode-motion-like noise, small time shifts and stretches.

Why on batches of tensors ``(B, C, T)`` and not per sample in the dataset: the loaders hand
whole batches over (``ArrayDataset.__getitems__``), and one vectorised call per batch costs
far less than B Python calls. Why a private generator seeded by ``(seed, step, rank)``: the
same config gives the same augmented batches, also after ``--resume`` and on every DDP rank,
without touching the global RNG that dropout draws from.

Each transform fires per sample with probability ``prob``; a magnitude of 0 disables it.
Validation and test batches are never augmented (the module calls this in ``training_step``).

>>> import torch
>>> aug = BatchAugment({"prob": 1.0, "scale": 0.1, "wander": 0.1, "wander_cycles": 1.0,
...                     "noise": 0.05, "motion": 0.1, "shift": 0.05, "stretch": 0.05}, seed=0)
>>> x = torch.zeros(8, 1, 187)
>>> y = aug(x, step=0)
>>> y.shape, bool((y != 0).any()), bool(torch.equal(y, aug(x, step=0)))
(torch.Size([8, 1, 187]), True, True)
"""

from __future__ import annotations

import math
from typing import Any

import torch
import torch.nn.functional as F

TRANSFORMS = ("scale", "wander", "noise", "motion", "shift", "stretch")


class BatchAugment:
    """Callable ``(x, step) -> x'`` built from the ``augment:`` config section."""

    def __init__(self, cfg: dict[str, Any], *, seed: int, rank: int = 0):
        self.cfg, self.seed, self.rank = dict(cfg), int(seed), int(rank)
        self.prob = float(self.cfg.get("prob", 0.0))

    @property
    def active(self) -> bool:
        return self.prob > 0 and any(self.cfg.get(k, 0) for k in TRANSFORMS)

    def __call__(self, x: Any, step: int) -> Any:
        """Augment ``x`` (a tensor, or a dict whose ``"x"`` entry is the signal)."""
        if isinstance(x, dict):
            return {**x, "x": self(x["x"], step)} if "x" in x else x
        if not self.active or not torch.is_floating_point(x) or x.dim() != 3:
            return x
        g = torch.Generator().manual_seed((self.seed * 1_000_003 + step) * 64 + self.rank)
        return augment_batch(x, self.cfg, self.prob, g)


def _rand(g: torch.Generator, *shape: int) -> torch.Tensor:
    return torch.rand(*shape, generator=g)


def _randn(g: torch.Generator, *shape: int) -> torch.Tensor:
    return torch.randn(*shape, generator=g)


def augment_batch(x: torch.Tensor, c: dict[str, Any], prob: float, g: torch.Generator) -> torch.Tensor:
    """All transforms on one batch ``(B, C, T)``; random numbers drawn on the CPU from ``g``
    (device-independent streams), then moved to ``x.device``."""
    b, _, t = x.shape
    dev, dt = x.device, x.dtype

    def fire() -> torch.Tensor:  # (B, 1, 1) 1.0 where the transform applies to the sample
        return (_rand(g, b, 1, 1) < prob).to(dev, dt)

    out = x
    if c.get("shift", 0) or c.get("stretch", 0):
        out = _warp(out, c.get("shift", 0.0), c.get("stretch", 0.0), fire(), g)
    if c.get("scale", 0):
        gain = torch.exp(c["scale"] * _randn(g, b, 1, 1)).to(dev, dt)  # (B, 1, 1)
        out = out * (1 + fire() * (gain - 1))
    pos = torch.linspace(0, 1, t, device=dev, dtype=dt)[None, None, :]  # (1, 1, T)
    if c.get("wander", 0):
        cycles = (c.get("wander_cycles", 1.0) * _rand(g, b, 1, 1)).to(dev, dt)
        phase = (2 * math.pi * _rand(g, b, 1, 1)).to(dev, dt)
        amp = (c["wander"] * _rand(g, b, 1, 1)).to(dev, dt)
        out = out + fire() * amp * torch.sin(2 * math.pi * cycles * pos + phase)  # (B, 1, T) broadcast
    if c.get("noise", 0):
        out = out + fire() * c["noise"] * _randn(g, *x.shape).to(dev, dt)
    if c.get("motion", 0):
        out = out + fire() * _motion(b, x.shape[1], t, c["motion"], g).to(dev, dt)
    return out


def _motion(b: int, ch: int, t: int, amp: float, g: torch.Generator) -> torch.Tensor:
    """Electrode-motion-like artefact: low-pass noise (a moving average over ~T/10 samples)
    under a Gaussian envelope at a random position, ``(B, C, T)``."""
    k = max(3, t // 10) | 1
    raw = _randn(g, b * ch, 1, t + k - 1)
    smooth = F.avg_pool1d(raw, k, stride=1).view(b, ch, t) * math.sqrt(k)  # unit-ish std
    centre, width = _rand(g, b, 1, 1), 0.05 + 0.2 * _rand(g, b, 1, 1)
    pos = torch.linspace(0, 1, t)[None, None, :]
    envelope = torch.exp(-0.5 * ((pos - centre) / width) ** 2)  # (B, 1, T)
    return amp * smooth * envelope


def _warp(x: torch.Tensor, shift: float, stretch: float, mask: torch.Tensor, g: torch.Generator) -> torch.Tensor:
    """Resample each sample at ``(t - c) / r + c - s`` (stretch r about the centre, shift s
    samples), linear interpolation, edges held; untouched where ``mask`` is 0."""
    b, ch, t = x.shape
    s = (2 * _rand(g, b, 1) - 1) * shift * t  # (B, 1) samples
    r = 1 + (2 * _rand(g, b, 1) - 1) * stretch  # (B, 1)
    grid = torch.arange(t, dtype=torch.float32)[None, :]  # (1, T)
    centre = (t - 1) / 2
    src = ((grid - centre) / r + centre - s).clamp(0, t - 1)  # (B, T)
    m = mask.view(b, 1).cpu()
    src = m * src + (1 - m) * grid  # identity where not fired
    lo = src.floor().long().clamp(max=t - 1)
    hi = (lo + 1).clamp(max=t - 1)
    w = (src - lo).to(x.device, x.dtype)[:, None, :]  # (B, 1, T)
    lo, hi = lo.to(x.device)[:, None, :].expand(b, ch, t), hi.to(x.device)[:, None, :].expand(b, ch, t)
    return torch.gather(x, 2, lo) * (1 - w) + torch.gather(x, 2, hi) * w  # (B, C, T)
