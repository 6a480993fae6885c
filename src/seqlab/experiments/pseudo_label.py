"""Semi-supervised pseudo-labelling: label an unlabelled pool with a trained model, keep the
confident predictions, retrain on labelled + pseudo-labelled data, compare on validation.

Where the pool comes from:

- ``hide_labels=F`` (default 0.5): a stratified fraction F of the train split has its labels
  hidden. The baseline is trained on the rest, so the comparison is fair, and because the
  hidden labels are known the report also gives the pseudo-labels' own accuracy.
- ``pool_config=YAML``: the train split of another data config (same classes and input
  shape), e.g. unlabelled records; its labels are never read except to report
  pseudo-label accuracy when the dataset has them.

Why a confidence threshold per sample and a per-class count in the report: a model tends to
be confident on the majority class, so pseudo-labels can add thousands of N beats and almost
no S beats, shifting the class balance; the count per class shows this at a glance, and
``max_per_class`` caps it.

Layout: ``OUT/baseline`` (unless ``teacher`` is given), ``OUT/retrained``,
``OUT/pseudo_label.json``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from sklearn.model_selection import train_test_split

from seqlab import atomic
from seqlab import config as configlib
from seqlab.config import RunConfig
from seqlab.data.base import PreparedData, Split
from seqlab.data.catalog import prepare_data
from seqlab.errors import ConfigError
from seqlab.experiments.cv import concat


def hide_labels(data: PreparedData, fraction: float, seed: int) -> tuple[PreparedData, Split]:
    """(data whose train keeps 1 - fraction of its rows, the hidden rows as the pool)."""
    if not 0 < fraction < 1:
        raise ConfigError(f"--hide-labels must be between 0 and 1, got {fraction}")
    idx = np.arange(len(data.train))
    counts = np.bincount(data.train.y)
    strat = data.train.y if counts[counts > 0].min() >= 2 else None
    keep, pool = train_test_split(idx, test_size=fraction, random_state=seed, stratify=strat)
    return _with_train(data, data.train.take(np.sort(keep))), data.train.take(np.sort(pool))


def _with_train(data: PreparedData, train: Split) -> PreparedData:
    return PreparedData(classes=data.classes, train=train, val=data.val, test=data.test,
                        model_kwargs=data.model_kwargs, summary=dict(data.summary), artifacts=data.artifacts)


def select(probs: np.ndarray, threshold: float, max_per_class: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Indices of pool rows whose top probability is >= threshold, and their labels; with
    ``max_per_class`` only the most confident per class are kept.

    >>> select(np.array([[.9, .1], [.6, .4], [.2, .8]]), 0.75)
    (array([0, 2]), array([0, 1]))
    """
    conf, label = probs.max(axis=1), probs.argmax(axis=1)
    keep = np.flatnonzero(conf >= threshold)
    if max_per_class is not None:
        parts = []
        for k in np.unique(label[keep]):
            rows = keep[label[keep] == k]
            parts.append(rows[np.argsort(-conf[rows], kind="stable")[:max_per_class]])
        keep = np.sort(np.concatenate(parts)) if parts else keep
    return keep, label[keep]


def run_pseudo_label(cfg: RunConfig, out: str | Path, *, threshold: float = 0.95, hide: float = 0.5,
                     pool_config: str | None = None, teacher: str | None = None,
                     max_per_class: int | None = None) -> dict[str, Any]:
    from seqlab.training import run
    from seqlab.inference.evaluate import evaluate
    from seqlab.inference.loading import load_model
    from seqlab.inference.proba import predict_proba

    out = Path(out)
    data = prepare_data(cfg.data, cfg.seed)
    if pool_config:
        pool_cfg = configlib.load(pool_config)
        pool_data = prepare_data(pool_cfg.data, pool_cfg.seed)
        if pool_data.classes != data.classes:
            raise ConfigError(f"pool classes {pool_data.classes} differ from the config's {data.classes}")
        labelled, pool, source = data, pool_data.train, f"train split of {pool_config}"
    else:
        labelled, pool = hide_labels(data, hide, cfg.seed)
        source = f"{hide:.0%} of the train split with labels hidden"
    if teacher is None:
        teacher_dir = out / "baseline"
        if not (teacher_dir / "metrics.json").exists():
            run.train(cfg, teacher_dir, data=labelled)
    else:
        teacher_dir = Path(teacher)
    model = load_model(teacher_dir)
    probs = predict_proba(model, pool.x, cfg.eval.batch_size)
    if probs.shape[1] != len(data.classes):
        raise ConfigError(f"teacher {teacher_dir} predicts {probs.shape[1]} classes; the data has {len(data.classes)}")
    keep, labels = select(probs, threshold, max_per_class)
    added = pool.take(keep)
    pseudo_acc = float((labels == added.y).mean()) if len(keep) else None  # vs the pool's withheld labels
    added = Split(added.x, labels.astype(np.int64), added.groups)
    retrained_dir = out / "retrained"
    if not (retrained_dir / "metrics.json").exists():
        run.train(cfg, retrained_dir, data=_with_train(labelled, concat(labelled.train, added)))
    val = {name: evaluate(d, split="val", cfg=cfg, data=labelled)
           for name, d in (("baseline", teacher_dir), ("retrained", retrained_dir))}
    counts = np.bincount(labels, minlength=len(data.classes))
    result = {
        "pool": source, "pool_size": len(pool), "threshold": threshold, "max_per_class": max_per_class,
        "labelled_train": len(labelled.train), "added": int(len(keep)),
        "added_per_class": {c: int(n) for c, n in zip(data.classes, counts)},
        "pool_per_class_true": {c: int(n) for c, n in zip(data.classes, np.bincount(pool.y, minlength=len(counts)))},
        "pseudo_label_accuracy": pseudo_acc, "teacher": str(teacher_dir), "retrained": str(retrained_dir),
        "val": {name: {k: m[k] for k in ("accuracy", "macro_f1", "macro_sensitivity", "macro_ppv")}
                | {"f1": {c: m["per_class"][c]["f1"] for c in data.classes}} for name, m in val.items()},
    }
    atomic.write_json(out / "pseudo_label.json", result)
    return result


def format_result(r: dict[str, Any]) -> str:
    acc = "—" if r["pseudo_label_accuracy"] is None else f"{r['pseudo_label_accuracy']:.4f}"
    lines = [f"pool: {r['pool']} ({r['pool_size']:,} samples); threshold {r['threshold']}",
             f"added {r['added']:,} pseudo-labelled samples to {r['labelled_train']:,} labelled "
             f"(pseudo-label accuracy {acc}):",
             "  " + ", ".join(f"{c} {n:,}" for c, n in r["added_per_class"].items()),
             f"{'validation':<12} {'accuracy':>9} {'macro F1':>9} {'macro Se':>9} {'macro PPV':>9}"]
    for name, m in r["val"].items():
        lines.append(f"{name:<12} {m['accuracy']:9.4f} {m['macro_f1']:9.4f} {m['macro_sensitivity']:9.4f} "
                     f"{m['macro_ppv']:9.4f}")
    d = r["val"]["retrained"]["macro_f1"] - r["val"]["baseline"]["macro_f1"]
    lines.append(f"effect on validation macro F1: {d:+.4f}")
    return "\n".join(lines)

