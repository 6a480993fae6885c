"""Regression metrics (MSE, MAE, RMSE, R²) in the target's own units, and the coefficients of a
linear model read back in the units of the raw features.

Training standardises the target (and usually the features) with statistics fitted on the
training split; a reader wants the error in the target's units and the fitted line as
``y = slope·x + intercept`` of the data they gave, so both are mapped back here.

R² = 1 − SS_res / SS_tot with SS_tot around the evaluated split's own mean (scikit-learn's
``r2_score``): 0 is as good as predicting that mean, negative is worse.

>>> import numpy as np
>>> m = compute(np.array([1.0, 2.0, 3.0]), np.array([1.0, 2.0, 4.0]))
>>> round(m["mse"], 4), round(m["mae"], 4), round(m["r2"], 2)
(0.3333, 0.3333, 0.5)
"""

from __future__ import annotations

from typing import Any

import numpy as np

METRICS = ("mse", "mae", "rmse", "r2")


def compute(y_true: np.ndarray, y_pred: np.ndarray, y_var: np.ndarray | None = None) -> dict[str, Any]:
    """The regression ``metrics.json`` dict; with predicted variances also the mean Gaussian
    negative log-likelihood (per sample, including the ½·log 2π constant)."""
    y_true = np.asarray(y_true, dtype=np.float64).reshape(-1)
    y_pred = np.asarray(y_pred, dtype=np.float64).reshape(-1)
    if len(y_true) != len(y_pred):
        raise ValueError(f"{len(y_pred)} predictions for {len(y_true)} targets")
    err = y_pred - y_true
    n = len(y_true)
    mse = float(np.mean(err ** 2)) if n else None
    ss_tot = float(np.sum((y_true - y_true.mean()) ** 2)) if n else 0.0
    out: dict[str, Any] = {
        "task": "regression",
        "mse": mse,
        "mae": float(np.mean(np.abs(err))) if n else None,
        "rmse": float(np.sqrt(mse)) if n else None,
        "r2": 1.0 - float(np.sum(err ** 2)) / ss_tot if ss_tot > 0 else None,
        "n_samples": n,
        "target_mean": float(y_true.mean()) if n else None,
        "target_std": float(y_true.std()) if n else None,
    }
    if y_var is not None and n:
        var = np.maximum(np.asarray(y_var, dtype=np.float64).reshape(-1), 1e-12)
        out["gaussian_nll"] = float(np.mean(0.5 * (np.log(2 * np.pi * var) + err ** 2 / var)))
    return out


def unscale(values: np.ndarray, scale: tuple[float, float] | list[float] | None, *, variance: bool = False
            ) -> np.ndarray:
    """Standardised network outputs -> target units: ``v·sd + mean`` (a variance: ``v·sd²``).

    >>> unscale(np.array([0.0, 1.0]), (10.0, 2.0)).tolist()
    [10.0, 12.0]
    """
    values = np.asarray(values, dtype=np.float64)
    if scale is None:
        return values
    mean, sd = scale
    return values * sd ** 2 if variance else values * sd + mean


def linear_coefficients(at_zero: float, at_units: np.ndarray, features: list[str],
                        feature_scale: dict[str, list[float]] | None,
                        target_scale: tuple[float, float] | list[float] | None) -> dict[str, Any]:
    """Slope per raw feature and intercept of an affine model ``f``, from ``f(0)`` and
    ``f(e_j)`` in standardised units (``e_j``: unit vector of feature j). With
    ``z_j = (x_j − m_j)/s_j`` and ``y = sd·f(z) + mean``: slope_j = sd·w_j/s_j and
    intercept = mean + sd·(b − Σ_j w_j·m_j/s_j).

    >>> c = linear_coefficients(0.5, np.array([1.5]), ["x"], {"mean": [2.0], "std": [4.0]}, (1.0, 2.0))
    >>> c["slopes"], c["intercept"]
    ({'x': 0.5}, 1.0)
    """
    w = np.asarray(at_units, dtype=np.float64) - at_zero
    b = float(at_zero)
    m = np.asarray(feature_scale["mean"]) if feature_scale else np.zeros_like(w)
    s = np.asarray(feature_scale["std"]) if feature_scale else np.ones_like(w)
    mean, sd = target_scale if target_scale is not None else (0.0, 1.0)
    slopes = sd * w / s
    intercept = mean + sd * (b - float(np.sum(w * m / s)))
    return {"slopes": {f: float(v) for f, v in zip(features, slopes)}, "intercept": float(intercept)}
