"""PTB Diagnostic ECG Database beats (the ``ptbdb`` dataset): healthy control vs MI.

Two forms of the data, chosen by ``form`` (``auto`` looks at the files):

* ``wfdb``: PhysioNet's layout ``patientNNN/<record>.hea`` (+ ``.dat``). The class comes
  from the header comment ``Reason for admission:`` -- ``Healthy control`` -> ``normal``,
  ``Myocardial infarction`` -> ``mi``, anything else -> ``other`` (dropped unless kept in
  ``classes``). There are no beat annotations, so R peaks come from a detector
  (``peaks: seqlab``) and every beat carries its record's class. Splits are by patient.
* ``kaggle``: ``ptbdb_normal.csv`` / ``ptbdb_abnormal.csv`` (Kachuee et al. 2018: one beat a
  row, 187 samples at 125 Hz, the last column the label; ``abnormal`` = MI). These rows
  carry no patient id, so the only possible split is over beats (``intra_patient: true``).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal

import numpy as np
from pydantic import Field, field_validator

from seqlab.data.balance import balance_split
from seqlab.data.base import DataConfigBase, PreparedData, Split
from seqlab.data.ecg.cache import cached_arrays, files_fingerprint
from seqlab.data.ecg.config import BeatOptions
from seqlab.data.ecg.reader import read_header
from seqlab.data.ecg.segment import beats_from_record, read_record_for, record_peaks
from seqlab.data.ecg.splits import stratified_beat_split
from seqlab.data.registry import register_dataset
from seqlab.errors import ConfigError, DataError
from seqlab.paths import data_root

CLASSES = ["normal", "mi", "other"]
KAGGLE_FILES = {"normal": "ptbdb_normal.csv", "mi": "ptbdb_abnormal.csv"}
_REASON = re.compile(r"reason for admission:\s*(.*)", re.IGNORECASE)


class PtbdbConfig(BeatOptions, DataConfigBase):
    """Config of the ``ptbdb`` dataset (beat options in ``BeatOptions``)."""

    name: str = "ptbdb"
    source: str | None = None  # default data_root()/ptbdb
    form: Literal["auto", "wfdb", "kaggle"] = "auto"
    lead: str = "ii"
    record_fs: float | None = None
    peaks: Literal["seqlab", "xqrs"] = "seqlab"
    classes: list[Literal["normal", "mi", "other"]] = ["normal", "mi"]
    split: Literal["patient", "intra"] = "patient"
    val_fraction: float = Field(0.1, ge=0.0, lt=1.0)
    test_fraction: float = Field(0.2, ge=0.0, lt=1.0)
    balance: Literal["none", "oversample", "undersample"] = "none"
    cache: bool = True

    @field_validator("features")
    @classmethod
    def _beats_only(cls, v: str) -> str:
        # the Kaggle form holds beats without their record, so no record-level feature set
        if v != "none":
            raise ValueError("ptbdb gives beat windows only; remove data.features (feature sets are MIT-BIH's)")
        return v


def diagnosis_class(comments: list[str] | tuple[str, ...]) -> str:
    """``normal`` / ``mi`` / ``other`` from PTB header comments.

    >>> diagnosis_class(["age: 81", "Reason for admission: Myocardial infarction"])
    'mi'
    """
    for line in comments:
        m = _REASON.search(line)
        if m:
            reason = m.group(1).strip().lower()
            if reason.startswith("healthy control"):
                return "normal"
            if reason.startswith("myocardial infarction"):
                return "mi"
            return "other"
    return "other"


def _source(cfg: PtbdbConfig) -> Path:
    src = Path(cfg.source).expanduser() if cfg.source else data_root() / "ptbdb"
    if not src.is_dir():
        raise DataError(f"PTB-DB not found: {src} is not a directory; set source: to the "
                        "PhysioNet ptbdb folder or to the folder with the Kaggle CSV files")
    return src


def _form(cfg: PtbdbConfig, src: Path) -> str:
    if cfg.form != "auto":
        return cfg.form
    if all((src / f).is_file() for f in KAGGLE_FILES.values()):
        return "kaggle"
    if any(src.glob("patient*/*.hea")):
        return "wfdb"
    raise DataError(f"{src} holds neither patientNNN/*.hea records nor "
                    f"{' and '.join(KAGGLE_FILES.values())}")


def _kaggle(cfg: PtbdbConfig, src: Path):
    xs, ys = [], []
    classes = [c for c in CLASSES if c in cfg.classes]
    for cls, fname in KAGGLE_FILES.items():
        if cls not in classes:
            continue
        path = src / fname
        try:
            table = np.loadtxt(path, delimiter=",", dtype=np.float32, ndmin=2)
        except (OSError, ValueError) as exc:
            raise DataError(f"{path}: not a numeric CSV ({exc})") from None
        if table.shape[1] < 3:
            raise DataError(f"{path}: expected 187 samples and a label per row, got {table.shape[1]} columns")
        xs.append(table[:, :-1])
        ys.append(np.full(table.shape[0], classes.index(cls), dtype=np.int64))
    if "other" in classes:
        raise ConfigError("the Kaggle PTB-DB form has no 'other' class; use classes: [normal, mi]")
    x = np.concatenate(xs)[:, None, :]  # (N, 1, 187)
    y = np.concatenate(ys)
    groups = np.array([f"row{i}" for i in range(y.size)])
    return x, None, y, groups, classes


def _wfdb(cfg: PtbdbConfig, src: Path):
    classes = [c for c in CLASSES if c in cfg.classes]
    xs, rrs, ys, groups, stats = [], [], [], [], {"hits": 0, "misses": 0, "records": 0}
    for hea in sorted(src.glob("patient*/*.hea")):
        path = hea.with_suffix("")
        header = read_header(path)
        cls = diagnosis_class(header.comments or [])
        if cls not in classes:
            continue
        patient = hea.parent.name

        def build(path=path):
            rec = read_record_for(path, cfg)
            detected, _ = record_peaks(rec, cfg)
            inputs, peaks = beats_from_record(rec, cfg, detected)
            x = inputs["x"] if isinstance(inputs, dict) else inputs
            rr = inputs["rr"] if isinstance(inputs, dict) else np.zeros((x.shape[0], 0), np.float32)
            return {"x": x, "rr": rr, "peaks": peaks, "n_edge": np.array(detected.size - peaks.size)}

        files = list(hea.parent.glob(f"{path.name}.*"))  # .hea, .dat, .xyz
        payload = {"dataset": "ptbdb", "record": f"{patient}/{path.name}", "beat": cfg.beat_fields(),
                   "files": files_fingerprint(files)}
        arrays, hit = cached_arrays("ptbdb", f"{patient}-{path.name}", payload, build, enabled=cfg.cache)
        stats["hits" if hit else "misses"] += 1
        stats["records"] += 1
        stats["dropped_edge_beats"] = stats.get("dropped_edge_beats", 0) + int(arrays["n_edge"])
        n = arrays["x"].shape[0]
        xs.append(arrays["x"])
        rrs.append(arrays["rr"])
        ys.append(np.full(n, classes.index(cls), dtype=np.int64))
        groups.append(np.full(n, patient))
    if not xs:
        raise DataError(f"{src}: no records of classes {classes}")
    return (np.concatenate(xs), np.concatenate(rrs), np.concatenate(ys), np.concatenate(groups),
            classes, stats)


def _patient_split(y: np.ndarray, groups: np.ndarray, val_fraction: float, test_fraction: float,
                   seed: int):
    """Patients (not beats) stratified by their class into train / val / test."""
    patients, first = np.unique(groups, return_index=True)
    pt_class = y[first]
    tr, va, te = stratified_beat_split(pt_class, val_fraction, test_fraction, seed=seed)
    return {k: np.flatnonzero(np.isin(groups, patients[idx])) for k, idx in
            (("train", tr), ("val", va), ("test", te))}, {
            k: sorted(patients[idx].tolist()) for k, idx in (("train", tr), ("val", va), ("test", te))}


@register_dataset(config=PtbdbConfig)
def ptbdb(cfg: PtbdbConfig, *, seed: int) -> PreparedData:
    """PTB Diagnostic ECG beats: healthy control vs myocardial infarction (by patient)."""
    src = _source(cfg)
    form = _form(cfg, src)
    notes: list[str] = []
    stats: dict = {}
    if form == "kaggle":
        x, rr, y, groups, classes = _kaggle(cfg, src)
        intra = True
        notes.append("**Kaggle PTB-DB rows have no patient id: beats of the same patients are in "
                     "train, val and test; scores overstate performance on new patients.**")
    else:
        x, rr, y, groups, classes, stats = _wfdb(cfg, src)
        intra = cfg.split == "intra"
        if intra:
            notes.append("**Intra-patient split: the same patients are in train, val and test.**")
    if intra:
        tr, va, te = stratified_beat_split(y, cfg.val_fraction, cfg.test_fraction, seed=seed)
        parts = {"train": tr, "val": va, "test": te}
        records = {k: sorted(set(groups[v].tolist())) for k, v in parts.items()} if form == "wfdb" else {
            k: [] for k in parts}
    else:
        parts, records = _patient_split(y, groups, cfg.val_fraction, cfg.test_fraction, seed)
    use_rr = rr is not None and cfg.rr_features and rr.shape[1] > 0

    def make(rows):
        return Split({"x": x[rows], "rr": rr[rows]} if use_rr else x[rows], y[rows], groups[rows])

    splits = {k: make(v) for k, v in parts.items()}
    splits["train"] = balance_split(splits["train"], cfg.balance, seed=seed)
    summary = {
        "dataset": "ptbdb", "form": form, "source": str(src),
        "protocol": "beats split over rows" if intra else "patient-wise split",
        "intra_patient": intra, "records": records,
        "counts": {k: {c: int((s.y == i).sum()) for i, c in enumerate(classes)} for k, s in splits.items()},
        "dropped_edge_beats": int(stats.pop("dropped_edge_beats", 0)),
        "unknown_symbols": {}, "skipped_non_beat": 0,
        "filters": list(cfg.filters) if form == "wfdb" else [], "detector": cfg.peaks if form == "wfdb" else None,
        "cache": stats, "notes": notes,
    }
    return PreparedData(classes=classes, train=splits["train"], val=splits["val"], test=splits["test"],
                        model_kwargs={"in_channels": int(x.shape[1]), "seq_len": int(x.shape[-1]),
                                      "num_rr": int(rr.shape[1]) if use_rr else 0},
                        summary=summary)
