"""scikit-learn models through the same run directory, metrics and report as neural ones.

The fitted estimator is saved as ``checkpoints/model.skops`` (``skops.io``, never pickle: see
``seqlab.inference.sklearn_model``)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any


from seqlab import atomic
from seqlab.config import RunConfig
from seqlab.data.base import PreparedData
from seqlab.inference import sklearn_model
from seqlab.inference.sklearn_model import predict_proba
from seqlab.models.registry import MODELS


def build_estimator(cfg: RunConfig) -> Any:
    """The configured estimator; text models get the language analysers (data code) here."""
    import inspect

    fn = MODELS.get(cfg.model.name).fn
    if "analysers" not in inspect.signature(fn).parameters:
        return fn(**cfg.model.params)
    from seqlab.data.text.analysers import TEXT_ANALYSERS

    return fn(**cfg.model.params, analysers=TEXT_ANALYSERS)


def fit(cfg: RunConfig, data: PreparedData, run_dir: Path, *, prepare_s: float) -> Any:
    estimator = build_estimator(cfg)
    t0 = time.perf_counter()
    estimator.fit(data.train.x, data.train.y)
    fit_s = time.perf_counter() - t0
    setattr(estimator, sklearn_model.N_CLASSES_ATTR, len(data.classes))
    sklearn_model.save(estimator, run_dir / "checkpoints" / sklearn_model.MODEL_FILE)
    val = predict_proba(estimator, data.val.x) if len(data.val) else None
    if val is not None:
        from seqlab.evaluation.metrics import compute

        atomic.write_json(run_dir / "val_metrics.json", compute(data.val.y, val, data.classes))
    atomic.write_json(run_dir / "timing.json", {
        "prepare_s": round(prepare_s, 3), "train_s": round(fit_s, 3),
        "train_samples_per_s": round(len(data.train) / max(fit_s, 1e-9), 1)})
    return estimator
