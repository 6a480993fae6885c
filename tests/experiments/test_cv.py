"""Cross-validation: folds cover the pooled train+val exactly once, groups never straddle a
fold, the test split is never used, and the summary adds up."""

import json

import numpy as np
import pytest

from seqlab import config
from seqlab.cli.main import main
from seqlab.data.base import Split
from seqlab.data.catalog import prepare_data
from seqlab.errors import ConfigError
from seqlab.experiments import cv
from seqlab.report.cv import write_cv_report

from testpaths import SMOKE


@pytest.fixture(scope="module")
def smoke_data():
    return prepare_data(config.load(SMOKE).data, 0)


@pytest.mark.parametrize("grouped", [True, False])
def test_folds_partition_the_pool(smoke_data, grouped):
    pooled = cv.concat(smoke_data.train, smoke_data.val)
    folds = cv.fold_indices(pooled, 4, grouped=grouped, seed=0)
    held = np.concatenate([te for _, te in folds])
    assert sorted(held.tolist()) == list(range(len(pooled)))
    for tr, te in folds:
        assert not set(tr) & set(te)
        if grouped:
            assert not set(pooled.groups[tr]) & set(pooled.groups[te])


def test_group_folds_need_groups_and_enough_of_them():
    split = Split(np.zeros((10, 1, 4), np.float32), np.arange(10) % 2, None)
    with pytest.raises(ConfigError, match="--stratified"):
        cv.fold_indices(split, 3, grouped=True, seed=0)
    split.groups = np.array([0, 1] * 5)
    with pytest.raises(ConfigError, match="at least 3 groups"):
        cv.fold_indices(split, 3, grouped=True, seed=0)


def test_cv_writes_fold_runs_and_an_aggregate_report(tmp_path, smoke_data):
    cfg = config.load(SMOKE, ["trainer.max_epochs=1"])
    s = cv.run_cv(cfg, tmp_path / "cv", folds=3, data=smoke_data)
    assert [r["fold"] for r in s["per_fold"]] == ["fold_00", "fold_01", "fold_02"]
    held = [set(r["held_out_groups"]) for r in s["per_fold"]]
    test_groups = {str(g) for g in np.unique(smoke_data.test.groups)}
    assert not set.union(*held) & test_groups  # the test split stays untouched
    assert sum(len(h) for h in held) == len(set.union(*held))
    cm = np.array(s["summed_confusion"]["confusion_matrix"])
    assert cm.sum() == len(smoke_data.train) + len(smoke_data.val) == s["n_pooled"]
    f1s = [r["macro_f1"] for r in s["per_fold"]]
    assert s["headline"]["macro_f1"]["mean"] == pytest.approx(np.mean(f1s))
    assert s["headline"]["macro_f1"]["std"] == pytest.approx(np.std(f1s, ddof=1))
    for c in smoke_data.classes:
        assert set(s["per_class"][c]) == {"sensitivity", "ppv", "f1"}
    on_disk = json.loads((tmp_path / "cv" / "cv_summary.json").read_text())
    assert on_disk["folds"] == 3 and on_disk["grouped"] is True
    assert not (tmp_path / "cv" / "cv_report.html").exists()  # experiments return results; report/ writes HTML
    html = write_cv_report(tmp_path / "cv", s).read_text()
    assert "Summed confusion matrix" in html and "fold_02" in html
    for r in s["per_fold"]:  # each fold is an ordinary run directory, evaluated on its held-out fold
        m = json.loads((tmp_path / "cv" / r["fold"] / "metrics.json").read_text())
        assert m["split"] == "test" and m["n_samples"] == r["n_test"]


def test_cv_cli_stratified(tmp_path, capsys):
    assert main(["cv", str(SMOKE), "--folds", "2", "--stratified", "--out", str(tmp_path / "cv"),
                 "trainer.max_epochs=1"]) == 0
    out = capsys.readouterr().out
    assert "2-fold stratified CV" in out and "macro_f1" in out
