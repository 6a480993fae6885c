"""Synthetic NST-like noise: the SNR asked for is the SNR delivered, each kind sits in its band,
the draws are seeded, and bad input is one clear error."""

import numpy as np
import pytest

from seqlab.data.ecg.noise import NOISE_METHODS, ecg_add_noise, ecg_noise, scale_to_snr
from seqlab.errors import ConfigError, DataError

FS = 125.0


def achieved_snr(clean: np.ndarray, noise: np.ndarray) -> np.ndarray:
    c, n = clean.reshape(len(clean), -1).astype(np.float64), noise.reshape(len(noise), -1).astype(np.float64)
    return 10 * np.log10((c ** 2).sum(axis=1) / (n ** 2).sum(axis=1))


@pytest.fixture
def beats() -> np.ndarray:
    """(32, 1, 187) beat-like windows: a QRS spike and a T wave on a small random background."""
    rng = np.random.default_rng(0)
    t = np.arange(187) / FS
    beat = np.exp(-0.5 * ((t - 0.5) / 0.02) ** 2) + 0.3 * np.exp(-0.5 * ((t - 0.8) / 0.06) ** 2)
    return (beat[None, None, :] * rng.uniform(0.5, 2, (32, 1, 1)) + 0.01 * rng.standard_normal((32, 1, 187)))


@pytest.mark.parametrize("kind", sorted(NOISE_METHODS))
@pytest.mark.parametrize("snr", [-6.0, 0.0, 6.0, 12.0])
def test_achieved_snr_equals_the_requested_one_per_beat(beats, kind, snr):
    noisy, noise = ecg_add_noise(beats, FS, method=kind, snr_db=snr, rng=np.random.default_rng(1))
    assert noisy.shape == beats.shape and noisy.dtype == np.float32
    np.testing.assert_allclose(achieved_snr(beats, noise), snr, atol=1e-4)
    np.testing.assert_allclose(noisy, beats + noise, atol=1e-5)


def test_one_snr_per_beat_and_a_whole_record(beats):
    levels = np.linspace(-6, 12, len(beats))
    _, noise = ecg_add_noise(beats, FS, method="ma", snr_db=levels, rng=np.random.default_rng(2))
    np.testing.assert_allclose(achieved_snr(beats, noise), levels, atol=1e-4)
    record = np.tile(beats[:, 0].reshape(-1), 3)  # a 1-D signal: the SNR is over the whole of it
    _, noise = ecg_add_noise(record, FS, method="em", snr_db=3.0, rng=np.random.default_rng(3))
    assert noise.shape == record.shape
    np.testing.assert_allclose(achieved_snr(record[None], noise[None]), 3.0, atol=1e-4)


def band_power(kind: str, lo: float, hi: float) -> float:
    """Share of the kind's power between lo and hi Hz (long rows, averaged)."""
    x = ecg_noise(40, 4000, FS, method=kind, rng=np.random.default_rng(4))
    power = (np.abs(np.fft.rfft(x, axis=1)) ** 2).mean(axis=0)
    f = np.fft.rfftfreq(4000, 1 / FS)
    return float(power[(f >= lo) & (f < hi)].sum() / power.sum())


def test_each_kind_lies_in_its_band():
    assert band_power("bw", 0.0, 1.0) > 0.99  # baseline wander: below 1 Hz
    assert band_power("ma", 5.0, FS / 2) > 0.95  # muscle: broadband above 5 Hz
    assert band_power("em", 0.4, 16.0) > 0.95  # electrode motion: in the ECG's own band
    assert band_power("em", 0.4, 16.0) > band_power("em", 16.0, FS / 2) * 20


def test_rows_have_unit_rms_and_the_draw_is_seeded():
    a = ecg_noise(8, 187, FS, method="bw", rng=np.random.default_rng(5))
    b = ecg_noise(8, 187, FS, method="bw", rng=np.random.default_rng(5))
    np.testing.assert_array_equal(a, b)
    np.testing.assert_allclose(np.sqrt((a ** 2).mean(axis=1)), 1.0, rtol=1e-9)
    assert not np.allclose(a, ecg_noise(8, 187, FS, method="bw", rng=np.random.default_rng(6)))


def test_electrode_motion_comes_in_bursts():
    """Non-stationary: the power of 1 s stretches varies far more than for muscle noise."""
    def spread(kind: str) -> float:
        x = ecg_noise(20, 2500, FS, method=kind, rng=np.random.default_rng(7)).reshape(20, 20, 125)
        p = (x ** 2).mean(axis=2)
        return float(np.median(p.max(axis=1) / p.min(axis=1)))

    assert spread("em") > 3 * spread("ma")


def test_bad_input_is_one_clear_error(beats):
    with pytest.raises(ConfigError, match="unknown ECG noise kind 'pink'; valid: bw, ma, em"):
        ecg_noise(2, 100, FS, method="pink", rng=np.random.default_rng(0))
    with pytest.raises(ConfigError, match="sampling rate"):
        ecg_noise(2, 100, 0.0, method="bw", rng=np.random.default_rng(0))
    with pytest.raises(DataError, match="all zeros"):
        scale_to_snr(np.zeros((1, 10)), np.ones((1, 10)), 0.0)


def test_docstring_example():
    import doctest

    import seqlab.data.ecg.noise as module

    result = doctest.testmod(module)
    assert result.failed == 0 and result.attempted > 0
