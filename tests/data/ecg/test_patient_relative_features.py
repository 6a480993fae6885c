"""Patient-relative features: timing against the patient's own rhythm, shape against the
patient's own dominant beat."""

import numpy as np
import pytest

from seqlab.data.ecg.beat_features import FEATURE_SETS, feature_names, record_features
from seqlab.data.ecg.relative_features import patient_relative_features, patient_relative_names
from seqlab.errors import ConfigError

FS = 360.0


def lead(r_times, widths=None, p_amps=None, invert=()):
    """Triangular QRS (onset R - w/2), Gaussian P 160 ms before and T 300 ms after each R."""
    n = len(r_times)
    widths = np.full(n, 0.08) if widths is None else np.asarray(widths)
    p_amps = np.full(n, 0.15) if p_amps is None else np.asarray(p_amps)
    t = np.arange(int((r_times[-1] + 1.5) * FS)) / FS
    x = np.zeros_like(t)
    for i, (r, w, p) in enumerate(zip(r_times, widths, p_amps)):
        sign = -1.0 if i in invert else 1.0
        x += sign * np.interp(t, [r - w / 2, r, r + w / 2], [0.0, 1.0, 0.0])
        x += p * np.exp(-0.5 * ((t - r + 0.16) / 0.02) ** 2)
        x += 0.3 * np.exp(-0.5 * ((t - r - 0.3) / 0.04) ** 2)
    return x, np.round(np.asarray(r_times) * FS).astype(np.int64)


def columns(f, n_leads=1):
    return {name: f[:, i] for i, name in enumerate(patient_relative_names(n_leads))}


def test_an_early_beat_is_measured_against_the_local_rhythm_and_its_irregularity():
    rng = np.random.default_rng(0)
    regular = np.full(60, 0.8)
    irregular = 0.8 * np.exp(rng.normal(0, 0.25, 60))  # atrial-fibrillation-like
    out = []
    for rr in (regular, irregular):
        rr = rr.copy()
        rr[30] = 0.8 * 0.8  # beat 30 comes 20% early
        x, peaks = lead(np.cumsum(rr))
        out.append(columns(patient_relative_features([x], FS, peaks)))
    sinus, af = out
    assert sinus["prev_over_local"][30] == pytest.approx(np.log(0.8), abs=0.01)
    assert sinus["next_over_local"][29] == pytest.approx(np.log(0.8), abs=0.01)  # seen from before
    assert sinus["log_rr_pre_s"][30] == pytest.approx(np.log(0.64), abs=0.01)
    assert sinus["irregularity"][30] < 0.05 < 0.15 < af["irregularity"][30]


def test_a_different_qrs_and_a_missing_p_wave_are_measured_against_the_record():
    r = 1.0 + np.arange(40) * 0.8
    widths = np.full(40, 0.08)
    widths[20] = 0.16
    p = np.full(40, 0.15)
    p[20] = 0.0
    x, peaks = lead(r, widths, p, invert={20})
    c = columns(patient_relative_features([x, x], FS, peaks), 2)
    others = np.arange(40) != 20
    assert c["lead0_qrs_corr"][others].min() > 0.99 and c["lead0_qrs_corr"][20] < 0
    assert c["lead1_qrs_difference"][20] > 1.0 > 0.1 > c["lead1_qrs_difference"][others].max()
    assert c["qrs_over_record"][20] > np.log(1.5) and abs(c["qrs_over_record"][others]).max() < 0.1
    assert c["p_present"][20] == 0 and c["p_present"][others].min() == 1
    assert c["p_over_record"][20] < np.log(0.2)


def test_feature_set_dispatch_and_names():
    x, peaks = lead(1.0 + np.arange(10) * 0.8)
    assert "patient_relative" in FEATURE_SETS
    f = record_features("patient_relative", [x, x], FS, peaks)
    assert f.dtype == np.float32 and np.isfinite(f).all()
    assert f.shape == (10, len(feature_names("patient_relative", 2)))
    with pytest.raises(ConfigError, match="valid: dechazal, patient_relative"):
        record_features("wavelets", [x], FS, peaks)
