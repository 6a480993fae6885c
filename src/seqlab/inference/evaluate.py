"""Re-evaluate a trained run on a split, without Lightning: ``seqlab evaluate`` and the last
step of every ``seqlab train``. Writes ``metrics.json`` (or ``metrics_<split>.json``),
``predictions_<split>.npz`` and the inference timing. A regression target (``data.task``)
gets MSE / MAE / RMSE / R² in its own units instead (``_evaluate_regression``)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np

from seqlab import atomic
from seqlab import config as configlib
from seqlab.config import RunConfig
from seqlab.data.base import PreparedData
from seqlab.data.catalog import prepare_data
from seqlab.data.ecg.config import BeatOptions
from seqlab.errors import ConfigError
from seqlab.evaluation import metrics as metricslib
from seqlab.evaluation import regression
from seqlab.inference import reconstruction, sklearn_model
from seqlab.inference.inside import write_inside_figures
from seqlab.inference.loading import load_model
from seqlab.inference.postprocess import postprocess, shape_first
from seqlab.inference.proba import predict_logits, predict_proba
from seqlab.models.registry import MODELS
from seqlab.report.rundir import read_json


def evaluate(run_dir: str | Path, split: str | None = None, data_dir: str | None = None,
             cfg: RunConfig | None = None, data: PreparedData | None = None) -> dict[str, Any]:
    """Re-evaluate a run's checkpoint on a split; writes metrics.json and predictions.npz."""
    run_dir = Path(run_dir)
    if cfg is None:
        cfg = configlib.load(run_dir / "config.yaml")
    if data_dir is not None:
        if "source" not in type(cfg.data).model_fields:
            raise ConfigError(f"dataset {cfg.data.name!r} has no 'source' field; --data-dir does not apply")
        cfg.data.source = data_dir
    if MODELS.get(cfg.model.name).meta.get("kind") == "generator":  # judged by its own checks (inference.generate)
        raise ConfigError(f"{run_dir} is a generator run: its checks are in metrics.json (seqlab report {run_dir})")
    split = split or cfg.eval.split
    data = data if data is not None else prepare_data(cfg.data, cfg.seed)
    model = load_model(run_dir, cfg.eval.checkpoint)
    part = data.split(split)
    if data.task == "regression":
        return _evaluate_regression(run_dir, cfg, data, model, split)
    if reconstruction.is_autoencoder(cfg):  # MSE, SNR, PRD, anomaly ROC-AUC (inference.reconstruction)
        return reconstruction.evaluate_reconstruction(run_dir, cfg, data, model, split)
    t0 = time.perf_counter()
    probs = sklearn_model.predict_proba(model, part.x) if sklearn_model.is_estimator(model) else \
        predict_proba(model, part.x, cfg.eval.batch_size, groups=part.groups)
    probs = postprocess(probs, part.x, part.groups, cfg.eval, data.classes, data.model_kwargs.get("rr_names"),
                        shape_first(cfg))
    infer_s = time.perf_counter() - t0
    result = metricslib.compute(part.y, probs, data.classes)
    result["split"] = split
    if getattr(model, "is_linear", None) is not None:  # the basics say it (models.basics); the report explains
        result["model_is_linear"] = bool(model.is_linear)
    atomic.write_json(run_dir / "metrics.json" if split == cfg.eval.split else run_dir / f"metrics_{split}.json",
                      result)
    atomic.save_npz(run_dir / f"predictions_{split}.npz", y_true=part.y, probs=probs)
    if split == cfg.eval.split and isinstance(cfg.data, BeatOptions):  # ECG beats: open the model
        write_inside_figures(run_dir, model, part, probs, data.classes, rr_names=data.model_kwargs.get("rr_names"),
                             seed=cfg.seed)
    _write_timing(run_dir, infer_s, len(part))
    return result


def _write_timing(run_dir: Path, infer_s: float, n: int) -> None:
    timing = read_json(run_dir / "timing.json")
    timing.update({"inference_s": round(infer_s, 4), "inference_samples": n,
                   "inference_samples_per_s": round(n / max(infer_s, 1e-9), 1)})
    atomic.write_json(run_dir / "timing.json", timing)


def _evaluate_regression(run_dir: Path, cfg: RunConfig, data: PreparedData, model, split: str) -> dict[str, Any]:
    """Predictions mapped back to the target's units (``target_scale``), the regression metrics,
    and for a linear model its slope per raw feature and intercept (``linear_fit``)."""
    if sklearn_model.is_estimator(model):
        raise ConfigError(f"model {cfg.model.name!r} is a classifier; a regression target needs a network")
    part, scale = data.split(split), data.summary.get("target_scale")
    t0 = time.perf_counter()
    out = predict_logits(model, part.x, cfg.eval.batch_size)  # (N, 1) prediction, or (N, 2) mean, variance
    infer_s = time.perf_counter() - t0
    y_pred = regression.unscale(out[:, 0], scale)
    y_var = regression.unscale(out[:, 1], scale, variance=True) if out.shape[1] > 1 else None
    result = regression.compute(part.y, y_pred, y_var)
    result.update(target=data.classes[0], split=split)
    if getattr(model, "is_linear", False):
        result["model_is_linear"] = True
        result["linear_fit"] = _linear_fit(model, data, part.x)
    atomic.write_json(run_dir / "metrics.json" if split == cfg.eval.split else run_dir / f"metrics_{split}.json",
                      result)
    extra = {} if y_var is None else {"y_std": np.sqrt(y_var)}
    atomic.save_npz(run_dir / f"predictions_{split}.npz", y_true=part.y, y_pred=y_pred, **extra)
    _write_timing(run_dir, infer_s, len(part))
    return result


def _linear_fit(model, data: PreparedData, x: np.ndarray) -> dict[str, Any] | None:
    """An affine network read at 0 and at each unit vector: its weights, in the raw units."""
    n_features = int(np.prod(x.shape[1:]))
    names = data.summary.get("features") or []
    if n_features > 1000 or len(names) != n_features:
        return None
    probe = np.vstack([np.zeros((1, n_features)), np.eye(n_features)]).astype(np.float32)
    at = predict_logits(model, probe.reshape(-1, *x.shape[1:]))[:, 0]  # f(0), f(e_1) ... f(e_F)
    return regression.linear_coefficients(float(at[0]), at[1:], names, data.summary.get("feature_scale"),
                                          data.summary.get("target_scale"))
