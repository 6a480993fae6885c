"""Autoencoder runs on the shared trainer: a denoising, class-restricted run writes a complete run
directory (reconstruction metrics, SNR table, report), evaluation reproduces it, its encoder
starts a classifier through ``model.init_from``, and config mistakes are one-line errors."""

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from seqlab import config
from seqlab.data.catalog import prepare_data
from seqlab.errors import ConfigError
from seqlab.inference.evaluate import evaluate
from seqlab.training import reconstruct, run, transfer

ENCODER = {"channels": [8, 16], "kernel_size": 5, "code_size": 8}


def ae_config(**sections) -> config.RunConfig:
    raw = {"name": "ae", "seed": 0,
           "data": {"name": "synthetic_waves", "n_samples": 300, "seq_len": 64, "batch_size": 64},
           "model": {"name": "conv_ae", **ENCODER},
           "trainer": {"max_epochs": 2, "progress_bar": False, "threads": 1, "log_every_n_steps": 1},
           "reconstruct": {"noise": ["bw", "ma"], "fs": 64.0, "eval_snr_db": [0, 6], "fit_classes": ["sine"],
                           "normal_class": "sine"}}
    for key, value in sections.items():  # a section given replaces the model, merges into the others
        raw[key] = value if key == "model" else {**raw.get(key, {}), **value}
    return config.from_dict(raw)


@pytest.fixture(scope="module")
def ae_run(tmp_path_factory) -> Path:
    return run.train(ae_config(), tmp_path_factory.mktemp("ae") / "run")


def test_autoencoder_run_writes_reconstruction_metrics_and_report(ae_run):
    m = json.loads((ae_run / "metrics.json").read_text())
    assert m["task"] == "reconstruction" and m["split"] == "test" and m["fit_classes"] == ["sine"]
    assert {"mse", "mae", "snr_db", "snr_db_pooled", "prd"} <= set(m)
    assert set(m["per_class"]) == {"sine", "square", "sawtooth"}  # the test split keeps every class
    assert m["anomaly"]["normal"] == "sine" and set(m["anomaly"]["per_class"]) == {"square", "sawtooth"}
    rows = m["denoising"]
    assert [(r["noise"], r["snr_in_db"]) for r in rows] == [("bw", 0.0), ("bw", 6.0), ("ma", 0.0), ("ma", 6.0)]
    for r in rows:
        assert r["snr_in_measured"] == pytest.approx(r["snr_in_db"], abs=1e-3)
        assert r["filter_snr_db"] is None  # synthetic data has no filter chain to compare with
    summary = json.loads((ae_run / "data_summary.json").read_text())
    assert summary["counts"]["train"]["square"] == 0 and summary["counts"]["test"]["square"] > 0
    saved = config.load(ae_run / "config.yaml")
    assert saved.trainer.monitor == "val/loss" and saved.trainer.mode == "min"
    assert saved.reconstruct.noise == ["bw", "ma"]
    assert not (ae_run / "checkpoints" / "model.onnx").exists()  # beats out: nothing for `seqlab predict`
    html = (ae_run / "report.html").read_text()
    for text in ("SNR in → SNR out", "anomaly ROC-AUC", "Trained to reconstruct the clean beat"):
        assert text in html
    for png in ("reconstruction_examples", "denoising_examples", "error_by_class", "anomaly_roc", "learning_curves"):
        assert (ae_run / "plots" / f"{png}.png").exists(), png
    curves = (ae_run / "logs" / "csv" / "metrics.csv").read_text().splitlines()[0]
    assert "val/snr_db" in curves and "train/prd" in curves


def test_evaluate_reproduces_the_run_metrics(ae_run):
    before = json.loads((ae_run / "metrics.json").read_text())
    after = evaluate(ae_run)
    assert {k: after[k] for k in ("mse", "snr_db", "prd", "anomaly", "denoising")} == \
        {k: before[k] for k in ("mse", "snr_db", "prd", "anomaly", "denoising")}


def test_init_from_an_autoencoder_run_loads_the_encoder_into_ae_classifier(ae_run, tmp_path):
    from seqlab.inference.loading import build_model, load_model

    clf = build_model("ae_classifier", {"num_classes": 3, "in_channels": 1, "seq_len": 64, **ENCODER})
    info = transfer.init_from(clf, ae_run, verbose=False)
    encoder = [k for k in clf.state_dict() if k.startswith("encoder.")]
    assert sorted(info["loaded"]) == sorted(encoder)
    assert info["skipped"] and all(s["name"].startswith("head.") for s in info["skipped"])
    assert all(k.startswith("decoder.") for k in info["unused_in_source"])
    ae = load_model(ae_run)
    for key, value in ae.encoder.state_dict().items():
        assert torch.equal(clf.encoder.state_dict()[key], value)
    cfg = config.from_dict({"name": "clf", "data": {"name": "synthetic_waves", "n_samples": 300, "seq_len": 64},
                            "model": {"name": "ae_classifier", **ENCODER, "init_from": str(ae_run)},
                            "trainer": {"max_epochs": 1, "progress_bar": False, "threads": 1}})
    out = run.train(cfg, tmp_path / "clf", report=False)
    assert json.loads((out / "transfer.json").read_text())["loaded"] == info["loaded"]
    assert "macro_f1" in json.loads((out / "metrics.json").read_text())


def test_vae_trains_with_its_gaussian_likelihood(tmp_path):
    cfg = ae_config(model={"name": "conv_vae", "latent_size": 4, "channels": [8, 16], "kernel_size": 5},
                    reconstruct={"noise": [], "fit_classes": []}, trainer={"max_epochs": 1})
    out = run.train(cfg, tmp_path / "vae", report=False)
    m = json.loads((out / "metrics.json").read_text())
    assert np.isfinite(m["mse"]) and "denoising" not in m
    assert m["anomaly"] is None  # fitted on every class: no anomaly detector


def synthetic(cfg: config.RunConfig):
    return prepare_data(cfg.data, cfg.seed)


def test_config_mistakes_are_one_line_errors():
    cfg = ae_config()
    data = synthetic(cfg)
    classifier = config.from_dict({**cfg.to_dict(), "model": {"name": "tiny_cnn"}})
    with pytest.raises(ConfigError, match="reconstruct section trains an autoencoder.*conv_ae"):
        reconstruct.for_task(classifier, data)
    with pytest.raises(ConfigError, match="class_weights"):
        reconstruct.for_task(ae_config(optim={"class_weights": "balanced"}), data)
    with pytest.raises(ConfigError, match=r"fit_classes \['N'\] are not classes of this data; valid: sine"):
        reconstruct.for_task(ae_config(reconstruct={"fit_classes": ["N"]}), data)
    with pytest.raises(ConfigError, match="set reconstruct.fs"):
        reconstruct.for_task(ae_config(reconstruct={"fs": None}), data)
    with pytest.raises(ConfigError, match="not logged by an autoencoder"):
        reconstruct.for_task(ae_config(trainer={"monitor": "val/macro_f1"}), data)
    cfg2, cut = reconstruct.for_task(ae_config(trainer={"monitor": "val/snr_db"}), data)
    assert cfg2.trainer.mode == "max" and set(np.unique(cut.train.y)) == {0} and len(cut.test) == len(data.test)


def test_training_noise_is_seeded_by_stage_and_step():
    module = reconstruct.Reconstructor(model_name="conv_ae", model_kwargs={"in_channels": 1, "seq_len": 64, **ENCODER},
                                       classes=["a"], optim={"name": "adam", "lr": 1e-3},
                                       reconstruct=ae_config().reconstruct.model_dump(), fs=64.0)
    clean = torch.sin(torch.linspace(0, 12, 64)).repeat(8, 1, 1)  # (8, 1, 64)
    a, b = module.noisy(clean, "train", 3), module.noisy(clean, "train", 3)
    assert torch.equal(a, b) and not torch.equal(a, clean)
    assert not torch.equal(a, module.noisy(clean, "train", 4))
    assert not torch.equal(a, module.noisy(clean, "val", 3))
    snr = 10 * torch.log10((clean ** 2).sum((1, 2)) / ((a - clean) ** 2).sum((1, 2)))
    assert ((snr > -6 - 1e-3) & (snr < 12 + 1e-3)).all()  # reconstruct.snr_db, per beat


def test_the_summary_line_and_a_classifier_s_saved_config(ae_run):
    from seqlab.cli.run import metrics_table

    line = metrics_table(json.loads((ae_run / "metrics.json").read_text()))
    assert "beats reconstructed" in line and " dB" in line and "anomaly ROC-AUC" in line
    plain = config.from_dict({"name": "c", "data": {"name": "synthetic_waves"}, "model": {"name": "tiny_cnn"}})
    assert "reconstruct" not in plain.to_dict()  # the section is left out where it is not used


def test_predict_refuses_an_autoencoder_run(tmp_path):
    from seqlab.inference.predict import Predictor

    run_dir = tmp_path / "ae"
    run_dir.mkdir()
    cfg = config.from_dict({"name": "ae", "data": {"name": "mitbih", "rr_features": False},
                            "model": {"name": "conv_ae"}})
    config.save(cfg, run_dir / "config.yaml")
    (run_dir / "data_summary.json").write_text(json.dumps({"classes": ["N", "S", "V", "F", "Q"]}))
    (run_dir / "metrics.json").write_text(json.dumps({"task": "reconstruction"}))
    with pytest.raises(ConfigError, match="autoencoder run.*classifies none"):
        Predictor(run_dir)
