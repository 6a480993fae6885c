"""Filters, R-peak detection and scoring, segmentation, RR features, labels, balancing."""

from pathlib import Path

import numpy as np
import pytest

from seqlab.data.balance import balance_indices, balance_split
from seqlab.data.base import Split
from seqlab.data.ecg.config import BeatOptions
from seqlab.data.ecg.filters import ecg_clean
from seqlab.data.ecg.labels import label_beats, split_symbols
from seqlab.data.ecg.qrs import ecg_peaks
from seqlab.data.ecg.qrs_eval import match_peaks, score_record, vf_intervals
from seqlab.data.ecg.reader import read_record
from seqlab.data.ecg.segment import (
    RR_CONTEXT_FEATURES,
    RR_FEATURES,
    beats_from_record,
    ecg_segment,
    rr_features,
)
from seqlab.errors import ConfigError

FIX = Path(__file__).resolve().parents[2] / "fixtures" / "ecg" / "mitdb"


@pytest.fixture(scope="module")
def rec208():
    return read_record(FIX / "208")


@pytest.mark.parametrize("method", ["none", "bandpass", "sym4", "baseline"])
def test_clean_methods_keep_shape_and_dtype(rec208, method):
    y = ecg_clean(rec208.signal, rec208.fs, method=method)
    assert y.shape == rec208.signal.shape and y.dtype == np.float32 and np.isfinite(y).all()


def test_clean_unknown_method_lists_valid_and_fs_required(rec208):
    with pytest.raises(ConfigError, match="valid: none, bandpass, sym4, baseline"):
        ecg_clean(rec208.signal, 360.0, method="butter")
    with pytest.raises(ConfigError, match="sampling rate"):
        ecg_clean(rec208.signal, None)


def test_baseline_and_bandpass_remove_drift():
    fs = 360.0
    t = np.arange(0, 20, 1 / fs)
    drift = 2.0 * np.sin(2 * np.pi * 0.2 * t)
    for method in ("bandpass", "baseline"):
        assert np.abs(ecg_clean(drift, fs, method=method)[720:-720]).max() < 0.3


def test_detector_on_excerpts():
    for name in ("101", "208"):
        rec = read_record(FIX / name)
        peaks, info = ecg_peaks(rec.signal, rec.fs)
        s = score_record(name, rec.ann_samples, rec.ann_symbols, peaks, rec.fs, rec.signal.size)
        assert s.se >= 98.0 and s.ppv >= 98.0, s
    with pytest.raises(ConfigError, match="valid: seqlab, xqrs"):
        ecg_peaks(rec.signal, rec.fs, method="hamilton")


def test_detector_on_flat_or_short_signal():
    assert ecg_peaks(np.zeros(3600), 360.0)[0].size == 0
    assert ecg_peaks(np.zeros(10), 360.0)[0].size == 0


def test_detector_is_rate_independent(rec208):
    from seqlab.data.ecg.reader import resample_signal

    x = resample_signal(rec208.signal, 360.0, 1000.0)
    peaks, _ = ecg_peaks(x, 1000.0)
    ref = np.round(rec208.ann_samples * 1000 / 360).astype(int)
    s = score_record("208", ref, rec208.ann_symbols, peaks, 1000.0, x.size)
    assert s.se >= 97.0 and s.ppv >= 97.0


def test_match_peaks_one_to_one():
    ref = np.array([100, 200, 300, 1000])
    det = np.array([105, 210, 600, 2000])
    assert match_peaks(ref, det, 20) == (2, 2, 2)
    # two references near one detection: only one pairs with it
    assert match_peaks(np.array([100, 110]), np.array([105]), 20) == (1, 1, 0)
    assert match_peaks(np.array([], int), np.array([5]), 20) == (0, 0, 1)


def test_vf_intervals_excluded_from_scoring():
    samples = np.array([10, 50, 60, 70, 100, 150])
    symbols = np.array(["N", "[", "!", "!", "]", "N"])
    assert vf_intervals(samples, symbols, 200).tolist() == [[50, 100]]
    s = score_record("x", samples, symbols, np.array([10, 60, 70, 150]), 360.0, 200, exclude_vf=True)
    assert (s.tp, s.fn, s.fp) == (2, 0, 0)


def test_segment_windows_and_edges():
    x = np.arange(3600, dtype=np.float32)
    peaks = np.array([10, 1000, 2000, 3590])
    beats, kept = ecg_segment(x, 360.0, peaks, before_s=0.25, after_s=0.5)
    assert kept.tolist() == [False, True, True, False]
    assert beats.shape == (2, 90 + 180) and beats[0, 90] == 1000
    beats, kept = ecg_segment(x, 360.0, peaks, before_s=0.5, after_s=1.0, out_fs=125.0, seq_len=187)
    assert beats.shape == (kept.sum(), 187)


def test_rr_features():
    peaks = np.array([0, 360, 720, 900, 1440])  # RR 1, 1, 0.5, 1.5 s
    f = rr_features(peaks, 360.0)
    assert f.shape == (5, len(RR_FEATURES)) and f.dtype == np.float32
    assert f[3, 0] == pytest.approx(0.5) and f[3, 1] == pytest.approx(1.5)
    assert f[0, 0] == f[0, 1] == pytest.approx(1.0)  # first beat: prev = next
    assert np.allclose(f[:, 3], 1.0)  # record mean RR
    assert f[3, 8] == pytest.approx(3.0)  # next / prev


def _rhythm(rr_s: np.ndarray, fs: float = 360.0) -> np.ndarray:
    return np.round(np.concatenate([[0.0], np.cumsum(rr_s)]) * fs).astype(np.int64)


def test_rr_context_features_flag_a_premature_beat_at_any_heart_rate():
    rr = np.full(80, 0.8)
    rr[40], rr[41] = 0.5, 1.1  # an early beat (peak 41) and its compensatory pause
    col = {name: i for i, name in enumerate(RR_CONTEXT_FEATURES)}
    f = rr_features(_rhythm(rr), 360.0, "context")
    assert f.shape == (81, len(RR_CONTEXT_FEATURES)) and f.dtype == np.float32
    assert f[41, col["prev_over_record"]] == pytest.approx(np.log(0.5 / 0.8), abs=0.01)
    assert f[41, col["next_over_local"]] > 0.3  # the pause after it
    assert f[42, col["prev_over_local_-1"]] < -0.4  # the beat after sees the early one behind it
    assert np.allclose(f[10:30], 0.0, atol=0.01)  # regular rhythm: every log ratio is 0
    # the same rhythm 1.5x slower reads the same: no feature carries the heart rate itself
    assert np.allclose(rr_features(_rhythm(rr * 1.5), 360.0, "context"), f, atol=0.01)


def test_rr_context_irregularity_separates_fibrillation_from_sinus_rhythm():
    rng = np.random.default_rng(0)
    col = RR_CONTEXT_FEATURES.index("irregularity")
    sinus = rr_features(_rhythm(0.8 + rng.normal(0, 0.01, 200)), 360.0, "context")[:, col]
    af = rr_features(_rhythm(rng.uniform(0.4, 1.2, 200)), 360.0, "context")[:, col]
    assert np.median(af) > 10 * np.median(sinus)
    assert rr_features(np.array([7]), 360.0, "context").shape == (1, len(RR_CONTEXT_FEATURES))


def test_beats_from_record_reference_and_detector(rec208):
    inputs, peaks = beats_from_record(rec208, BeatOptions())
    assert inputs["x"].shape == (peaks.size, 1, 187) and inputs["rr"].shape == (peaks.size, 9)
    assert np.allclose(inputs["x"].mean(axis=-1), 0, atol=1e-4)  # z-scored per beat
    arr, det = beats_from_record(rec208, BeatOptions(peaks="seqlab", rr_features=False, beat_fs=None,
                                                     seq_len=None, window_s=(0.25, 0.45)))
    assert arr.shape == (det.size, 1, 90 + 162) and abs(det.size - peaks.size) <= 3
    ctx, _ = beats_from_record(rec208, BeatOptions(rr_set="context"))
    assert ctx["rr"].shape == (peaks.size, len(RR_CONTEXT_FEATURES)) and np.isfinite(ctx["rr"]).all()


def test_labels_aami_and_symbol_accounting():
    y, classes = label_beats(np.array(["N", "L", "A", "V", "E", "F", "/", "Q", "j"]), "aami5")
    assert classes == ["N", "S", "V", "F", "Q"] and y.tolist() == [0, 0, 1, 2, 2, 3, 4, 4, 0]
    y, classes = label_beats(np.array(["N", "V", "Q", "S"]), "aami5", ["N", "S", "V", "F"])
    assert y.tolist() == [0, 2, -1, 1]
    y, _ = label_beats(np.array(["N", "e", "A"]), "nlrav")
    assert y.tolist() == [0, -1, 3]
    with pytest.raises(ConfigError, match="not in label scheme"):
        label_beats(np.array(["N"]), "aami5", ["X"])
    is_beat, skipped, unknown = split_symbols(np.array(["N", "+", "~", "V", "#", "#"]))
    assert is_beat.tolist() == [True, False, False, True, False, False]
    assert skipped == 2 and unknown == {"#": 2}


def test_balance_train_only_helpers():
    y = np.array([0] * 8 + [1] * 2)
    over = balance_indices(y, "oversample", seed=1)
    assert np.bincount(y[over]).tolist() == [8, 8] and set(range(10)) <= set(over.tolist())
    under = balance_indices(y, "undersample", seed=1)
    assert np.bincount(y[under]).tolist() == [2, 2]
    split = Split({"x": np.zeros((10, 1, 4)), "rr": np.zeros((10, 9))}, y, np.arange(10))
    assert len(balance_split(split, "oversample", seed=0)) == 16
    with pytest.raises(ConfigError, match="valid: none, oversample, undersample"):
        balance_indices(y, "smote", seed=0)


def test_record_template_channel_is_beat_minus_record_median(rec208):
    plain, _ = beats_from_record(rec208, BeatOptions())
    both, peaks = beats_from_record(rec208, BeatOptions(record_template=True))
    assert both["x"].shape == (peaks.size, 2, 187)
    assert np.array_equal(both["x"][:, 0], plain["x"][:, 0])
    assert np.allclose(both["x"][:, 1], plain["x"][:, 0] - np.median(plain["x"][:, 0], axis=0))
    # with a window around the QRS alone, the patient's usual beats shrink; ventricular ones stand out
    both, peaks = beats_from_record(rec208, BeatOptions(record_template=True, window_s=(0.25, 0.4), seq_len=None))
    symbols = dict(zip(rec208.ann_samples.tolist(), rec208.ann_symbols.tolist()))
    sym = np.array([symbols[p] for p in peaks.tolist()])
    far = np.abs(both["x"][:, 1]).mean(axis=1)
    assert far[sym == "V"].mean() > 2 * far[sym == "N"].mean()


def test_relative_rr_set_gives_the_network_the_patient_relative_features(rec208):
    """``rr_set: relative`` feeds the same patient-relative columns the linear models read
    (first lead only) as the network's RR input, named so the rhythm gate still finds them."""
    from seqlab.data.ecg.relative_features import patient_relative_features
    from seqlab.data.ecg.segment import clean_record, record_peaks, rr_feature_names

    opts = BeatOptions(rr_set="relative")
    inputs, peaks = beats_from_record(rec208, opts)
    names = rr_feature_names("relative")
    assert inputs["rr"].shape == (peaks.size, len(names)) and "irregularity" in names
    every, _ = record_peaks(rec208, opts)
    direct = patient_relative_features([clean_record(rec208, opts).astype(np.float64)], rec208.fs, every)
    kept = np.isin(every, peaks)
    np.testing.assert_allclose(inputs["rr"], direct[kept], rtol=1e-5, atol=1e-5)
