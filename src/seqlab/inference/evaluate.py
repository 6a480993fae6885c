"""Re-evaluate a trained run on a split, without Lightning: ``seqlab evaluate`` and the last
step of every ``seqlab train``. Writes ``metrics.json`` (or ``metrics_<split>.json``),
``predictions_<split>.npz`` and the inference timing."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from seqlab import atomic
from seqlab import config as configlib
from seqlab.config import RunConfig
from seqlab.data.base import PreparedData
from seqlab.data.catalog import prepare_data
from seqlab.data.ecg.config import BeatOptions
from seqlab.errors import ConfigError
from seqlab.evaluation import metrics as metricslib
from seqlab.inference import sklearn_model
from seqlab.inference.inside import write_inside_figures
from seqlab.inference.loading import load_model
from seqlab.inference.postprocess import postprocess
from seqlab.inference.proba import predict_proba
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
    split = split or cfg.eval.split
    data = data if data is not None else prepare_data(cfg.data, cfg.seed)
    model = load_model(run_dir, cfg.eval.checkpoint)
    part = data.split(split)
    t0 = time.perf_counter()
    probs = sklearn_model.predict_proba(model, part.x) if sklearn_model.is_estimator(model) else \
        predict_proba(model, part.x, cfg.eval.batch_size)
    probs = postprocess(probs, part.x, part.groups, cfg.eval, data.classes, data.model_kwargs.get("rr_names"))
    infer_s = time.perf_counter() - t0
    result = metricslib.compute(part.y, probs, data.classes)
    result["split"] = split
    atomic.write_json(run_dir / "metrics.json" if split == cfg.eval.split else run_dir / f"metrics_{split}.json",
                      result)
    atomic.save_npz(run_dir / f"predictions_{split}.npz", y_true=part.y, probs=probs)
    if split == cfg.eval.split and isinstance(cfg.data, BeatOptions):  # ECG beats: open the model
        write_inside_figures(run_dir, model, part, probs, data.classes, rr_names=data.model_kwargs.get("rr_names"),
                             seed=cfg.seed)
    timing = read_json(run_dir / "timing.json")
    timing.update({"inference_s": round(infer_s, 4), "inference_samples": len(part),
                   "inference_samples_per_s": round(len(part) / max(infer_s, 1e-9), 1)})
    atomic.write_json(run_dir / "timing.json", timing)
    return result
