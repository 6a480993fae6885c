"""Train / val / test splits: by record first, except the ``intra`` (beat-level) protocol.

* ``intra``: stratified split over beats; the same patient is in every split (the report
  flags it). Kachuee et al. (2018) and most "99%" papers use it.
* ``inter``: de Chazal et al. (2004): train on DS1, test on DS2 (paced records excluded);
  validation = a patient-wise ``val_fraction`` of DS1 records (or ``val_records``).
* ``patient_kfold``: ``folds`` folds over the records (DS1 by default): test = fold
  ``fold``, val = the next fold, train = the rest; for model selection inside DS1.
* ``records``: explicit ``train_records`` / ``val_records`` / ``test_records``.

The record groups are data (``mitdb_records.txt``), read by ``record_groups()``.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

import numpy as np

from seqlab.errors import ConfigError, DataError


@lru_cache(maxsize=None)
def record_groups() -> dict[str, tuple[str, ...]]:
    """``{"DS1": (...), "DS2": (...), "paced": (...)}`` from ``mitdb_records.txt``."""
    text = resources.files("seqlab.data.ecg").joinpath("mitdb_records.txt").read_text()
    groups = {}
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, records = line.split(":", 1)
            groups[name.strip()] = tuple(records.split())
    return groups


def stratified_beat_split(y: np.ndarray, val_fraction: float, test_fraction: float, *, seed: int):
    """(train, val, test) row indices, each class cut in the same proportions."""
    rng = np.random.default_rng(seed)
    parts: tuple[list, list, list] = ([], [], [])
    for c in np.unique(y):  # loop over classes
        rows = rng.permutation(np.flatnonzero(y == c))
        n_test = int(round(test_fraction * rows.size))
        n_val = int(round(val_fraction * rows.size))
        parts[2].append(rows[:n_test])
        parts[1].append(rows[n_test:n_test + n_val])
        parts[0].append(rows[n_test + n_val:])
    return tuple(np.sort(np.concatenate(p)) if p else np.zeros(0, np.int64) for p in parts)


def _pick(records: list[str], fraction: float, rng: np.random.Generator) -> list[str]:
    n = max(1, int(round(fraction * len(records)))) if fraction > 0 else 0
    return sorted(rng.choice(records, size=min(n, len(records) - 1), replace=False).tolist())


def record_split(cfg, available: list[str], *, seed: int) -> dict[str, list[str]]:
    """Records per split for the by-record protocols (``cfg.split`` != ``intra``)."""
    groups = record_groups()
    exclude = set(map(str, cfg.exclude_records))
    rng = np.random.default_rng(seed)
    if cfg.split == "inter":
        ds1 = [r for r in groups["DS1"] if r not in exclude]
        ds2 = [r for r in groups["DS2"] if r not in exclude]
        missing = [r for r in ds1 + ds2 if r not in available]
        if missing:
            raise DataError(f"the inter-patient protocol needs records {' '.join(missing)}, "
                            "missing from the source; fetch the full database, or select "
                            "models on DS1 with split: patient_kfold (--cv-only)")
        val = sorted(map(str, cfg.val_records)) or _pick(ds1, cfg.val_fraction, rng)
        return {"train": [r for r in ds1 if r not in val], "val": val, "test": ds2}
    if cfg.split == "patient_kfold":
        pool = [str(r) for r in (cfg.records or groups["DS1"]) if str(r) not in exclude]
        missing = [r for r in pool if r not in available]
        if missing:
            raise DataError(f"patient_kfold needs records {' '.join(missing)}, missing from the source")
        if not 3 <= cfg.folds <= len(pool) or not 0 <= cfg.fold < cfg.folds:
            raise ConfigError(f"patient_kfold needs 3 <= folds <= {len(pool)} records and "
                              f"0 <= fold < folds (got folds={cfg.folds}, fold={cfg.fold})")
        order = np.random.default_rng(cfg.fold_seed).permutation(len(pool))
        folds = [sorted(pool[i] for i in part) for part in np.array_split(order, cfg.folds)]
        test, val = folds[cfg.fold], folds[(cfg.fold + 1) % cfg.folds]
        return {"train": sorted(r for r in pool if r not in test and r not in val),
                "val": val, "test": test}
    if cfg.split == "records":
        out = {k: [str(r) for r in getattr(cfg, f"{k}_records")] for k in ("train", "val", "test")}
        if not out["train"] or not out["test"]:
            raise ConfigError("split: records needs train_records and test_records")
        seen: dict[str, str] = {}
        for name, recs in out.items():
            for r in recs:
                if r in seen:
                    raise ConfigError(f"record {r} is in both {seen[r]}_records and {name}_records")
                seen[r] = name
        missing = [r for r in seen if r not in available]
        if missing:
            raise DataError(f"records {' '.join(missing)} are missing from the source")
        return out
    raise ConfigError(f"unknown split {cfg.split!r}")
