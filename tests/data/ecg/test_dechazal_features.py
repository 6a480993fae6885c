"""The delineator on synthetic beats with known fiducial points, and the de Chazal feature set."""

import time
from pathlib import Path

import numpy as np
import pytest

from seqlab.data.ecg.beat_features import (
    QRS_OFFSETS_S,
    T_OFFSETS_S,
    dechazal_feature_names,
    dechazal_features,
)
from seqlab.data.ecg.config import BeatOptions
from seqlab.data.ecg.delineate import ecg_delineate
from seqlab.data.ecg.filters import ecg_clean
from seqlab.data.ecg.mitbih import MitbihConfig, mitbih
from seqlab.data.ecg.reader import read_record
from seqlab.data.ecg.segment import beats_from_record
from seqlab.errors import ConfigError

FS = 360.0
FIX = Path(__file__).resolve().parents[2] / "fixtures" / "ecg" / "mitdb"
T_DELAY, T_SD = 0.30, 0.04


def synthetic(r_times, qrs_widths, p_amps, seconds=None):
    """A lead (mV) of triangular QRS complexes (onset = R - w/2, offset = R + w/2, 1 mV),
    Gaussian P waves 160 ms before R and Gaussian T waves ``T_DELAY`` after it."""
    seconds = seconds or r_times[-1] + 1.5
    t = np.arange(int(seconds * FS)) / FS
    x = np.zeros_like(t)
    for r, w, p in zip(r_times, qrs_widths, p_amps):
        x += np.interp(t, [r - w / 2, r, r + w / 2], [0.0, 1.0, 0.0])
        x += p * np.exp(-0.5 * ((t - r + 0.16) / 0.02) ** 2)
        x += 0.3 * np.exp(-0.5 * ((t - r - T_DELAY) / T_SD) ** 2)
    return x.astype(np.float32), np.round(np.asarray(r_times) * FS).astype(np.int64)


def test_qrs_onset_and_offset_found_within_6_ms_for_narrow_and_wide_beats():
    r = 1.0 + np.arange(8) * 0.9
    widths = np.array([0.08, 0.14] * 4)
    x, peaks = synthetic(r, widths, [0.15] * 8)
    d = ecg_delineate(x, FS, peaks)
    assert np.abs(d["qrs_onset"] / FS - (r - widths / 2)).max() <= 0.006
    assert np.abs(d["qrs_offset"] / FS - (r + widths / 2)).max() <= 0.006
    assert np.abs(d["qrs_duration_s"] - widths).max() <= 0.01


def test_t_wave_end_is_the_tangent_crossing():
    r = 1.0 + np.arange(6) * 1.0
    x, peaks = synthetic(r, [0.08] * 6, [0.15] * 6)
    d = ecg_delineate(x, FS, peaks)
    # the steepest fall of a Gaussian is at mu + sd; its tangent meets zero at mu + 2 sd
    assert np.abs(d["t_end"] / FS - (r + T_DELAY + 2 * T_SD)).max() <= 0.015
    assert np.allclose(d["t_duration_s"], (d["t_end"] - d["qrs_offset"]) / FS)


def test_p_wave_present_absent_and_hidden_in_the_previous_t_wave():
    r = [1.0, 2.0, 3.0, 4.0, 4.35, 5.5]  # the fifth beat comes 350 ms after the fourth
    x, peaks = synthetic(r, [0.08] * 6, [0.15, 0.0, 0.02, 0.15, 0.15, 0.15])
    d = ecg_delineate(x, FS, peaks)
    assert d["p_present"].tolist() == [True, False, False, True, False, True]
    assert d["p_amplitude"][0] == pytest.approx(0.15, abs=0.03)


def test_t_window_shortens_with_the_rate_and_stops_before_the_next_p_wave():
    # at 86 bpm a small T wave and a larger P wave 160 ms before the next beat: a fixed 600 ms
    # window reached that P wave and took it for the T wave
    r = 1.0 + np.arange(8) * 0.70
    t = np.arange(int((r[-1] + 1.0) * FS)) / FS
    x = sum(np.interp(t, [c - 0.04, c, c + 0.04], [0.0, 1.0, 0.0])
            + 0.25 * np.exp(-0.5 * ((t - c + 0.16) / 0.02) ** 2)
            + 0.10 * np.exp(-0.5 * ((t - c - T_DELAY) / T_SD) ** 2) for c in r).astype(np.float32)
    peaks = np.round(r * FS).astype(np.int64)
    d = ecg_delineate(x, FS, peaks)
    assert np.abs(d["t_end"][:-1] / FS - (r[:-1] + T_DELAY + 2 * T_SD)).max() <= 0.015
    assert d["p_present"][1:].all()


def test_a_slope_in_the_p_window_is_not_a_p_wave():
    # the lead falls smoothly by 0.2 mV before the QRS (as after a late T wave): a chord
    # deviation of ~0.1 mV, but no wave
    r = [1.0, 2.0, 3.0]
    x, peaks = synthetic(r, [0.08] * 3, [0.0, 0.0, 0.15])
    t = np.arange(x.size) / FS
    step = (0.1 * np.tanh((t - 1.87) / 0.03) - 0.1) * (t < 2.0) * (t > 1.5)
    d = ecg_delineate((x + step).astype(np.float32), FS, peaks)
    assert d["p_present"].tolist() == [False, False, True]


def test_qrs_bounds_hold_in_muscle_noise():
    # noise whose slope is a tenth of a small QRS's (0.5 mV; records 108 and 203 come close)
    # keeps the slope envelope above a fixed fraction of the QRS slope over the whole search
    # window (QRS "durations" of 0.35 s); the local noise floor stops that
    rng = np.random.default_rng(0)
    r = 1.0 + np.arange(12) * 0.9
    x, peaks = synthetic(r, [0.08] * 12, [0.1] * 12)
    noise = np.convolve(rng.normal(0, 0.02, x.size), np.ones(4) / 4, mode="same")
    d = ecg_delineate((0.5 * x + noise).astype(np.float32), FS, peaks)
    assert np.abs(d["qrs_duration_s"] - 0.08).max() <= 0.02


def test_delineate_checks_rate_and_handles_no_beats():
    with pytest.raises(ConfigError, match="sampling rate"):
        ecg_delineate(np.zeros(100), 0, np.array([10]))
    assert ecg_delineate(np.zeros(100), FS, np.array([], dtype=np.int64))["qrs_onset"].size == 0


def test_feature_columns_in_the_documented_order():
    r = 1.0 + np.cumsum([0.0, 0.8, 0.8, 0.5, 1.1, 0.8, 0.8])
    x, peaks = synthetic(r, [0.08] * len(r), [0.15] * len(r))
    ramp = np.arange(x.size, dtype=np.float32) * 1e-3  # a second lead whose value is its index
    f = dechazal_features([x, ramp], FS, peaks)
    names = dechazal_feature_names(2)
    assert f.shape == (len(r), 43) and f.dtype == np.float32 and len(names) == 43
    col = {n: i for i, n in enumerate(names)}
    rr = np.diff(r)
    assert f[3, col["rr_pre_s"]] == pytest.approx(rr[2], abs=1e-3)
    assert f[3, col["rr_post_s"]] == pytest.approx(rr[3], abs=1e-3)
    assert np.allclose(f[:, col["rr_average_s"]], rr.mean(), atol=1e-3)
    # the fourth beat's P wave (160 ms before it) lies inside the third beat's T wave
    assert f[:, col["p_present"]].tolist() == [1.0, 1.0, 1.0, 0.0, 1.0, 1.0, 1.0]
    offs = np.concatenate([QRS_OFFSETS_S, T_OFFSETS_S])
    lead1 = f[:, col["lead1_qrs_00"]:]
    assert np.allclose(lead1, (peaks[:, None] + np.round(offs * FS)) * 1e-3, atol=1e-4)
    assert f[2, col["lead0_qrs_03"]] == pytest.approx(1.0, abs=0.05)  # the R peak: -50 ms + 3/60 s


def test_on_real_beats_ventricular_beats_are_wider_and_lack_p_waves():
    rec = read_record(FIX / "208")
    x = ecg_clean(ecg_clean(rec.signal, rec.fs, method="baseline"), rec.fs, method="bandpass")
    beat = np.isin(rec.ann_symbols, ["N", "V"])
    peaks, sym = rec.ann_samples[beat], rec.ann_symbols[beat]
    t0 = time.perf_counter()
    d = ecg_delineate(x, rec.fs, peaks)
    assert time.perf_counter() - t0 < 1.0
    n, v = sym == "N", sym == "V"
    assert np.median(d["qrs_duration_s"][v]) > np.median(d["qrs_duration_s"][n]) + 0.04
    assert d["p_present"][n].mean() > d["p_present"][v].mean() + 0.2


@pytest.fixture
def data_root(tmp_path, monkeypatch):
    monkeypatch.setenv("SEQLAB_DATA", str(tmp_path / "data"))


def test_dataset_gives_the_feature_matrix_and_predict_the_same_rows(data_root):
    cfg = MitbihConfig(source=str(FIX), features="dechazal", extra_lead=True, rr_features=False,
                       classes=["N", "S", "V", "F"], window_s=(0.25, 0.4), seq_len=None)
    data = mitbih(cfg, seed=0)
    x = data.test.x
    assert x.dtype == np.float32 and x.ndim == 2 and x.shape[1] == 43 and np.isfinite(x).all()
    assert data.summary["features"] == list(dechazal_feature_names(2))
    opts = BeatOptions(**{k: getattr(cfg, k) for k in BeatOptions.model_fields})
    rec = read_record(FIX / "208", extra_lead=True)
    feats, peaks = beats_from_record(rec, opts)
    beats, _ = beats_from_record(rec, opts.model_copy(update={"features": "none"}))
    assert feats.shape == (beats["x"].shape[0] if isinstance(beats, dict) else beats.shape[0], 43)


def test_cache_key_of_runs_without_features_is_unchanged():
    assert "features" not in BeatOptions().beat_fields()
    assert BeatOptions(features="dechazal").beat_fields()["features"] == "dechazal"
    with pytest.raises(Exception, match="dechazal"):
        BeatOptions(features="wavelets")


@pytest.mark.parametrize("name", ["seqlab.data.ecg.delineate", "seqlab.data.ecg.beat_features",
                                  "seqlab.data.ecg.relative_features"])
def test_docstring_examples(name):
    import doctest
    import importlib

    result = doctest.testmod(importlib.import_module(name))
    assert result.failed == 0 and result.attempted > 0
