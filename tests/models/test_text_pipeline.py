"""Text experiments end to end on the written fixtures: every configs/text YAML loads through
the one config loader (pre-training configs included); a classical and a neural config train
through `seqlab train`'s code path. Pre-training → fine-tuning: tests/training/test_pretrain.py."""

import json
from pathlib import Path

import pytest

import seqlab.data.text  # noqa: F401
import seqlab.models.sklearn_factories  # noqa: F401
import seqlab.models.text_cnn  # noqa: F401
import seqlab.models.text_rnn  # noqa: F401
import seqlab.models.text_transformer  # noqa: F401
from seqlab import config

REPO = Path(__file__).resolve().parents[2]
CONFIGS = sorted((REPO / "configs" / "text").glob("*.yaml"))
FIXTURES = REPO / "tests" / "fixtures" / "text"
NSMC = FIXTURES / "nsmc"
TINY_TOKENS = [f"data.root={NSMC}", "data.val_fraction=0.25", "data.vocab_size=200",
               "data.min_frequency=1", "data.max_length=16", "data.batch_size=4",
               "trainer.max_epochs=1", "trainer.threads=1"]


@pytest.fixture(autouse=True)
def isolated(tmp_path, monkeypatch):
    monkeypatch.setenv("SEQLAB_DATA", str(tmp_path / "data"))


@pytest.mark.parametrize("path", CONFIGS, ids=[p.stem for p in CONFIGS])
def test_config_loads(path):
    cfg = config.load(path)
    assert cfg.data.name in ("nsmc", "imdb")


def test_classical_run(tmp_path):
    from seqlab.training import run

    cfg = config.load(REPO / "configs" / "text" / "nsmc_tfidf_nb.yaml",
                      [f"data.root={NSMC}", "data.val_fraction=0.25"])
    run_dir = run.train(cfg, tmp_path / "run", report=False)
    metrics = json.loads((run_dir / "metrics.json").read_text())
    assert metrics["n_samples"] == 9 and (run_dir / "checkpoints" / "model.skops").is_file()


def test_neural_run_keeps_the_tokenizer(tmp_path):
    from seqlab.training import run

    cfg = config.load(REPO / "configs" / "text" / "nsmc_bilstm.yaml", TINY_TOKENS)
    run_dir = run.train(cfg, tmp_path / "run", report=False)
    assert (run_dir / "artifacts" / "tokenizer.json").is_file()
    assert json.loads((run_dir / "metrics.json").read_text())["n_samples"] == 9
