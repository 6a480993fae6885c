"""Every ``configs/basics`` experiment runs in seconds and shows what it is there to show.

Each run is trained once (train -> checkpoint -> evaluate -> report) and read by its test.
"""

import json

import numpy as np
import pytest
import torch
import yaml

from seqlab import config
from seqlab.data.catalog import prepare_data
from seqlab.errors import ConfigError
from seqlab.evaluation import regression
from seqlab.training import run
from seqlab.training.module import RegressionSums
from testpaths import REPO

BASICS = REPO / "configs" / "basics"


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("basics")
    cache = {}

    def get(name: str, report: bool = True):
        if name not in cache:
            cache[name] = run.train(config.load(BASICS / f"{name}.yaml"), root / name, report=report)
        return cache[name]

    return get


def metrics(run_dir):
    return json.loads((run_dir / "metrics.json").read_text())


def test_there_is_a_config_for_each_basic():
    assert sorted(p.stem for p in BASICS.glob("*.yaml")) == ["blobs_logistic", "blobs_softmax", "line",
                                                            "xor_linear", "xor_mlp"]


def test_line_recovers_slope_and_intercept_within_2_percent(runs):
    out = runs("line")
    m = metrics(out)
    assert m["task"] == "regression" and m["r2"] > 0.99
    assert m["linear_fit"]["slopes"]["x"] == pytest.approx(2.0, rel=0.02)
    assert m["linear_fit"]["intercept"] == pytest.approx(-1.0, rel=0.02)
    trainer = yaml.safe_load((out / "config.yaml").read_text())["trainer"]
    assert (trainer["monitor"], trainer["mode"]) == ("val/loss", "min")  # chosen for a regression target
    with np.load(out / "predictions_test.npz") as z:  # the saved predictions give the saved metrics
        assert regression.compute(z["y_true"], z["y_pred"])["mse"] == pytest.approx(m["mse"])
    html = (out / "report.html").read_text()
    for what in ("Fitted line", 'alt="predicted vs true"', 'alt="residuals"', "<th>R²</th>"):
        assert what in html
    assert "confusion matrix" not in html and "Macro averages" not in html


def test_exported_regression_model_says_how_to_read_its_output(runs):
    """model.onnx.json of a regression run: one column in standardised units, mapped back by
    the training target's mean and sd — not "softmax of logits" over classes."""
    meta = json.loads((runs("line") / "checkpoints" / "model.onnx.json").read_text())
    assert "probabilities" not in meta and "classes" not in meta
    assert meta["outputs"][0]["shape"] == ["batch", 1] and meta["target"] == "y"
    mean, sd = json.loads((runs("line") / "data_summary.json").read_text())["target_scale"]
    assert meta["prediction"] == f"column 0 x {sd} + {mean} in the target's units"


@pytest.mark.parametrize("name, classes, least", [("blobs_logistic", 2, 0.95), ("blobs_softmax", 3, 0.95)])
def test_blobs_are_classified(runs, name, classes, least):
    m = metrics(runs(name, report=False))
    assert len(m["classes"]) == classes and m["accuracy"] >= least and m["model_is_linear"] is True


def test_xor_mlp_reaches_100_percent(runs):
    out = runs("xor_mlp")
    assert metrics(out)["accuracy"] == 1.0
    assert "hidden layer(s) with a non-linearity bend its decision boundary" in (out / "report.html").read_text()


def test_a_single_layer_model_cannot_and_the_report_says_why(runs):
    out = runs("xor_linear")
    assert metrics(out)["accuracy"] <= 0.8
    html = (out / "report.html").read_text()
    assert "Why not 100 %: this model is linear" in html and "not linearly separable" in html


def test_gaussian_nll_on_a_csv_target_with_an_mlp(tmp_path):
    rng = np.random.default_rng(0)
    x = rng.uniform(-2, 2, (300, 2))
    y = 3 * x[:, 0] - x[:, 1] ** 2 + rng.normal(0, 0.3, 300)
    path = tmp_path / "t.csv"
    path.write_text("a,b,y\n" + "\n".join(f"{p:.4f},{q:.4f},{v:.4f}" for (p, q), v in zip(x, y)))
    cfg = config.load(BASICS / "line.yaml", [
        "data={name: csv, path: '" + str(path) + "', target: y, task: regression, batch_size: 32}",
        "model={name: mlp, hidden_sizes: [16], loss: gaussian_nll}", "optim={name: adam, lr: 0.01}",
        "trainer.max_epochs=8", "trainer.monitor=val/r2"])
    out = run.train(cfg, tmp_path / "run", report=False)
    m = metrics(out)
    assert m["r2"] > 0.8 and np.isfinite(m["gaussian_nll"]) and "linear_fit" not in m
    assert yaml.safe_load((out / "config.yaml").read_text())["trainer"]["mode"] == "max"  # r2: higher is better
    with np.load(out / "predictions_test.npz") as z:
        assert (z["y_std"] > 0).all()


def test_regression_runs_refuse_what_they_cannot_use():
    data = prepare_data(config.load(BASICS / "line.yaml").data, seed=0)
    for override, match in [("trainer.monitor=val/macro_f1", "not logged for a regression target"),
                            ("optim.class_weights=balanced", "weighs classes"),
                            ("model={name: beat_lr}", "needs a network")]:
        with pytest.raises(ConfigError, match=match):
            run.for_task(config.load(BASICS / "line.yaml", [override]), data)
    classification = prepare_data(config.load(BASICS / "xor_mlp.yaml").data, seed=0)
    cfg = config.load(BASICS / "xor_mlp.yaml")
    assert run.for_task(cfg, classification) is cfg  # classes: nothing changes


def test_epoch_metrics_match_the_evaluation_metrics():
    rng = np.random.default_rng(3)
    y, pred = rng.normal(2, 3, 100), rng.normal(2, 3, 100)
    sums = RegressionSums()
    for part in np.array_split(np.arange(100), 7):  # accumulated over batches
        sums.update(torch.tensor(pred[part]), torch.tensor(y[part]))
    got, want = sums.compute(), regression.compute(y, pred)
    for key in ("mse", "mae", "rmse", "r2"):
        assert got[key] == pytest.approx(want[key])
