"""``augment.synthetic``: generated beats go into the training split only; a generator from
another run is checked for shape and for leakage; one-line errors."""

import dataclasses

import numpy as np
import pytest

from seqlab import config
from seqlab.errors import ConfigError, SeqlabError
from seqlab.training.synthetic import SYNTHETIC_GROUP, add_synthetic

from gen_helpers import generator_config, shared_generator, tiny_data


@pytest.fixture(scope="module")
def gen_run(tmp_path_factory):
    return shared_generator(tmp_path_factory)


def classifier_config(synthetic: dict) -> config.RunConfig:
    return config.from_dict({"name": "clf", "data": {"name": "synthetic_waves"},
                             "model": {"name": "tiny_cnn"}, "augment": {"synthetic": synthetic}})


def test_synthetic_beats_are_added_to_the_training_split_only(gen_run, tmp_path):
    data = tiny_data()
    out = add_synthetic(classifier_config({"run": str(gen_run), "per_class": {"S": 50}}), data, tmp_path)
    assert len(out.train) == len(data.train) + 50
    assert out.val is data.val and out.test is data.test
    new = out.train.take(np.flatnonzero(out.train.groups == SYNTHETIC_GROUP))
    assert len(new) == 50 and (new.y == 1).all()
    assert new.x["x"].shape[1:] == data.train.x["x"].shape[1:] and new.x["rr"].shape == (50, 3)
    # RR features of real S training beats (around 0.6)
    assert abs(float(new.x["rr"].mean()) - 0.6) < 0.1
    assert out.summary["synthetic"]["leaked_records"] == []
    assert add_synthetic(classifier_config({"run": str(gen_run), "per_class": {"S": 50}}), data,
                         tmp_path).train.x["x"].shape == out.train.x["x"].shape


def test_a_generator_that_saw_the_test_records_is_reported_as_leakage(gen_run, tmp_path):
    data = tiny_data()
    test = dataclasses.replace(data.test, groups=np.full(len(data.test), "r1"))  # r1 trained the generator
    out = add_synthetic(classifier_config({"run": str(gen_run), "per_class": {"S": 5}}),
                        dataclasses.replace(data, test=test), tmp_path)
    assert out.summary["synthetic"]["leaked_records"] == ["r1"]
    assert any("Leakage" in n for n in out.summary["notes"])


def test_a_generator_config_is_trained_inside_the_run_on_its_training_split(tmp_path, monkeypatch):
    yaml = tmp_path / "gen.yaml"
    cfg = generator_config(epochs=2).to_dict()
    config.save(config.from_dict(cfg), yaml)
    out = add_synthetic(classifier_config({"config": str(yaml), "per_class": {"N": 4, "S": 6}}), tiny_data(),
                        tmp_path / "run")
    assert (tmp_path / "run" / "generator" / "metrics.json").is_file()
    assert len(out.train) == len(tiny_data().train) + 10


def test_incompatible_generator_and_unknown_class_are_one_line_errors(gen_run, tmp_path):
    data = tiny_data()
    short = dataclasses.replace(data, train=data.train.take(np.arange(10)))
    short.train.x["x"] = short.train.x["x"][:, :, :16]
    with pytest.raises(ConfigError, match="shape"):
        add_synthetic(classifier_config({"run": str(gen_run), "per_class": {"S": 5}}), short, tmp_path)
    with pytest.raises(ConfigError, match="'V'|V,"):
        add_synthetic(classifier_config({"run": str(gen_run), "per_class": {"V": 5}}), data, tmp_path)
    with pytest.raises(SeqlabError, match="not found"):
        add_synthetic(classifier_config({"run": str(tmp_path / "none"), "per_class": {"S": 5}}), data, tmp_path)


def test_docstring_example():
    import doctest

    import seqlab.training.synthetic as module

    result = doctest.testmod(module)
    assert result.failed == 0 and result.attempted > 0
