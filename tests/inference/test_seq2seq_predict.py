"""A trained sequence model through the per-beat paths: evaluation, ``seqlab predict`` (one
row per beat, torch engine), ``seqlab export`` (refused in one line), records kept apart."""

from __future__ import annotations

import json

import numpy as np
import pytest
from ecg_runs import FIX, train_tiny

from seqlab.cli.main import main
from seqlab.data.ecg.segment import beats_from_record, read_record_for
from seqlab.inference.loading import load_model
from seqlab.inference.prefetch import run_beat_options
from seqlab.inference.proba import predict_proba


@pytest.fixture(scope="module")
def s2s_run(tmp_path_factory):
    """seq2seq_lstm trained one epoch on fixture record 101 (windows of 4 beats), 208 unseen."""
    run_dir, _ = train_tiny(
        tmp_path_factory.mktemp("s2s"), "s2s-predict",
        data={"labels": "aami5", "classes": ["N", "S", "V", "F"], "batch_size": 4, "beat_sequence": {"length": 4}},
        model={"name": "seq2seq_lstm", "hidden_size": 8, "channels": [4, 8], "beat_features": 16, "pool_len": 4})
    return run_dir


def test_training_evaluates_every_test_beat_and_exports_nothing(s2s_run):
    metrics = json.loads((s2s_run / "metrics.json").read_text())
    with np.load(s2s_run / "predictions_test.npz") as z:
        probs, n = z["probs"], len(z["y_true"])
    assert probs.shape == (n, 4) and np.allclose(probs.sum(1), 1, atol=1e-5)
    assert sum(map(sum, metrics["confusion_matrix"])) == n > 30  # every test beat, once
    assert not (s2s_run / "checkpoints" / "model.onnx").exists()


def test_export_is_refused_in_one_line(s2s_run, capsys):
    assert main(["export", str(s2s_run)]) != 0
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "no ONNX export" in err and "uses torch" in err


def test_per_beat_attributions_are_refused_in_one_line(s2s_run, tmp_path, capsys):
    assert main(["explain", str(s2s_run), str(FIX / "208"), "--out", str(tmp_path / "x")]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "windows of consecutive beats" in err


def test_predict_writes_one_row_per_beat_with_torch(s2s_run, tmp_path, capsys):
    out = tmp_path / "208.csv"
    assert main(["predict", str(s2s_run), str(FIX / "208"), "--out", str(out)]) == 0
    assert "torch" in capsys.readouterr().out
    rows = out.read_text().splitlines()[1:]
    opts = run_beat_options(s2s_run)  # the detector's peaks, as predict takes them
    _, peaks = beats_from_record(read_record_for(FIX / "208", opts), opts)
    assert [int(r.split(",")[0]) for r in rows] == peaks.tolist()  # one row per detected beat, in order
    probs = np.array([[float(v) for v in r.split(",")[3:]] for r in rows])
    assert probs.shape == (len(peaks), 4) and np.allclose(probs.sum(1), 1, atol=1e-3)


def test_records_are_kept_apart_and_batch_size_does_not_matter(s2s_run):
    model = load_model(s2s_run)
    opts = run_beat_options(s2s_run, "atr")
    a, _ = beats_from_record(read_record_for(FIX / "101", opts, "atr"), opts)
    b, _ = beats_from_record(read_record_for(FIX / "208", opts, "atr"), opts)
    both = {k: np.concatenate([a[k], b[k]]) for k in a}
    groups = np.array(["101"] * len(a["x"]) + ["208"] * len(b["x"]))
    alone = np.concatenate([predict_proba(model, a), predict_proba(model, b)])
    np.testing.assert_allclose(predict_proba(model, both, groups=groups), alone, atol=1e-6)
    np.testing.assert_allclose(predict_proba(model, both, batch_size=9, groups=groups), alone, atol=1e-6)
