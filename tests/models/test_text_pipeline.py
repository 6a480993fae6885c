"""Text experiments end to end on the written fixtures: every configs/text YAML loads; a
classical and a neural config train through `seqlab train`'s code path; a tiny MLM
pre-training run saves a weights_only checkpoint that the fine-tune and LoRA configs load."""

import json
from pathlib import Path

import pytest
import torch

import seqlab.data.text  # noqa: F401
import seqlab.models.sklearn_factories  # noqa: F401
import seqlab.models.text_cnn  # noqa: F401
import seqlab.models.text_rnn  # noqa: F401
import seqlab.models.text_transformer  # noqa: F401
from seqlab import config
from seqlab.errors import ConfigError
from seqlab.training.pretrain import load_pretrain_config, mask_tokens, pretrain

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
    if path.stem.endswith("_pretrain"):
        cfg = load_pretrain_config(path)
        assert cfg.data.corpus in ("nsmc", "imdb")
    else:
        cfg = config.load(path)
        assert cfg.data.name in ("nsmc", "imdb")


def test_pretrain_override_errors():
    path = REPO / "configs" / "text" / "nsmc_pretrain.yaml"
    with pytest.raises(ConfigError, match="did you mean 'max_steps'"):
        load_pretrain_config(path, ["trainer.max_step=3"])
    with pytest.raises(ConfigError, match="trainer.batch_size"):
        load_pretrain_config(path, ["trainer.batch_size=many"])


def test_masking_follows_bert():
    g = torch.Generator().manual_seed(0)
    ids = torch.randint(5, 100, (64, 32), generator=g)
    attn = torch.ones_like(ids)
    attn[:, 24:] = 0
    inputs, labels = mask_tokens(ids, attn, vocab_size=100, prob=0.15, generator=g)
    chosen = labels != -100
    assert not chosen[:, 24:].any() and 0.10 < chosen[:, :24].float().mean() < 0.20
    assert torch.equal(labels[chosen], ids[chosen])
    assert 0.7 < (inputs[chosen] == 4).float().mean() < 0.9
    assert torch.equal(inputs[~chosen], ids[~chosen])


def test_classical_run(tmp_path):
    from seqlab.training import run

    cfg = config.load(REPO / "configs" / "text" / "nsmc_tfidf_nb.yaml",
                      [f"data.root={NSMC}", "data.val_fraction=0.25"])
    run_dir = run.train(cfg, tmp_path / "run", report=False)
    metrics = json.loads((run_dir / "metrics.json").read_text())
    assert metrics["n_samples"] == 9 and (run_dir / "checkpoints" / "model.pkl").is_file()


def test_neural_run_keeps_the_tokenizer(tmp_path):
    from seqlab.training import run

    cfg = config.load(REPO / "configs" / "text" / "nsmc_bilstm.yaml", TINY_TOKENS)
    run_dir = run.train(cfg, tmp_path / "run", report=False)
    assert (run_dir / "artifacts" / "tokenizer.json").is_file()
    assert json.loads((run_dir / "metrics.json").read_text())["n_samples"] == 9


def test_pretrain_then_finetune_and_lora(tmp_path):
    from seqlab.training import run

    root = tmp_path / "nsmc"
    root.mkdir()
    for name in ("ratings_train.txt", "ratings_test.txt"):
        (root / name).write_bytes((NSMC / name).read_bytes())
    (root / "unlabelled.txt").write_text("그냥 볼만한 영화\n평범한 이야기\n배우는 좋았다\n" * 10, encoding="utf-8")
    out = tmp_path / "pt"
    cfg = load_pretrain_config(REPO / "configs" / "text" / "nsmc_pretrain.yaml", [
        f"data.root={root}", "data.vocab_size=200", "data.min_frequency=1", "data.max_length=16",
        "data.val_docs=8", "model.hidden_size=16", "model.num_layers=1", "model.num_heads=2",
        "trainer.max_steps=3", "trainer.batch_size=8", "trainer.log_every_n_steps=1",
        "trainer.save_every_n_steps=2", "trainer.num_threads=1", f"out={out}"])
    ckpt_path = pretrain(cfg)
    ckpt = torch.load(ckpt_path, weights_only=True)  # tensors and plain types only
    assert ckpt["bert_config"]["hidden_size"] == 16 and ckpt["history"][-1]["val_loss"] > 0
    assert (out / "tokenizer.json").read_text(encoding="utf-8") == ckpt["tokenizer_json"]
    params = {}
    for name in ("nsmc_bert_finetune", "nsmc_bert_lora"):
        cfg = config.load(REPO / "configs" / "text" / f"{name}.yaml", TINY_TOKENS + [
            f"data.tokenizer_path={out / 'tokenizer.json'}", f"model.pretrained={ckpt_path}",
            "data.batch_size=8"])
        run_dir = run.train(cfg, tmp_path / name, report=False)
        assert json.loads((run_dir / "metrics.json").read_text())["n_samples"] == 9
        model = run_dir / "checkpoints" / "last.ckpt"
        state = torch.load(model, map_location="cpu", weights_only=False)["state_dict"]
        params[name] = sum(v.numel() for v in state.values())
    assert params["nsmc_bert_lora"] > params["nsmc_bert_finetune"]  # adapters added
