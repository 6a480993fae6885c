"""Patient-relative heartbeat features (``data.features: patient_relative``), for linear heads.

Why: de Chazal's features are absolute (RR in seconds, amplitudes in mV), so a model trained
on 22 patients learns those patients' heart rates, gains and QRS shapes; on DS1
leave-one-record-out their S sensitivity is 35% (docs/inter-patient.md). Every column here is
measured against the record itself (its unlabelled signal, never its labels, like the
record-mean RR of the paper): how early the beat is for this patient's rhythm, whether it has
a P wave where this patient's beats have one, how its QRS differs from this patient's
dominant beat. Columns (``patient_relative_names``):

* the 14 log-ratio RR features of ``segment.rr_context_features`` (against the record's
  median RR and a running median of the local rhythm; neighbours; irregularity), plus the
  log pre- and post-RR in seconds (absolute prematurity, e.g. a pause);
* from the first lead's delineation: QRS duration (s) and its log ratio to the record's
  median; P wave present; P amplitude and its log ratio to the record's median P amplitude;
* per lead, against the record's median beat: correlation of the QRS (-50..+100 ms) and of
  the T wave (+150..+500 ms) with the median's, the log RMS ratio of the QRS, and the RMS
  of the QRS difference over the median's RMS.

>>> fs = 360.0
>>> peaks = np.arange(1, 12) * 300
>>> x = np.zeros(13 * 300); x[peaks] = 1.0
>>> patient_relative_features([x], fs, peaks).shape == (11, len(patient_relative_names(1)))
True
"""

from __future__ import annotations

import numpy as np

from seqlab.data.ecg.delineate import ecg_delineate
from seqlab.data.ecg.segment import RR_CONTEXT_FEATURES, rr_context_features

QRS_WINDOW_S = (-0.05, 0.10)
T_WINDOW_S = (0.15, 0.50)
P_FLOOR_MV = 0.01  # added to P amplitudes before their log ratio (a flat line is not -inf)
INTERVAL_NAMES = ("log_rr_pre_s", "log_rr_post_s", "qrs_duration_s", "qrs_over_record",
                  "p_present", "p_amplitude", "p_over_record")
SHAPE_NAMES = ("qrs_corr", "t_corr", "qrs_log_rms_ratio", "qrs_difference")


def patient_relative_names(n_leads: int) -> tuple[str, ...]:
    """Column names of ``patient_relative_features`` for ``n_leads`` leads."""
    shape = tuple(f"lead{i}_{name}" for i in range(n_leads) for name in SHAPE_NAMES)
    return tuple(RR_CONTEXT_FEATURES) + INTERVAL_NAMES + shape


def _windows(x: np.ndarray, fs: float, peaks: np.ndarray, window_s: tuple[float, float]) -> np.ndarray:
    offs = np.arange(int(round(window_s[0] * fs)), int(round(window_s[1] * fs)) + 1)
    return x[np.clip(peaks[:, None] + offs[None, :], 0, x.size - 1)]  # (N, W)


def _corr(rows: np.ndarray, ref: np.ndarray) -> np.ndarray:
    a = rows - rows.mean(axis=1, keepdims=True)
    b = ref - ref.mean()
    return (a @ b) / np.maximum(np.linalg.norm(a, axis=1) * np.linalg.norm(b), 1e-9)


def shape_features(x: np.ndarray, fs: float, peaks: np.ndarray) -> np.ndarray:
    """(N, 4) one lead's QRS and T shape against the record's median beat (``SHAPE_NAMES``)."""
    qrs = _windows(x, fs, peaks, QRS_WINDOW_S)  # (N, Wq)
    t = _windows(x, fs, peaks, T_WINDOW_S)  # (N, Wt)
    q_ref, t_ref = np.median(qrs, axis=0), np.median(t, axis=0)
    rms = np.sqrt(np.mean((qrs - qrs.mean(axis=1, keepdims=True)) ** 2, axis=1))  # (N,)
    ref_rms = max(float(np.sqrt(np.mean((q_ref - q_ref.mean()) ** 2))), 1e-6)
    diff = np.sqrt(np.mean((qrs - q_ref[None, :]) ** 2, axis=1)) / ref_rms
    return np.column_stack([_corr(qrs, q_ref), _corr(t, t_ref),
                            np.log(np.maximum(rms, 1e-6) / ref_rms), diff])


def patient_relative_features(leads: list[np.ndarray], fs: float, peaks: np.ndarray) -> np.ndarray:
    """(N, F) float32 patient-relative features of every beat at ``peaks`` of the cleaned
    ``leads`` (delineation on the first lead)."""
    peaks = np.asarray(peaks, dtype=np.int64)
    n = peaks.size
    rr_ctx = rr_context_features(peaks, fs).astype(np.float64)  # (N, 14)
    if n >= 2:
        rr = np.maximum(np.diff(peaks), 1) / fs
        pre, post = np.r_[rr[:1], rr], np.r_[rr, rr[-1:]]
    else:
        pre = post = np.ones(n)
    d = ecg_delineate(leads[0], fs, peaks)
    qrs = np.maximum(d["qrs_duration_s"], 1.0 / fs)
    p_amp = d["p_amplitude"] + P_FLOOR_MV
    med = (lambda v: float(np.median(v)) if n else 1.0)
    intervals = np.column_stack([np.log(pre), np.log(post), qrs, np.log(qrs / med(qrs)),
                                 d["p_present"].astype(float), d["p_amplitude"],
                                 np.log(p_amp / med(p_amp))]).reshape(n, len(INTERVAL_NAMES))
    shapes = [shape_features(np.asarray(x, dtype=np.float64), fs, peaks).reshape(n, len(SHAPE_NAMES))
              for x in leads]
    return np.concatenate([rr_ctx, intervals, *shapes], axis=1).astype(np.float32)
