"""`seqlab pretrain` on the shared run config, trainer and checkpoints: configs load through the
one loader, tiny MLM and CLM runs fine-tune (CLM with GPT-1's auxiliary LM loss), a stopped run
resumes from its last epoch to the same weights, and epochs walk on through the corpus."""

import json
import os
import shutil
from pathlib import Path

import lightning as L
import numpy as np
import pytest
import torch

from seqlab import config
from seqlab.errors import ConfigError, SeqlabError
from seqlab.training import pretrain as pt
from seqlab.training.lm_loaders import CorpusBatches
from seqlab.training.lm_objectives import mask_tokens

from testpaths import REPO

TEXT = REPO / "configs" / "text"
PRETRAIN_CONFIGS = sorted(TEXT.glob("*pretrain*.yaml"))
NSMC = REPO / "tests" / "fixtures" / "text" / "nsmc"
UNLABELLED = ["그냥 볼만한 영화", "평범한 이야기", "배우는 좋았다", "지루하고 긴 영화", "다시 보고 싶은 명작",
              "음악이 좋았다", "이야기가 평범한 영화", "배우들 연기가 좋았다"]


def tiny(root: Path, *extra: str) -> list[str]:
    return [f"data.root={root}", "data.vocab_size=120", "data.min_frequency=1", "data.max_length=16",
            "data.val_fraction=0.15", "data.batch_size=8", "model.hidden_size=16", "model.num_layers=1",
            "model.num_heads=2", "trainer.max_epochs=2", "trainer.limit_train_batches=2",
            "trainer.threads=1", "trainer.progress_bar=false", *extra]


@pytest.fixture(scope="module")
def corpus_root(tmp_path_factory):
    """A built-NSMC folder: the fixture splits + an unlabelled.txt."""
    root = tmp_path_factory.mktemp("nsmc")
    for name in ("ratings_train.txt", "ratings_test.txt"):
        (root / name).write_bytes((NSMC / name).read_bytes())
    (root / "unlabelled.txt").write_text("\n".join(UNLABELLED * 4) + "\n", encoding="utf-8")
    return root


@pytest.fixture(autouse=True)
def isolated(tmp_path_factory, monkeypatch):
    monkeypatch.setenv("SEQLAB_DATA", str(tmp_path_factory.getbasetemp() / "data"))


@pytest.fixture(scope="module")
def pretrained(corpus_root, tmp_path_factory):
    """One tiny MLM run and one tiny CLM run (same encoder size and budget), the CLM one
    through the command line's --objective."""
    from seqlab.cli.main import main

    out = tmp_path_factory.mktemp("pt")
    runs = {"nsmc_pretrain": pt.pretrain(config.load(TEXT / "nsmc_pretrain.yaml", tiny(corpus_root)),
                                         out / "mlm")}
    assert main(["pretrain", str(TEXT / "nsmc_pretrain.yaml"), "--objective", "clm", "--out", str(out / "clm"),
                 *tiny(corpus_root)]) == 0
    runs["nsmc_clm_pretrain"] = out / "clm"
    return runs


@pytest.mark.parametrize("path", PRETRAIN_CONFIGS, ids=[p.stem for p in PRETRAIN_CONFIGS])
def test_pretrain_configs_load_through_the_shared_loader(path):
    cfg = config.load(path)
    pt.check_config(cfg)
    assert cfg.model.params["causal"] == ("clm" in path.stem)
    assert cfg.trainer.monitor == "val/loss"


def test_a_typo_is_one_line_naming_the_key():
    with pytest.raises(ConfigError, match=r"unknown key 'trainer.max_epoch' \(did you mean 'max_epochs'"):
        config.load(TEXT / "nsmc_pretrain.yaml", ["trainer.max_epoch=3"])
    with pytest.raises(ConfigError, match="model.hidden_siz"):
        config.load(TEXT / "nsmc_pretrain.yaml", ["model.hidden_siz=3"])
    with pytest.raises(ConfigError, match="not a pre-training metric"):
        pt.check_config(config.load(TEXT / "nsmc_pretrain.yaml", ["trainer.monitor=val/macro_f1"]))
    with pytest.raises(ConfigError, match="fine-tuning setting"):
        pt.check_config(config.load(TEXT / "nsmc_pretrain.yaml", ["model.aux_lm_weight=0.5"]))


def test_cli_error_is_the_same_line_as_seqlab_train(tmp_path, capsys):
    from seqlab.cli.main import main

    code = main(["pretrain", str(TEXT / "nsmc_pretrain.yaml"), "trainer.max_epoch=3", "--objective", "clm",
                 "--out", str(tmp_path / "x")])
    assert code == 2 and not (tmp_path / "x").exists()
    assert capsys.readouterr().err.strip().splitlines() == [
        "seqlab: error: unknown key 'trainer.max_epoch' (did you mean 'max_epochs', 'max_steps'?); valid: "
        + ", ".join(config.TrainerConfig.model_fields)]
    assert main(["pretrain", "--resume", str(tmp_path)]) == 1
    assert "no checkpoints/last.ckpt" in capsys.readouterr().err


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


@pytest.mark.parametrize("name,objective", [("nsmc_pretrain", "mlm"), ("nsmc_clm_pretrain", "clm")])
def test_run_dir_checkpoints_and_encoder(pretrained, name, objective):
    run_dir = pretrained[name]
    for which in ("best", "last"):  # Lightning checkpoints, safe to load
        ckpt = torch.load(run_dir / "checkpoints" / f"{which}.ckpt", weights_only=True)
        assert ckpt["hyper_parameters"]["config"]["model"]["causal"] == (objective == "clm")
        assert "RngState" in " ".join(ckpt["callbacks"])
    enc = torch.load(run_dir / "encoder.pt", weights_only=True)
    assert enc["objective"] == objective and enc["bert_config"]["hidden_size"] == 16
    assert enc["tokenizer_json"] == (run_dir / "tokenizer.json").read_text(encoding="utf-8")
    assert enc["lm_head"] and [h["epoch"] for h in enc["history"]] == [0, 1]
    summary = json.loads((run_dir / "pretrain.json").read_text())
    assert summary["steps"] == 4 and summary["objective"] == objective and summary["val_loss"] > 0
    assert (run_dir / "logs" / "csv" / "metrics.csv").is_file()


def test_both_encoders_fine_tune(pretrained, corpus_root, tmp_path):
    """MLM encoder → text_bert_pretrained and LoRA; CLM encoder → text_bert_pretrained with the
    auxiliary LM loss (λ = 0.5), reading `model.pretrained: RUN_DIR`."""
    from seqlab.training import run

    common = [f"data.root={corpus_root}", "data.val_fraction=0.25", "data.max_length=16", "data.batch_size=8",
              "trainer.max_epochs=1", "trainer.threads=1"]
    jobs = {"nsmc_bert_finetune": pretrained["nsmc_pretrain"], "nsmc_bert_lora": pretrained["nsmc_pretrain"],
            "nsmc_clm_finetune": pretrained["nsmc_clm_pretrain"]}
    for name, src in jobs.items():
        cfg = config.load(TEXT / f"{name}.yaml", common + [
            f"data.tokenizer_path={src / 'tokenizer.json'}", f"model.pretrained={src}"])
        run_dir = run.train(cfg, tmp_path / name, report=False)
        assert json.loads((run_dir / "metrics.json").read_text())["n_samples"] == 9
    curves = (tmp_path / "nsmc_clm_finetune" / "logs" / "csv" / "metrics.csv").read_text()
    assert "train/aux_loss" in curves.splitlines()[0]


class StopAt(L.Callback):
    """Stands in for a kill: fails at the start of an epoch, after the previous one's checkpoint."""

    def __init__(self, epoch: int):
        self.epoch = epoch

    def on_train_epoch_start(self, trainer, pl_module):
        if trainer.current_epoch == self.epoch:
            raise RuntimeError("stopped")


def test_resume_continues_from_the_last_epoch(corpus_root, tmp_path):
    overrides = tiny(corpus_root, "trainer.max_epochs=3", "model.dropout=0.2")
    cfg = config.load(TEXT / "nsmc_clm_pretrain.yaml", overrides)
    full = pt.pretrain(cfg, tmp_path / "full")
    stopped = tmp_path / "stopped"
    with pytest.raises(RuntimeError, match="stopped"):
        pt.pretrain(config.load(TEXT / "nsmc_clm_pretrain.yaml", overrides), stopped, callbacks=[StopAt(2)])
    assert torch.load(stopped / "checkpoints" / "last.ckpt", weights_only=True)["epoch"] == 1
    with pytest.raises(SeqlabError, match="--resume"):
        pt.pretrain(cfg, stopped)
    tokenizer = (stopped / "tokenizer.json").read_text(encoding="utf-8")
    for cached in (Path(os.environ["SEQLAB_DATA"]) / "cache" / "text").glob("nsmc-lm-*"):
        shutil.rmtree(cached)  # a cleared cache: the resumed run must keep its own token ids
    pt.resume(stopped)
    assert (stopped / "tokenizer.json").read_text(encoding="utf-8") == tokenizer
    a, b = (torch.load(d / "checkpoints" / "last.ckpt", weights_only=True) for d in (full, stopped))
    assert a["global_step"] == b["global_step"] == 6
    assert a["state_dict"].keys() == b["state_dict"].keys()
    assert all(torch.equal(a["state_dict"][k], b["state_dict"][k]) for k in a["state_dict"])
    a, b = (torch.load(d / "encoder.pt", weights_only=True) for d in (full, stopped))
    assert a["history"] == b["history"] and [h["epoch"] for h in b["history"]] == [0, 1, 2]


def test_max_steps_stops_the_run(corpus_root, tmp_path):
    cfg = config.load(TEXT / "nsmc_pretrain.yaml", tiny(corpus_root, "trainer.max_steps=3"))
    run_dir = pt.pretrain(cfg, tmp_path / "steps")
    assert json.loads((run_dir / "pretrain.json").read_text())["steps"] == 3


def test_epochs_walk_on_through_the_corpus():
    lengths = np.random.default_rng(0).integers(3, 30, size=100)
    s = CorpusBatches(lengths, batch_size=10, seed=1, limit=4)
    assert s.per_pass == 10 and len(s) == 4
    seen = []
    for epoch in range(5):
        s.sampler.set_epoch(epoch)
        seen.append(list(s))
    first_pass = [i for epoch in seen[:2] for b in epoch for i in b] + [i for b in seen[2][:2] for i in b]
    assert sorted(first_pass) == list(range(100))  # 10 batches over epochs 0-2: every row once
    again = CorpusBatches(lengths, batch_size=10, seed=1, limit=4)
    again.sampler.set_epoch(3)
    assert list(again) == seen[3]  # an epoch's batches depend on (seed, epoch) only


def test_missing_unlabelled_file_is_a_data_error(tmp_path):
    from seqlab.errors import DataError

    (tmp_path / "nsmc").mkdir()
    for name in ("ratings_train.txt", "ratings_test.txt"):
        (tmp_path / "nsmc" / name).write_bytes((NSMC / name).read_bytes())
    cfg = config.load(TEXT / "nsmc_pretrain.yaml", tiny(tmp_path / "nsmc"))
    with pytest.raises(DataError, match="seqlab data build nsmc"):
        pt.pretrain(cfg, tmp_path / "x")


def test_imdb_corpus_is_unsup_plus_train_never_test():
    from seqlab.training.lm_data import lm_corpus

    acl = REPO / "tests" / "fixtures" / "text" / "aclImdb"
    cfg = config.load(TEXT / "imdb_pretrain.yaml", [f"data.source={acl}", "data.vocab_size=120",
                                                    "data.min_frequency=1", "data.val_fraction=0.2"])
    corpus = lm_corpus(cfg.data)
    n_unsup = len(list((acl / "train" / "unsup").glob("*.txt")))
    n_train = sum(len(list((acl / "train" / c).glob("*.txt"))) for c in ("pos", "neg"))
    assert corpus.summary["documents"] == n_unsup + n_train
    assert f"unsup reviews ({n_unsup}" in corpus.summary["notes"][0]
    assert len(corpus.fit) + len(corpus.held_out) == corpus.summary["documents"]
