"""Per-record sensitivity and PPV: which patients carry the error.

Each minority class of MIT-BIH sits in a handful of records, so a pooled sensitivity can hide
that one patient's beats are all missed; the per-record table shows it.

>>> y = np.array([0, 1, 1, 0, 1]); p = np.eye(2)[[0, 1, 0, 0, 1]]
>>> rows = per_record(y, p, np.array(["a", "a", "a", "b", "b"]), ["N", "S"])
>>> [(r["record"], r["S"]["n"], r["S"]["sensitivity"]) for r in rows]
[('a', 2, 0.5), ('b', 1, 1.0)]
"""

from __future__ import annotations

from typing import Any

import numpy as np


def per_record(y_true: np.ndarray, probs: np.ndarray, groups: np.ndarray, classes: list[str]) -> list[dict[str, Any]]:
    """One row per record: beats, and per class its count, sensitivity, PPV (None where
    the record holds none of it / nothing was called it) and false calls (beats of other
    classes called it: a record without S beats can still carry many false S)."""
    pred = probs.argmax(axis=1)
    rows = []
    for g in sorted(np.unique(groups), key=str):
        m = groups == g
        row: dict[str, Any] = {"record": str(g), "n": int(m.sum())}
        for i, c in enumerate(classes):
            true, called = (y_true[m] == i), (pred[m] == i)
            hit = int((true & called).sum())
            row[c] = {"n": int(true.sum()), "sensitivity": hit / int(true.sum()) if true.any() else None,
                      "ppv": hit / int(called.sum()) if called.any() else None,
                      "false": int(called.sum()) - hit}
        rows.append(row)
    return rows
