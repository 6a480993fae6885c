"""Evaluate an autoencoder run without Lightning: ``metrics.json`` (MSE, MAE, SNR, PRD, per class,
anomaly ROC-AUC), example traces in ``predictions_<split>.npz``, and for a denoising run the
SNR-in -> SNR-out table beside seqlab's own filter chain on the same noisy beats.

The table adds each noise kind of ``reconstruct.noise`` at each ``reconstruct.eval_snr_db`` to
the clean evaluation beats (a seeded sample of at most ``TABLE_BEATS``), exactly at that SNR per
beat (``data.ecg.noise``), and reports the mean per-beat output SNR of the autoencoder and of
the run's ``data.filters`` chain (``data.ecg.filters.ecg_clean``, the same methods and settings
that made the clean beats) applied to the noisy beat windows.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np
import torch

from seqlab import atomic
from seqlab.config import RunConfig
from seqlab.data.base import PreparedData
from seqlab.data.ecg.filters import ecg_clean
from seqlab.data.ecg.noise import ecg_add_noise
from seqlab.evaluation import reconstruction
from seqlab.models.registry import MODELS
from seqlab.report.rundir import read_json

TABLE_BEATS = 3000  # beats per noise condition in the SNR table
EXAMPLES_PER_CLASS = 2


def is_autoencoder(cfg: RunConfig) -> bool:
    import seqlab.models.catalog  # noqa: F401  (fills the registry)

    return MODELS.get(cfg.model.name).meta.get("kind") == "autoencoder"


def reconstruct_all(model: torch.nn.Module, x: np.ndarray, batch_size: int = 1024) -> np.ndarray:
    """``model(x)`` over ``(N, C, T)`` windows in batches, float32."""
    model.eval()
    out = []
    with torch.no_grad():
        for i in range(0, len(x), batch_size):
            out.append(model(torch.from_numpy(np.ascontiguousarray(x[i:i + batch_size], dtype=np.float32))).numpy())
    return np.concatenate(out) if out else np.zeros_like(x, dtype=np.float32)


def filter_chain(x: np.ndarray, fs: float, data_cfg) -> np.ndarray | None:
    """The run's ``data.filters`` (in order, its band-pass settings) on windows ``(N, C, T)``;
    None for data without a filter chain."""
    methods = getattr(data_cfg, "filters", None)
    if not methods:
        return None
    out = np.asarray(x, dtype=np.float64)
    for method in methods:
        kwargs = {}
        if method == "bandpass":
            kwargs = {"low_hz": data_cfg.bandpass_hz[0], "high_hz": data_cfg.bandpass_hz[1],
                      "order": data_cfg.bandpass_order}
        out = ecg_clean(out, fs, method=method, **kwargs)
    return np.asarray(out, dtype=np.float32)


def denoising_table(model: torch.nn.Module, clean: np.ndarray, fs: float, cfg: RunConfig
                    ) -> tuple[list[dict[str, Any]], dict[str, np.ndarray]]:
    """Rows ``{noise, snr_in_db, snr_in_measured, ae_snr_db, filter_snr_db, ...}`` and example
    traces (the first two beats of the sample at each condition)."""
    rows, examples = [], {}
    for i, kind in enumerate(cfg.reconstruct.noise):
        for j, level in enumerate(cfg.reconstruct.eval_snr_db):
            rng = np.random.default_rng([cfg.seed, 7, i, j])
            noisy = ecg_add_noise(clean, fs, method=kind, snr_db=level, rng=rng)[0]
            denoised = reconstruct_all(model, noisy, cfg.eval.batch_size)
            filtered = filter_chain(noisy, fs, cfg.data)
            row = {"noise": kind, "snr_in_db": float(level),
                   "snr_in_measured": float(reconstruction.snr_db(clean, noisy).mean()),
                   "ae_snr_db": float(reconstruction.snr_db(clean, denoised).mean()),
                   "ae_prd": float(reconstruction.prd_percent(clean, denoised).mean()),
                   "filter_snr_db": None, "filter_prd": None}
            if filtered is not None:
                row["filter_snr_db"] = float(reconstruction.snr_db(clean, filtered).mean())
                row["filter_prd"] = float(reconstruction.prd_percent(clean, filtered).mean())
            rows.append(row)
            key = f"denoise_{kind}_{j}"
            examples[f"{key}_noisy"], examples[f"{key}_ae"] = noisy[:2], denoised[:2]
            if filtered is not None:
                examples[f"{key}_filter"] = filtered[:2]
    return rows, examples


def example_rows(y: np.ndarray, n_classes: int, seed: int) -> np.ndarray:
    """Up to ``EXAMPLES_PER_CLASS`` seeded beats of each class present, in class order."""
    rng = np.random.default_rng([seed, 11])
    picks = [rng.choice(np.flatnonzero(y == c), size=min(EXAMPLES_PER_CLASS, int((y == c).sum())), replace=False)
             for c in range(n_classes) if (y == c).any()]
    return np.concatenate(picks).astype(np.int64) if picks else np.zeros(0, np.int64)


def evaluate_reconstruction(run_dir: Path, cfg: RunConfig, data: PreparedData, model: torch.nn.Module,
                            split: str) -> dict[str, Any]:
    """Write ``metrics.json`` (or ``metrics_<split>.json``), ``predictions_<split>.npz`` and the
    inference timing of an autoencoder run; returns the metrics."""
    part = data.split(split)
    clean = np.asarray(part.x["x"] if isinstance(part.x, dict) else part.x, dtype=np.float32)  # (N, C, T)
    t0 = time.perf_counter()
    recon = reconstruct_all(model, clean, cfg.eval.batch_size)
    infer_s = time.perf_counter() - t0
    # the anomaly score belongs to an autoencoder fitted on normal beats only (reconstruct.fit_classes)
    normal = cfg.reconstruct.normal_class if cfg.reconstruct.fit_classes else None
    result = reconstruction.compute(clean, recon, part.y, data.classes, normal)
    result.update(split=split, fit_classes=list(cfg.reconstruct.fit_classes))
    picks = example_rows(part.y, len(data.classes), cfg.seed)
    arrays = {"y_true": part.y, "error": reconstruction.row_errors(clean, recon).astype(np.float32),
              "example_index": picks, "example_clean": clean[picks], "example_recon": recon[picks]}
    fs = cfg.reconstruct.fs or getattr(cfg.data, "beat_fs", None)
    if cfg.reconstruct.noise and fs:
        rng = np.random.default_rng([cfg.seed, 13])
        sample = np.sort(rng.choice(len(clean), size=min(TABLE_BEATS, len(clean)), replace=False))
        result["denoising"], examples = denoising_table(model, clean[sample], fs, cfg)
        result["denoising_beats"] = int(len(sample))
        arrays.update(examples, denoise_clean=clean[sample[:2]])
    name = "metrics.json" if split == cfg.eval.split else f"metrics_{split}.json"
    atomic.write_json(run_dir / name, result)
    atomic.save_npz(run_dir / f"predictions_{split}.npz", **arrays)
    timing = read_json(run_dir / "timing.json")
    timing.update({"inference_s": round(infer_s, 4), "inference_samples": len(clean),
                   "inference_samples_per_s": round(len(clean) / max(infer_s, 1e-9), 1)})
    atomic.write_json(run_dir / "timing.json", timing)
    return result
