"""Reconstruction metrics (MSE, MAE, SNR in dB, PRD %) and the anomaly score's ROC-AUC.

Per row (a beat, all its channels together), with ``s`` the clean signal and ``ŝ`` the
reconstruction or denoised output:

* ``SNR = 10·log10(Σ s² / Σ (s − ŝ)²)`` dB (the output SNR of the denoising literature,
  e.g. Chiang et al. 2019); an exact reconstruction is capped at ``MAX_SNR_DB``.
* ``PRD = 100·sqrt(Σ (s − ŝ)² / Σ s²)`` % (percent root-mean-square difference). Beats are
  z-scored (mean 0), so this is also the mean-removed PRDN of the compression literature.

``compute`` averages them over rows (``snr_db``, ``prd``) and also pools every sample of the
split (``snr_db_pooled``); MSE and MAE are over every sample. With labels it adds the error per
class and the anomaly score's ROC-AUC: the reconstruction error of each beat as a score of
"not ``normal``" (an autoencoder fitted on normal beats reconstructs the others worse).

>>> s = np.array([[1.0, -1.0, 1.0, -1.0]])
>>> round(float(snr_db(s, 0.9 * s)[0]), 6), round(float(prd_percent(s, 0.9 * s)[0]), 6)
(20.0, 10.0)
"""

from __future__ import annotations

from typing import Any

import numpy as np

MAX_SNR_DB = 120.0  # an exact copy: 120 dB instead of infinity (JSON has no infinity)


def _rows(a: np.ndarray) -> np.ndarray:
    a = np.asarray(a, dtype=np.float64)
    return a.reshape(len(a), -1) if a.ndim > 1 else a[None, :]  # (N, C*T)


def _powers(clean: np.ndarray, estimate: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    s, e = _rows(clean), _rows(estimate)
    if s.shape != e.shape:
        raise ValueError(f"clean {np.shape(clean)} and estimate {np.shape(estimate)} differ in shape")
    return (s ** 2).sum(axis=1), ((s - e) ** 2).sum(axis=1)


def snr_db(clean: np.ndarray, estimate: np.ndarray) -> np.ndarray:
    """Per-row SNR of ``estimate`` against ``clean`` in dB, (N,)."""
    signal, error = _powers(clean, estimate)
    ratio = signal / np.maximum(error, signal * 10 ** (-MAX_SNR_DB / 10) + 1e-300)
    return 10 * np.log10(np.maximum(ratio, 1e-300))


def prd_percent(clean: np.ndarray, estimate: np.ndarray) -> np.ndarray:
    """Per-row percent root-mean-square difference, (N,)."""
    signal, error = _powers(clean, estimate)
    return 100 * np.sqrt(error / np.maximum(signal, 1e-300))


def row_errors(clean: np.ndarray, estimate: np.ndarray) -> np.ndarray:
    """Per-row mean squared error, (N,): the anomaly score."""
    s, e = _rows(clean), _rows(estimate)
    return ((s - e) ** 2).mean(axis=1)


def summary(clean: np.ndarray, estimate: np.ndarray) -> dict[str, float | None]:
    """MSE, MAE, mean SNR / PRD over rows and the pooled SNR."""
    s, e = _rows(clean), _rows(estimate)
    if not len(s):
        return {"mse": None, "mae": None, "snr_db": None, "snr_db_pooled": None, "prd": None}
    err = s - e
    pooled = (s ** 2).sum() / max((err ** 2).sum(), 1e-300)
    return {"mse": float((err ** 2).mean()), "mae": float(np.abs(err).mean()),
            "snr_db": float(snr_db(s, e).mean()), "snr_db_pooled": float(min(10 * np.log10(pooled), MAX_SNR_DB)),
            "prd": float(prd_percent(s, e).mean())}


def anomaly_auroc(errors: np.ndarray, y: np.ndarray, classes: list[str], normal: str) -> dict[str, Any] | None:
    """ROC-AUC of the error as a score of "not ``normal``": overall and per other class
    (that class against ``normal`` only). None when ``normal`` or every other class is absent."""
    from sklearn.metrics import roc_auc_score

    if normal not in classes:
        return None
    k = classes.index(normal)
    abnormal = y != k
    if abnormal.all() or not abnormal.any():
        return None
    per_class = {}
    for i, c in enumerate(classes):
        rows = (y == i) | (y == k)
        if i != k and (y == i).any():
            per_class[c] = float(roc_auc_score(y[rows] != k, errors[rows]))
    return {"normal": normal, "auroc": float(roc_auc_score(abnormal, errors)), "per_class": per_class}


def compute(clean: np.ndarray, estimate: np.ndarray, y: np.ndarray | None = None,
            classes: list[str] | None = None, normal: str | None = "N") -> dict[str, Any]:
    """The reconstruction ``metrics.json`` dict; ``normal=None``: no anomaly score (an
    autoencoder fitted on every class is no detector of any)."""
    out: dict[str, Any] = {"task": "reconstruction", **summary(clean, estimate), "n_samples": int(len(clean))}
    if y is None or classes is None:
        return out
    y = np.asarray(y)
    errors = row_errors(clean, estimate)
    out["classes"] = list(classes)
    out["per_class"] = {c: {"support": int((y == i).sum()), **summary(_rows(clean)[y == i], _rows(estimate)[y == i])}
                        for i, c in enumerate(classes) if (y == i).any()}
    out["anomaly"] = anomaly_auroc(errors, y, list(classes), normal) if normal is not None else None
    return out
