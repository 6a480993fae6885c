"""de Chazal's class-weighted linear discriminant and its run through seqlab's pipeline."""

from pathlib import Path

import numpy as np
import pytest

from seqlab import config as configlib
from seqlab.errors import ConfigError
from seqlab.models.catalog import MODELS
from seqlab.models.dechazal import BlockDiscriminants, WeightedLDA, dechazal_lda

REPO = Path(__file__).resolve().parents[2]
FIX = REPO / "tests" / "fixtures" / "ecg" / "mitdb"


def imbalanced(seed=0, n_major=2000, n_minor=30, d=5):
    rng = np.random.default_rng(seed)
    a = rng.normal(0, 1, (n_major, d))
    b = rng.normal(0, 2.0, (n_minor, d)) + 1.2  # rare class, its own (wider) spread
    return np.r_[a, b], np.r_[np.zeros(n_major, int), np.ones(n_minor, int)]


def test_weighted_lda_is_the_equal_weight_maximum_likelihood_discriminant():
    x, y = imbalanced()
    clf = WeightedLDA().fit(x, y)
    means = [x[y == k].mean(axis=0) for k in (0, 1)]
    pooled = np.mean([np.cov(x[y == k].T, bias=True) for k in (0, 1)], axis=0)  # classes weighted equally
    inv = np.linalg.inv(pooled)
    scores = np.stack([x @ inv @ m - 0.5 * m @ inv @ m for m in means], axis=1)  # equal priors
    expect = np.exp(scores - scores.max(axis=1, keepdims=True))
    expect /= expect.sum(axis=1, keepdims=True)
    assert np.allclose(clf.predict_proba(x), expect, atol=1e-6)


def test_weighting_finds_the_rare_class_that_a_frequency_prior_misses():
    from sklearn.discriminant_analysis import LinearDiscriminantAnalysis

    x, y = imbalanced()
    xt, yt = imbalanced(seed=1)
    rare = yt == 1
    weighted = (WeightedLDA().fit(x, y).predict(xt)[rare] == 1).mean()
    plain = (LinearDiscriminantAnalysis().fit(x, y).predict(xt)[rare] == 1).mean()
    assert weighted >= 0.6 and weighted > plain + 0.2


def saved_and_loaded(estimator, tmp_path):
    """Through the run's model file (skops, seqlab's trusted types only)."""
    from seqlab.inference import sklearn_model

    sklearn_model.save(estimator, tmp_path / "model.skops")
    return sklearn_model.load(tmp_path / "model.skops")


def test_lead_blocks_average_one_discriminant_per_lead(tmp_path):
    x, y = imbalanced(d=7)  # 3 shared columns + 2 blocks of 2
    clf = BlockDiscriminants(shared_columns=3, blocks=2).fit(x, y)
    a = WeightedLDA().fit(x[:, [0, 1, 2, 3, 4]], y).predict_proba(x[:, [0, 1, 2, 3, 4]])
    b = WeightedLDA().fit(x[:, [0, 1, 2, 5, 6]], y).predict_proba(x[:, [0, 1, 2, 5, 6]])
    assert np.allclose(clf.predict_proba(x), (a + b) / 2)
    assert np.allclose(saved_and_loaded(clf, tmp_path).predict_proba(x), clf.predict_proba(x))
    with pytest.raises(ConfigError, match="equal blocks"):
        BlockDiscriminants(shared_columns=2, blocks=2).fit(x, y)
    assert isinstance(dechazal_lda(combine="single"), WeightedLDA)


def test_registered_as_a_classical_model_and_protocol_config_loads():
    assert MODELS.get("dechazal_lda").meta["kind"] == "sklearn"
    cfg = configlib.load(REPO / "configs" / "ecg" / "dechazal-2004.yaml")
    assert cfg.data.features == "dechazal" and cfg.data.extra_lead
    assert cfg.reference["de Chazal 2004"]["per_class"]["S"]["sensitivity"] == 0.759


def test_protocol_trains_and_evaluates_through_the_common_run(tmp_path, monkeypatch):
    from seqlab.report.rundir import read_json
    from seqlab.training.run import train

    monkeypatch.setenv("SEQLAB_DATA", str(tmp_path / "data"))
    cfg = configlib.load(REPO / "configs" / "ecg" / "dechazal-2004.yaml",
                         [f"data.source={FIX}", "data.split=intra", "data.classes=[N, V]"])
    run_dir = train(cfg, tmp_path / "run", report=False)
    metrics = read_json(run_dir / "metrics.json")
    assert metrics["per_class"]["V"]["sensitivity"] > 0.8  # 208's ventricular beats, seen in training
    from seqlab.inference.sklearn_model import load_from_run

    assert load_from_run(run_dir).predict_proba(np.zeros((1, 43))).shape == (1, 2)
    assert read_json(run_dir / "data_summary.json")["features"][:2] == ["rr_pre_s", "rr_post_s"]


def test_beat_lr_is_class_balanced_and_regularised(tmp_path):
    from seqlab.models.dechazal import beat_lr

    x, y = imbalanced()
    xt, yt = imbalanced(seed=1)
    clf = MODELS.get("beat_lr").fn().fit(x * 1000.0, y)  # standardised inside: units do not matter
    assert (clf.predict(xt * 1000.0)[yt == 1] == 1).mean() >= 0.6
    loose = beat_lr(C=100.0).fit(x, y)[-1].coef_
    assert np.abs(clf[-1].coef_).sum() < np.abs(loose).sum()
    assert MODELS.get("beat_lr").meta["kind"] == "sklearn"
    assert np.allclose(saved_and_loaded(clf, tmp_path).predict_proba(xt), clf.predict_proba(xt))


def test_docstring_example():
    import doctest

    import seqlab.models.dechazal as module

    result = doctest.testmod(module)
    assert result.failed == 0 and result.attempted > 0
