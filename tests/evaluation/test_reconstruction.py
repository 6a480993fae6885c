"""Reconstruction metrics: SNR, PRD, MSE / MAE against hand-computed values, the cap on an
exact copy, and the anomaly ROC-AUC of the reconstruction error."""

import json

import numpy as np
import pytest

from seqlab.evaluation import reconstruction as rec


def test_snr_and_prd_by_hand():
    s = np.array([[3.0, 4.0], [1.0, 0.0]])  # powers 25 and 1
    e = np.array([[3.0, 3.0], [0.0, 0.0]])  # errors 1 and 1
    np.testing.assert_allclose(rec.snr_db(s, e), [10 * np.log10(25), 0.0])
    np.testing.assert_allclose(rec.prd_percent(s, e), [20.0, 100.0])
    np.testing.assert_allclose(rec.row_errors(s, e), [0.5, 0.5])
    m = rec.summary(s, e)
    assert m["mse"] == pytest.approx(0.5) and m["mae"] == pytest.approx(0.5)
    assert m["snr_db"] == pytest.approx((10 * np.log10(25) + 0.0) / 2)
    assert m["snr_db_pooled"] == pytest.approx(10 * np.log10(26 / 2))
    assert m["prd"] == pytest.approx(60.0)


def test_channels_of_a_beat_count_together_and_shapes_must_match():
    s = np.ones((2, 2, 5))
    e = s.copy()
    e[:, 1] = 0.0  # one channel lost: half the power in error
    np.testing.assert_allclose(rec.snr_db(s, e), [10 * np.log10(2)] * 2)
    with pytest.raises(ValueError, match="differ in shape"):
        rec.snr_db(s, e[:, :1])


def test_an_exact_copy_is_capped_and_json_safe():
    s = np.random.default_rng(0).standard_normal((3, 50))
    assert np.all(rec.snr_db(s, s) == rec.MAX_SNR_DB)
    m = rec.compute(s, s.copy())
    json.dumps(m, allow_nan=False)  # no infinity or NaN in metrics.json
    assert m["prd"] == 0.0 and m["snr_db_pooled"] == rec.MAX_SNR_DB


def test_anomaly_auroc_from_reconstruction_error():
    rng = np.random.default_rng(1)
    s = rng.standard_normal((60, 1, 20))
    y = np.repeat([0, 1, 2], 20)  # N, S, V
    noise = np.where(y[:, None, None] == 2, 1.0, np.where(y[:, None, None] == 1, 0.055, 0.05))
    e = s + noise * rng.standard_normal(s.shape)
    m = rec.compute(s, e, y, ["N", "S", "V"], normal="N")
    assert m["task"] == "reconstruction" and m["n_samples"] == 60
    assert m["anomaly"]["normal"] == "N"
    assert m["anomaly"]["per_class"]["V"] == 1.0  # V reconstructs far worse than every N
    assert 0.5 < m["anomaly"]["per_class"]["S"] < 1.0
    assert m["per_class"]["V"]["support"] == 20 and m["per_class"]["V"]["mse"] > m["per_class"]["N"]["mse"]
    # swapping the scores' meaning would give 1 - AUC: the error is the score of "not normal"
    assert m["anomaly"]["per_class"]["S"] < m["anomaly"]["auroc"] < 1.0


def test_no_anomaly_score_without_both_sides():
    s = np.ones((4, 3))
    assert rec.compute(s, s, np.zeros(4, int), ["N", "V"])["anomaly"] is None  # no abnormal beat
    assert rec.compute(s, s, np.ones(4, int), ["N", "V"])["anomaly"] is None  # no normal beat
    assert rec.compute(s, s, np.zeros(4, int), ["A", "B"], normal="N")["anomaly"] is None  # no class N


def test_docstring_example():
    import doctest

    result = doctest.testmod(rec)
    assert result.failed == 0 and result.attempted > 0


def test_no_anomaly_score_when_no_normal_class_is_named():
    s = np.ones((4, 3))
    m = rec.compute(s, s, np.array([0, 0, 1, 1]), ["N", "V"], normal=None)
    assert m["anomaly"] is None and set(m["per_class"]) == {"N", "V"}
