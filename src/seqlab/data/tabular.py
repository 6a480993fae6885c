"""Tabular data for the basics: a CSV file (``csv``) and generated toy problems (``toy``).

Both end in the same steps: a seeded split (stratified by class for classification),
features standardised with the training split's mean and standard deviation only (the val and
test rows must not leak into the scaler), and for a regression target the same for the target,
so one learning rate suits any units; evaluation maps predictions back (``target_scale`` in the
summary). For classes small enough, a linear-programming check says whether the training
classes are linearly separable, which is what decides whether a linear model can fit them.

A regression target (``csv`` with ``task: regression``, ``toy`` with ``kind: line``) trains
``training.module.Regressor`` with the models ``linear`` or ``mlp``; the loss is the model's
``loss`` argument (``mse``, the default, or ``gaussian_nll``: the network then also predicts a
variance). The checkpoint monitor left at its default (``val/macro_f1``, which a regression
run does not log) becomes ``val/loss`` with mode ``min``; a monitor the config names must be
one of ``val/{loss,mse,mae,rmse,r2}`` (its mode, unless given, is max for r2, min otherwise).

Configs: ``data: {name: csv, path: houses.csv, target: price, task: regression}`` (features:
every other column unless ``features`` lists them); examples in ``configs/basics/``.

>>> d = toy(ToyConfig(name="toy", kind="xor", n_samples=80), seed=0)
>>> d.classes, d.task, d.train.x.shape[1], d.summary["linearly_separable"]
(['0', '1'], 'classification', 2, False)
"""

from __future__ import annotations

import csv
import math
import string
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import Field, model_validator

from seqlab.data.base import DataConfigBase, PreparedData, Split
from seqlab.data.registry import register_dataset
from seqlab.errors import DataError

LP_MAX_ENTRIES = 5_000_000  # constraint-matrix size above which separability is not checked


class TabularOptions(DataConfigBase):
    batch_size: int = 32
    standardize: bool = True  # features: z-scores with the training split's mean and std
    standardize_target: bool = True  # regression: the target too (predictions are mapped back)
    val_fraction: float = Field(0.2, gt=0, lt=1)
    test_fraction: float = Field(0.2, gt=0, lt=1)

    @model_validator(mode="after")
    def _check(self):  # each subclass says its ``task``: "classification" or "regression"
        if self.val_fraction + self.test_fraction >= 1:
            raise ValueError("val_fraction + test_fraction must leave rows for training (sum < 1)")
        if self.task == "regression" and self.sampler != "none":
            raise ValueError(f"sampler {self.sampler!r} balances classes; a regression target has none")
        return self


class CsvConfig(TabularOptions):
    path: str  # the CSV file, with a header row
    target: str  # the column to predict
    features: list[str] | None = None  # default: every other column
    task: Literal["classification", "regression"] = "classification"
    delimiter: str = Field(",", min_length=1, max_length=1)


class ToyConfig(TabularOptions):
    # line: y = slope·x + intercept + noise·N(0, 1) (regression); blobs: n_classes Gaussian
    # clusters of std `noise` on a circle of radius 3; xor: the four corners (±1, ±1) jittered by
    # `noise`, class 1 where exactly one coordinate is positive
    kind: Literal["line", "blobs", "xor"] = "line"
    n_samples: int = Field(400, ge=20, le=10_000_000)
    noise: float = Field(0.1, ge=0, allow_inf_nan=False)
    slope: float = Field(2.0, allow_inf_nan=False)
    intercept: float = Field(-1.0, allow_inf_nan=False)
    n_classes: int = Field(2, ge=2, le=26)

    @property
    def task(self) -> str:
        return "regression" if self.kind == "line" else "classification"


def split_indices(n: int, codes: np.ndarray | None, val: float, test: float,
                  rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Row indices per split; stratified when ``codes`` (class per row) are given."""
    strata = [np.arange(n)] if codes is None else [np.flatnonzero(codes == k) for k in np.unique(codes)]
    parts: dict[str, list[np.ndarray]] = {"train": [], "val": [], "test": []}
    for rows in strata:
        rows = rng.permutation(rows)
        n_test, n_val = round(test * len(rows)), round(val * len(rows))
        parts["test"].append(rows[:n_test])
        parts["val"].append(rows[n_test:n_test + n_val])
        parts["train"].append(rows[n_test + n_val:])
    out = {k: np.sort(np.concatenate(v)) for k, v in parts.items()}
    empty = [k for k, v in out.items() if len(v) == 0]
    if empty:
        raise DataError(f"{n} rows leave no {' or '.join(empty)} rows; use more rows or larger fractions")
    return out


def linearly_separable(x: np.ndarray, y: np.ndarray, num_classes: int) -> bool | None:
    """Whether some linear classifier (one weight vector per class, Kesler's construction) puts
    every row on its class's side: the LP ``(w_y − w_j)·[x, 1] ≥ 1`` for all rows and j ≠ y is
    feasible. ``None`` when too large to check or the solver is undecided."""
    from scipy.optimize import linprog

    n, d1 = len(x), x.shape[1] + 1
    if n * (num_classes - 1) * num_classes * d1 > LP_MAX_ENTRIES:
        return None
    xt = np.hstack([x, np.ones((n, 1))])  # (n, d + 1)
    row, other = np.nonzero(np.arange(num_classes)[None, :] != y[:, None])  # every (row, other class)
    a = np.zeros((len(row), num_classes * d1))
    at = np.arange(len(row))[:, None]
    a[at, y[row][:, None] * d1 + np.arange(d1)] = -xt[row]
    a[at, other[:, None] * d1 + np.arange(d1)] = xt[row]
    res = linprog(np.zeros(a.shape[1]), A_ub=a, b_ub=-np.ones(len(row)), bounds=(None, None), method="highs")
    return {0: True, 2: False}.get(res.status)


SEPARABLE_NOTE = {
    True: "The training classes are linearly separable: a linear decision boundary can put every training "
          "sample on its class's side (linear-programming feasibility check).",
    False: "The training classes are not linearly separable: no linear decision boundary puts every training "
           "sample on its class's side (linear-programming feasibility check), so a linear model cannot "
           "classify them all.",
}


def tabular_data(x: np.ndarray, y: np.ndarray, *, cfg: TabularOptions, seed: int, features: list[str],
                 classes: list[str], protocol: str, notes: list[str]) -> PreparedData:
    """Split, standardise (fitted on train) and describe ``x`` (n, F) float and ``y`` (class
    codes, or real values for regression; ``classes`` then holds the target's name)."""
    regression = cfg.task == "regression"
    idx = split_indices(len(y), None if regression else y, cfg.val_fraction, cfg.test_fraction,
                        np.random.default_rng(seed))
    x, y = x.astype(np.float32), y.astype(np.float32 if regression else np.int64)
    summary: dict[str, Any] = {"protocol": protocol, "task": cfg.task, "features": features,
                               "rows": {k: int(len(v)) for k, v in idx.items()}, "notes": list(notes)}
    if cfg.standardize:
        mean, std = x[idx["train"]].mean(axis=0), x[idx["train"]].std(axis=0)
        constant = [f for f, s in zip(features, std) if s == 0]
        if constant:
            summary["notes"].append(f"constant in the training rows (left unscaled): {', '.join(constant)}")
        std = np.where(std > 0, std, 1.0)
        x = (x - mean) / std
        summary["feature_scale"] = {"mean": mean.tolist(), "std": std.tolist()}
    if regression and cfg.standardize_target:
        mean_y, std_y = float(y[idx["train"]].mean()), float(y[idx["train"]].std()) or 1.0
        summary["target_scale"] = [mean_y, std_y]
    elif not regression:
        separable = linearly_separable(x[idx["train"]], y[idx["train"]], len(classes))
        summary["linearly_separable"] = separable
        if separable is not None:
            summary["notes"].append(SEPARABLE_NOTE[separable])
    splits = {k: Split(x[v], y[v]) for k, v in idx.items()}
    return PreparedData(classes=list(classes), **splits, model_kwargs={"in_channels": x.shape[1]},
                        summary=summary, task=cfg.task)


def read_csv(path: Path, delimiter: str) -> tuple[list[str], list[list[str]]]:
    """Header and rows of a CSV file; every malformed row is a one-line ``DataError``."""
    if not path.is_file():
        raise DataError(f"CSV file not found: {path}; set data.path to an existing file")
    try:
        with open(path, newline="", encoding="utf-8-sig") as fh:
            rows = list(csv.reader(fh, delimiter=delimiter))
    except (UnicodeDecodeError, csv.Error) as exc:
        raise DataError(f"{path}: not a readable UTF-8 CSV file ({exc})") from None
    rows = [r for r in rows if any(cell.strip() for cell in r)]
    if len(rows) < 2:
        raise DataError(f"{path}: needs a header row and at least one data row")
    header = [h.strip() for h in rows[0]]
    dupes = sorted({h for h in header if header.count(h) > 1})
    if dupes:
        raise DataError(f"{path}: column names appear twice: {', '.join(dupes)}")
    for i, r in enumerate(rows[1:], start=2):
        if len(r) != len(header):
            raise DataError(f"{path}: data row {i - 1} has {len(r)} fields, the header has {len(header)}")
    return header, rows[1:]


def numbers(path: Path, rows: list[list[str]], column: int, name: str) -> np.ndarray:
    """One column as float64; an empty cell, text or a non-finite value names its row."""
    out = np.empty(len(rows))
    for i, r in enumerate(rows):
        cell = r[column].strip()
        try:
            out[i] = float(cell)
        except ValueError:
            out[i] = math.nan
        if not math.isfinite(out[i]):
            what = "is empty" if not cell else f"holds {cell[:30]!r}, not a finite number"
            raise DataError(f"{path}: data row {i + 1}, column {name!r} {what}; fill or drop that row")
    return out


@register_dataset(name="csv", config=CsvConfig)  # the function name would shadow the csv module
def csv_table(cfg: CsvConfig, *, seed: int) -> PreparedData:
    """A CSV file: numeric feature columns and a target column (classes or a real value)."""
    path = Path(cfg.path).expanduser()
    header, rows = read_csv(path, cfg.delimiter)
    wanted = cfg.features if cfg.features is not None else [h for h in header if h != cfg.target]
    missing = [c for c in [cfg.target, *wanted] if c not in header]
    if missing:
        raise DataError(f"{path}: no column {', '.join(map(repr, missing))}; columns: {', '.join(header)}")
    if cfg.target in wanted or not wanted:
        raise DataError(f"{path}: data.features must name at least one column other than the target")
    x = np.stack([numbers(path, rows, header.index(c), c) for c in wanted], axis=1)  # (n, F)
    col = header.index(cfg.target)
    if cfg.task == "regression":
        y, classes = numbers(path, rows, col, cfg.target), [cfg.target]
    else:
        labels = [r[col].strip() for r in rows]
        classes = sorted(set(labels), key=lambda s: (_as_number(s) is None, _as_number(s) or 0.0, s))
        if len(classes) < 2:
            raise DataError(f"{path}: column {cfg.target!r} holds one class only; classification needs two")
        code = {c: k for k, c in enumerate(classes)}
        y = np.array([code[v] for v in labels])
    protocol = (f"CSV {path.name}: {len(rows)} rows, {len(wanted)} features, target {cfg.target!r} "
                f"({cfg.task}), {'stratified ' if cfg.task != 'regression' else ''}random split")
    return tabular_data(x, y, cfg=cfg, seed=seed, features=wanted, classes=classes, protocol=protocol, notes=[])


def _as_number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def generate(cfg: ToyConfig, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, str]:
    """Features, targets and a one-line description of the generated problem."""
    n = cfg.n_samples
    if cfg.kind == "line":
        x = rng.uniform(-3, 3, (n, 1))
        y = cfg.slope * x[:, 0] + cfg.intercept + cfg.noise * rng.standard_normal(n)
        sign = "−" if cfg.intercept < 0 else "+"
        return x, y, f"y = {cfg.slope:g}·x {sign} {abs(cfg.intercept):g} + N(0, {cfg.noise:g}²), x ~ U(−3, 3)"
    if cfg.kind == "blobs":
        angle = 2 * np.pi * np.arange(cfg.n_classes) / cfg.n_classes
        centres = 3 * np.stack([np.cos(angle), np.sin(angle)], axis=1)  # (K, 2)
        y = rng.integers(0, cfg.n_classes, n)
        return centres[y] + cfg.noise * rng.standard_normal((n, 2)), y, \
            f"{cfg.n_classes} Gaussian blobs (std {cfg.noise:g}) on a circle of radius 3"
    corner = rng.integers(0, 2, (n, 2))
    x = 2.0 * corner - 1 + cfg.noise * rng.standard_normal((n, 2))
    return x, corner[:, 0] ^ corner[:, 1], f"XOR: corners (±1, ±1) jittered by N(0, {cfg.noise:g}²), " \
                                           "class 1 where exactly one coordinate is positive"


@register_dataset(config=ToyConfig)
def toy(cfg: ToyConfig, *, seed: int) -> PreparedData:
    """Generated basics: a noisy line (regression), Gaussian blobs, or XOR (no files needed)."""
    x, y, description = generate(cfg, np.random.default_rng(seed))
    features = ["x"] if cfg.kind == "line" else ["x1", "x2"]
    classes = ["y"] if cfg.kind == "line" else ["0", "1"] if cfg.kind == "xor" \
        else list(string.ascii_uppercase[:cfg.n_classes])
    notes = [f"generated data: {description}"]
    data = tabular_data(x, y, cfg=cfg, seed=seed, features=features, classes=classes,
                        protocol=f"toy {cfg.kind}, {cfg.n_samples} samples, random split", notes=notes)
    if cfg.kind == "line":
        data.summary["truth"] = {"slopes": {"x": cfg.slope}, "intercept": cfg.intercept}
    return data
