"""Metric definitions checked against confusion matrices computed by hand."""

import numpy as np
import pytest

from seqlab.evaluation.metrics import compute, from_confusion


def test_per_class_figures_match_hand_computation():
    # true\pred   a  b  c
    cm = np.array([[5, 1, 0],   # a: TP 5, FN 1
                   [2, 3, 1],   # b: TP 3, FN 3
                   [0, 0, 4]])  # c: TP 4, FN 0
    m = from_confusion(cm, ["a", "b", "c"])
    assert m["accuracy"] == pytest.approx(12 / 16)
    a, b, c = (m["per_class"][k] for k in "abc")
    assert a["sensitivity"] == pytest.approx(5 / 6)
    assert a["ppv"] == pytest.approx(5 / 7)
    assert a["specificity"] == pytest.approx(8 / 10)  # TN = 16 - 5 - 1 - 2
    assert b["ppv"] == pytest.approx(3 / 4)
    assert b["f1"] == pytest.approx(2 * (3 / 4) * (3 / 6) / (3 / 4 + 3 / 6))
    assert c["specificity"] == pytest.approx(11 / 12)
    assert c["support"] == 4
    assert m["macro_sensitivity"] == pytest.approx((5 / 6 + 3 / 6 + 1) / 3)


def test_class_never_predicted_has_zero_ppv_and_f1():
    cm = np.array([[4, 0], [2, 0]])  # class b present, never predicted
    m = from_confusion(cm, ["a", "b"])
    assert m["per_class"]["b"] == {"sensitivity": 0.0, "specificity": 1.0, "ppv": 0.0, "f1": 0.0, "support": 2}
    assert m["macro_ppv"] == pytest.approx((4 / 6 + 0) / 2)


def test_absent_class_is_left_out_of_macro_averages():
    # AAMI-style: class Q absent from this split; it must not count as an F1 of 0
    cm = np.array([[8, 2, 0], [1, 9, 0], [0, 0, 0]])
    m = from_confusion(cm, ["N", "V", "Q"])
    assert m["absent_classes"] == ["Q"]
    assert m["per_class"]["Q"]["f1"] is None and m["per_class"]["Q"]["support"] == 0
    f1_n = 2 * (8 / 9) * (8 / 10) / (8 / 9 + 8 / 10)
    f1_v = 2 * (9 / 11) * (9 / 10) / (9 / 11 + 9 / 10)
    assert m["macro_f1"] == pytest.approx((f1_n + f1_v) / 2)


def test_compute_schema_and_auroc():
    y = np.array([0, 0, 1, 1, 2, 2])
    probs = np.array([[.8, .1, .1], [.6, .3, .1], [.2, .7, .1], [.4, .5, .1], [.1, .2, .7], [.3, .3, .4]])
    m = compute(y, probs, ["x", "y", "z"])
    for key in ("classes", "accuracy", "macro_f1", "macro_sensitivity", "macro_ppv", "auroc_macro",
                "confusion_matrix", "per_class", "n_samples"):
        assert key in m
    assert m["n_samples"] == 6 and m["accuracy"] == 1.0
    assert m["auroc_macro"] == pytest.approx(1.0)
    assert set(m["per_class"]["x"]) >= {"sensitivity", "specificity", "ppv", "f1", "support", "auroc"}


def test_binary_auroc_against_ranking():
    y = np.array([0, 0, 1, 1])
    p1 = np.array([0.1, 0.6, 0.4, 0.9])  # pairs (pos>neg): 0.4>0.1, 0.9>0.1, 0.9>0.6 -> 3/4
    m = compute(y, np.stack([1 - p1, p1], axis=1), ["neg", "pos"])
    assert m["per_class"]["pos"]["auroc"] == pytest.approx(0.75)


def test_mismatched_shapes_are_rejected():
    with pytest.raises(ValueError, match="does not match"):
        compute(np.array([0, 1]), np.ones((3, 2)), ["a", "b"])
