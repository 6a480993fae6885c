"""Train-side class balancing by random over- or under-sampling (numpy only, any dataset).

Applied to the training split only, after splitting: duplicating beats before the split is
what made the seed's 96% a leak (copies of one beat landed in both train and test).

>>> y = np.array([0, 0, 0, 0, 1])
>>> np.bincount(y[balance_indices(y, "oversample", seed=0)]).tolist()
[4, 4]
>>> np.bincount(y[balance_indices(y, "undersample", seed=0)]).tolist()
[1, 1]
"""

from __future__ import annotations

import numpy as np

from seqlab.errors import ConfigError

BALANCE_METHODS = ("none", "oversample", "undersample")


def balance_indices(y: np.ndarray, method: str, *, seed: int) -> np.ndarray:
    """Row indices that balance ``y``: ``oversample`` draws every present class up to the
    largest (originals kept, extra rows drawn with replacement), ``undersample`` draws every
    class down to the smallest present one without replacement; ``none`` keeps all rows."""
    if method not in BALANCE_METHODS:
        raise ConfigError(f"unknown balance {method!r}; valid: {', '.join(BALANCE_METHODS)}")
    y = np.asarray(y)
    if method == "none" or y.size == 0:
        return np.arange(y.size)
    rng = np.random.default_rng(seed)
    classes, counts = np.unique(y, return_counts=True)
    parts = []
    for c, n in zip(classes, counts):  # loop over classes, not samples
        rows = np.flatnonzero(y == c)
        if method == "oversample":
            extra = rng.choice(rows, size=counts.max() - n, replace=True)
            parts.append(np.concatenate([rows, extra]))
        else:
            parts.append(rng.choice(rows, size=counts.min(), replace=False))
    index = np.concatenate(parts)
    return index[rng.permutation(index.size)]


def balance_split(split, method: str, *, seed: int):
    """A ``Split`` resampled by ``balance_indices`` (the same object when ``method='none'``)."""
    if method == "none":
        return split
    return split.take(balance_indices(split.y, method, seed=seed))
