"""Synthetic ECG noise like the MIT-BIH Noise Stress Test's three kinds, added at an exact SNR.

The Noise Stress Test Database (Moody, Muldrow & Mark 1984) adds recorded noise of three kinds
to clean ECG: baseline wander (``bw``), muscle (EMG) artefact (``ma``) and electrode motion
(``em``). Its recordings are not on these machines, so the kinds are synthesised here from
Gaussian noise shaped in the frequency domain, after the spectra that paper and Clifford et
al. (2006, *Advanced Methods and Tools for ECG Data Analysis*, ch. 3) describe:

* ``bw``: baseline wander, respiration and slow drift: power in 0.05-0.7 Hz falling as 1/f²;
  within a 1.5 s beat window it is an offset and a tilt.
* ``ma``: muscle artefact: broadband 5 Hz up to 0.45·fs (at most 150 Hz), flat spectrum,
  under a slowly varying amplitude (muscles tense and relax).
* ``em``: electrode motion: 0.5-15 Hz, falling as 1/f, in bursts (Gaussian envelopes, about
  one every two seconds) over a low floor: the in-band, non-stationary kind that filters
  cannot remove and the NST calls the hardest.

Each kind is drawn on a buffer of at least ``BUFFER_S[kind]`` seconds (a beat window alone has
too coarse a frequency grid for sub-hertz wander) and a random stretch of it is kept.
``ecg_add_noise`` scales the noise per row so that the SNR is exactly the one asked for:
``SNR = 10·log10(Σ clean² / Σ noise²)`` over the row (a beat, or a whole record); the NST's
own SNR uses QRS amplitudes instead, so its levels are comparable, not identical.

>>> rng = np.random.default_rng(0)
>>> clean = np.sin(np.linspace(0, 20, 500))[None, :]
>>> noisy, noise = ecg_add_noise(clean, 125.0, method="em", snr_db=0.0, rng=rng)
>>> bool(abs(10 * np.log10((clean ** 2).sum() / (noise ** 2).sum())) < 1e-5)
True
"""

from __future__ import annotations

import numpy as np

from seqlab.errors import ConfigError, DataError

# seconds of noise drawn per row before a window is cut from it: 20 s resolve 0.05 Hz wander;
# the other kinds start at 0.5 Hz and need less (which keeps a training batch's noise cheap)
BUFFER_S = {"bw": 20.0, "ma": 6.0, "em": 6.0}


def _check(n: int, length: int, fs: float) -> None:
    if fs is None or not fs > 0:
        raise ConfigError(f"sampling rate fs must be a positive number of Hz, got {fs!r}")
    if n < 0 or length < 1:
        raise ConfigError(f"noise needs rows >= 0 and length >= 1, got {n} x {length}")


def _shaped(n: int, size: int, fs: float, band: tuple[float, float], exponent: float,
            rng: np.random.Generator) -> np.ndarray:
    """(n, size) Gaussian noise with power ∝ f^-exponent inside ``band`` (Hz), none outside."""
    spectrum = np.fft.rfft(rng.standard_normal((n, size)), axis=-1)  # (n, F)
    f = np.fft.rfftfreq(size, 1.0 / fs)
    lo, hi = band[0], min(band[1], 0.45 * fs)
    gain = np.where((f >= lo) & (f <= hi), np.maximum(f, lo) ** (-exponent / 2), 0.0)
    return np.fft.irfft(spectrum * gain, n=size, axis=-1)  # (n, buffer)


def _envelope(n: int, size: int, fs: float, rate_hz: float, width_s: tuple[float, float], floor: float,
              rng: np.random.Generator) -> np.ndarray:
    """(n, size) bursts over ``floor``: Gaussian bumps (heights 0.5-1.5, one width per row drawn
    from ``width_s``) at Poisson times of rate ``rate_hz``; an impulse train smoothed in the
    frequency domain, so a half-hour record costs one FFT, not one array per bump."""
    impulses = np.where(rng.random((n, size)) < rate_hz / fs, rng.uniform(0.5, 1.5, (n, size)), 0.0)
    sigma = rng.uniform(*width_s, (n, 1))  # seconds
    f = np.fft.rfftfreq(size, 1.0 / fs)[None, :]
    kernel = np.exp(-2 * (np.pi * sigma * f) ** 2) * sigma * np.sqrt(2 * np.pi) * fs  # a unit-height bump
    return floor + np.fft.irfft(np.fft.rfft(impulses, axis=-1) * kernel, n=size, axis=-1)


def noise_baseline_wander(n: int, size: int, fs: float, rng: np.random.Generator) -> np.ndarray:
    return _shaped(n, size, fs, (0.05, 0.7), 2.0, rng)


def noise_muscle(n: int, size: int, fs: float, rng: np.random.Generator) -> np.ndarray:
    base = _shaped(n, size, fs, (5.0, 150.0), 0.0, rng)
    slow = _shaped(n, size, fs, (0.2, 1.0), 0.0, rng)  # muscle tension, varying over seconds
    slow /= np.maximum(slow.std(axis=-1, keepdims=True), 1e-12)
    return base * (1.0 + 0.5 * np.tanh(slow))


def noise_electrode_motion(n: int, size: int, fs: float, rng: np.random.Generator) -> np.ndarray:
    base = _shaped(n, size, fs, (0.5, 15.0), 1.0, rng)
    return base * _envelope(n, size, fs, 0.5, (0.1, 0.6), 0.1, rng)


NOISE_METHODS = {
    "bw": noise_baseline_wander,
    "ma": noise_muscle,
    "em": noise_electrode_motion,
}


def ecg_noise(n: int, length: int, fs: float, *, method: str, rng: np.random.Generator) -> np.ndarray:
    """(n, length) float64 noise of kind ``method`` at ``fs`` Hz, each row scaled to unit RMS."""
    _check(n, length, fs)
    try:
        fn = NOISE_METHODS[method]
    except KeyError:
        raise ConfigError(f"unknown ECG noise kind {method!r}; valid: {', '.join(NOISE_METHODS)}") from None
    buffer = fn(n, max(length, int(np.ceil(BUFFER_S[method] * fs))), fs, rng)  # (n, buffer)
    start = rng.integers(0, buffer.shape[-1] - length + 1, n)
    rows = buffer[np.arange(n)[:, None], start[:, None] + np.arange(length)[None, :]]  # (n, length)
    return rows / np.maximum(np.sqrt((rows ** 2).mean(axis=-1, keepdims=True)), 1e-12)


def scale_to_snr(clean: np.ndarray, noise: np.ndarray, snr_db) -> np.ndarray:
    """``noise`` scaled per row (last axis) so that 10·log10(Σ clean² / Σ noise²) = ``snr_db``
    (a number, or one per row)."""
    clean = np.asarray(clean, dtype=np.float64)
    noise = np.asarray(noise, dtype=np.float64)
    p_clean = (clean ** 2).sum(axis=-1, keepdims=True)
    p_noise = (noise ** 2).sum(axis=-1, keepdims=True)
    if np.any(p_clean <= 0):
        raise DataError("a clean row is all zeros: its SNR is undefined; drop flat windows before adding noise")
    if np.any(p_noise <= 0):
        raise DataError("a noise row is all zeros: it cannot be scaled to an SNR")
    target = np.asarray(snr_db, dtype=np.float64)
    target = target.reshape(target.shape + (1,)) if target.ndim else target
    return noise * np.sqrt(p_clean / (p_noise * 10.0 ** (target / 10.0)))


def ecg_add_noise(clean: np.ndarray, fs: float, *, method: str, snr_db, rng: np.random.Generator
                  ) -> tuple[np.ndarray, np.ndarray]:
    """``(noisy, noise)``: ``clean`` (1-D, or rows along the last axis: beats ``(N, T)`` or
    ``(N, C, T)``) plus ``method`` noise at exactly ``snr_db`` per row (a number or one per
    row of the leading axes)."""
    x = np.asarray(clean, dtype=np.float64)
    rows = x.reshape(-1, x.shape[-1])  # (R, T)
    target = np.asarray(snr_db, dtype=np.float64)
    if target.ndim:  # one SNR per leading row, e.g. per beat of (N, C, T): repeated over channels
        target = np.broadcast_to(target.reshape(target.shape + (1,) * (x.ndim - 1 - target.ndim)),
                                 x.shape[:-1]).reshape(-1)
    noise = scale_to_snr(rows, ecg_noise(rows.shape[0], rows.shape[1], fs, method=method, rng=rng), target)
    noise = noise.reshape(x.shape)
    return (x + noise).astype(np.float32), noise.astype(np.float32)
