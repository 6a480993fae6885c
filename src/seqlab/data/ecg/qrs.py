"""R-peak detection: ``ecg_peaks(signal, fs, method=...)`` -> (peak samples, info dict).

``method="seqlab"`` is a Pan-Tompkins-style detector written with array operations only
(no Python loop over samples or beats):

1. zero-phase band-pass 5-20 Hz, derivative, absolute value (``power=1``: squaring, as in
   Pan-Tompkins, shrinks the wide, slow premature ventricular beats of records like 208
   below any threshold), 150 ms moving-window integration (MWI);
2. candidates = local maxima of the MWI at least 200 ms apart (refractory period);
3. a candidate is a beat when it exceeds ``threshold`` times the local QRS level, the median
   over ``level_window_s`` of the 1 s running maximum of the MWI (robust to the odd huge
   artefact that derails Pan-Tompkins' running averages);
4. search-back: in every gap longer than 1.66 times the local mean RR, the highest candidate
   above half the threshold is added (repeated while gaps remain);
5. T/P-wave check: of two beats less than 360 ms apart, the one whose maximum slope is
   below ``pair_ratio`` (0.6) of its neighbour's is dropped; of two beats less than
   ``min_rr_s`` (250 ms, 240 bpm) apart the weaker is always dropped (large P waves, 108);
6. each beat is placed on the largest absolute deflection of the 0.5-40 Hz signal within
   +-80 ms of the MWI peak's QRS (the R peak, or the S/QS nadir for negative complexes).

The info dict holds ``strength`` per peak (MWI height over the local QRS level, ~1 for a
typical beat; low values are the doubtful ones) for callers that combine leads or detectors.

``method="xqrs"`` wraps ``wfdb.processing.xqrs_detect`` (slow; kept for comparison).
"""

from __future__ import annotations

import numpy as np

from seqlab.errors import ConfigError


def _moving_mean(x: np.ndarray, width: int) -> np.ndarray:
    from scipy.ndimage import uniform_filter1d

    return uniform_filter1d(x, size=max(1, width), mode="nearest")


def _gaps_searchback(beats: np.ndarray, cand: np.ndarray, height: np.ndarray, floor: np.ndarray,
                     fs: float, max_rounds: int = 4) -> np.ndarray:
    """Add, inside every RR gap > 1.66 x local mean RR, the best candidate above ``floor``."""
    for _ in range(max_rounds):
        if beats.size < 3:
            return beats
        rr = np.diff(beats)
        local = _moving_mean(rr.astype(np.float64), 9)
        long_gap = rr > 1.66 * local
        if not long_gap.any():
            return beats
        lo, hi = beats[:-1][long_gap], beats[1:][long_gap]
        refractory = int(0.2 * fs)
        i0 = np.searchsorted(cand, lo + refractory, side="left")
        i1 = np.searchsorted(cand, hi - refractory, side="right")
        ok = height > floor
        # best eligible candidate per gap (ineligible ones score -inf)
        score = np.where(ok, height, -np.inf)
        has = i1 > i0
        if not has.any():
            return beats
        starts, ends = i0[has], i1[has]
        best = np.empty(starts.size, dtype=np.int64)
        found = np.zeros(starts.size, dtype=bool)
        for k, (s, e) in enumerate(zip(starts, ends)):  # loop over gaps (a handful per record)
            j = s + int(np.argmax(score[s:e]))
            best[k], found[k] = j, np.isfinite(score[j])
        add = cand[best[found]]
        if add.size == 0:
            return beats
        beats = np.union1d(beats, add)
    return beats


def _detect_seqlab(signal: np.ndarray, fs: float, *, threshold: float = 0.3,
                   level_window_s: float = 8.0, band_hz: tuple[float, float] = (5.0, 20.0),
                   power: float = 1.0, mwi_s: float = 0.15,
                   pair_ratio: float = 0.6, min_rr_s: float = 0.25) -> tuple[np.ndarray, dict]:
    from scipy.ndimage import maximum_filter1d, median_filter
    from scipy.signal import butter, find_peaks, sosfiltfilt

    x = np.asarray(signal, dtype=np.float64)
    if x.size < int(fs):  # under a second: no QRS can be told from noise
        return np.zeros(0, dtype=np.int64), {"method": "seqlab", "candidates": 0}
    band = sosfiltfilt(butter(2, [band_hz[0], min(band_hz[1], 0.45 * fs)], "bandpass", fs=fs,
                              output="sos"), x)
    slope = np.gradient(band)
    mwi = _moving_mean(np.abs(slope) ** power, int(round(mwi_s * fs)))
    refractory = int(round(0.2 * fs))
    cand, _ = find_peaks(mwi, distance=refractory)
    if cand.size == 0:
        return cand.astype(np.int64), {"method": "seqlab", "candidates": 0}
    height = mwi[cand]
    # local QRS level: median (over level_window_s) of the 1 s running max, on a coarse grid
    step = max(1, int(fs // 10))
    env = maximum_filter1d(mwi, size=int(fs), mode="nearest")[::step]
    level = median_filter(env, size=max(3, int(level_window_s * fs / step)) | 1, mode="nearest")
    level_at = level[np.minimum(cand // step, level.size - 1)]
    beats = cand[height > threshold * level_at]
    beats = _gaps_searchback(beats, cand, height, 0.5 * threshold * level_at, fs)
    # close pairs (< 360 ms, T or P waves): drop the one whose max slope is under
    # ``pair_ratio`` times its neighbour's, whichever side the neighbour is on
    win = int(round(0.075 * fs))
    idx = np.clip(beats[:, None] + np.arange(-win, win + 1)[None, :], 0, x.size - 1)  # (B, W)
    max_slope = np.abs(slope[idx]).max(axis=1)
    near = np.diff(beats) < int(0.36 * fs)
    close = np.zeros(beats.size, dtype=bool)
    close[1:] |= near & (max_slope[1:] < pair_ratio * max_slope[:-1])
    close[:-1] |= near & (max_slope[:-1] < pair_ratio * max_slope[1:])
    # closer than ``min_rr_s`` (240 bpm) is never two beats: keep the stronger of the pair
    h = mwi[beats]
    tight = np.diff(beats) < int(min_rr_s * fs)
    close[1:] |= tight & (h[1:] < h[:-1])
    close[:-1] |= tight & (h[:-1] <= h[1:])
    beats = beats[~close]
    # place each beat on the largest deflection of the QRS (0.5-40 Hz signal, +-80 ms)
    wide = sosfiltfilt(butter(2, [0.5, min(40.0, 0.45 * fs)], "bandpass", fs=fs, output="sos"), x)
    win = int(round(0.08 * fs))
    idx = np.clip(beats[:, None] + np.arange(-win, win + 1)[None, :], 0, x.size - 1)  # (B, W)
    peaks = idx[np.arange(beats.size), np.abs(wide[idx]).argmax(axis=1)]
    peaks, first = np.unique(peaks, return_index=True)
    # strength = MWI height over the local QRS level (about 1 for a typical beat)
    level_b = level[np.minimum(beats // step, level.size - 1)]
    strength = (mwi[beats] / np.maximum(level_b, 1e-12))[first]
    return peaks.astype(np.int64), {"method": "seqlab", "candidates": int(cand.size),
                                    "close_pairs_dropped": int(close.sum()),
                                    "strength": strength.astype(np.float32)}


def _detect_xqrs(signal: np.ndarray, fs: float) -> tuple[np.ndarray, dict]:
    from wfdb.processing import xqrs_detect

    peaks = xqrs_detect(np.asarray(signal, dtype=np.float64), fs=fs, verbose=False)
    return np.asarray(peaks, dtype=np.int64), {"method": "xqrs"}


PEAK_METHODS = {"seqlab": _detect_seqlab, "xqrs": _detect_xqrs}


def ecg_peaks(signal: np.ndarray, fs: float, method: str = "seqlab", **kwargs):
    """R-peak sample indices of ``signal`` (1-D, ``fs`` Hz) and an info dict."""
    if fs is None or not fs > 0:
        raise ConfigError(f"sampling rate fs must be a positive number of Hz, got {fs!r}")
    try:
        fn = PEAK_METHODS[method]
    except KeyError:
        raise ConfigError(f"unknown R-peak method {method!r}; valid: {', '.join(PEAK_METHODS)}") from None
    return fn(signal, fs, **kwargs)
