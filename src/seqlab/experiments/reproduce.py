"""``seqlab reproduce NAME``: run a paper's protocol end to end, print ours beside the paper's.

A protocol is an ordinary experiment YAML (``configs/ecg/NAME.yaml``) whose ``reference``
section holds the figures each paper reports, with their source::

    reference:
      "Kachuee 2018": {source: "...", accuracy: 0.934, per_class: {S: {sensitivity: 0.8}}}

Protocols whose test patients are not on this machine (the inter-patient DS2 records) can run
``--cv-only``: patient-wise k-fold cross-validation inside the training records, the honest
way to select models without touching the test patients.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import numpy as np

from seqlab import atomic
from seqlab import config as configlib
from seqlab.config import RunConfig
from seqlab.errors import ConfigError, DataError
from seqlab.evaluation.metrics import compute
from seqlab.report.rundir import read_json
from seqlab.training import run

# the working directory's configs/, then the checkout seqlab was installed from (editable install)
CONFIG_ROOTS = (Path("configs"), Path(__file__).resolve().parents[3] / "configs")


def find_protocol(name: str) -> Path:
    """A YAML path, or a protocol name looked up under ``configs/``."""
    if Path(name).is_file():
        return Path(name)
    roots = [r for r in CONFIG_ROOTS if r.is_dir()]
    hits = [p for r in roots for p in sorted(r.rglob(f"{name}.yaml"))]
    if not hits:
        known = sorted({p.stem for r in roots for p in r.rglob("*.yaml") if "reference:" in p.read_text()})
        from seqlab.registry import suggest

        raise ConfigError(f"unknown protocol {name!r}{suggest(name, known)}; valid: {', '.join(known)}"
                          f" (run from the repository root, or give a YAML path)")
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


def _fold_config(cfg: RunConfig, fold: int, folds: int) -> RunConfig:
    raw = copy.deepcopy(cfg.to_dict())
    raw["data"].update({"split": "patient_kfold", "folds": folds, "fold": fold})
    raw["name"] = f"{cfg.name}-fold{fold}"
    return configlib.from_dict(raw)


def cross_validate_records(cfg: RunConfig, out: str | Path, *, folds: int | None = None) -> Path:
    """k folds over records: each fold's patients are tested by a model that never saw them;
    the pooled predictions give one confusion matrix, the folds give the spread."""
    out = Path(out)
    folds = folds or getattr(cfg.data, "folds", 5)
    pooled_y, pooled_p, per_fold, records = [], [], [], {}
    for fold in range(folds):
        fold_cfg = _fold_config(cfg, fold, folds)
        fold_dir = run.train(fold_cfg, out / f"fold{fold}", report=False)
        with np.load(fold_dir / "predictions_test.npz") as z:
            pooled_y.append(z["y_true"])
            pooled_p.append(z["probs"])
        m = read_json(fold_dir / "metrics.json")
        summary = read_json(fold_dir / "data_summary.json")
        records[f"fold{fold}"] = summary.get("records", {}).get("test", [])
        per_fold.append(m)
    classes = per_fold[0]["classes"]
    y, p = np.concatenate(pooled_y), np.concatenate(pooled_p)
    metrics = compute(y, p, classes)
    metrics["split"] = "test"
    metrics["cv"] = cv_spread(per_fold, folds)
    # a run directory of its own, so `seqlab report` and the HTML report work on it
    raw = cfg.to_dict()
    raw["data"].update({"split": "patient_kfold", "folds": folds})
    configlib.save(configlib.from_dict(raw), out / "config.yaml")
    first = read_json(out / "fold0" / "data_summary.json")
    counts = {"pooled test": {c: int((y == i).sum()) for i, c in enumerate(classes)}}
    atomic.write_json(out / "data_summary.json", {
        "classes": classes, "counts": counts, "records": records,
        "protocol": f"patient-wise {folds}-fold cross-validation over records "
                    f"({sum(len(r) for r in records.values())} patients; each tested by a model that never saw them)",
        "intra_patient": False,
        "notes": [f"fold {i}: test records {' '.join(map(str, r))}" for i, r in enumerate(records.values())]
        + first.get("notes", []),
    })
    atomic.save_npz(out / "predictions_test.npz", y_true=y, probs=p)
    atomic.write_json(out / "metrics.json", metrics)
    from seqlab.report.html import write_report

    write_report(out)
    return out


def cv_spread(per_fold: list[dict[str, Any]], folds: int) -> dict[str, Any]:
    """Mean and standard deviation over folds of headline and per-class figures
    (a class absent from a fold's test patients is left out of that class's mean)."""
    out: dict[str, Any] = {"folds": folds}
    for key in ("accuracy", "macro_f1", "macro_sensitivity", "macro_ppv"):
        vals = [m[key] for m in per_fold if m[key] is not None]
        out[key] = {"mean": float(np.mean(vals)), "std": float(np.std(vals)), "per_fold": vals}
    for c in per_fold[0]["classes"]:
        for key in ("sensitivity", "ppv", "f1"):
            vals = [m["per_class"][c][key] for m in per_fold if m["per_class"][c][key] is not None]
            if vals:
                out[f"{c}_{key}"] = {"mean": float(np.mean(vals)), "std": float(np.std(vals)), "n_folds": len(vals)}
    return out
