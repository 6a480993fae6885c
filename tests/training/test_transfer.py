"""Transfer learning: init_from another run (head skipped when the class count differs),
freeze by regex, unfreeze at an epoch, and the worked-example configs load."""

import json
import os
from pathlib import Path

import pytest
import torch

from seqlab import config
from seqlab.errors import ConfigError, SeqlabError
from seqlab.models.tiny import tiny_cnn
from seqlab.training import run, transfer
from seqlab.inference.loading import load_checkpoint

from testpaths import REPO, SMOKE


def source_tensors(run_dir: Path) -> dict:
    return transfer.source_weights(run_dir)[0]


def test_init_from_skips_the_head_when_the_class_count_differs(smoke_run, capsys):
    model = tiny_cnn(num_classes=2)
    info = transfer.init_from(model, smoke_run)
    src = source_tensors(smoke_run)
    assert sorted(s["name"] for s in info["skipped"]) == ["head.2.bias", "head.2.weight"]
    assert "shape (3, 16) in source, (2, 16) here" in info["skipped"][0]["reason"] + info["skipped"][1]["reason"]
    for name in info["loaded"]:
        assert torch.equal(model.state_dict()[name], src[name])
    assert "loaded 4 tensors, skipped 2" in capsys.readouterr().err


def test_init_from_a_missing_run_or_an_unrelated_model_is_an_error(tmp_path, smoke_run):
    with pytest.raises(SeqlabError, match="not found"):
        transfer.init_from(tiny_cnn(num_classes=3), tmp_path)
    with pytest.raises(SeqlabError, match="no tensor"):
        transfer.init_from(torch.nn.Sequential(torch.nn.Linear(3, 3)), smoke_run)


def test_freeze_patterns_are_checked():
    model = tiny_cnn(num_classes=3)
    assert transfer.freeze(model, [r"^features\.0\."]) == ["features.0.weight", "features.0.bias"]
    assert not model.features[0].weight.requires_grad and model.features[3].weight.requires_grad
    with pytest.raises(ConfigError, match="matches no parameter"):
        transfer.freeze(model, ["encoder"])
    with pytest.raises(ConfigError, match="not a valid regex"):
        transfer.freeze(model, ["("])


def _weights(run_dir: Path) -> dict:
    return {k[6:]: v for k, v in load_checkpoint(run_dir / "checkpoints" / "last.ckpt")["state_dict"].items()
            if k.startswith("model.")}


def test_frozen_layers_stay_put_and_unfreeze_at_epoch_releases_them(smoke_run, tmp_path):
    src = source_tensors(smoke_run)
    common = [f"model.init_from={smoke_run}", "model.freeze=['^features']", "trainer.max_epochs=2",
              "optim.lr_mult={'^head': 2.0}"]
    frozen = run.train(config.load(SMOKE, common), tmp_path / "frozen", report=False)
    w = _weights(frozen)
    assert torch.equal(w["features.0.weight"], src["features.0.weight"])
    assert not torch.equal(w["head.2.weight"], src["head.2.weight"])
    info = json.loads((frozen / "transfer.json").read_text())
    assert len(info["loaded"]) == 6 and "features.3.weight" in info["frozen"]

    thawed = run.train(config.load(SMOKE, [*common, "model.unfreeze_at_epoch=1"]), tmp_path / "thawed", report=False)
    assert not torch.equal(_weights(thawed)["features.0.weight"], src["features.0.weight"])


def test_unfreeze_without_freeze_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match="needs model.freeze"):
        run.train(config.load(SMOKE, ["model.unfreeze_at_epoch=1", "trainer.max_epochs=1"]), tmp_path / "r",
                  report=False)
    assert run.RUN_DIR_ENV not in os.environ  # the next train() in this process must not land in tmp_path/r


@pytest.mark.parametrize("path", sorted((REPO / "configs" / "transfer").glob("*.yaml")), ids=lambda p: p.name)
def test_transfer_example_configs_load(path):
    cfg = config.load(path)
    assert cfg.model.name == "kachuee_resnet"
    if cfg.data.name == "ptbdb":
        assert cfg.model.init_from and cfg.model.freeze and cfg.optim.lr_mult


def test_worked_example_mitbih_to_ptbdb_on_fixtures(tmp_path, data_root):
    """The two example configs end to end on the fixture records (1-2 epochs): every tensor
    but the 5-class output layer transfers to the 2-class PTB model."""
    fix = REPO / "tests" / "fixtures" / "ecg"
    src_cfg = config.load(REPO / "configs" / "transfer" / "kachuee-mitbih-source.yaml",
                          [f"data.source={fix / 'mitdb'}", "data.exclude_records=[]", "trainer.max_epochs=1"])
    src = run.train(src_cfg, tmp_path / "src", report=False)
    dst_cfg = config.load(REPO / "configs" / "transfer" / "kachuee-ptbdb-transfer.yaml",
                          [f"data.source={fix / 'ptbdb'}", "data.val_fraction=0.25", "data.test_fraction=0.25",
                           f"model.init_from={src}", "trainer.max_epochs=2", "model.unfreeze_at_epoch=1"])
    dst = run.train(dst_cfg, tmp_path / "dst", report=False)
    info = json.loads((dst / "transfer.json").read_text())
    assert sorted(s["name"] for s in info["skipped"]) == ["head.mlp.4.bias", "head.mlp.4.weight"]
    assert info["source_classes"][:1] == ["N"] and len(info["loaded"]) > 20
    assert json.loads((dst / "metrics.json").read_text())["classes"] == ["normal", "mi"]
