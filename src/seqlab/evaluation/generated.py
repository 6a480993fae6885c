"""Did a generator learn the beats or copy them? Nearest-neighbour distances and a classifier
two-sample test (scikit-learn, numpy in, numbers out).

* **Copies.** Each generated beat's Euclidean distance to its nearest training beat, beside
  the same distance from training beats to the *other* training beats (leave-one-out) and
  from held-out real beats to the training beats. A generator that memorised its data puts
  generated beats much closer to training beats than real beats are to each other; an exact
  copy has distance 0 (``exact_copies``, tolerance ``1e-6`` per sample).
* **Two-sample test** (Lopez-Paz & Oquab 2017): a classifier is trained to tell real from
  generated beats; its cross-validated ROC-AUC is 0.5 when the two are indistinguishable to
  it and 1.0 when every generated beat gives itself away. A gradient-boosted tree ensemble on
  the raw samples is used because a linear model misses non-linear tells (jitter, missing
  waves) and would flatter the generator.

>>> rng = np.random.default_rng(0)
>>> train = rng.normal(size=(200, 1, 20))
>>> fake = np.concatenate([rng.normal(size=(49, 1, 20)), train[:1]])  # one exact copy
>>> copy_check(fake, train, seed=0)["exact_copies"]
1
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.model_selection import StratifiedKFold, cross_val_score
from sklearn.neighbors import NearestNeighbors

EXACT_TOL = 1e-6  # distance per sample under which a generated beat is a copy
MIN_PER_SIDE = 50  # fewer real beats than this: no two-sample AUROC (a tree cannot split so few)


def _flat(x: np.ndarray) -> np.ndarray:
    return np.asarray(x, dtype=np.float64).reshape(len(x), -1)  # (N, C*T)


def nn_distances(query: np.ndarray, reference: np.ndarray, *, leave_one_out: bool = False) -> np.ndarray:
    """Distance from each query beat to its nearest reference beat; ``leave_one_out`` when
    the queries are themselves reference rows (their own zero distance is skipped)."""
    ref = _flat(reference)
    k = 2 if leave_one_out else 1
    if len(ref) < k:
        return np.full(len(query), np.nan)
    dist, _ = NearestNeighbors(n_neighbors=k).fit(ref).kneighbors(_flat(query))
    return dist[:, k - 1]


def _quantiles(d: np.ndarray) -> dict[str, float | None]:
    d = d[np.isfinite(d)]
    if d.size == 0:
        return {"min": None, "p5": None, "median": None}
    return {"min": float(d.min()), "p5": float(np.percentile(d, 5)), "median": float(np.median(d))}


def copy_check(generated: np.ndarray, train: np.ndarray, held_out: np.ndarray | None = None, *,
               seed: int = 0, max_queries: int = 2000) -> dict[str, Any]:
    """Nearest-neighbour distances of generated beats to ``train``, against train-to-train
    (leave-one-out, at most ``max_queries`` training beats drawn) and held-out-to-train.
    ``exact_copies`` counts generated beats within ``EXACT_TOL`` per sample of a training
    beat; ``near_copies`` those closer than the 1st percentile of train-to-train distances;
    ``ratio_median`` = median generated-to-train / median train-to-train distance (near 1:
    as far from the training beats as they are from each other; far below 1: memorised)."""
    rng = np.random.default_rng(seed)
    gen = nn_distances(generated, train)
    pick = rng.choice(len(train), size=min(max_queries, len(train)), replace=False)
    t2t = nn_distances(train[pick], train, leave_one_out=True)
    tol = EXACT_TOL * np.sqrt(_flat(train[:1]).shape[1])
    out = {"n_generated": len(generated), "n_train": len(train),
           "exact_copies": int((gen <= tol).sum()),
           "gen_to_train": _quantiles(gen), "train_to_train": _quantiles(t2t)}
    p1 = np.nanpercentile(t2t, 1) if np.isfinite(t2t).any() else np.nan
    out["near_copies"] = int((gen < p1).sum()) if np.isfinite(p1) else None
    med = out["train_to_train"]["median"]
    out["ratio_median"] = float(np.median(gen) / med) if med else None
    if held_out is not None and len(held_out):
        out["held_out_to_train"] = _quantiles(nn_distances(held_out[:max_queries], train))
    return out


def two_sample_auroc(real: np.ndarray, generated: np.ndarray, *, seed: int = 0, folds: int = 5,
                     max_per_side: int = 2000) -> dict[str, Any]:
    """Cross-validated ROC-AUC of a classifier telling ``real`` from ``generated`` beats
    (equal numbers of each, at most ``max_per_side``): mean and sd over the folds; ``None``
    with fewer than ``MIN_PER_SIDE`` real beats."""
    rng = np.random.default_rng(seed)
    n = min(len(real), len(generated), max_per_side)
    if n < max(folds, MIN_PER_SIDE):  # too few: 0.5 would read as "indistinguishable"
        return {"auroc": None, "sd": None, "n_per_side": int(n)}
    a = _flat(real)[rng.choice(len(real), n, replace=False)]
    b = _flat(generated)[rng.choice(len(generated), n, replace=False)]
    x = np.concatenate([a, b])
    y = np.r_[np.zeros(n, int), np.ones(n, int)]
    clf = HistGradientBoostingClassifier(max_iter=100, learning_rate=0.1, random_state=seed)
    scores = cross_val_score(clf, x, y, scoring="roc_auc",
                             cv=StratifiedKFold(folds, shuffle=True, random_state=seed))
    return {"auroc": float(scores.mean()), "sd": float(scores.std(ddof=1)), "n_per_side": int(n)}


def format_generator_table(m: dict[str, Any]) -> str:
    """The terminal summary of a generator run's ``metrics.json`` (``task: generator``)."""
    fmt = lambda v, d=3: "  —  " if v is None else f"{v:.{d}f}"
    lines = [(f"generator checks on {m.get('n_per_class', '?')} generated beats per class "
              "(training split of the generator):"),
             (f"{'class':>6} {'exact copies':>12} {'near':>5} {'gen→train':>10} {'train→train':>12} "
              f"{'held-out→train':>15} {'2-sample AUROC':>15}")]
    for c, p in m["per_class"].items():
        cc, ts = p["copies"], p["two_sample"]
        held = (cc.get("held_out_to_train") or {}).get("median")
        auroc = "  —  " if ts["auroc"] is None else f"{ts['auroc']:.3f} ± {ts['sd']:.3f}"
        lines.append(f"{c:>6} {cc['exact_copies']:>12} {cc['near_copies'] if cc['near_copies'] is not None else '—':>5} "
                     f"{fmt(cc['gen_to_train']['median']):>10} {fmt(cc['train_to_train']['median']):>12} "
                     f"{fmt(held):>15} {auroc:>15}")
    lines.append("(distances: medians of the nearest-neighbour Euclidean distance; AUROC 0.5 = indistinguishable)")
    return "\n".join(lines)
