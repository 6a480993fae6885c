"""MIT-BIH Arrhythmia beats (the ``mitbih`` dataset): records -> labelled beats -> splits.

Example configs (YAML ``data:`` section):

* Kachuee et al. (2018), intra-patient, all records, AAMI classes::

      name: mitbih
      split: intra
      lead_fallback: any        # 102 and 104 have no MLII: use their first lead
      test_fraction: 0.2

* de Chazal et al. (2004), inter-patient DS1 -> DS2, N/S/V/F::

      name: mitbih
      split: inter
      classes: [N, S, V, F]
      balance: oversample

Without DS2 on disk, ``inter`` fails naming the missing records; use ``split:
patient_kfold`` over DS1 for model selection.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import numpy as np
from pydantic import Field, field_validator, model_validator

from seqlab.data.balance import balance_split
from seqlab.data.base import DataConfigBase, PreparedData, Split
from seqlab.data.ecg.cache import cached_arrays, files_fingerprint
from seqlab.data.ecg.config import BeatOptions
from seqlab.data.ecg.labels import SCHEMES, label_beats, split_symbols
from seqlab.data.ecg.qrs import ecg_peaks
from seqlab.data.ecg.qrs_eval import check_annotations_match
from seqlab.data.ecg.beat_features import FEATURES_VERSION, feature_names
from seqlab.data.ecg.beat_sequence import BeatSequence, block_split, check_order_kept
from seqlab.data.ecg.segment import (
    feature_matrix,
    read_record_for,
    record_peaks,
    rr_feature_names,
    segment_record,
)
from seqlab.data.ecg.splits import record_split, stratified_beat_split
from seqlab.data.registry import register_dataset
from seqlab.errors import DataError
from seqlab.paths import data_root


class MitbihConfig(BeatOptions, DataConfigBase):
    """Config of the ``mitbih`` dataset (beat options in ``BeatOptions``)."""

    name: str = "mitbih"
    # directory with the WFDB records; default data_root()/mitdb
    source: str | None = None
    labels: Literal["aami5", "nlrav", "binary"] = "aami5"
    classes: list[str] | None = None  # keep a subset, e.g. [N, S, V, F] for inter-patient
    split: Literal["intra", "inter", "patient_kfold", "records"] = "intra"
    val_fraction: float = Field(0.1, ge=0.0, lt=1.0)
    test_fraction: float = Field(0.2, ge=0.0, lt=1.0)
    folds: int = 5
    fold: int = 0
    # seeds the record -> fold assignment, fixed so every fold of a CV run (whatever its
    # run seed) partitions the same way
    fold_seed: int = 0
    records: list[str] | None = None  # record pool of intra / patient_kfold (None: all / DS1)
    train_records: list[str] = []
    val_records: list[str] = []
    test_records: list[str] = []
    exclude_records: list[str] = []
    balance: Literal["none", "oversample", "undersample"] = "none"
    # with reference peaks, check each record's annotations line up with its QRS complexes
    check_annotations: bool = True
    cache: bool = True
    # windows of consecutive beats for a sequence model (``beat_sequence``), e.g. {length: 10}
    beat_sequence: BeatSequence | None = None

    @field_validator("records", "train_records", "val_records", "test_records",
                     "exclude_records", mode="before")
    @classmethod
    def _record_ids_as_text(cls, v):
        return [str(r) for r in v] if isinstance(v, (list, tuple)) else v

    @model_validator(mode="after")
    def _consistent(self):
        valid = SCHEMES[self.labels][1]
        bad = [c for c in (self.classes or []) if c not in valid]
        if bad:
            raise ValueError(f"classes {bad} not in label scheme {self.labels!r}: choose from {valid}")
        if self.val_fraction + self.test_fraction >= 1:
            raise ValueError("val_fraction + test_fraction must be below 1")
        check_order_kept(self)
        return self


def source_dir(cfg) -> Path:
    src = Path(cfg.source).expanduser() if cfg.source else data_root() / "mitdb"
    if not src.is_dir():
        raise DataError(f"MIT-BIH records not found: {src} is not a directory; run "
                        "`seqlab data fetch mitdb --source ../shared/data/mitdb` "
                        "or set source: (or $SEQLAB_DATA)")
    return src


def available_records(src: Path) -> list[str]:
    listed = src / "RECORDS"
    names = listed.read_text().split() if listed.is_file() else [p.stem for p in src.glob("*.hea")]
    return sorted(n for n in names if (src / f"{n}.hea").is_file())


def _build_record(src: Path, name: str, cfg: MitbihConfig) -> dict[str, np.ndarray]:
    """Every beat of one record (labels applied later), plus its bookkeeping."""
    rec = read_record_for(src / name, cfg, annotator="atr")
    is_beat, skipped, unknown = split_symbols(rec.ann_symbols)
    ref_samples, ref_symbols = rec.ann_samples[is_beat], rec.ann_symbols[is_beat]
    if cfg.peaks == "reference":
        peaks, symbols = record_peaks(rec, cfg)
        if cfg.check_annotations:
            detected, _ = ecg_peaks(rec.signal, rec.fs, method="seqlab")
            check_annotations_match(name, rec.ann_samples, rec.ann_symbols, detected, rec.fs)
    else:  # detector peaks, labelled by the nearest annotated beat within 150 ms
        peaks, _ = record_peaks(rec, cfg)
        j = np.clip(np.searchsorted(ref_samples, peaks), 1, max(1, ref_samples.size - 1))
        cand = np.stack([j - 1, np.minimum(j, ref_samples.size - 1)], axis=1)  # (P, 2)
        dist = np.abs(ref_samples[cand] - peaks[:, None]) if ref_samples.size else None
        symbols = np.full(peaks.size, "", dtype="<U1")
        if dist is not None:
            near = cand[np.arange(peaks.size), dist.argmin(axis=1)]
            ok = dist.min(axis=1) <= int(0.15 * rec.fs)
            symbols[ok] = ref_symbols[near[ok]]
    beats, rr, kept = segment_record(rec, cfg, peaks)
    extra = {"features": feature_matrix(rec, cfg, peaks)[kept]} if cfg.features != "none" else {}
    return {
        **extra, "x": beats, "rr": rr if rr is not None else np.zeros((beats.shape[0], 0), np.float32),
        "peaks": peaks[kept], "symbols": np.asarray(symbols, dtype="<U1")[kept],
        "edge_symbols": np.asarray(symbols, dtype="<U1")[~kept],
        "skipped_non_beat": np.array(skipped),
        "lead": np.array(rec.lead + (f"+{rec.extra_lead}" if rec.extra_lead else "")),
        "unknown_names": np.array(sorted(unknown), dtype=str),
        "unknown_counts": np.array([unknown[k] for k in sorted(unknown)], dtype=np.int64),
        "notes": np.array(rec.notes, dtype=str),
    }


def load_records(cfg: MitbihConfig, src: Path, names: list[str]) -> tuple[dict, dict]:
    """Per-record arrays for ``names`` (cached) and the cache hit/miss counts."""
    out, stats = {}, {"hits": 0, "misses": 0}
    for name in names:
        files = list(src.glob(f"{name}.*"))  # .hea, .dat, .atr
        payload = {"dataset": "mitbih", "record": name, "beat": cfg.beat_fields(),
                   "check": cfg.check_annotations, "files": files_fingerprint(files)}
        if cfg.features != "none" or cfg.rr_set == "relative":  # a changed feature definition rebuilds only feature runs
            payload["features_version"] = FEATURES_VERSION
        arrays, hit = cached_arrays("mitbih", name, payload,
                                    lambda: _build_record(src, name, cfg), enabled=cfg.cache)
        stats["hits" if hit else "misses"] += 1
        out[name] = arrays
    return out, stats


def _concat(per: dict, names: list[str], key: str) -> np.ndarray:
    return np.concatenate([per[n][key] for n in names]) if names else np.zeros(0)


@register_dataset(config=MitbihConfig)
def mitbih(cfg: MitbihConfig, *, seed: int) -> PreparedData:
    """MIT-BIH Arrhythmia beats: AAMI / NLRAV / binary labels; intra, inter or k-fold splits."""
    src = source_dir(cfg)
    available = available_records(src)
    if cfg.split == "intra":
        pool = [str(r) for r in (cfg.records or available) if str(r) not in set(cfg.exclude_records)]
        missing = [r for r in pool if r not in available]
        if missing:
            raise DataError(f"records {' '.join(missing)} are missing from {src}")
        split_records = {"train": pool, "val": pool, "test": pool}
    else:
        split_records = record_split(cfg, available, seed=seed)
    names = sorted({r for recs in split_records.values() for r in recs})
    if not names:
        raise DataError(f"no records left to use in {src} (check records / exclude_records)")
    per, cache_stats = load_records(cfg, src, names)

    symbols = _concat(per, names, "symbols").astype(str)
    y_all, classes = label_beats(symbols, cfg.labels, cfg.classes)
    groups_all = np.concatenate([np.full(per[n]["symbols"].size, n) for n in names])
    x_all = np.concatenate([per[n]["x"] for n in names])
    rr_all = np.concatenate([per[n]["rr"] for n in names])
    feats_all = np.concatenate([per[n]["features"] for n in names]) if cfg.features != "none" else None
    keep = y_all >= 0

    def make(rows: np.ndarray) -> Split:
        if cfg.features != "none":
            return Split(feats_all[rows], y_all[rows], groups_all[rows])
        x = {"x": x_all[rows], "rr": rr_all[rows]} if cfg.rr_features else x_all[rows]
        return Split(x, y_all[rows], groups_all[rows])

    if cfg.split == "intra":
        rows = np.flatnonzero(keep)
        if cfg.beat_sequence is not None:  # whole blocks of consecutive beats, never single beats
            tr, va, te = block_split(y_all[rows], groups_all[rows], cfg.beat_sequence.length, cfg.val_fraction,
                                     cfg.test_fraction, seed=seed)
        else:
            tr, va, te = stratified_beat_split(y_all[rows], cfg.val_fraction, cfg.test_fraction, seed=seed)
        parts = {"train": rows[tr], "val": rows[va], "test": rows[te]}
    else:
        parts = {k: np.flatnonzero(keep & np.isin(groups_all, v)) for k, v in split_records.items()}
    splits = {k: make(v) for k, v in parts.items()}
    splits["train"] = balance_split(splits["train"], cfg.balance, seed=seed)
    summary = _summary(cfg, src, per, names, split_records, splits, classes, symbols, keep, cache_stats)
    if cfg.features != "none":
        summary["features"] = list(feature_names(cfg.features, 1 + int(cfg.extra_lead)))
    rr_names = _rr_names(cfg)
    return PreparedData(
        classes=classes, train=splits["train"], val=splits["val"], test=splits["test"],
        model_kwargs={"in_channels": int(x_all.shape[1]), "seq_len": int(x_all.shape[-1]),
                      "num_rr": len(rr_names), "rr_names": rr_names,
                      **(cfg.beat_sequence.model_kwargs() if cfg.beat_sequence else {})},
        summary=summary)


def _rr_names(cfg: MitbihConfig) -> list[str]:
    """The RR feature columns the beats carry (none without ``rr_features``)."""
    return list(rr_feature_names(cfg.rr_set)) if cfg.rr_features else []


def _summary(cfg, src, per, names, split_records, splits, classes, symbols, keep, cache_stats) -> dict:
    def count(sym: np.ndarray) -> dict[str, int]:
        y, _ = label_beats(sym.astype(str), cfg.labels, cfg.classes)
        return {c: int((y == i).sum()) for i, c in enumerate(classes)}

    edge = np.concatenate([per[n]["edge_symbols"] for n in names]).astype(str)
    every = np.concatenate([symbols, edge])
    unknown: dict[str, int] = {}
    for n in names:
        for k, v in zip(per[n]["unknown_names"].tolist(), per[n]["unknown_counts"].tolist()):
            unknown[k] = unknown.get(k, 0) + int(v)
    dropped_label = dict(zip(*[a.tolist() for a in np.unique(symbols[~keep], return_counts=True)]))
    notes = [str(s) for n in names for s in per[n]["notes"].tolist()]
    intra = cfg.split == "intra"
    if intra:
        notes.insert(0, "**Intra-patient split: beats of the same patients are in train, val "
                        "and test; scores overstate performance on new patients.**")
    if cfg.balance != "none":
        notes.append(f"training split {cfg.balance}d after splitting; val and test untouched")
    if cfg.peaks != "reference":
        n_unmatched = int((symbols == "").sum())
        notes.append(f"R peaks from the {cfg.peaks} detector; {n_unmatched} detections with no "
                     "annotated beat within 150 ms are left out")
    protocol = {"intra": "intra-patient (stratified beats)",
                "inter": "inter-patient DS1 -> DS2 (de Chazal 2004)",
                "patient_kfold": f"patient-wise fold {cfg.fold} of {cfg.folds}",
                "records": "explicit record lists"}[cfg.split]
    return {
        "dataset": "mitbih", "protocol": protocol, "intra_patient": intra, "source": str(src),
        "records": {k: list(v) for k, v in split_records.items()},
        "counts": {k: {c: int((s.y == i).sum()) for i, c in enumerate(classes)}
                   for k, s in splits.items()},
        "counts_before_edge_drop": count(every),
        "dropped_edge_beats": int(edge.size),
        "dropped_by_label": {str(k): int(v) for k, v in dropped_label.items()},
        "unknown_symbols": unknown,
        "skipped_non_beat": int(sum(int(per[n]["skipped_non_beat"]) for n in names)),
        "leads": {n: str(per[n]["lead"]) for n in names},
        "filters": list(cfg.filters), "bandpass_hz": list(cfg.bandpass_hz), "detector": cfg.peaks,
        "labels": cfg.labels, "rr_features": _rr_names(cfg),
        "beat": cfg.beat_fields(), "balance": cfg.balance, "cache": cache_stats, "notes": notes,
    }
