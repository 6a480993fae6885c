"""Several seeds of one cross-validation: mean ± sd over seeds and the per-record table."""

from __future__ import annotations

import json

import numpy as np
import pytest

from seqlab.evaluation.metrics import compute
from seqlab.experiments.seeds import format_seeds, summarise_seeds

CLASSES = ["N", "S", "V"]


def seed_run(root, name, pred):
    """A finished --cv-only directory: records a (3 S beats) and b (no S beat)."""
    y = np.array([0, 1, 1, 1, 2, 0, 0, 0, 2])
    groups = np.array(["a"] * 5 + ["b"] * 4)
    probs = np.eye(3)[pred].astype(np.float32)
    run = root / name
    run.mkdir()
    np.savez(run / "cv_predictions.npz", y_true=y, probs=probs, groups=groups, fold=(groups == "b").astype(int))
    (run / "metrics.json").write_text(json.dumps(compute(y, probs, CLASSES)))
    return run


def test_mean_and_sample_sd_over_seeds_and_false_calls_per_record(tmp_path):
    # seed 0 finds 3/3 S in a and calls one of b's N beats S; seed 1 finds 1/3 and no false S
    runs = [seed_run(tmp_path, "s0", [0, 1, 1, 1, 2, 1, 0, 0, 2]),
            seed_run(tmp_path, "s1", [0, 1, 0, 0, 2, 0, 0, 0, 2])]
    summary = summarise_seeds(runs)
    s_se = summary["pooled"]["S sensitivity"]
    assert s_se["mean"] == pytest.approx(2 / 3) and s_se["sd"] == pytest.approx(np.std([1, 1 / 3], ddof=1))
    a, b = summary["per_record"]
    assert (a["record"], a["S"]["n"], a["S"]["sensitivity"], a["S"]["false"]) == ("a", 3, pytest.approx(2 / 3), 0)
    assert (b["record"], b["S"]["n"], b["S"]["sensitivity"], b["S"]["false"]) == ("b", 0, None, 0.5)
    text = format_seeds(summary)
    assert "mean ± sd over 2 seed(s)" in text and "b | 0 | — | 0 | 1 | 100.0 | 0" in text


def test_seeds_need_cross_validation(capsys):
    from seqlab.cli.main import main

    assert main(["reproduce", "inter-patient", "--seeds", "3"]) != 0
    assert "add --cv-only" in capsys.readouterr().err
