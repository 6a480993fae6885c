"""Heartbeat delineation on a cleaned lead: QRS onset and offset, T-wave end, P-wave evidence.

de Chazal et al. (2004) take the QRS duration, the T-wave duration and a P-wave flag from a
delineator (ecgpuwave). neurokit2's ``ecg_delineate`` (``method="dwt"``) needs ~33 s per
30-minute lead on these machines, half an hour for the two leads of 26 records, so seqlab
uses this one instead: each beat's search window is one row of a matrix and every step is
one numpy operation over all beats (well under a second per record).

Given R peaks (annotated or detected) on a lead after baseline removal and band-pass:

* slope envelope ``e = |dx/dt|`` averaged over 10 ms;
* QRS: the run of samples around the peak where ``e`` stays above ``QRS_FRACTION`` of its
  largest value within 60 ms of the peak (dips shorter than 30 ms, e.g. a rounded apex,
  bridged): onset = its first sample, offset = its last (the slope-threshold rule of
  ecgpuwave, Laguna et al. 1994, in its plainest form). The threshold is at least
  ``QRS_NOISE_K`` times the local noise slope (median of ``e`` over 2 s, QRS complexes left
  out): in muscle noise or fibrillation waves (records 108, 203) a fixed fraction alone let
  the run fill the whole search window, QRS "durations" of 0.35 s on 21% of 108's beats;
* isoelectric level: the mean over 30..5 ms before the onset (PR segment);
* T wave: peak = largest deviation of the 40 ms-smoothed lead from the isoelectric level from
  60 ms after the QRS offset to the end of ecgpuwave's rate-dependent T window (Laguna et al.
  1994): 500 ms after the R peak when the local RR interval (10 beats) exceeds 720 ms, else
  0.7 RR (and at least 100 ms before the next R peak); end = where the tangent at the
  steepest return after the peak meets the isoelectric level (the tangent method). A fixed
  600 ms window reached the next beat's P wave at rates above ~80 bpm and took it for the T
  wave (QTc above 0.6 s in most beats of records 122 and 205, and no room left for their P);
* P wave: in the window from 250 ms to 30 ms before the QRS onset, but after the previous
  beat's T end, the largest deviation of the smoothed lead from the chord joining the window's
  ends; the P wave is present when that deviation is at least ``P_MIN_MV``, lies inside the
  window, and is a wave: the lead 20 ms before and after it is lower (higher for a negative P).
  A premature beat whose P hides in the previous T wave has no room: no P wave.

>>> fs = 360.0
>>> t = np.arange(int(4 * fs)) / fs
>>> x = sum(np.interp(t, [c - .04, c, c + .04], [0, 1, 0]) for c in (1., 2., 3.)).astype(np.float32)
>>> d = ecg_delineate(x, fs, np.array([360, 720, 1080]))
>>> np.round(d["qrs_duration_s"], 2).tolist()
[0.08, 0.08, 0.08]
"""

from __future__ import annotations

import warnings

import numpy as np

QRS_FRACTION = 0.08
QRS_SEARCH_S = (0.16, 0.20)  # before, after the R peak
QRS_CORE_S = 0.06  # the largest slope is searched within this of the peak
QRS_GAP_S = 0.03
# the QRS threshold is at least QRS_NOISE_K times the local noise slope (median of the envelope
# over NOISE_WINDOW_S, leaving out NOISE_SKIP_S around every R peak)
QRS_NOISE_K, NOISE_WINDOW_S, NOISE_SKIP_S = 3.0, 2.0, 0.15
SLOPE_SMOOTH_S = 0.01
WAVE_SMOOTH_S = 0.04
T_START_S = 0.06  # after the QRS offset
# the T wave ends at most T_END_S after the R peak, or T_END_RR times the local RR interval when
# that is shorter than T_END_RR_S (ecgpuwave's rate-dependent T window, Laguna et al. 1994)
T_END_S, T_END_RR, T_END_RR_S = 0.50, 0.70, 0.72
T_BEFORE_NEXT_S = 0.10  # and at least this before the next R peak
LOCAL_RR_BEATS = 10
P_SEARCH_S = (0.25, 0.03)  # before the QRS onset: window start, window end
P_MIN_MV = 0.05
# a deviation this close to the window's ends is the slope of a neighbour; the bump must also
# stand above the lead this far on both sides (a P wave rises and falls; the tail of the
# previous T wave only falls, and was taken for a P wave before most ventricular beats)
P_EDGE_S = 0.02


def _rows(x: np.ndarray, starts: np.ndarray, width: int) -> tuple[np.ndarray, np.ndarray]:
    """(N, width) samples of ``x`` from each start (indices clipped into the signal) and the
    (N, width) absolute sample indices."""
    idx = starts[:, None] + np.arange(width)[None, :]  # (N, W)
    return x[np.clip(idx, 0, x.size - 1)], idx


def _smooth(x: np.ndarray, fs: float, seconds: float) -> np.ndarray:
    from scipy.ndimage import uniform_filter1d

    return uniform_filter1d(x, size=max(1, int(round(seconds * fs))), mode="nearest")


def _noise_slope(e: np.ndarray, fs: float, peaks: np.ndarray) -> np.ndarray:
    """(N,) noise slope at every beat: the median of the slope envelope over ``NOISE_WINDOW_S``
    around it, leaving out the ``NOISE_SKIP_S`` around every R peak (a run of wide ventricular
    beats must not read as noise), computed on a 40 Hz copy."""
    from numpy.lib.stride_tricks import sliding_window_view

    step = max(1, int(round(fs / 40.0)))
    coarse = e[::step].astype(np.float64)  # (T',)
    skip = max(1, int(round(NOISE_SKIP_S * fs / step)))
    near = np.zeros(coarse.size + 1, np.int64)
    centre = np.clip(peaks // step, 0, coarse.size - 1)
    np.add.at(near, np.clip(centre - skip, 0, coarse.size), 1)
    np.add.at(near, np.clip(centre + skip + 1, 0, coarse.size), -1)
    coarse[np.cumsum(near)[:-1] > 0] = np.nan
    half = max(1, int(round(NOISE_WINDOW_S * fs / step / 2)))
    padded = np.pad(coarse, half, constant_values=np.nan)
    windows = sliding_window_view(padded, 2 * half + 1)[centre]  # (N, 2 half + 1)
    with warnings.catch_warnings():  # a window of QRS complexes only: no noise estimate (0)
        warnings.simplefilter("ignore", RuntimeWarning)
        noise = np.nanmedian(windows, axis=1)
    return np.nan_to_num(noise, nan=0.0)


def qrs_bounds(x: np.ndarray, fs: float, peaks: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(onset, offset) sample of every beat's QRS complex (see the module docstring)."""
    from scipy.ndimage import maximum_filter1d, minimum_filter1d

    e = _smooth(np.abs(np.gradient(x)), fs, SLOPE_SMOOTH_S)  # (T,)
    before, after = (int(round(s * fs)) for s in QRS_SEARCH_S)
    rows, idx = _rows(e, peaks - before, before + after + 1)  # (N, W)
    cols = np.arange(rows.shape[1])
    core = np.abs(cols - before) <= int(round(QRS_CORE_S * fs))  # (W,)
    m = np.where(core[None, :], rows, -np.inf).argmax(axis=1)  # (N,) column of the largest slope
    level = np.maximum(QRS_FRACTION * rows[np.arange(len(rows)), m], QRS_NOISE_K * _noise_slope(e, fs, peaks))
    mask = rows >= level[:, None]
    gap = max(1, int(round(QRS_GAP_S * fs)))
    mask = minimum_filter1d(maximum_filter1d(mask, gap, axis=1, mode="nearest"), gap, axis=1, mode="nearest")
    mask[np.arange(len(rows)), m] = True
    left = np.where(~mask & (cols[None, :] < m[:, None]), cols[None, :], -1).max(axis=1) + 1
    right = np.where(~mask & (cols[None, :] > m[:, None]), cols[None, :], cols.size).min(axis=1) - 1
    # the 10 ms average starts rising half a window before a slope starts: undo that spread
    spread = int(round((0.5 - QRS_FRACTION) * SLOPE_SMOOTH_S * fs))
    left, right = np.minimum(left + spread, m), np.maximum(right - spread, m)
    return idx[np.arange(len(rows)), left], idx[np.arange(len(rows)), right]


def _isoelectric(xs: np.ndarray, fs: float, onset: np.ndarray) -> np.ndarray:
    lo, hi = int(round(0.03 * fs)), max(1, int(round(0.005 * fs)))
    rows, _ = _rows(xs, onset - lo, lo - hi + 1)
    return rows.mean(axis=1)


def local_rr_s(peaks: np.ndarray, fs: float) -> np.ndarray:
    """(N,) mean of the ``LOCAL_RR_BEATS`` RR intervals (s) centred on every beat."""
    from scipy.ndimage import uniform_filter1d

    if peaks.size < 2:
        return np.full(peaks.size, 1.0)
    rr = np.diff(peaks).astype(np.float64) / fs
    pre = np.concatenate([rr[:1], rr])
    return uniform_filter1d(pre, size=min(LOCAL_RR_BEATS, pre.size), mode="nearest")


def t_wave_end(xs: np.ndarray, fs: float, peaks: np.ndarray, offset: np.ndarray,
               iso: np.ndarray, local_rr: np.ndarray) -> np.ndarray:
    """T-wave end sample of every beat (tangent method on the smoothed lead ``xs``)."""
    start = offset + int(round(T_START_S * fs))
    nxt = np.append(peaks[1:], xs.size + int(T_END_S * fs))
    end_s = np.where(local_rr > T_END_RR_S, T_END_S, T_END_RR * local_rr)
    stop = np.minimum(peaks + np.round(end_s * fs).astype(np.int64), nxt - int(round(T_BEFORE_NEXT_S * fs)))
    stop = np.maximum(stop, start + 1)
    width = int(stop.max() - start.min()) if len(start) else 1
    width = min(width, int(round((T_END_S + 0.1) * fs)))
    rows, idx = _rows(xs, start, width)  # (N, W)
    inside = idx <= stop[:, None]
    dev = rows - iso[:, None]
    pk = np.where(inside, np.abs(dev), -np.inf).argmax(axis=1)  # (N,)
    n = np.arange(len(rows))
    sign = np.sign(dev[n, pk])
    slope = np.gradient(rows, axis=1) if width > 1 else np.zeros_like(rows)
    back = np.where(inside & (np.arange(width)[None, :] >= pk[:, None]), -sign[:, None] * slope, -np.inf)
    k = back.argmax(axis=1)
    steep = back[n, k] > 1e-6
    cross = k + np.where(steep, (iso - rows[n, k]) / np.where(steep, slope[n, k], 1.0), 0.0)
    cross = np.where(steep, cross, stop - start)
    return start + np.clip(np.round(cross).astype(np.int64), pk, stop - start)


def p_wave(xs: np.ndarray, fs: float, onset: np.ndarray, prev_t_end: np.ndarray
           ) -> tuple[np.ndarray, np.ndarray]:
    """(present flag, amplitude in signal units) of the P wave before every QRS onset."""
    start = np.maximum(onset - int(round(P_SEARCH_S[0] * fs)), prev_t_end)
    stop = onset - int(round(P_SEARCH_S[1] * fs))
    edge = max(1, int(round(P_EDGE_S * fs)))
    width = int(round((P_SEARCH_S[0] - P_SEARCH_S[1]) * fs)) + 1
    rows, idx = _rows(xs, start, width)  # (N, W)
    n = np.arange(len(rows))
    span = np.maximum(stop - start, 1)
    last = rows[n, np.clip(span, 0, width - 1)]
    frac = (idx - start[:, None]) / span[:, None]
    dev = rows - (rows[:, :1] + frac * (last - rows[:, 0])[:, None])  # signed distance from the chord
    interior = (idx >= start[:, None] + edge) & (idx <= stop[:, None] - edge)
    k = np.where(interior, np.abs(dev), -1.0).argmax(axis=1)  # (N,)
    amp = np.where(interior[n, k], np.abs(dev[n, k]), 0.0)
    # a wave, not a slope: the lead rises to the bump and falls after it (or the reverse)
    sign = np.sign(dev[n, k])
    wave = ((sign * (rows[n, k] - rows[n, np.clip(k - edge, 0, width - 1)]) > 0)
            & (sign * (rows[n, k] - rows[n, np.clip(k + edge, 0, width - 1)]) > 0))
    room = stop - start > 2 * edge + 1
    amp = np.where(room, amp, 0.0)
    return (amp >= P_MIN_MV) & room & wave, amp


def ecg_delineate(signal: np.ndarray, fs: float, peaks: np.ndarray) -> dict[str, np.ndarray]:
    """Fiducial points and intervals of every beat of a cleaned lead (mV) at ``fs`` Hz.

    Returns a dict of (N,) arrays: ``qrs_onset``, ``qrs_offset``, ``t_end`` (samples),
    ``qrs_duration_s``, ``t_duration_s`` (QRS offset to T end, as de Chazal 2004),
    ``p_present`` (bool) and ``p_amplitude`` (signal units)."""
    if fs is None or not fs > 0:
        from seqlab.errors import ConfigError

        raise ConfigError(f"sampling rate fs must be a positive number of Hz, got {fs!r}")
    x = np.asarray(signal, dtype=np.float64)
    peaks = np.asarray(peaks, dtype=np.int64)
    if peaks.size == 0:
        empty = np.zeros(0)
        return {"qrs_onset": empty.astype(np.int64), "qrs_offset": empty.astype(np.int64),
                "t_end": empty.astype(np.int64), "qrs_duration_s": empty, "t_duration_s": empty,
                "p_present": empty.astype(bool), "p_amplitude": empty}
    onset, offset = qrs_bounds(x, fs, peaks)
    xs = _smooth(x, fs, WAVE_SMOOTH_S / 2)
    iso = _isoelectric(xs, fs, onset)
    t_end = t_wave_end(_smooth(x, fs, WAVE_SMOOTH_S), fs, peaks, offset, iso, local_rr_s(peaks, fs))
    prev_t_end = np.concatenate([[0], t_end[:-1]])
    present, amp = p_wave(xs, fs, onset, prev_t_end)
    return {"qrs_onset": onset, "qrs_offset": offset, "t_end": t_end,
            "qrs_duration_s": (offset - onset) / fs, "t_duration_s": (t_end - offset) / fs,
            "p_present": present, "p_amplitude": amp}
