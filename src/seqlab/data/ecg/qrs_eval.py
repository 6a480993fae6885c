"""Score R-peak detections against reference beat annotations (Se and +P, 150 ms matching).

Matching follows the bxb convention: reference beats are the ``.atr`` beat symbols
(``labels.BEAT_SYMBOLS``); each is paired one-to-one with the nearest unpaired detection
within ``tolerance_s``. Se = TP / (TP + FN), +P = TP / (TP + FP).

``exclude_vf=True`` removes, from both sides, the ventricular flutter / fibrillation
episodes marked ``[`` ... ``]`` in the annotations (EC57 and bxb leave these out: the
reference has no beats there, while every detector fires on the flutter waves; in the
records provided only 207 has them). The CLI reports both figures.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from seqlab.data.ecg.labels import BEAT_SYMBOLS


@dataclass
class QrsScore:
    record: str
    tp: int
    fn: int
    fp: int
    excluded_s: float = 0.0
    seconds: float = 0.0

    @property
    def se(self) -> float:
        return 100.0 * self.tp / max(1, self.tp + self.fn)

    @property
    def ppv(self) -> float:
        return 100.0 * self.tp / max(1, self.tp + self.fp)

    def as_dict(self) -> dict:
        return {**asdict(self), "se": round(self.se, 3), "ppv": round(self.ppv, 3)}


def match_peaks(ref: np.ndarray, det: np.ndarray, tolerance: int) -> tuple[int, int, int]:
    """(TP, FN, FP) of a one-to-one matching of sorted ``det`` to sorted ``ref`` samples."""
    ref = np.asarray(ref, dtype=np.int64)
    det = np.asarray(det, dtype=np.int64)
    if ref.size == 0 or det.size == 0:
        return 0, int(ref.size), int(det.size)
    # nearest detection on each side of every reference beat
    j = np.searchsorted(det, ref)
    left = np.clip(j - 1, 0, det.size - 1)
    right = np.clip(j, 0, det.size - 1)
    d_left = np.abs(det[left] - ref)
    d_right = np.abs(det[right] - ref)
    pick = np.where(d_left <= d_right, left, right)
    dist = np.minimum(d_left, d_right)
    ok = dist <= tolerance
    # one-to-one: a detection claimed by several references keeps only its closest one
    order = np.lexsort((dist, pick))
    pick_o, ok_o = pick[order], ok[order]
    first = np.ones(order.size, dtype=bool)
    first[1:] = pick_o[1:] != pick_o[:-1]
    tp = int((ok_o & first).sum())
    return tp, int(ref.size - tp), int(det.size - tp)


def vf_intervals(samples: np.ndarray, symbols: np.ndarray, sig_len: int) -> np.ndarray:
    """(K, 2) sample intervals between ``[`` and the next ``]`` (end of signal if unclosed)."""
    starts = samples[symbols == "["]
    ends = samples[symbols == "]"]
    out = []
    for s in starts:
        later = ends[ends >= s]
        out.append((s, later[0] if later.size else sig_len))
    return np.array(out, dtype=np.int64).reshape(-1, 2)


def _outside(x: np.ndarray, intervals: np.ndarray) -> np.ndarray:
    if intervals.size == 0:
        return np.ones(x.size, dtype=bool)
    inside = np.zeros(x.size, dtype=bool)
    for lo, hi in intervals:
        inside |= (x >= lo) & (x <= hi)
    return ~inside


def score_record(name: str, samples: np.ndarray, symbols: np.ndarray, detected: np.ndarray,
                 fs: float, sig_len: int, *, tolerance_s: float = 0.15,
                 exclude_vf: bool = False) -> QrsScore:
    """Score ``detected`` against the beat annotations of one record."""
    ref = samples[np.isin(symbols, list(BEAT_SYMBOLS))]
    det = np.asarray(detected, dtype=np.int64)
    excluded = 0.0
    if exclude_vf:
        iv = vf_intervals(samples, symbols, sig_len)
        ref, det = ref[_outside(ref, iv)], det[_outside(det, iv)]
        excluded = float((iv[:, 1] - iv[:, 0]).sum() / fs) if iv.size else 0.0
    tp, fn, fp = match_peaks(ref, det, int(round(tolerance_s * fs)))
    return QrsScore(name, tp, fn, fp, excluded_s=excluded)


def pooled(scores: list[QrsScore]) -> QrsScore:
    return QrsScore("pooled", sum(s.tp for s in scores), sum(s.fn for s in scores),
                    sum(s.fp for s in scores), sum(s.excluded_s for s in scores),
                    sum(s.seconds for s in scores))


def check_annotations_match(name: str, samples: np.ndarray, symbols: np.ndarray,
                            detected: np.ndarray, fs: float, min_se: float = 80.0) -> float:
    """Se of the detector against the annotations; below ``min_se`` the annotation file
    almost surely belongs to another record (chance agreement is ~30-50%)."""
    from seqlab.errors import DataError

    ref = samples[np.isin(symbols, list(BEAT_SYMBOLS))]
    tp, fn, _ = match_peaks(ref, detected, int(round(0.15 * fs)))
    se = 100.0 * tp / max(1, tp + fn)
    if ref.size and se < min_se:
        raise DataError(f"record {name}: only {se:.0f}% of the annotated beats line up with "
                        "QRS complexes in the signal; the annotation file belongs to another "
                        "record (or the signal does)")
    return se
