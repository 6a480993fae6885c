"""Read one WFDB record (signal, sampling rate, lead names, annotations), header checked first.

wfdb trusts the header and parses it leniently (a bogus length allocates whatever it asks;
``fs = -360`` becomes 250 Hz, a gain of 0 or ``abc`` becomes 200). So the header text is
checked first: at most 1 MiB and 64 signals, fs a number in ``FS_RANGE`` (250 when missing,
as in WFDB), whole sample counts, gains >= 0 (0 is WFDB's "uncalibrated", no mV scale: refused
on the leads read), signal files beside the header; then against the disk. The leads read
(float32, after resampling) may take ``max_mb`` MB (``$SEQLAB_MAX_RECORD_MB``, default 1024),
checked before reading; they alone are read, in chunks. wfdb failures become ``DataError``s
naming the record. Leads are chosen by name (any case); ``lead_fallback`` "limb" tries MLII,
II, then the first limb lead, "any" then channel 0; ``extra_lead`` adds the first other one.
With ``fs`` given, other rates are resampled (polyphase), annotation samples rescaled. NaN
gaps up to ``max_nan_fraction`` are interpolated (noted); annotations must lie sorted in the signal.
"""

from __future__ import annotations

import math
import os
import re
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import numpy as np

from seqlab.errors import ConfigError, DataError

# Bytes per sample of the WFDB formats this reader accepts.
FORMAT_BYTES = {"8": 1, "16": 2, "24": 3, "32": 4, "61": 2, "80": 1, "160": 2,
                "212": 1.5, "310": 4 / 3, "311": 4 / 3}
FS_RANGE = (50.0, 20_000.0)
MAX_SIGNAL_BYTES = 4 << 30  # ceiling on one decoded lead for other readers (serve's EDF path)
MAX_SIGNALS, MAX_SAMPLES_PER_FRAME, MAX_HEADER_BYTES, DEFAULT_MAX_RECORD_MB = 64, 1000, 1 << 20, 1024.0
CHUNK_VALUES = 1 << 21  # samples x signals wfdb decodes per call (~20 bytes each)
ANN_BYTES_COST = 64  # rdann holds ~50 bytes of Python objects per byte of annotation file
LIMB_FALLBACK = ("MLII", "II", "I", "III", "aVR", "aVL", "aVF", "MLI", "MLIII")
LEAD_FALLBACKS = ("none", "limb", "any")
# The forms wfdb's header patterns read as written (anything else it silently misreads):
_FORMAT = re.compile(r"(\d+)(?:x(\d+))?(?::\d+)?(?:\+\d+)?")  # fmt[xspf][:skew][+offset]
_GAIN = re.compile(r"([^(/]*)(?:\(-?\d+\))?(?:/.*)?")  # gain[(baseline)][/units]
_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
_DECIMAL = re.compile(r"\d+\.?\d*|\.\d+")  # fs: no sign, no exponent
_GAIN_VALUE = re.compile(r"(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?")  # lower-case e only


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


def _num(text, form: re.Pattern = _NUMBER) -> float:  # NaN unless ``text`` has this form
    return float(text) if form.fullmatch(text := str(text).strip(" \t")) else math.nan


def max_record_mb(value: float | None = None) -> float:
    """The decoded-size limit in MB: ``value``, else ``$SEQLAB_MAX_RECORD_MB``, else 1024."""
    raw = os.environ.get("SEQLAB_MAX_RECORD_MB", DEFAULT_MAX_RECORD_MB) if value is None else value
    if not 0 < _num(raw) < math.inf:
        raise ConfigError(f"SEQLAB_MAX_RECORD_MB / max_mb={raw!r} is not a positive number of "
                          "megabytes; set e.g. SEQLAB_MAX_RECORD_MB=2048")
    return _num(raw)


def _check_memory(name: str, need_bytes: float, what: str, max_mb: float | None) -> None:
    """Refuse, before reading, a read whose arrays alone would pass the limit."""
    limit = max_record_mb(max_mb)
    if need_bytes > limit * 2**20:
        raise DataError(f"record {name}: {what} needs about {need_bytes / 2**20:,.0f} MB, over the "
                        f"{limit:g} MB limit; if the machine has the memory, raise "
                        "SEQLAB_MAX_RECORD_MB (or max_mb=)")


def check_header_text(hea: Path, name: str) -> list[int]:
    """Refuse impossible header values in ms, before wfdb's lenient parser; return gain-0 signals."""
    if (size := hea.stat().st_size) > MAX_HEADER_BYTES:
        raise DataError(f"record {name}: header {hea} is {size:,} bytes, too big for a WFDB "
                        f"header (limit {MAX_HEADER_BYTES:,}); replace it with the real .hea")
    text = hea.read_bytes().decode("ascii", "ignore")  # decoded and split as wfdb.rdheader does
    lines = [ln for ln in map(str.strip, text.splitlines()) if ln and not ln.startswith("#")]
    bad = f"; fix the header {hea} or drop the record"
    fields = re.split(r"[ \t]+", lines[0]) if lines else []
    if len(fields) < 2 or not fields[1].isdecimal():
        raise DataError(f"record {name}: {hea} has no 'name signals fs samples' record line{bad}")
    n_sig, segments = int(fields[1]), "/" in fields[0]
    if segments or not 1 <= n_sig <= MAX_SIGNALS or len(lines) <= n_sig:
        raise DataError(f"record {name}: {hea} declares {n_sig} signals{' in segments' * segments}"
                        f" on {len(lines) - 1} signal lines; seqlab reads single-segment records "
                        f"with 1 to {MAX_SIGNALS} signals{bad}")
    fs_text = re.split(r"[/(]", fields[2])[0] if len(fields) > 2 else "250"
    if not FS_RANGE[0] <= _num(fs_text, _DECIMAL) <= FS_RANGE[1]:  # NaN fails too
        raise DataError(f"record {name}: sampling rate {fs_text!r} in {hea} is not a plain number "
                        f"of Hz in {FS_RANGE[0]:g}-{FS_RANGE[1]:g}{bad}")
    if len(fields) > 3 and not fields[3].isdecimal():
        what = "is negative" if re.fullmatch(r"-\d+", fields[3]) else "is not a whole number"
        raise DataError(f"record {name}: sample count {fields[3]!r} in {hea} {what}{bad}")
    return [i for i, line in enumerate(lines[1:n_sig + 1]) if _check_signal_line(
        re.split(r"[ \t]+", line) + [""], f"record {name}: signal {i} in {hea}", bad)]


def _check_signal_line(fields: list[str], where: str, bad: str) -> bool:
    if "/" in fields[0] or "\\" in fields[0] or fields[0] in (".", ".."):
        raise DataError(f"{where} names signal file {fields[0]!r}, not a file beside the header{bad}")
    fmt = _FORMAT.fullmatch(fields[1])
    if not fmt or fmt.group(1) not in FORMAT_BYTES:
        raise DataError(f"{where}: signal format {fields[1]!r} is not supported "
                        f"(supported: {', '.join(FORMAT_BYTES)}){bad}")
    if not 1 <= int(fmt.group(2) or 1) <= MAX_SAMPLES_PER_FRAME:
        raise DataError(f"{where}: {fmt.group(2)} samples per frame, not 1-{MAX_SAMPLES_PER_FRAME}{bad}")
    gain = _GAIN.fullmatch(fields[2])
    if fields[2] and not (gain and _num(gain.group(1), _GAIN_VALUE) < math.inf):  # NaN fails
        raise DataError(f"{where}: gain {fields[2]!r} is not a positive number of ADC units "
                        f"per physical unit{bad}")
    return bool(fields[2]) and float(gain.group(1)) == 0


def read_header(path: str | Path, *, max_mb: float | None = None):
    """The wfdb header of ``path`` (record path without extension), checked against the disk."""
    path = _record_path(path)
    name, hea = path.name, path.with_suffix(".hea")
    if not hea.is_file():
        raise DataError(f"record {name}: header {hea} does not exist")
    check_header_text(hea, name)
    import wfdb

    try:
        header = wfdb.rdheader(str(path))
    except Exception as exc:  # wfdb raises bare ValueError/IndexError/TypeError on bad headers
        raise DataError(f"record {name}: unreadable header {path}.hea ({exc})") from None
    if not header.sig_len or header.sig_len <= 0:
        raise DataError(f"record {name}: header gives no signal length")
    if len(header.fmt) != header.n_sig or not set(header.fmt) <= set(FORMAT_BYTES) \
            or not FS_RANGE[0] <= header.fs <= FS_RANGE[1]:  # a safety net: the text passed
        raise DataError(f"record {name}: wfdb reads {hea} differently from its text; fix the header")
    need: dict[str, tuple[float, int]] = {}
    for file_name, fmt, spf, off in zip(header.file_name, header.fmt, header.samps_per_frame,
                                        header.byte_offset or [None] * header.n_sig):
        n_bytes = need.get(file_name, (0.0, 0))[0] + header.sig_len * (spf or 1) * FORMAT_BYTES[fmt]
        need[file_name] = (n_bytes, int(off or 0))
    for file_name, (n_bytes, offset) in need.items():
        data = path.parent / file_name
        if not data.is_file():
            raise DataError(f"record {name}: header names signal file {file_name}, "
                            f"which does not exist in {path.parent}")
        expected, size = offset + math.ceil(n_bytes), data.stat().st_size
        if size < expected:
            raise DataError(f"record {name}: {file_name} is truncated or the header is wrong "
                            f"({size} bytes on disk, the header implies {expected})")
    _check_memory(name, header.sig_len * 4.0, f"one lead of {header.sig_len:,} samples", max_mb)
    return header


def choose_lead(names: list[str], lead: str, fallback: str = "none") -> int:
    """Channel index of ``lead`` (case-insensitive), following the documented fallback."""
    if fallback not in LEAD_FALLBACKS:
        raise DataError(f"unknown lead_fallback {fallback!r}; valid: {', '.join(LEAD_FALLBACKS)}")
    lower = [n.lower() for n in names]
    for want in [lead, *(LIMB_FALLBACK if fallback in ("limb", "any") else ())]:
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


def read_annotations(path: Path, annotator: str, sig_len: int, max_mb: float | None = None):
    """Sorted annotation samples and symbols, checked to lie inside the signal."""
    name = path.name
    ann_file = path.with_suffix(f".{annotator}")
    if not ann_file.is_file():
        raise DataError(f"record {name}: annotation file {ann_file} does not exist")
    size = ann_file.stat().st_size
    _check_memory(name, size * ANN_BYTES_COST, f"annotation file {ann_file} ({size:,} bytes)", max_mb)
    import wfdb

    try:
        ann = wfdb.rdann(str(path), annotator)
    except Exception as exc:
        raise DataError(f"record {name}: unreadable annotation file {ann_file} ({exc})") from None
    samples, symbols = np.asarray(ann.sample, dtype=np.int64), np.asarray(ann.symbol, dtype=str)
    if samples.size and (samples.min() < 0 or samples.max() >= sig_len):
        raise DataError(f"record {name}: {ann_file.name} has annotations at samples up to "
                        f"{samples.max()} but the signal has {sig_len}: it belongs to another "
                        "record or the signal is truncated")
    if np.any(np.diff(samples) < 0):
        raise DataError(f"record {name}: {ann_file.name} annotation samples are not sorted")
    return samples, symbols


def _read_channels(path: Path, header, channels: list[int]) -> np.ndarray:
    """(T, C) float32 physical samples of ``channels``, read a chunk at a time."""
    import wfdb

    n = int(header.sig_len)
    step = max(1, CHUNK_VALUES // sum(spf or 1 for spf in header.samps_per_frame))
    out = np.empty((n, len(channels)), dtype=np.float32)  # (T, C)
    for start in range(0, n, step):
        try:
            rec = wfdb.rdrecord(str(path), channels=channels, sampfrom=start,
                                sampto=min(n, start + step), physical=True, return_res=32)
            out[start:start + step] = rec.p_signal
        except Exception as exc:
            raise DataError(f"record {path.name}: cannot read the signal "
                            f"({type(exc).__name__}: {exc})") from None
    return out


def read_record(path: str | Path, *, lead: str = "MLII", lead_fallback: str = "none",
                annotator: str | None = "atr", fs: float | None = None,
                max_nan_fraction: float = 0.01, extra_lead: bool = False,
                max_mb: float | None = None) -> EcgRecord:
    """Read one lead of a WFDB record (``path`` without extension) and its annotations."""
    path = _record_path(path)
    name = path.name
    header = read_header(path, max_mb=max_mb)
    names = [n or f"signal {i}" for i, n in enumerate(header.sig_name or [])]
    try:
        channels = [choose_lead(names, lead, lead_fallback)]
    except KeyError:
        raise DataError(f"record {name} has no lead {lead!r} (leads: {', '.join(names)}); "
                        "set lead_fallback: limb or any, or exclude the record") from None
    if extra_lead:
        others = [i for i in range(len(names)) if i != channels[0]]
        if not others:
            raise DataError(f"record {name} has a single lead; extra_lead needs two")
        channels.append(others[0])
    uncalibrated = [names[c] for c in channels if c in check_header_text(path.with_suffix(".hea"), name)]
    if uncalibrated:
        raise DataError(f"record {name}: lead {uncalibrated[0]} has gain 0 in {path}.hea (WFDB's "
                        "'uncalibrated': no mV scale); give its real gain or choose another lead")
    record_fs = float(header.fs)
    n_out = header.sig_len * max(1.0, (fs or record_fs) / record_fs)
    _check_memory(name, n_out * len(channels) * 4, f"{len(channels)} lead(s) of {n_out:,.0f} "
                  "samples (float32, after resampling)", max_mb)
    both = _read_channels(path, header, channels)  # (T, C)
    notes, leads = [], []
    if names[channels[0]].lower() != lead.lower():
        notes.append(f"record {name}: lead {lead} missing, used {names[channels[0]]} (lead_fallback)")
    for k, channel in enumerate(channels):
        x, n_nan = _fill_nan(both[:, k], name, max_nan_fraction)
        leads.append(x)
        if n_nan:
            of = f" of {names[channel]}" if k else ""
            notes.append(f"record {name}: {n_nan} NaN samples{of} linearly interpolated")
    samples = symbols = None
    if annotator:
        samples, symbols = read_annotations(path, annotator, both.shape[0], max_mb)
    if fs is not None and abs(fs - record_fs) > 1e-6:
        leads = [resample_signal(x, record_fs, fs) for x in leads]
        if samples is not None:
            samples = np.minimum(np.round(samples * (fs / record_fs)).astype(np.int64),
                                 leads[0].size - 1)
        notes.append(f"record {name}: resampled from {record_fs:g} Hz to {fs:g} Hz")
        record_fs = float(fs)
    return EcgRecord(name=name, signal=leads[0], fs=record_fs, lead=names[channels[0]],
                     leads=tuple(names), extra=leads[1] if extra_lead else None,
                     extra_lead=names[channels[1]] if extra_lead else None, ann_samples=samples,
                     ann_symbols=symbols, source=str(path), comments=tuple(header.comments or ()),
                     notes=tuple(notes))
