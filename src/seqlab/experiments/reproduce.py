"""``seqlab reproduce NAME``: run a paper's protocol end to end, print ours beside the paper's.

A protocol is an ordinary experiment YAML (``configs/ecg/NAME.yaml``) whose ``reference``
section holds the figures each paper reports, with their source::

    reference:
      "Kachuee 2018": {source: "...", accuracy: 0.934, per_class: {S: {sensitivity: 0.8}}}

Protocols whose test patients are not on this machine (the inter-patient DS2 records) can run
``--cv-only``: patient-wise k-fold cross-validation inside the training records (the same fold
implementation as ``seqlab cv``), the honest way to select models without touching the test
patients — and still an overestimate of what unseen patients will see.
"""

from __future__ import annotations

import copy
import os
from importlib import resources
from pathlib import Path

import numpy as np

from seqlab import atomic
from seqlab import config as configlib
from seqlab.config import RunConfig
from seqlab.data.base import PreparedData
from seqlab.data.catalog import prepare_data
from seqlab.errors import ConfigError, DataError
from seqlab.evaluation.metrics import compute
from seqlab.evaluation.per_record import per_record
from seqlab.registry import suggest
from seqlab.experiments.cv import concat, run_cv, unbalanced
from seqlab.training import run

def config_roots() -> list[Path]:
    """Where protocols are looked up: ``$SEQLAB_CONFIGS`` (``os.pathsep``-separated), the working
    directory's ``configs/``, then the configs shipped inside the package (a wheel has them too)."""
    extra = [Path(p) for p in os.environ.get("SEQLAB_CONFIGS", "").split(os.pathsep) if p]
    shipped = Path(str(resources.files("seqlab") / "configs"))
    return [r for r in (*extra, Path("configs"), shipped) if r.is_dir()]


def find_protocol(name: str) -> Path:
    """A YAML path, or a protocol name looked up under ``config_roots()``."""
    if Path(name).is_file():
        return Path(name)
    roots = config_roots()
    hits = [p for r in roots for p in sorted(r.rglob(f"{name}.yaml"))]
    if not hits:
        known = sorted({p.stem for r in roots for p in r.rglob("*.yaml") if "reference:" in p.read_text()})
        raise ConfigError(f"unknown protocol {name!r}{suggest(name, known)}; valid: {', '.join(known)}"
                          f" (or give a YAML path; $SEQLAB_CONFIGS adds folders to search)")
    return hits[0]


def reproduce(name: str, *, data_dir: str | None = None, out: str | Path | None = None,
              cv_only: bool = False, folds: int | None = None, overrides: list[str] = ()) -> Path:
    cfg = configlib.load(find_protocol(name), list(overrides))
    if data_dir is not None:
        cfg.data.source = data_dir
    if cv_only:
        return cross_validate_records(cfg, out or run.new_run_dir(cfg, None), folds=folds)
    try:
        return run.train(cfg, out)
    except DataError as exc:
        if getattr(cfg.data, "split", None) == "inter":
            raise DataError(f"{exc}; run `seqlab reproduce {name} --cv-only` for the patient-wise "
                            f"cross-validation inside the training records") from None
        raise


def pooled_records(cfg: RunConfig) -> PreparedData:
    """Every training record's beats in one split with their record ids: the protocol's data
    section over its record pool (``patient_kfold`` over DS1 without DS2), unbalanced (the
    cross-validation balances each fold's training part)."""
    raw = copy.deepcopy(unbalanced(cfg).to_dict())
    raw["data"].update({"split": "patient_kfold", "folds": 3, "fold": 0})
    data = prepare_data(configlib.from_dict(raw).data, cfg.seed)
    pooled = concat(concat(data.train, data.val), data.test)
    empty = pooled.take(np.zeros(0, dtype=np.int64))
    return PreparedData(classes=data.classes, train=pooled, val=empty, test=empty,
                        model_kwargs=data.model_kwargs, summary=data.summary, artifacts=data.artifacts)


def cross_validate_records(cfg: RunConfig, out: str | Path, *, folds: int | None = None) -> Path:
    """Group (record) folds through ``seqlab cv``'s implementation: each fold's patients are
    tested by a model that never saw them. The pooled predictions become a run directory of
    their own (metrics, report), the folds give the spread and the per-record table."""
    out = Path(out)
    folds = folds or getattr(cfg.data, "folds", 5)
    summary = run_cv(cfg, out, folds=folds, grouped=True, data=pooled_records(cfg), report=False)
    classes = summary["classes"]
    with np.load(out / "cv_predictions.npz") as z:
        y, p, groups = z["y_true"], z["probs"], z["groups"]
    metrics = compute(y, p, classes)
    metrics["split"] = "test"
    metrics["cv"] = {"folds": folds, **summary["headline"]}
    metrics["per_record"] = per_record(y, p, groups, classes)
    raw = cfg.to_dict()
    raw["data"].update({"split": "patient_kfold", "folds": folds})
    configlib.save(configlib.from_dict(raw), out / "config.yaml")
    tested = [r["held_out_groups"] for r in summary["per_fold"]]
    atomic.write_json(out / "data_summary.json", {
        "classes": classes, "counts": {"pooled test": {c: int((y == i).sum()) for i, c in enumerate(classes)}},
        "records": {f"fold{i}": r for i, r in enumerate(tested)},
        "protocol": f"patient-wise {folds}-fold cross-validation over records ({len(np.unique(groups))} "
                    "patients; each tested by a model that never saw them). Cross-validation on the "
                    "training patients: it overestimates performance on unseen patients.",
        "intra_patient": False,
        "notes": [f"fold {i}: test records {' '.join(r)}" for i, r in enumerate(tested)],
    })
    atomic.save_npz(out / "predictions_test.npz", y_true=y, probs=p)
    atomic.write_json(out / "metrics.json", metrics)
    return out
