"""Tabular datasets: the CSV reader, the toy problems, the split and a scaler fitted on train only."""

import numpy as np
import pytest

from seqlab import config
from seqlab.data.catalog import prepare_data
from seqlab.data.tabular import CsvConfig, ToyConfig, linearly_separable
from seqlab.errors import ConfigError, DataError


def write_csv(path, rows, header="height,weight,colour,label"):
    path.write_text(header + "\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def flowers(tmp_path):
    rng = np.random.default_rng(0)
    rows = []
    for i in range(90):
        label = ["setosa", "virginica", "versicolor"][i % 3]
        rows.append(f"{rng.normal(10 + 5 * (i % 3), 1):.3f},{rng.normal(100, 20):.3f},{i % 7},{label}")
    return write_csv(tmp_path / "flowers.csv", rows)


def csv_data(path, **kw):
    return prepare_data(CsvConfig(name="csv", path=str(path), target=kw.pop("target", "label"), **kw), seed=0)


def test_csv_classification_standardises_with_the_training_rows_only(flowers):
    d = csv_data(flowers)
    assert d.task == "classification" and d.classes == ["setosa", "versicolor", "virginica"]
    assert d.summary["features"] == ["height", "weight", "colour"]  # every column but the target
    assert np.allclose(d.train.x.mean(0), 0, atol=1e-5) and np.allclose(d.train.x.std(0), 1, atol=1e-4)
    raw = np.loadtxt(flowers, delimiter=",", skiprows=1, usecols=(0, 1, 2))
    scale = d.summary["feature_scale"]
    rebuilt = np.concatenate([d.train.x, d.val.x, d.test.x]) * scale["std"] + scale["mean"]
    assert np.allclose(np.sort(rebuilt, axis=0), np.sort(raw, axis=0), atol=1e-3)  # no row lost or mixed
    assert not np.allclose(scale["mean"], raw.mean(0))  # the val and test rows did not shape the scaler
    for split in (d.train, d.val, d.test):  # stratified: every class in every split
        assert set(split.y.tolist()) == {0, 1, 2}
    assert d.model_kwargs == {"in_channels": 3}
    assert sum(d.summary["rows"].values()) == 90


def test_csv_regression_keeps_real_targets_and_their_scale(flowers):
    d = csv_data(flowers, target="weight", features=["height"], task="regression")
    assert d.task == "regression" and d.classes == ["weight"] and d.train.y.dtype == np.float32
    assert d.summary["target_scale"] == pytest.approx([d.train.y.mean(), d.train.y.std()], rel=1e-5)
    assert d.class_counts() == {}  # no classes to count
    assert "linearly_separable" not in d.summary


def test_numeric_class_labels_sort_as_numbers(tmp_path):
    rows = [f"{i},{i * 2},0,{[2, 10, 1][i % 3]}" for i in range(30)]
    assert csv_data(write_csv(tmp_path / "n.csv", rows)).classes == ["1", "2", "10"]


@pytest.mark.parametrize("rows, kw, match", [
    (["1,2,3,a", "1,2,,b"], {}, "data row 2, column 'colour' is empty"),
    (["1,2,3,a", "1,x,3,b"], {}, "data row 2, column 'weight' holds 'x'"),
    (["1,2,3,a", "1,2,3"], {}, "data row 2 has 3 fields"),
    (["1,2,3,a", "1,2,3,a"], {}, "one class only"),
    (["1,2,3,a", "1,2,3,b"], {"target": "size"}, "no column 'size'; columns: height, weight, colour, label"),
    (["1,2,3,a", "1,2,3,b"], {"features": ["label"]}, "other than the target"),
])
def test_bad_csv_files_are_one_line_data_errors(tmp_path, rows, kw, match):
    with pytest.raises(DataError, match=match):
        csv_data(write_csv(tmp_path / "bad.csv", rows), **kw)


def test_a_missing_file_names_the_key_to_fix(tmp_path):
    with pytest.raises(DataError, match="CSV file not found: .*nope.csv; set data.path"):
        csv_data(tmp_path / "nope.csv")


def test_too_few_rows_for_the_fractions_is_an_error(tmp_path):
    with pytest.raises(DataError, match="leave no"):
        csv_data(write_csv(tmp_path / "tiny.csv", ["1,2,3,a", "2,3,4,b"]))


def test_a_class_sampler_on_a_regression_target_is_a_config_error(flowers):
    raw = {"data": {"name": "csv", "path": str(flowers), "target": "weight", "task": "regression",
                    "sampler": "weighted_sampler"}, "model": {"name": "linear"}}
    with pytest.raises(ConfigError, match="regression target has none"):
        config.from_dict(raw)
    with pytest.raises(ConfigError, match="task"):
        config.from_dict({**raw, "data": {**raw["data"], "task": "ordinal", "sampler": "none"}})


def test_toy_line_records_the_truth_and_is_deterministic():
    cfg = ToyConfig(name="toy", kind="line", slope=3.0, intercept=0.5)
    d, again = prepare_data(cfg, seed=1), prepare_data(cfg, seed=1)
    assert d.task == "regression" and np.array_equal(d.train.x, again.train.x)
    assert d.summary["truth"] == {"slopes": {"x": 3.0}, "intercept": 0.5}
    assert "y = 3·x + 0.5" in d.summary["notes"][0]
    assert not np.array_equal(d.train.x, prepare_data(cfg, seed=2).train.x)


def test_toy_xor_is_not_linearly_separable_and_blobs_are():
    xor = prepare_data(ToyConfig(name="toy", kind="xor", noise=0.2), seed=0)
    assert xor.summary["linearly_separable"] is False
    assert any("not linearly separable" in n for n in xor.summary["notes"])
    blobs = prepare_data(ToyConfig(name="toy", kind="blobs", n_classes=3, noise=0.3), seed=0)
    assert blobs.summary["linearly_separable"] is True and blobs.classes == ["A", "B", "C"]


def test_linear_separability_check():
    corners = np.array([[0.0, 0], [0, 1], [1, 0], [1, 1]])
    assert linearly_separable(corners, np.array([0, 0, 0, 1]), 2) is True  # AND
    assert linearly_separable(corners, np.array([0, 1, 1, 0]), 2) is False  # XOR
    # three classes, each separable from the others only by a multiclass (Kesler) boundary
    points = np.array([[0.0, 0], [0.1, 0], [5, 0], [5.1, 0], [10, 0], [10.1, 0]])
    assert linearly_separable(points, np.array([0, 0, 1, 1, 2, 2]), 3) is True
