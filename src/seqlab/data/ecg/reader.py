"""Read one WFDB record (signal, sampling rate, lead names, annotations), header checked first.

wfdb trusts the header: a wrong length or format makes it allocate whatever the header asks
(hundreds of GiB for a bogus ``sig_len``) or fail with a bare ``ValueError``. So the header is
validated against the files on disk before any sample is read, and every wfdb failure becomes
a ``DataError`` naming the record.

Documented behaviour for awkward input:

* lead: chosen by name (case-insensitive). Without ``lead_fallback`` a record that lacks the
  lead is an error. ``extra_lead=True`` also reads the record's other lead (the first
  channel that is not the chosen one: V1 in most MIT-BIH records; V2, V4 or V5 in some). ``"limb"`` tries MLII, II, then the first limb lead (I, III, aVR, aVL,
  aVF, MLI, MLIII); ``"any"`` then takes channel 0. The lead used is stored on the record.
* sampling rate: with ``fs`` given, a record at another rate (e.g. 250 Hz) is resampled to
  ``fs`` (polyphase, anti-aliased) and its annotation samples are rescaled; ``fs=None``
  keeps the record's own rate.
* NaN samples (WFDB "invalid" values): gaps are linearly interpolated when they cover at
  most ``max_nan_fraction`` of the lead (noted on the record); more is an error.
* annotations: samples must be sorted and inside the signal; anything else means the file
  belongs to another record and is an error.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import numpy as np

from seqlab.errors import DataError

# Bytes per sample of the WFDB formats this reader accepts.
FORMAT_BYTES = {"8": 1, "16": 2, "24": 3, "32": 4, "61": 2, "80": 1, "160": 2,
                "212": 1.5, "310": 4 / 3, "311": 4 / 3}
FS_RANGE = (50.0, 20_000.0)
MAX_SIGNAL_BYTES = 4 << 30  # refuse records whose decoded lead alone would exceed this
LIMB_FALLBACK = ("MLII", "II", "I", "III", "aVR", "aVL", "aVF", "MLI", "MLIII")
LEAD_FALLBACKS = ("none", "limb", "any")


@dataclass(frozen=True)
class EcgRecord:
    """One lead of a record and its annotations (samples at ``fs``)."""

    name: str
    signal: np.ndarray  # (T,) float32, physical units (mV)
    fs: float
    lead: str
    leads: tuple[str, ...]
    extra: np.ndarray | None = None  # (T,) float32, a second lead when asked for
    extra_lead: str | None = None
    ann_samples: np.ndarray | None = None  # (A,) int64, sorted
    ann_symbols: np.ndarray | None = None  # (A,) str
    source: str = ""
    comments: tuple[str, ...] = ()
    notes: tuple[str, ...] = field(default_factory=tuple)


def _record_path(path: str | Path) -> Path:
    path = Path(path)
    return path.with_suffix("") if path.suffix == ".hea" else path


def read_header(path: str | Path):
    """The wfdb header of ``path`` (record path without extension), checked against the disk."""
    import wfdb

    path = _record_path(path)
    name = path.name
    if not path.with_suffix(".hea").is_file():
        raise DataError(f"record {name}: header {path.with_suffix('.hea')} does not exist")
    try:
        header = wfdb.rdheader(str(path))
    except Exception as exc:  # wfdb raises bare ValueError/IndexError/TypeError on bad headers
        raise DataError(f"record {name}: unreadable header {path}.hea ({exc})") from None
    if not hasattr(header, "fmt") or header.fmt is None:
        raise DataError(f"record {name}: multi-segment or signal-less records are not supported")
    fs = header.fs
    if fs is None or not math.isfinite(fs) or not FS_RANGE[0] <= fs <= FS_RANGE[1]:
        raise DataError(f"record {name}: sampling rate {fs} Hz outside {FS_RANGE[0]}-{FS_RANGE[1]}")
    if not header.sig_len or header.sig_len <= 0:
        raise DataError(f"record {name}: header gives no signal length")
    need: dict[str, float] = {}
    offset: dict[str, int] = {}
    for file_name, fmt, spf, off in zip(header.file_name, header.fmt, header.samps_per_frame,
                                        header.byte_offset or [None] * header.n_sig):
        if fmt not in FORMAT_BYTES:
            raise DataError(f"record {name}: signal format {fmt} is not supported "
                            f"(supported: {', '.join(FORMAT_BYTES)})")
        need[file_name] = need.get(file_name, 0.0) + header.sig_len * (spf or 1) * FORMAT_BYTES[fmt]
        offset[file_name] = int(off or 0)
    for file_name, n_bytes in need.items():
        data = path.parent / file_name
        if not data.is_file():
            raise DataError(f"record {name}: header names signal file {file_name}, "
                            f"which does not exist in {path.parent}")
        expected = offset[file_name] + math.ceil(n_bytes)
        size = data.stat().st_size
        if size < expected:
            raise DataError(f"record {name}: {file_name} is truncated or the header is wrong "
                            f"({size} bytes on disk, the header implies {expected})")
    if header.sig_len * 4 > MAX_SIGNAL_BYTES:
        raise DataError(f"record {name}: {header.sig_len} samples per lead is beyond the limit")
    return header


def choose_lead(names: list[str], lead: str, fallback: str = "none") -> int:
    """Channel index of ``lead`` (case-insensitive), following the documented fallback."""
    if fallback not in LEAD_FALLBACKS:
        raise DataError(f"unknown lead_fallback {fallback!r}; valid: {', '.join(LEAD_FALLBACKS)}")
    lower = [n.lower() for n in names]
    order = [lead]
    if fallback in ("limb", "any"):
        order += [name for name in LIMB_FALLBACK if name.lower() != lead.lower()]
    for want in order:
        if want.lower() in lower:
            return lower.index(want.lower())
    if fallback == "any" and names:
        return 0
    raise KeyError(lead)


def _fill_nan(signal: np.ndarray, name: str, max_fraction: float) -> tuple[np.ndarray, int]:
    bad = np.isnan(signal)
    n_bad = int(bad.sum())
    if n_bad == 0:
        return signal, 0
    if n_bad > max_fraction * signal.size or n_bad == signal.size:
        raise DataError(f"record {name}: {n_bad} of {signal.size} samples are NaN (invalid), "
                        f"more than max_nan_fraction={max_fraction}")
    good = np.flatnonzero(~bad)
    signal = signal.copy()
    signal[bad] = np.interp(np.flatnonzero(bad), good, signal[good])
    return signal, n_bad


def resample_signal(signal: np.ndarray, fs: float, target: float) -> np.ndarray:
    """Polyphase resampling from ``fs`` to ``target`` Hz (float32 in, float32 out)."""
    from scipy.signal import resample_poly

    ratio = Fraction(target / fs).limit_denominator(1000)
    return resample_poly(signal, ratio.numerator, ratio.denominator, axis=0).astype(np.float32)


def read_annotations(path: Path, annotator: str, sig_len: int):
    """Sorted annotation samples and symbols, checked to lie inside the signal."""
    import wfdb

    name = path.name
    ann_file = path.with_suffix(f".{annotator}")
    if not ann_file.is_file():
        raise DataError(f"record {name}: annotation file {ann_file} does not exist")
    try:
        ann = wfdb.rdann(str(path), annotator)
    except Exception as exc:
        raise DataError(f"record {name}: unreadable annotation file {ann_file} ({exc})") from None
    samples = np.asarray(ann.sample, dtype=np.int64)
    symbols = np.asarray(ann.symbol, dtype=str)
    if samples.size and (samples.min() < 0 or samples.max() >= sig_len):
        raise DataError(f"record {name}: {ann_file.name} has annotations at samples up to "
                        f"{samples.max()} but the signal has {sig_len}: it belongs to another "
                        "record or the signal is truncated")
    if np.any(np.diff(samples) < 0):
        raise DataError(f"record {name}: {ann_file.name} annotation samples are not sorted")
    return samples, symbols


def read_record(path: str | Path, *, lead: str = "MLII", lead_fallback: str = "none",
                annotator: str | None = "atr", fs: float | None = None,
                max_nan_fraction: float = 0.01, extra_lead: bool = False) -> EcgRecord:
    """Read one lead of a WFDB record (``path`` without extension) and its annotations."""
    import wfdb

    path = _record_path(path)
    name = path.name
    header = read_header(path)
    names = list(header.sig_name or [])
    try:
        channel = choose_lead(names, lead, lead_fallback)
    except KeyError:
        raise DataError(f"record {name} has no lead {lead!r} (leads: {', '.join(names)}); "
                        "set lead_fallback: limb or any, or exclude the record") from None
    channels = [channel]
    if extra_lead:
        others = [i for i in range(len(names)) if i != channel]
        if not others:
            raise DataError(f"record {name} has a single lead; extra_lead needs two")
        channels.append(others[0])
    try:
        rec = wfdb.rdrecord(str(path), channels=channels, physical=True, return_res=32)
    except Exception as exc:
        raise DataError(f"record {name}: cannot read the signal ({type(exc).__name__}: {exc})") from None
    signal = np.asarray(rec.p_signal[:, 0], dtype=np.float32)
    extra = np.asarray(rec.p_signal[:, 1], dtype=np.float32) if extra_lead else None
    notes = []
    if names[channel].lower() != lead.lower():
        notes.append(f"record {name}: lead {lead} missing, used {names[channel]} (lead_fallback)")
    signal, n_nan = _fill_nan(signal, name, max_nan_fraction)
    if n_nan:
        notes.append(f"record {name}: {n_nan} NaN samples linearly interpolated")
    if extra is not None:
        extra, n_nan = _fill_nan(extra, name, max_nan_fraction)
        if n_nan:
            notes.append(f"record {name}: {n_nan} NaN samples of {names[channels[1]]} interpolated")
    samples = symbols = None
    if annotator:
        samples, symbols = read_annotations(path, annotator, signal.size)
    record_fs = float(header.fs)
    if fs is not None and abs(fs - record_fs) > 1e-6:
        signal = resample_signal(signal, record_fs, fs)
        extra = None if extra is None else resample_signal(extra, record_fs, fs)
        if samples is not None:
            samples = np.minimum(np.round(samples * (fs / record_fs)).astype(np.int64),
                                 signal.size - 1)
        notes.append(f"record {name}: resampled from {record_fs:g} Hz to {fs:g} Hz")
        record_fs = float(fs)
    return EcgRecord(name=name, signal=signal, fs=record_fs, lead=names[channel],
                     leads=tuple(names), extra=extra,
                     extra_lead=names[channels[1]] if extra is not None else None, ann_samples=samples, ann_symbols=symbols,
                     source=str(path), comments=tuple(header.comments or ()), notes=tuple(notes))
