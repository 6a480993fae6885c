"""``seqlab train`` on a generator config: the cVAE and WGAN-GP loops, the run directory a
generator leaves, and the checks written after training."""

import json

import numpy as np
import pytest

from seqlab.errors import ConfigError
from seqlab.inference.generate import Generator
from seqlab.training import run

from gen_helpers import CLASSES, SHAPE, generator_config, shared_generator, tiny_data, train_generator


@pytest.fixture(scope="module")
def cvae_run(tmp_path_factory):
    return shared_generator(tmp_path_factory)


def test_a_cvae_run_leaves_checkpoints_checks_and_the_rr_pool(cvae_run):
    for name in ("config.yaml", "data_summary.json", "metrics.json", "timing.json", "rr_pool.npz",
                 "checkpoints/best.ckpt", "checkpoints/last.ckpt", "plots/generated_grid.png"):
        assert (cvae_run / name).exists(), name
    m = json.loads((cvae_run / "metrics.json").read_text())
    assert m["task"] == "generator" and set(m["per_class"]) == set(CLASSES)
    assert m["exact_copies"] == 0
    for p in m["per_class"].values():
        assert p["copies"]["gen_to_train"]["median"] > 0 and 0.5 <= p["two_sample"]["auroc"] <= 1.0
    assert "monitor: val/loss" in (cvae_run / "config.yaml").read_text()  # the generator's own monitor


def test_the_trained_cvae_generates_each_class_its_own_sign(cvae_run):
    gen = Generator(cvae_run)
    centre = SHAPE[1] // 2
    assert gen.sample("N", 200, seed=0)[:, 0, centre - 2:centre + 2].mean() > 0.3
    assert gen.sample("S", 200, seed=0)[:, 0, centre - 2:centre + 2].mean() < -0.3
    assert np.array_equal(gen.sample("S", 5, seed=3), gen.sample("S", 5, seed=3))  # seeded


def test_a_wgan_run_trains_with_manual_optimisation(tmp_path):
    out = train_generator(tmp_path / "wgan", "beat_wgan", epochs=2, n_critic=2, width=4)
    m = json.loads((out / "metrics.json").read_text())
    assert m["model"] == "beat_wgan" and m["checkpoint"] == "best"
    assert Generator(out, "last").sample("S", 7).shape == (7, *SHAPE)


def test_class_weights_on_a_generator_are_a_config_error(tmp_path):
    cfg = generator_config(epochs=1)
    cfg.optim.class_weights = "balanced"
    with pytest.raises(ConfigError, match="sampler"):
        run.train(cfg, tmp_path / "bad", data=tiny_data(), report=False)


def test_seqlab_report_rewrites_a_generator_report(cvae_run):
    from seqlab.report.html import write_report

    out = write_report(cvae_run)
    html = out.read_text()
    assert out.name == "report.html" and "Learned, not copied" in html and "two-sample AUROC" in html
