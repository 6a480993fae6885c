"""Regression metrics agree with scikit-learn and torch, and a linear fit reads back in raw units."""

import numpy as np
import pytest
import torch
from sklearn.metrics import mean_absolute_error, mean_squared_error, r2_score

from seqlab.evaluation import regression


def test_metrics_match_scikit_learn():
    rng = np.random.default_rng(0)
    y = rng.normal(5, 2, 200)
    pred = y + rng.normal(0, 0.5, 200)
    m = regression.compute(y, pred)
    assert m["task"] == "regression" and m["n_samples"] == 200
    assert m["mse"] == pytest.approx(mean_squared_error(y, pred))
    assert m["mae"] == pytest.approx(mean_absolute_error(y, pred))
    assert m["rmse"] == pytest.approx(np.sqrt(mean_squared_error(y, pred)))
    assert m["r2"] == pytest.approx(r2_score(y, pred))
    assert "gaussian_nll" not in m


def test_predicting_the_mean_scores_r2_zero_and_a_constant_target_has_none():
    y = np.array([1.0, 2.0, 3.0, 4.0])
    assert regression.compute(y, np.full(4, 2.5))["r2"] == pytest.approx(0.0)
    assert regression.compute(np.ones(4), np.ones(4))["r2"] is None  # no spread: R² undefined


def test_gaussian_nll_matches_torch():
    rng = np.random.default_rng(1)
    y, mean, var = rng.normal(size=50), rng.normal(size=50), rng.uniform(0.1, 2, 50)
    want = torch.nn.functional.gaussian_nll_loss(torch.tensor(mean), torch.tensor(y), torch.tensor(var), full=True)
    assert regression.compute(y, mean, var)["gaussian_nll"] == pytest.approx(float(want))


def test_mismatched_lengths_are_refused():
    with pytest.raises(ValueError, match="3 predictions for 2 targets"):
        regression.compute(np.zeros(2), np.zeros(3))


def test_unscale_maps_back_values_and_variances():
    assert regression.unscale(np.array([0.0, 1.0]), [3.0, 2.0]).tolist() == [3.0, 5.0]
    assert regression.unscale(np.array([1.0]), [3.0, 2.0], variance=True).tolist() == [4.0]
    assert regression.unscale(np.array([7.0]), None).tolist() == [7.0]


def test_linear_coefficients_undo_both_standardisations():
    """An affine map fitted on z-scored features and target reads back as the raw line."""
    rng = np.random.default_rng(2)
    x = rng.uniform(-10, 30, (100, 2))
    slopes, intercept = np.array([1.5, -0.25]), 7.0
    y = x @ slopes + intercept
    m, s = x.mean(0), x.std(0)
    my, sy = y.mean(), y.std()
    w, b = slopes * s / sy, (intercept + m @ slopes - my) / sy  # the same map in standardised units
    fit = regression.linear_coefficients(b, b + w, ["a", "b"], {"mean": m.tolist(), "std": s.tolist()}, [my, sy])
    assert fit["slopes"]["a"] == pytest.approx(1.5) and fit["slopes"]["b"] == pytest.approx(-0.25)
    assert fit["intercept"] == pytest.approx(7.0)
