"""Signal quality: is this an ECG whose detected beats can be trusted?

A QRS detector finds "beats" in anything: a ``.dat`` file of random bytes gives thousands of
confidently classified beats. ``ecg_quality(signal, fs, peaks)`` scores the detections with
four checks (pure numpy/scipy, no loop over beats):

* heart rate: 60 / median RR must lie in ``hr_range`` (30-220 bpm);
* template correlation (the ``averageQRS`` idea of neurokit2, after Zhao & Zhang 2018): each
  beat (``window_s`` around its peak, 0.5-40 Hz band) is correlated with the median beat; the
  median of these correlations is near 1 for an ECG, paced or ectopic beats included, and
  far lower for noise, where the "beats" share nothing but the peak;
* RR regularity: the fraction of successive RR intervals that change by less than 15 %
  (low in atrial fibrillation too, so it only weighs 30 % of the score);
* flat-line / saturation: the fraction of samples in runs of identical values longer than
  ``flat_s`` (lead off, dead channel, clipping plateau) or not finite.

``score = hr_ok * (1 - flat_fraction) * (0.7 * template_corr + 0.3 * rr_regularity)``, in
[0, 1]; ``acceptable`` is ``score >= min_score`` (0.5). On the 26 MIT-BIH records of the
shared copy the lowest score is about 0.7; white noise, random bytes and a sine score under 0.4.

>>> fs = 360.0
>>> rng = np.random.default_rng(0)
>>> noise = rng.normal(size=int(60 * fs))
>>> peaks = np.arange(100, noise.size - 200, int(0.45 * fs))
>>> report = ecg_quality(noise, fs, peaks)
>>> report.acceptable, report.template_corr < 0.5
(False, True)
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from seqlab.errors import ConfigError

MIN_BEATS = 5
MAX_TEMPLATE_BEATS = 5000  # evenly spaced subset: bounds memory on day-long recordings


@dataclass(frozen=True)
class QualityReport:
    """The score, the verdict and why; the component values for a report or a CSV row."""

    score: float
    acceptable: bool
    reasons: tuple[str, ...]
    n_beats: int
    heart_rate_bpm: float
    template_corr: float
    rr_regularity: float
    flat_fraction: float

    def as_dict(self) -> dict:
        out = asdict(self)
        out["reasons"] = "; ".join(self.reasons)
        return out


def flat_fraction(signal: np.ndarray, fs: float, flat_s: float = 0.1) -> float:
    """Fraction of samples not finite or in runs of identical values lasting >= ``flat_s``."""
    x = np.asarray(signal, dtype=np.float64)
    if x.size < 2:
        return 1.0
    same = np.concatenate([[False], np.diff(x) == 0, [False]])
    edges = np.diff(same.astype(np.int8))
    starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    runs = ends - starts + 1  # samples in each run of equal values
    flat = runs[runs >= max(2, int(flat_s * fs))].sum()
    return float(min(1.0, (flat + np.count_nonzero(~np.isfinite(x))) / x.size))


def template_correlation(signal: np.ndarray, fs: float, peaks: np.ndarray,
                         window_s: tuple[float, float] = (0.2, 0.4)) -> float:
    """Median Pearson correlation of the beats with the median beat (0.5-40 Hz band)."""
    from seqlab.data.ecg.filters import ecg_bandpass

    x = np.nan_to_num(np.asarray(signal, dtype=np.float64), nan=0.0, posinf=0.0, neginf=0.0)
    before, after = int(window_s[0] * fs), int(window_s[1] * fs)
    peaks = np.asarray(peaks, dtype=np.int64)
    peaks = peaks[(peaks >= before) & (peaks + after < x.size)]
    if peaks.size < MIN_BEATS:
        return 0.0
    if peaks.size > MAX_TEMPLATE_BEATS:
        peaks = peaks[np.linspace(0, peaks.size - 1, MAX_TEMPLATE_BEATS).astype(np.int64)]
    band = ecg_bandpass(x, fs).astype(np.float64)
    beats = band[peaks[:, None] + np.arange(-before, after)[None, :]]  # (B, W)
    beats -= beats.mean(axis=1, keepdims=True)
    template = np.median(beats, axis=0)
    template -= template.mean()
    norms = np.linalg.norm(beats, axis=1) * np.linalg.norm(template)
    corr = np.divide(beats @ template, norms, out=np.zeros(len(beats)), where=norms > 0)
    return float(np.median(corr))


def rr_regularity(peaks: np.ndarray, fs: float, tolerance: float = 0.15) -> float:
    """Fraction of successive RR intervals changing by less than ``tolerance`` (relative)."""
    rr = np.diff(np.asarray(peaks, dtype=np.float64)) / fs
    if rr.size < 2:
        return 0.0
    return float(np.mean(np.abs(np.diff(rr)) < tolerance * rr[1:]))


def ecg_quality(signal: np.ndarray, fs: float, peaks: np.ndarray, *,
                hr_range: tuple[float, float] = (30.0, 220.0),
                min_score: float = 0.5) -> QualityReport:
    """Score how far ``peaks`` (R-peak samples of ``signal`` at ``fs`` Hz) look like real beats."""
    if fs is None or not np.isfinite(fs) or not fs > 0:
        raise ConfigError(f"sampling rate fs must be a positive number of Hz, got {fs!r}")
    signal = np.asarray(signal).ravel()
    peaks = np.unique(np.asarray(peaks, dtype=np.int64))
    peaks = peaks[(peaks >= 0) & (peaks < signal.size)]
    flat = flat_fraction(signal, fs)
    reasons = []
    if flat > 0.05:
        reasons.append(f"{flat:.0%} of the signal is flat, clipped or missing")
    if peaks.size < MIN_BEATS:
        reasons.append(f"only {peaks.size} beats detected (fewer than {MIN_BEATS})")
        return QualityReport(0.0, False, tuple(reasons), int(peaks.size), float("nan"), 0.0, 0.0,
                             flat)
    hr = 60.0 * fs / float(np.median(np.diff(peaks)))
    hr_ok = hr_range[0] <= hr <= hr_range[1]
    if not hr_ok:
        reasons.append(f"heart rate {hr:.0f} bpm outside {hr_range[0]:g}-{hr_range[1]:g}")
    corr = template_correlation(signal, fs, peaks)
    if corr < 0.6:
        reasons.append(f"beats do not resemble each other (median correlation with the median "
                       f"beat {corr:.2f} < 0.6): noise or not an ECG")
    regular = rr_regularity(peaks, fs)
    if regular < 0.25:
        reasons.append(f"RR intervals erratic ({regular:.0%} of successive RR within 15%)")
    score = float(hr_ok) * (1.0 - flat) * (0.7 * max(corr, 0.0) + 0.3 * regular)
    score = float(np.clip(score, 0.0, 1.0))
    return QualityReport(round(score, 4), bool(score >= min_score), tuple(reasons),
                         int(peaks.size), round(hr, 2), round(corr, 4), round(regular, 4),
                         round(flat, 4))
