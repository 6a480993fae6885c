"""Hand-crafted heartbeat feature matrices (``data.features``), for linear models.

Two sets: ``dechazal`` (below) and ``patient_relative`` (``relative_features``).

``dechazal``: the feature set of de Chazal, O'Dwyer & Reilly (IEEE TBME 51(7), 2004), per
beat, in this column order (``dechazal_feature_names``):

* RR intervals (s): pre-RR, post-RR, the record's average RR, the local average of the ten
  RR intervals around the beat;
* heartbeat intervals from the first lead (``delineate.ecg_delineate``): QRS duration (s),
  T-wave duration (QRS offset to T end, s), P wave present (0/1);
* per lead, morphology (signal units, mV on MIT-BIH): 10 samples of the QRS at 60 Hz from
  50 ms before to 100 ms after the R peak, and 8 samples of the T wave at 20 Hz from 150 ms
  to 500 ms after it.

Amplitudes are kept in physical units and RR in seconds, as in the paper: a linear
discriminant weighs them itself (and is unchanged by rescaling a column).

>>> fs = 360.0
>>> peaks = np.arange(1, 10) * 360
>>> x = np.zeros(11 * 360, np.float32); x[peaks] = 1.0
>>> f = dechazal_features([x, x], fs, peaks)
>>> f.shape, len(dechazal_feature_names(2))
((9, 43), 43)
"""

from __future__ import annotations

import numpy as np

from seqlab.data.ecg.delineate import ecg_delineate, local_rr_s

RR_NAMES = ("rr_pre_s", "rr_post_s", "rr_average_s", "rr_local_s")
INTERVAL_NAMES = ("qrs_duration_s", "t_duration_s", "p_present")
QRS_OFFSETS_S = -0.05 + np.arange(10) / 60.0  # 60 Hz, -50 .. +100 ms
T_OFFSETS_S = 0.15 + np.arange(8) / 20.0  # 20 Hz, 150 .. 500 ms
SHARED_COLUMNS = len(RR_NAMES) + len(INTERVAL_NAMES)  # columns before the per-lead blocks
FEATURE_SETS = ("dechazal", "patient_relative")
FEATURES_VERSION = 5  # bump when a feature set's definition changes (part of the cache key)


def dechazal_feature_names(n_leads: int) -> tuple[str, ...]:
    """Column names of ``dechazal_features`` for ``n_leads`` leads."""
    per_lead = [f"lead{i}_{kind}_{j:02d}" for i in range(n_leads)
                for kind, offs in (("qrs", QRS_OFFSETS_S), ("t", T_OFFSETS_S)) for j in range(len(offs))]
    return RR_NAMES + INTERVAL_NAMES + tuple(per_lead)


def rr_intervals(peaks: np.ndarray, fs: float) -> np.ndarray:
    """(N, 4) pre, post, record-average and local-average RR in seconds. The local average
    is the mean of the ``LOCAL_RR_BEATS`` intervals centred on the beat (the delineator's T
    window uses the same); the first beat's pre-RR is its post-RR and vice versa for the last."""
    n = peaks.size
    if n < 2:
        return np.ones((n, 4))
    rr = np.diff(peaks).astype(np.float64) / fs  # (N-1,)
    pre = np.concatenate([rr[:1], rr])
    post = np.concatenate([rr, rr[-1:]])
    return np.column_stack([pre, post, np.full(n, rr.mean()), local_rr_s(peaks, fs)])


def morphology_samples(x: np.ndarray, fs: float, peaks: np.ndarray) -> np.ndarray:
    """(N, 18) QRS and T-wave samples of one lead at the offsets above (nearest sample)."""
    offs = np.concatenate([QRS_OFFSETS_S, T_OFFSETS_S])
    idx = peaks[:, None] + np.round(offs * fs).astype(np.int64)[None, :]  # (N, 18)
    return x[np.clip(idx, 0, x.size - 1)]


def dechazal_features(leads: list[np.ndarray], fs: float, peaks: np.ndarray) -> np.ndarray:
    """(N, 7 + 18 * len(leads)) float32 de Chazal features of every beat at ``peaks`` of the
    cleaned ``leads`` (intervals from the first lead)."""
    peaks = np.asarray(peaks, dtype=np.int64)
    d = ecg_delineate(leads[0], fs, peaks)
    intervals = np.column_stack([d["qrs_duration_s"], d["t_duration_s"], d["p_present"].astype(float)])
    blocks = [rr_intervals(peaks, fs), intervals.reshape(peaks.size, 3)]
    blocks += [morphology_samples(np.asarray(x, dtype=np.float64), fs, peaks) for x in leads]
    return np.concatenate(blocks, axis=1).astype(np.float32)


def feature_names(kind: str, n_leads: int) -> tuple[str, ...]:
    """Column names of feature set ``kind`` (``FEATURE_SETS``) for ``n_leads`` leads."""
    if kind == "dechazal":
        return dechazal_feature_names(n_leads)
    if kind == "patient_relative":
        from seqlab.data.ecg.relative_features import patient_relative_names

        return patient_relative_names(n_leads)
    from seqlab.errors import ConfigError

    raise ConfigError(f"unknown feature set {kind!r}; valid: {', '.join(FEATURE_SETS)}")


def record_features(kind: str, leads: list[np.ndarray], fs: float, peaks: np.ndarray) -> np.ndarray:
    """Feature set ``kind`` of every beat at ``peaks`` of the cleaned ``leads``."""
    feature_names(kind, len(leads))  # checks the name
    if kind == "patient_relative":
        from seqlab.data.ecg.relative_features import patient_relative_features

        return patient_relative_features(leads, fs, peaks)
    return dechazal_features(leads, fs, peaks)
