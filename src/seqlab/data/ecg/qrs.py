"""R-peak detection: ``ecg_peaks(signal, fs, method=...)`` -> (peak samples, info dict).

``method="seqlab"`` is a Pan-Tompkins-style detector written with array operations only
(no Python loop over samples or beats):

1. zero-phase band-pass 5-20 Hz, derivative, absolute value (``power=1``: squaring, as in
   Pan-Tompkins, shrinks the wide, slow premature ventricular beats of records like 208
   below any threshold), 150 ms moving-window integration (MWI). The MWI is smooth (a
   150 ms boxcar), so it is computed on a ~120 Hz grid: the slope is summed in blocks;
2. candidates = local maxima of the MWI at least 200 ms apart (refractory period);
3. a candidate is a beat when it exceeds ``threshold`` times the local QRS level, the median
   over ``level_window_s`` of the 1 s running maximum of the MWI (robust to the odd huge
   artefact that derails Pan-Tompkins' running averages);
4. search-back: in every gap longer than 1.66 times the local mean RR, the highest candidate
   above half the threshold is added (repeated while gaps remain);
5. T/P-wave check: of two beats less than 360 ms apart, the one whose maximum slope is
   below ``pair_ratio`` (0.6) of its neighbour's is dropped; of two beats less than
   ``min_rr_s`` (250 ms, 240 bpm) apart the weaker is always dropped (large P waves, 108);
6. ventricular flutter / fibrillation (``flutter=True``): there the ECG is one continuous,
   near-sinusoidal oscillation at 150-300+/min with no QRS complex and no isoelectric line
   (the reference annotations have no beats there, and EC57 leaves such episodes out), yet
   every slope-based detector counts its waves as beats. A 4 s window (1 s hop) is called
   flutter when all three signs hold: (a) the detections come at >= 120/min (the detector
   counts only part of the waves), (b) the MWI never returns to baseline (its 10th
   percentile is >= ``flutter_floor``, 25 %, of its 90th; between QRS complexes it falls to
   ~0-10 %), (c) the signal is narrow-band: >= ``flutter_conc`` (40 %) of its 1-12 Hz power
   lies within 0.4 Hz of a dominant frequency >= 2.5 Hz (150/min; a QRS train spreads its
   power over many harmonics). Detections nearest to a flutter window's centre are dropped
   (``info["flutter_dropped"]`` counts them). On the 26 MIT-BIH records at hand no window
   outside the flutter episodes of 207 passes, nor would with both thresholds 25 % lower;
   99 of its 119 flutter windows do (only one record there has flutter: a thin basis);
7. each beat is placed on the largest absolute deflection of the band-passed signal within
   +-80 ms of the MWI peak (the R peak, or the S/QS nadir for negative complexes; on the
   MIT-BIH annotations as close as a 0.5-40 Hz signal, and one filter fewer).

The info dict holds ``strength`` per peak (MWI height over the local QRS level, ~1 for a
typical beat; low values are the doubtful ones) for callers that combine leads or detectors.

``method="xqrs"`` wraps ``wfdb.processing.xqrs_detect`` (slow; kept for comparison).
"""

from __future__ import annotations

import numpy as np

from seqlab.errors import ConfigError

MWI_RATE_HZ = 120.0  # grid of the moving-window integral (it holds nothing above ~7 Hz)
FLUTTER_WIN_S = 4.0  # flutter test window (~13 waves at 200/min), one every second
FLUTTER_MIN_RATE_HZ = 2.0  # detections per second for a window to be tested (120/min)
FLUTTER_MIN_HZ = 2.5  # lowest dominant frequency of a flutter wave (150/min)


def _zero_phase(sos: np.ndarray, x: np.ndarray) -> np.ndarray:
    """``scipy.signal.sosfiltfilt`` (odd extension, steady-state start) in float32, 2x faster."""
    from scipy.signal import sosfilt, sosfilt_zi

    n = min(3 * (2 * len(sos) + 1), x.size - 1)
    ext = np.concatenate((2 * x[0] - x[n:0:-1], x, 2 * x[-1] - x[-2:-n - 2:-1]))
    zi = sosfilt_zi(sos).astype(np.float32)
    sos = sos.astype(np.float32)
    y = sosfilt(sos, ext, zi=zi * ext[0])[0][::-1].copy()
    y = sosfilt(sos, y, zi=zi * y[0])[0][::-1]
    return y[n:y.size - n]


def _moving_mean(x: np.ndarray, width: int) -> np.ndarray:
    """Centred running mean over ``width`` samples, edges padded with the edge values."""
    width = max(1, int(width))
    pad = np.pad(np.asarray(x, dtype=np.float64), (width // 2, width - 1 - width // 2), mode="edge")
    c = np.concatenate(([0.0], np.cumsum(pad)))
    return (c[width:] - c[:-width]) / width


def _gaps_searchback(beats: np.ndarray, cand: np.ndarray, height: np.ndarray, floor: np.ndarray,
                     fs: float, max_rounds: int = 4) -> np.ndarray:
    """Add, inside every RR gap > 1.66 x local mean RR, the best candidate above ``floor``."""
    score = np.where(height > floor, height, -np.inf)  # ineligible candidates score -inf
    refractory = int(0.2 * fs)
    for _ in range(max_rounds):
        if beats.size < 3:
            return beats
        rr = np.diff(beats)
        long_gap = rr > 1.66 * _moving_mean(rr, 9)
        i0 = np.searchsorted(cand, beats[:-1][long_gap] + refractory, side="left")
        i1 = np.searchsorted(cand, beats[1:][long_gap] - refractory, side="right")
        starts, ends = i0[i1 > i0], i1[i1 > i0]
        if starts.size == 0:
            return beats
        # best candidate per gap: maximum over each [start, end) slice of ``score``
        best = np.array([s + int(np.argmax(score[s:e])) for s, e in zip(starts, ends)])  # a handful of gaps
        add = cand[best[np.isfinite(score[best])]]
        if add.size == 0:
            return beats
        beats = np.union1d(beats, add)
    return beats


def _window_max(x: np.ndarray, centres: np.ndarray, half: int) -> np.ndarray:
    """Max of ``x`` over ``centres`` +- ``half`` samples (B windows gathered at once)."""
    idx = np.clip(centres[:, None] + np.arange(-half, half + 1)[None, :], 0, x.size - 1)  # (B, W)
    return x[idx].max(axis=1)


def _close_pairs(beats: np.ndarray, mwi: np.ndarray, slope_max: np.ndarray, fs: float,
                 pair_ratio: float, min_rr_s: float) -> np.ndarray:
    """Mask of beats to drop: the T or P wave of a pair closer than 360 ms (step 5)."""
    near = np.diff(beats) < int(0.36 * fs)
    close = np.zeros(beats.size, dtype=bool)
    close[1:] |= near & (slope_max[1:] < pair_ratio * slope_max[:-1])
    close[:-1] |= near & (slope_max[:-1] < pair_ratio * slope_max[1:])
    # closer than ``min_rr_s`` (240 bpm) is never two beats: keep the stronger of the pair
    h = mwi[beats]
    tight = np.diff(beats) < int(min_rr_s * fs)
    close[1:] |= tight & (h[1:] < h[:-1])
    close[:-1] |= tight & (h[:-1] <= h[1:])
    return close


def _flutter_windows(x: np.ndarray, fs: float, mwi: np.ndarray, fsd: float, beats: np.ndarray,
                     floor: float, conc: float, win_s: float = FLUTTER_WIN_S) -> np.ndarray:
    """Start (in MWI samples) of every 4 s window that looks like ventricular flutter (step 6)."""
    win, hop = int(win_s * fsd), int(fsd)
    starts = np.arange(0, mwi.size - win + 1, hop)
    n_beats = np.searchsorted(beats, starts + win) - np.searchsorted(beats, starts)
    starts = starts[n_beats >= FLUTTER_MIN_RATE_HZ * win_s]  # (a) a fast detected rate
    if starts.size == 0:
        return starts
    rows = mwi[starts[:, None] + np.arange(win)[None, :]]  # (K, win)
    p10, p90 = np.percentile(rows, [10, 90], axis=1)
    starts = starts[p10 >= floor * np.maximum(p90, 1e-12)]  # (b) no return to baseline
    if starts.size == 0:
        return starts
    d = int(round(fs / fsd))
    n = win  # spectrum of the signal's block means (on the MWI grid: ~120 Hz holds 1-12 Hz)
    seg = x[(starts * d)[:, None] + np.arange(n * d)[None, :]].reshape(starts.size, n, d)
    seg = seg.mean(axis=2, dtype=np.float64)  # (K, n)
    power = np.abs(np.fft.rfft(seg * np.hanning(n), n=4 * n, axis=1)) ** 2
    freq = np.fft.rfftfreq(4 * n, 1.0 / fsd)
    band = (freq >= 1.0) & (freq <= 12.0)
    power, freq = power[:, band], freq[band]
    peak = freq[np.argmax(power, axis=1)]  # dominant frequency of each window
    share = (power * (np.abs(freq[None, :] - peak[:, None]) <= 0.4)).sum(1) / power.sum(1)
    return starts[(peak >= FLUTTER_MIN_HZ) & (share >= conc)]  # (c) one narrow-band oscillation


def _mwi(x: np.ndarray, fs: float, band_hz: tuple[float, float], power: float, mwi_s: float):
    """Band-passed signal, |slope| (full rate), and the MWI on a ~120 Hz grid with its rate."""
    from scipy.signal import butter

    sos = butter(2, [band_hz[0], min(band_hz[1], 0.45 * fs)], "bandpass", fs=fs, output="sos")
    band = _zero_phase(sos, x)
    slope = np.empty_like(band)
    slope[1:-1] = 0.5 * np.abs(band[2:] - band[:-2])
    slope[0], slope[-1] = slope[1], slope[-2]
    grad = slope ** power if power != 1 else slope
    d = max(1, int(round(fs / MWI_RATE_HZ)))
    m = grad.size // d
    blocks = grad[0:m * d:d].copy()  # block means, (T // d,): strided adds beat a reduce
    for k in range(1, d):
        blocks += grad[k:m * d:d]
    blocks /= d
    fsd = fs / d
    return band, slope, _moving_mean(blocks, int(round(mwi_s * fsd))), fsd, d


def _detect_seqlab(signal: np.ndarray, fs: float, *, threshold: float = 0.3,
                   level_window_s: float = 8.0, band_hz: tuple[float, float] = (5.0, 20.0),
                   power: float = 1.0, mwi_s: float = 0.15, pair_ratio: float = 0.6,
                   min_rr_s: float = 0.25, flutter: bool = True, flutter_floor: float = 0.25,
                   flutter_conc: float = 0.4) -> tuple[np.ndarray, dict]:
    from scipy.ndimage import maximum_filter1d, median_filter
    from scipy.signal import find_peaks

    x = np.asarray(signal, dtype=np.float32)
    empty = np.zeros(0, dtype=np.int64), {"method": "seqlab", "candidates": 0}
    if x.size < int(fs):  # under a second: no QRS can be told from noise
        return empty
    band, slope, mwi, fsd, d = _mwi(x, fs, band_hz, power, mwi_s)
    cand, _ = find_peaks(mwi, distance=max(1, int(round(0.2 * fsd))))
    if cand.size == 0:
        return empty
    height = mwi[cand]
    # local QRS level: median (over level_window_s) of the 1 s running max, on a 0.1 s grid
    step = max(1, int(round(0.1 * fsd)))
    env = maximum_filter1d(mwi[: mwi.size // step * step].reshape(-1, step).max(axis=1), size=10,
                           mode="nearest") if mwi.size >= step else mwi[:1]
    level = median_filter(env, size=max(3, int(level_window_s * 10)) | 1, mode="nearest")
    level_at = level[np.minimum(cand // step, level.size - 1)]
    beats = cand[height > threshold * level_at]
    beats = _gaps_searchback(beats, cand, height, 0.5 * threshold * level_at, fsd)
    full = beats * d + d // 2  # beat positions at the signal's rate
    close = _close_pairs(beats, mwi, _window_max(slope, full, int(round(0.075 * fs))), fsd,
                         pair_ratio, min_rr_s)
    beats, full = beats[~close], full[~close]
    dropped = np.zeros(beats.size, dtype=bool)
    if flutter and beats.size and mwi.size >= FLUTTER_WIN_S * fsd:
        bad = _flutter_windows(x, fs, mwi, fsd, beats, flutter_floor, flutter_conc)
        hop = int(fsd)  # windows start every second; a beat goes with the nearest centre
        flagged = np.zeros(mwi.size // hop + 1, dtype=bool)
        flagged[bad // hop] = True
        nearest = np.rint((beats - 0.5 * FLUTTER_WIN_S * fsd) / hop).astype(np.int64)
        dropped = flagged[np.clip(nearest, 0, flagged.size - 1)]
        beats, full = beats[~dropped], full[~dropped]
    # place each beat on the largest deflection of the band-passed QRS (+-80 ms)
    win = int(round(0.08 * fs))
    idx = np.clip(full[:, None] + np.arange(-win, win + 1)[None, :], 0, x.size - 1)  # (B, W)
    peaks = idx[np.arange(full.size), np.abs(band[idx]).argmax(axis=1)]
    peaks, first = np.unique(peaks, return_index=True)
    # strength = MWI height over the local QRS level (about 1 for a typical beat)
    level_b = level[np.minimum(beats // step, level.size - 1)]
    strength = (mwi[beats] / np.maximum(level_b, 1e-12))[first]
    return peaks.astype(np.int64), {"method": "seqlab", "candidates": int(cand.size),
                                    "close_pairs_dropped": int(close.sum()),
                                    "flutter_dropped": int(dropped.sum()),
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
