"""Beats from a record: filter, find R peaks, cut windows, RR features. Vectorised numpy.

``beats_from_record(record, opts)`` is the one path from a record to model inputs: the
datasets use it for training and ``seqlab predict`` for a new record, so both preprocess
identically (with ``opts.peaks`` set to a detector when a record has no annotations).

>>> peaks = np.array([100, 460, 820, 1180])
>>> rr_features(peaks, fs=360.0)[:, :2].tolist()
[[1.0, 1.0], [1.0, 1.0], [1.0, 1.0], [1.0, 1.0]]
"""

from __future__ import annotations

import numpy as np

from seqlab.data.ecg.config import BeatOptions
from seqlab.data.ecg.filters import ecg_clean
from seqlab.data.ecg.labels import BEAT_SYMBOLS
from seqlab.data.ecg.qrs import ecg_peaks
from seqlab.data.ecg.reader import EcgRecord, read_record, resample_signal

RR_FEATURES = ("rr_prev_s", "rr_next_s", "rr_local_s", "rr_record_s", "prev_over_local",
               "next_over_local", "prev_over_record", "next_over_record", "next_over_prev")
LOCAL_BEATS = 10
CONTEXT_BEATS = 4  # neighbours on each side in the ``context`` set
RR_CONTEXT_FEATURES = (
    ("prev_over_record", "next_over_record", "prev_over_local", "next_over_local",
     "local_over_record", "irregularity")
    + tuple(f"prev_over_local_{j:+d}" for j in range(-CONTEXT_BEATS, CONTEXT_BEATS + 1) if j))
CONTEXT_WINDOW = 41  # beats in the running median that defines the local rhythm
IRREGULARITY_WINDOW = 21


def rr_feature_names(rr_set: str) -> tuple[str, ...]:
    """The names of the columns ``rr_features(..., rr_set)`` (``relative``: ``segment_record``)
    returns."""
    if rr_set == "relative":
        from seqlab.data.ecg.relative_features import patient_relative_names

        return patient_relative_names(1)
    return RR_CONTEXT_FEATURES if rr_set == "context" else RR_FEATURES


def rr_features(peaks: np.ndarray, fs: float, rr_set: str = "basic") -> np.ndarray:
    """(N, F) float32 RR features per beat: ``basic`` = the 9 of ``RR_FEATURES`` (seconds and
    ratios), ``context`` = ``rr_context_features``.

    The first beat's previous RR is its next one and vice versa for the last; local = mean
    of the previous-RR over the ``LOCAL_BEATS`` beats around the beat; record = the record's
    mean RR (de Chazal et al. 2004 use the same four intervals)."""
    if rr_set == "context":
        return rr_context_features(peaks, fs)
    from scipy.ndimage import uniform_filter1d

    n = peaks.size
    if n < 2:
        return np.ones((n, len(RR_FEATURES)), dtype=np.float32)
    rr = np.diff(peaks).astype(np.float64) / fs
    prev = np.concatenate([rr[:1], rr])
    nxt = np.concatenate([rr, rr[-1:]])
    local = uniform_filter1d(prev, size=min(LOCAL_BEATS, n), mode="nearest")
    record = np.full(n, rr.mean())
    feats = np.stack([prev, nxt, local, record, prev / local, nxt / local, prev / record,
                      nxt / record, nxt / prev], axis=1)  # (N, 9)
    return feats.astype(np.float32)


def rr_context_features(peaks: np.ndarray, fs: float) -> np.ndarray:
    """(N, 14) float32 log-ratio RR features (``RR_CONTEXT_FEATURES``), free of heart rate.

    Why not the ``basic`` set for unseen patients: RR in seconds lets a network memorise each
    training patient's heart rate. Every column here is a log ratio, so it reads the same on
    any patient: the previous / next RR against the record's median RR (premature beats,
    and runs of them, e.g. SVTA, which a local average absorbs) and against the local median
    rhythm (a running median over ``CONTEXT_WINDOW`` beats, robust to the ectopic beats
    themselves); the local rhythm against the record's; the previous RR of the
    ``CONTEXT_BEATS`` neighbours on each side against the local rhythm (compensatory pauses,
    bigeminy); and the local irregularity (running median of |Δ log RR|), high in atrial
    fibrillation, where an early beat is not an ectopic one. On DS1 patient-wise folds, a
    class-balanced logistic regression on six of these finds 76% of S beats; on the nine of
    the ``basic`` set 22%."""
    from scipy.ndimage import median_filter

    n = peaks.size
    if n < 2:
        return np.zeros((n, len(RR_CONTEXT_FEATURES)), dtype=np.float32)
    rr = np.maximum(np.diff(peaks).astype(np.float64), 1.0) / fs
    prev = np.concatenate([rr[:1], rr])  # (N,)
    nxt = np.concatenate([rr, rr[-1:]])  # (N,)
    record = np.median(prev)
    local = median_filter(prev, size=min(CONTEXT_WINDOW, n), mode="nearest")  # (N,)
    log_prev = np.log(prev)
    jumps = np.abs(np.diff(log_prev, prepend=log_prev[0]))  # (N,)
    irregular = median_filter(jumps, size=min(IRREGULARITY_WINDOW, n), mode="nearest")
    k = CONTEXT_BEATS
    padded = np.pad(log_prev, k, mode="edge")  # (N + 2k,)
    shifts = [padded[k + j:k + j + n] for j in range(-k, k + 1) if j]  # 2k x (N,)
    log_local = np.log(local)
    feats = np.column_stack([log_prev - np.log(record), np.log(nxt / record), log_prev - log_local,
                             np.log(nxt) - log_local, log_local - np.log(record), irregular,
                             *[s - log_local for s in shifts]])  # (N, 14)
    return feats.astype(np.float32)


def ecg_segment(signal: np.ndarray, fs: float, peaks: np.ndarray, *, before_s: float,
                after_s: float, out_fs: float | None = None, seq_len: int | None = None):
    """Windows around ``peaks`` -> ((N, T) float32 beats, (P,) bool kept mask).

    With ``out_fs`` the signal is resampled first and the windows have ``out_fs`` samples
    a second; ``seq_len`` fixes T (the window after the peak absorbs the rounding). Beats
    whose window leaves the signal are dropped (``kept`` is False for them)."""
    x = np.asarray(signal, dtype=np.float32)
    rate = fs
    pos = np.asarray(peaks, dtype=np.int64)
    if out_fs is not None and abs(out_fs - fs) > 1e-9:
        x = resample_signal(x, fs, out_fs)
        pos = np.round(pos * (out_fs / fs)).astype(np.int64)
        rate = out_fs
    before = int(round(before_s * rate))
    total = seq_len if seq_len is not None else before + int(round(after_s * rate))
    kept = (pos - before >= 0) & (pos - before + total <= x.size)
    idx = pos[kept, None] - before + np.arange(total)[None, :]  # (N, T)
    return x[idx], kept


def beat_normalize(beats: np.ndarray, method: str) -> np.ndarray:
    """Per-beat scaling: ``zscore`` (mean 0, sd 1), ``minmax`` (0..1) or ``none``."""
    if method == "none" or beats.size == 0:
        return beats
    if method == "zscore":
        sd = beats.std(axis=-1, keepdims=True)
        return ((beats - beats.mean(axis=-1, keepdims=True)) / np.maximum(sd, 1e-6)).astype(np.float32)
    lo, hi = beats.min(axis=-1, keepdims=True), beats.max(axis=-1, keepdims=True)
    return ((beats - lo) / np.maximum(hi - lo, 1e-6)).astype(np.float32)


def clean_record(record: EcgRecord, opts: BeatOptions, signal: np.ndarray | None = None) -> np.ndarray:
    """The record's lead (or ``signal``, another lead of it) after ``opts.filters``, in order."""
    x = record.signal if signal is None else signal
    for method in opts.filters:
        kwargs = {}
        if method == "bandpass":
            kwargs = {"low_hz": opts.bandpass_hz[0], "high_hz": opts.bandpass_hz[1],
                      "order": opts.bandpass_order}
        x = ecg_clean(x, record.fs, method=method, **kwargs)
    return np.asarray(x, dtype=np.float32)


def record_peaks(record: EcgRecord, opts: BeatOptions) -> tuple[np.ndarray, np.ndarray | None]:
    """R peaks (samples) and their symbols (None for a detector) as ``opts.peaks`` says."""
    if opts.peaks == "reference":
        if record.ann_samples is None:
            from seqlab.errors import DataError

            raise DataError(f"record {record.name} has no annotations; use peaks: seqlab")
        beat = np.isin(record.ann_symbols, list(BEAT_SYMBOLS))
        return record.ann_samples[beat], record.ann_symbols[beat]
    peaks, _ = ecg_peaks(record.signal, record.fs, method=opts.peaks)
    return peaks, None


def segment_record(record: EcgRecord, opts: BeatOptions, peaks: np.ndarray):
    """(beats (N, C, T), rr (N, F) or None, kept mask over ``peaks``); C = 2 with extra_lead,
    doubled by record_template."""
    leads = [record.signal]
    if opts.extra_lead:
        if record.extra is None:
            from seqlab.errors import DataError

            raise DataError(f"record {record.name} was read without its second lead (extra_lead)")
        leads.append(record.extra)
    channels, cleaned = [], []
    for signal in leads:
        x = clean_record(record, opts, signal)
        cleaned.append(x)
        beats, kept = ecg_segment(x, record.fs, peaks, before_s=opts.window_s[0],
                                  after_s=opts.window_s[1], out_fs=opts.beat_fs, seq_len=opts.seq_len)
        channels.append(beat_normalize(beats, opts.beat_norm))  # (N, T)
    if opts.record_template:
        channels += [c - np.median(c, axis=0, keepdims=True) if len(c) else c for c in channels]
    beats = np.stack(channels, axis=1)  # (N, C, T)
    if not opts.rr_features:
        rr = None
    elif opts.rr_set == "relative":  # needs the cleaned signal: delineation, shape vs the median beat
        from seqlab.data.ecg.relative_features import patient_relative_features

        rr = patient_relative_features([cleaned[0].astype(np.float64)], record.fs, peaks)[kept]
    else:
        rr = rr_features(peaks, record.fs, opts.rr_set)[kept]
    return beats, rr, kept


def feature_matrix(record: EcgRecord, opts: BeatOptions, peaks: np.ndarray) -> np.ndarray:
    """(P, F) float32 ``opts.features`` set of every peak (``beat_features``), computed on the
    record's lead (and its second lead with ``extra_lead``) after ``opts.filters``."""
    from seqlab.data.ecg.beat_features import record_features

    leads = [record.signal] + ([record.extra] if opts.extra_lead and record.extra is not None else [])
    cleaned = [clean_record(record, opts, x).astype(np.float64) for x in leads]
    return record_features(opts.features, cleaned, record.fs, np.asarray(peaks, dtype=np.int64))


def beats_from_record(record: EcgRecord, opts: BeatOptions, peaks: np.ndarray | None = None):
    """Model inputs for every beat of ``record`` and the R-peak samples they belong to.

    Returns ``(inputs, peak_samples)``: ``inputs`` is ``{"x": (N, C, T), "rr": (N, 9)}``
    float32 when ``opts.rr_features`` else the ``(N, C, T)`` array (C = 2 with
    ``opts.extra_lead``, else 1), or the ``(N, F)`` feature matrix when ``opts.features``
    names a set; beats too close to the record edges are left out, so ``peak_samples`` (N,)
    says which peaks the rows are."""
    if peaks is None:
        peaks, _ = record_peaks(record, opts)
    peaks = np.asarray(peaks, dtype=np.int64)
    beats, rr, kept = segment_record(record, opts, peaks)
    if opts.features != "none":
        return feature_matrix(record, opts, peaks)[kept], peaks[kept]
    inputs = {"x": beats, "rr": rr} if rr is not None else beats
    return inputs, peaks[kept]


def read_record_for(path, opts: BeatOptions, annotator: str | None = None) -> EcgRecord:
    """Read a record the way a dataset built with ``opts`` did (lead, fallback, rate), e.g.
    a new record to predict on: ``beats_from_record(read_record_for(p, cfg),
    cfg.model_copy(update={"peaks": "seqlab"}))``."""
    return read_record(path, lead=opts.lead, lead_fallback=opts.lead_fallback, annotator=annotator,
                       fs=opts.record_fs, max_nan_fraction=opts.max_nan_fraction,
                       extra_lead=opts.extra_lead)
