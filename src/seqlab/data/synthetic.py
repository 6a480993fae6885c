"""A small synthetic waveform dataset for smoke tests: fast, deterministic, learnable.

Three classes of one-channel sequences (sine, square, sawtooth) with random frequency, phase,
amplitude and noise; ``groups`` mimic subjects so group folds can be exercised without real
data. Used by ``configs/smoke.yaml``.
"""

from __future__ import annotations

from typing import Literal

import numpy as np

from seqlab.data.base import DataConfigBase, PreparedData, Split
from pydantic import Field

from seqlab.data.registry import register_dataset

SHAPES = ("sine", "square", "sawtooth")


class SyntheticConfig(DataConfigBase):
    n_samples: int = Field(1200, ge=30, le=10_000_000)
    seq_len: int = Field(64, ge=8, le=100_000)
    noise: float = Field(0.3, ge=0.0)
    n_subjects: int = Field(12, ge=3)
    val_fraction: float = Field(0.2, gt=0.0, lt=1.0)
    test_fraction: float = Field(0.2, gt=0.0, lt=1.0)
    # a rare class makes imbalance handling visible: fraction of class 2 kept
    imbalance: float = Field(1.0, gt=0.0, le=1.0)
    split: Literal["random", "subject"] = "subject"


def waves(n: int, seq_len: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """n sequences (n, 1, seq_len) float32 and their class labels, vectorised."""
    y = rng.integers(0, len(SHAPES), n)
    t = np.linspace(0, 1, seq_len, dtype=np.float32)[None, :]  # (1, T)
    freq = rng.uniform(2, 5, (n, 1))
    phase = rng.uniform(0, 2 * np.pi, (n, 1))
    arg = 2 * np.pi * freq * t + phase  # (n, T)
    x = np.where(y[:, None] == 0, np.sin(arg),
                 np.where(y[:, None] == 1, np.sign(np.sin(arg)), 2 * ((arg / (2 * np.pi)) % 1) - 1))
    x = x * rng.uniform(0.5, 2.0, (n, 1)) + noise * rng.standard_normal((n, seq_len))
    return x[:, None, :].astype(np.float32), y.astype(np.int64)  # (n, 1, T)


@register_dataset(config=SyntheticConfig)
def synthetic_waves(cfg: SyntheticConfig, *, seed: int) -> PreparedData:
    """Synthetic sine/square/sawtooth sequences (smoke tests; no files needed)."""
    rng = np.random.default_rng(seed)
    x, y = waves(cfg.n_samples, cfg.seq_len, cfg.noise, rng)
    groups = rng.integers(0, cfg.n_subjects, cfg.n_samples)
    if cfg.imbalance < 1.0:
        keep = (y != 2) | (rng.random(cfg.n_samples) < cfg.imbalance)
        x, y, groups = x[keep], y[keep], groups[keep]
    if cfg.split == "subject":
        subjects = rng.permutation(cfg.n_subjects)
        n_test = max(1, round(cfg.test_fraction * cfg.n_subjects))
        n_val = max(1, round(cfg.val_fraction * cfg.n_subjects))
        part = {"test": subjects[:n_test], "val": subjects[n_test:n_test + n_val],
                "train": subjects[n_test + n_val:]}
        masks = {k: np.isin(groups, v) for k, v in part.items()}
    else:
        u = rng.random(len(y))
        masks = {"test": u < cfg.test_fraction,
                 "val": (u >= cfg.test_fraction) & (u < cfg.test_fraction + cfg.val_fraction),
                 "train": u >= cfg.test_fraction + cfg.val_fraction}
    splits = {k: Split(x[m], y[m], groups[m]) for k, m in masks.items()}
    return PreparedData(
        classes=list(SHAPES), **splits,
        model_kwargs={"in_channels": 1, "seq_len": cfg.seq_len, "num_rr": 0},
        summary={"protocol": f"synthetic waveforms, {cfg.split} split", "intra_patient": cfg.split == "random",
                 "records": {k: sorted(int(g) for g in np.unique(s.groups)) for k, s in splits.items()},
                 "notes": ["synthetic data: for smoke tests only"]},
    )
