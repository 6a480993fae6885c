"""K-fold cross-validation over a dataset's pooled train + val splits; the test split is never used.

Why group folds by default when the data has groups: ECG beats of one patient are near
copies of each other, so a beat-wise (stratified) fold scores the model on patients it has
already seen. With MIT-BIH DS1 each minority class lives in a few records (F is ~90% record
208), so fold scores swing; ``--repeats`` re-draws the folds and the report gives the spread
(mean ± std over every fold of every repeat), not only a mean.

Inside each fold, the best checkpoint and early stopping are chosen on an inner validation
split carved (group-wise when possible) from the training folds; the held-out fold is the
fold's *test* split and is only evaluated, so no model selection sees it. A scikit-learn model
chooses nothing on validation data, so it trains on every training row of the fold.

Layout::

    OUT/fold_00/ ... fold_{K-1}/    ordinary run directories (repeat r > 0: r1_fold_00 ...)
    OUT/cv_summary.json             per fold, mean/std, summed confusion matrix and its metrics
    OUT/cv_predictions.npz          every held-out sample: y_true, probs, group, fold (repeat 0)
    OUT/cv_report.html              (written by ``seqlab.report.cv`` from the CLI)

Over- and under-sampling (``data.balance``) are applied to each fold's training part only,
after the folds are cut, so no copy of a beat is both trained on and tested.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.model_selection import StratifiedGroupKFold, StratifiedKFold

from seqlab import atomic
from seqlab.config import RunConfig
from seqlab.data.balance import balance_split
from seqlab.data.base import PreparedData, Split
from seqlab.data.catalog import prepare_data
from seqlab.errors import ConfigError
from seqlab.evaluation.metrics import from_confusion
from seqlab.inference.sklearn_model import is_classical

HEADLINE = ("accuracy", "macro_f1", "macro_sensitivity", "macro_ppv", "macro_specificity", "auroc_macro")
PER_CLASS = ("sensitivity", "ppv", "f1")


def concat(a: Split, b: Split) -> Split:
    """Rows of ``a`` then ``b`` (inputs may be dicts of arrays; groups kept when both have them)."""
    if isinstance(a.x, dict):
        x = {k: np.concatenate([a.x[k], b.x[k]]) for k in a.x}
    else:
        x = np.concatenate([a.x, b.x])
    groups = None if a.groups is None or b.groups is None else np.concatenate([a.groups, b.groups])
    return Split(x, np.concatenate([a.y, b.y]), groups)


def fold_indices(split: Split, k: int, *, grouped: bool, seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """(train, held-out) index pairs; grouped folds keep every group on one side and balance
    the class mix across folds as far as the groups allow (``StratifiedGroupKFold``)."""
    if k < 2:
        raise ConfigError(f"--folds must be at least 2, got {k}")
    y = split.y
    if grouped:
        if split.groups is None:
            raise ConfigError("group folds need per-sample groups (patients / records); this dataset has none "
                              "(use --stratified)")
        n_groups = len(np.unique(split.groups))
        if n_groups < k:
            raise ConfigError(f"--folds {k} needs at least {k} groups; the pooled train+val has {n_groups}")
        folds = StratifiedGroupKFold(n_splits=k, shuffle=True, random_state=seed).split(y, y, split.groups)
    else:
        smallest = np.bincount(y)[np.bincount(y) > 0].min()
        if smallest < k:  # sklearn warns and leaves the class out of some folds; say so clearly
            print(f"note: the rarest class has {smallest} samples, fewer than {k} folds")
        folds = StratifiedKFold(n_splits=k, shuffle=True, random_state=seed).split(y, y)
    return [(np.sort(tr), np.sort(te)) for tr, te in folds]


def fold_data(data: PreparedData, pooled: Split, train_idx: np.ndarray, held_idx: np.ndarray, *,
              grouped: bool, inner_folds: int, seed: int, balance: str = "none",
              inner_val: bool = True) -> PreparedData:
    """A ``PreparedData`` for one fold: inner train / inner val from the training folds,
    the held-out fold as ``test``; ``balance`` resamples the inner train only. Without
    ``inner_val`` (a model that chooses nothing on validation data) every training row trains
    and ``val`` is empty."""
    part = pooled.take(train_idx)
    inner = (fold_indices(part, inner_folds, grouped=grouped, seed=seed + 7919)[0] if inner_val
             else (np.arange(len(part)), np.zeros(0, dtype=np.int64)))
    test = pooled.take(held_idx)
    summary = {**data.summary, "protocol": f"{data.summary.get('protocol', '')} · cross-validation fold "
                                           f"({'group' if grouped else 'stratified'})"}
    if test.groups is not None:
        summary["records"] = {"test": sorted(str(g) for g in np.unique(test.groups))}
    return PreparedData(classes=data.classes, train=balance_split(part.take(inner[0]), balance, seed=seed),
                        val=part.take(inner[1]), test=test, model_kwargs=data.model_kwargs,
                        summary=summary, artifacts=data.artifacts)


def unbalanced(cfg: RunConfig) -> RunConfig:
    """The config with the dataset's own train balancing off (CV balances each fold instead)."""
    if getattr(cfg.data, "balance", "none") == "none":
        return cfg
    cfg = cfg.model_copy(deep=True)
    cfg.data.balance = "none"
    return cfg


def run_cv(cfg: RunConfig, out: str | Path, *, folds: int, grouped: bool | None = None, repeats: int = 1,
           data: PreparedData | None = None, report: bool = True) -> dict[str, Any]:
    """Train one run per fold (per repeat); write ``cv_summary.json`` and ``cv_predictions.npz``
    and return the summary. ``data`` defaults to the config's train + val splits, prepared
    without the dataset's own balancing; ``report`` writes each fold run's report."""
    from seqlab.training import run

    out = Path(out)
    balance = getattr(cfg.data, "balance", "none")
    data = data if data is not None else prepare_data(unbalanced(cfg).data, cfg.seed)
    pooled = concat(data.train, data.val)
    if grouped is None:
        grouped = pooled.groups is not None
    cfg = cfg.model_copy(deep=True)
    cfg.eval.split = "test"  # the held-out fold
    # a scikit-learn model picks no checkpoint and stops no training early: an inner validation
    # group would only take patients away from it (one DS1 record in each leave-one-record-out fold)
    inner_val = not is_classical(cfg)
    rows, held = [], []
    for r in range(repeats):
        seed = cfg.seed + 1000 * r
        for i, (tr, te) in enumerate(fold_indices(pooled, folds, grouped=grouped, seed=seed)):
            name = f"fold_{i:02d}" if r == 0 else f"r{r}_fold_{i:02d}"
            fd = fold_data(data, pooled, tr, te, grouped=grouped, inner_folds=max(3, folds - 1), seed=seed + i,
                           balance=balance, inner_val=inner_val)
            run_dir = out / name
            if not (run_dir / "metrics.json").exists():  # a rerun of `seqlab cv` skips finished folds
                run.train(cfg, run_dir, data=fd, report=report)
            if r == 0:
                held.append((i, te, run_dir))
            m = json.loads((run_dir / "metrics.json").read_text())
            groups = sorted(str(g) for g in np.unique(pooled.groups[te])) if pooled.groups is not None else []
            rows.append({"fold": name, "repeat": r, "run_dir": str(run_dir), "n_train": len(fd.train),
                         "n_val": len(fd.val), "n_test": len(fd.test), "held_out_groups": groups, "metrics": m})
    summary = summarise(rows, data.classes)
    summary.update({"folds": folds, "repeats": repeats, "grouped": grouped, "n_pooled": len(pooled),
                    "config": cfg.to_dict()})
    atomic.write_json(out / "cv_summary.json", summary)
    save_pooled_predictions(out / "cv_predictions.npz", pooled, held)
    return summary


def save_pooled_predictions(path: Path, pooled: Split, held: list[tuple[int, np.ndarray, Path]]) -> None:
    """Every held-out sample's prediction, in one file: the pooled confusion matrix and the
    per-record table come from here."""
    ys, ps, gs, fs = [], [], [], []
    for fold, idx, run_dir in held:
        with np.load(run_dir / "predictions_test.npz") as z:
            ys.append(z["y_true"])
            ps.append(z["probs"])
        gs.append(pooled.groups[idx].astype(str) if pooled.groups is not None else np.full(len(idx), ""))
        fs.append(np.full(len(idx), fold))
    atomic.save_npz(path, y_true=np.concatenate(ys), probs=np.concatenate(ps), groups=np.concatenate(gs),
                    fold=np.concatenate(fs))


def _stats(values: list[float | None]) -> dict[str, Any]:
    v = np.array([x for x in values if x is not None], dtype=float)
    if len(v) == 0:
        return {"mean": None, "std": None, "min": None, "max": None, "n": 0}
    return {"mean": float(v.mean()), "std": float(v.std(ddof=1)) if len(v) > 1 else 0.0,
            "min": float(v.min()), "max": float(v.max()), "n": int(len(v))}


def summarise(rows: list[dict[str, Any]], classes: list[str]) -> dict[str, Any]:
    """Mean ± std (sample std over folds; a class absent from a fold's held-out part is left
    out of that class's figures) and the metrics of the summed confusion matrix."""
    ms = [r["metrics"] for r in rows]
    headline = {k: _stats([m.get(k) for m in ms]) for k in HEADLINE}
    per_class = {c: {k: _stats([m["per_class"][c][k] for m in ms]) for k in PER_CLASS} for c in classes}
    summed = np.sum([np.array(m["confusion_matrix"]) for m in ms], axis=0)
    pooled = from_confusion(summed, classes)
    table = [{"fold": r["fold"], "n_train": r["n_train"], "n_val": r["n_val"], "n_test": r["n_test"],
              "held_out_groups": r["held_out_groups"], "run_dir": r["run_dir"],
              **{k: r["metrics"].get(k) for k in HEADLINE},
              "f1": {c: r["metrics"]["per_class"][c]["f1"] for c in classes}} for r in rows]
    return {"classes": classes, "headline": headline, "per_class": per_class, "per_fold": table,
            "summed_confusion": {"confusion_matrix": summed.tolist(),
                                 **{k: pooled[k] for k in ("accuracy", "macro_f1", "macro_sensitivity",
                                                           "macro_ppv", "macro_specificity", "per_class")}}}


def format_table(summary: dict[str, Any]) -> str:
    """The terminal summary: headline mean ± std, then the summed-matrix figures."""
    kind = "group" if summary["grouped"] else "stratified"
    repeats = f" x {summary['repeats']} repeats" if summary["repeats"] > 1 else ""
    lines = [f"{summary['folds']}-fold {kind} CV{repeats}, {summary['n_pooled']:,} pooled train+val samples"]
    for k, st in summary["headline"].items():
        if st["mean"] is not None:
            lines.append(f"  {k:<18} {st['mean']:.4f} ± {st['std']:.4f}  (min {st['min']:.4f}, max {st['max']:.4f})")
    sc = summary["summed_confusion"]
    lines.append(f"  summed confusion matrix: accuracy {sc['accuracy']:.4f}, macro F1 {sc['macro_f1']:.4f}")
    return "\n".join(lines)
