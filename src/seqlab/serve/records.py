"""Uploaded files -> the ``EcgRecord`` the WFDB reader produces, for WFDB, EDF and CSV input.

Uploaded names are never paths. A file's name only says what it is (its last suffix: .hea,
.dat, .atr, .edf, .csv) and which display name the page and the downloads use; the files
themselves lie in the request's own directory under names made here. A WFDB header names its
signal files itself (``100.dat``, or ``/etc/passwd`` in a hostile one), so its record and
file-name fields are rewritten to the generated names before wfdb reads it.

EDF (via pyedflib) and one-column CSV records become the same ``EcgRecord`` as a WFDB one:
the run's lead, physical units (mV), resampled to the run's rate, so ``beats_from_record``
treats them identically.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from seqlab.data.ecg.reader import FS_RANGE, MAX_SIGNAL_BYTES, EcgRecord, choose_lead, resample_signal
from seqlab.errors import DataError

SUFFIXES = {"hea": "hea", "dat": "dat", "atr": "atr", "edf": "edf", "csv": "csv", "txt": "csv"}
MAX_HEADER_BYTES = 64 << 10
UNIT_TO_MV = {"uv": 1e-3, "µv": 1e-3, "μv": 1e-3, "mv": 1.0, "v": 1e3}
WHAT_TO_UPLOAD = ("upload one record: a WFDB .hea with its .dat (and .atr for reference labels), "
                  "one .edf, or a one-column .csv with its sampling rate")


@dataclass
class Upload:
    """One uploaded file: the name the client sent (never a path) and where it was stored."""

    name: str
    path: Path
    size: int


def short(name: str, limit: int = 60) -> str:
    """A client-sent name made safe to echo in a one-line message."""
    printable = "".join(c if c.isprintable() else "?" for c in name)
    return printable if len(printable) <= limit else printable[:limit] + "..."


def base_name(name: str) -> str:
    return re.split(r"[\\/]", name)[-1]


def suffix_of(name: str) -> str | None:
    _, dot, ext = base_name(name).rpartition(".")
    return SUFFIXES.get(ext.lower()) if dot else None


def display_name(name: str) -> str:
    """A tame record name for messages and download file names (``208`` from ``208.hea``)."""
    base = base_name(name)
    stem = base.rpartition(".")[0] if "." in base else base
    tame = re.sub(r"[^A-Za-z0-9_-]+", "_", stem)[:40].strip("_")
    return tame or "record"


def group_files(files: list[Upload]) -> dict[str, list[Upload]]:
    groups: dict[str, list[Upload]] = {}
    for f in files:
        kind = suffix_of(f.name)
        if kind is None:
            raise DataError(f"cannot tell what {short(f.name)!r} is: {WHAT_TO_UPLOAD}")
        groups.setdefault(kind, []).append(f)
    return groups


def main_file(groups: dict[str, list[Upload]]) -> tuple[str, Upload]:
    """The record's kind (hea, edf, csv) and its main file; anything ambiguous is refused."""
    kinds = [k for k in ("hea", "edf", "csv") if k in groups]
    if len(kinds) != 1 or len(groups[kinds[0]]) != 1 or (kinds[0] != "hea" and len(groups) > 1):
        raise DataError(WHAT_TO_UPLOAD)
    return kinds[0], groups[kinds[0]][0]


def rewrite_header(raw: bytes, token: str, signal_files: dict[str, str]) -> tuple[str, list[str]]:
    """The header with its record name set to ``token`` and each signal file name replaced by
    ``signal_files[name]`` (or by the single generated name when only one file was uploaded).
    Returns (header text, the file names the header asked for)."""
    if len(raw) > MAX_HEADER_BYTES:
        raise DataError(f"record {token}: header of {len(raw):,} bytes; a WFDB header is a few lines")
    lines, asked, n_sig, seen_record = [], [], 0, False
    for line in raw.decode("latin-1").splitlines():
        m = re.match(r"(\s*)(\S+)", line)
        if m is None or m.group(2).startswith("#") or (seen_record and n_sig <= 0):
            lines.append(line)
            continue
        name = m.group(2)
        if not seen_record:
            if "/" in name:
                raise DataError(f"record {token}: multi-segment records are not supported")
            fields = line.split()
            n_sig = int(fields[1]) if len(fields) > 1 and fields[1].isdigit() else 0
            new, seen_record = token, True
        else:
            asked.append(name)
            new = signal_files.get(name) or signal_files.get(base_name(name)) or signal_files.get("*", "")
            if not new:
                raise DataError(f"record {token}: the header names signal file {short(name)!r}, "
                                "which was not uploaded")
            n_sig -= 1
        lines.append(m.group(1) + new + line[m.end():])
    return "\n".join(lines) + "\n", asked


def wfdb_files(groups: dict[str, list[Upload]], workdir: Path, token: str) -> bool:
    """Store the WFDB files under generated names; True when an .atr came with them."""
    dats, atrs = groups.get("dat", []), groups.get("atr", [])
    if not dats:
        raise DataError(f"record {token}: a WFDB record needs its .dat file beside the .hea")
    if len(atrs) > 1:
        raise DataError(f"record {token}: give at most one .atr annotation file")
    if len(dats) == 1:
        names = {"*": f"{token}.dat"}
    else:  # several signal files: the uploaded names are compared with the header's, as text
        names = {base_name(d.name): f"{token}_{i}.dat" for i, d in enumerate(dats)}
    raw = groups["hea"][0].path.read_bytes()
    text, _ = rewrite_header(raw, token, names)
    (workdir / f"{token}.hea").write_text(text, encoding="latin-1")
    for i, d in enumerate(dats):
        os.replace(d.path, workdir / (names["*"] if len(dats) == 1 else f"{token}_{i}.dat"))
    if atrs:
        os.replace(atrs[0].path, workdir / f"{token}.atr")
    return bool(atrs)


def to_rate(signals: list[np.ndarray], fs: float, target: float | None, name: str, notes: list[str]):
    """Resample every lead to the run's rate, as the WFDB reader does."""
    if not FS_RANGE[0] <= fs <= FS_RANGE[1]:
        raise DataError(f"record {name}: sampling rate {fs:g} Hz outside {FS_RANGE[0]:g}-{FS_RANGE[1]:g}")
    if target is None or abs(target - fs) <= 1e-6:
        return signals, float(fs)
    notes.append(f"record {name}: resampled from {fs:g} Hz to {target:g} Hz")
    return [resample_signal(s, fs, target) for s in signals], float(target)


def edf_lead(labels: list[str], lead: str, fallback: str, name: str, explicit: bool,
             notes: list[str]) -> int:
    """The channel of ``lead`` in an EDF file (labels such as ``ECG MLII`` match ``MLII``);
    without it, the one channel that says ECG/EKG, or the only channel."""
    plain = [re.sub(r"^(ecg|ekg)[\s_:-]*", "", lab, flags=re.I) or lab for lab in labels]
    try:
        return choose_lead(plain, lead, fallback)
    except KeyError:
        pass
    ecg = [i for i, lab in enumerate(labels) if re.search(r"ecg|ekg", lab, re.I)]
    candidates = ecg if len(ecg) == 1 else list(range(len(labels))) if len(labels) == 1 else []
    if explicit or not candidates:
        raise DataError(f"record {name} has no lead {lead!r} (leads: {', '.join(labels)}); "
                        "name the lead to use in the lead field")
    notes.append(f"record {name}: lead {lead} not found, used {labels[candidates[0]]}")
    return candidates[0]


def edf_record(path: Path, opts, name: str, lead: str | None = None) -> EcgRecord:
    """One (or, with ``extra_lead``, two) ECG channels of an EDF/EDF+ file, in mV."""
    import pyedflib

    try:
        reader = pyedflib.EdfReader(str(path))
    except Exception as exc:  # pyedflib raises OSError with its own words for every defect
        why = str(exc).splitlines()[0].replace(f"{path}: ", "").replace(str(path), "")
        raise DataError(f"record {name}: not a readable EDF file ({why})") from None
    notes: list[str] = []
    try:
        labels = [label.strip() for label in reader.getSignalLabels()]
        channels = [edf_lead(labels, lead or opts.lead, opts.lead_fallback, name, bool(lead), notes)]
        if opts.extra_lead:
            others = [i for i in range(len(labels)) if i != channels[0]]
            if not others:
                raise DataError(f"record {name} has a single lead; this run reads two (extra_lead)")
            channels.append(others[0])
        fs = float(reader.getSampleFrequency(channels[0]))
        n = [int(reader.getNSamples()[c]) for c in channels]
        if max(n) * 4 > MAX_SIGNAL_BYTES or len(set(n)) > 1:
            raise DataError(f"record {name}: {max(n)} samples per lead is beyond the limit or the leads differ")
        signals = [edf_mv(reader.readSignal(c), reader.getPhysicalDimension(c), name, notes) for c in channels]
    finally:
        reader.close()
    signals, fs = to_rate(signals, fs, opts.record_fs, name, notes)
    return EcgRecord(name=name, signal=signals[0], fs=fs, lead=labels[channels[0]], leads=tuple(labels),
                     extra=signals[1] if len(signals) > 1 else None,
                     extra_lead=labels[channels[1]] if len(channels) > 1 else None,
                     source=str(path), notes=tuple(notes))


def edf_mv(signal: np.ndarray, unit: str, name: str, notes: list[str]) -> np.ndarray:
    scale = UNIT_TO_MV.get(unit.strip().lower())
    if scale is None:
        notes.append(f"record {name}: EDF unit {short(unit)!r} unknown, taken as mV")
        scale = 1.0
    return (np.asarray(signal, dtype=np.float64) * scale).astype(np.float32)


def csv_record(path: Path, opts, name: str, fs_text: str | None) -> EcgRecord:
    """A CSV of one column of samples in mV (an optional header line), at ``fs`` Hz."""
    try:
        fs = float(fs_text or "nan")
    except ValueError:
        fs = float("nan")
    if not np.isfinite(fs):
        raise DataError(f"record {name}: a CSV record needs its sampling rate: give fs in Hz")
    if opts.extra_lead:
        raise DataError(f"record {name}: this run reads two leads (extra_lead); upload a WFDB or EDF record")
    with open(path, "rb") as fh:
        first = fh.readline(4096).split(b",")[0].strip()
    try:
        float(first)
        skip = 0
    except ValueError:
        skip = 1
    try:
        values = np.loadtxt(path, delimiter=",", skiprows=skip, ndmin=2, dtype=np.float64, encoding="utf-8")
    except (ValueError, UnicodeDecodeError) as exc:
        raise DataError(f"record {name}: unreadable CSV ({str(exc).splitlines()[0][:120]})") from None
    if values.shape[1] != 1:
        raise DataError(f"record {name}: the CSV has {values.shape[1]} columns; give one column of samples in mV")
    signal = values[:, 0]
    if not np.all(np.isfinite(signal)):
        raise DataError(f"record {name}: {int((~np.isfinite(signal)).sum())} samples are not finite numbers")
    notes = [f"record {name}: the CSV column read as lead {opts.lead}, in mV"]
    signals, fs = to_rate([signal.astype(np.float32)], fs, opts.record_fs, name, notes)
    return EcgRecord(name=name, signal=signals[0], fs=fs, lead=opts.lead, leads=(opts.lead,),
                     source=str(path), notes=tuple(notes))
