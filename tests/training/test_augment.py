"""ECG augmentation: shapes kept, deterministic per (seed, step), train batches only, off by default."""

import json

import pytest
import torch

from seqlab import config
from seqlab.data.catalog import prepare_data
from seqlab.training import run
from seqlab.training.augment import TRANSFORMS, BatchAugment
from seqlab.training.module import Classifier

from testpaths import SMOKE

ALL = {"prob": 1.0, "scale": 0.2, "wander": 0.2, "wander_cycles": 1.0, "noise": 0.05, "motion": 0.2,
       "shift": 0.1, "stretch": 0.1}


def beats(b=16, c=2, t=187):
    g = torch.Generator().manual_seed(1)
    return torch.sin(torch.linspace(0, 12, t))[None, None, :] + 0.1 * torch.randn(b, c, t, generator=g)


def test_off_by_default_and_prob_zero_is_identity():
    cfg = config.load(SMOKE)
    assert cfg.augment.prob == 0 and "augment" not in cfg.to_dict()
    x = beats()
    assert torch.equal(BatchAugment({**ALL, "prob": 0.0}, seed=0)(x, step=3), x)


@pytest.mark.parametrize("name", TRANSFORMS)
def test_each_transform_alone_changes_the_signal_and_keeps_shape(name):
    only = {k: (v if k in (name, "prob", "wander_cycles") else 0.0) for k, v in ALL.items()}
    x = beats()
    y = BatchAugment(only, seed=0)(x, step=0)
    assert y.shape == x.shape and y.dtype == x.dtype and torch.isfinite(y).all()
    assert not torch.allclose(y, x)
    assert (y - x).abs().mean() < 0.5  # small perturbations, not new signals


def test_same_seed_and_step_same_batch_other_step_or_rank_differs():
    x = beats()
    a = BatchAugment(ALL, seed=5)
    assert torch.equal(a(x, step=7), a(x, step=7))
    assert not torch.equal(a(x, step=7), a(x, step=8))
    assert not torch.equal(a(x, step=7), BatchAugment(ALL, seed=5, rank=1)(x, step=7))


def test_dict_inputs_augment_only_the_signal():
    x = {"x": beats(), "rr": torch.ones(16, 4)}
    y = BatchAugment(ALL, seed=0)(x, step=0)
    assert torch.equal(y["rr"], x["rr"]) and not torch.equal(y["x"], x["x"])


def test_validation_and_test_steps_are_never_augmented():
    module = Classifier(model_name="tiny_cnn", model_kwargs={"num_classes": 3, "in_channels": 2},
                        classes=["a", "b", "c"], optim={"lr": 1e-3, "name": "adam", "weight_decay": 0.0},
                        augment=ALL)

    class Boom:
        def __call__(self, *a, **k):
            raise AssertionError("augmented an evaluation batch")

    module.augmenter = Boom()
    batch = (beats(c=2, t=64), torch.zeros(16, dtype=torch.long))
    module.validation_step(batch, 0)
    module.test_step(batch, 0)


def test_augmented_training_is_reproducible(tmp_path):
    cfg = config.load(SMOKE, ["augment.prob=0.5", "trainer.max_epochs=2"])
    data = prepare_data(cfg.data, cfg.seed)
    a = run.train(cfg, tmp_path / "a", data=data, report=False)
    b = run.train(cfg, tmp_path / "b", data=data, report=False)
    ma, mb = (json.loads((d / "metrics.json").read_text()) for d in (a, b))
    assert ma["confusion_matrix"] == mb["confusion_matrix"]
    assert config.load(a / "config.yaml").augment.prob == 0.5
