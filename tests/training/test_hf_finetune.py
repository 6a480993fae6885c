"""Fine-tuning a pre-trained Hugging Face checkpoint through `seqlab train`, offline: a tiny BERT
written with save_pretrained (padding id 1, as RoBERTa and KoBERT pad) stands in for
KLUE-BERT. The run keeps the checkpoint's tokenizer, its checkpoints load with
weights_only=True and rebuild to the same probabilities, `seqlab predict --text` reads the
tokenizer from the run directory with HF_HUB_OFFLINE=1 (ONNX Runtime and torch), the network
exports to ONNX, LoRA leaves the encoder's weights as they were, and a checkpoint that cannot
be had stops `seqlab train` with one line before anything is written."""

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from hf_tiny import tiny_checkpoint
from seqlab import config
from seqlab.data.text.imdb import read_imdb
from seqlab.data.text.nsmc import read_ratings
from seqlab.inference.loading import load_checkpoint
from seqlab.inference.text_predict import predict_texts

from testpaths import REPO

TEXT = REPO / "configs" / "text"
FIX = REPO / "tests" / "fixtures" / "text"
TINY = ["data.val_fraction=0.25", "data.max_length=32", "data.batch_size=4", "trainer.max_epochs=1",
        "trainer.threads=1", "eval.batch_size=16"]


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SEQLAB_DATA", str(tmp_path_factory.mktemp("data")))
        yield


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory) -> Path:
    texts = [*read_ratings(FIX / "nsmc" / "ratings_train.txt")[0], *read_imdb(FIX / "imdb_small.csv").text]
    return tiny_checkpoint(tmp_path_factory.mktemp("hf") / "tiny-bert", texts, pad_id=1)


@pytest.fixture(scope="module")
def nsmc_run(env, checkpoint, tmp_path_factory) -> Path:
    from seqlab.training import run

    cfg = config.load(TEXT / "nsmc_hf_finetune.yaml", [f"model.pretrained={checkpoint}", f"data.root={FIX / 'nsmc'}",
                                                       *TINY])
    return run.train(cfg, tmp_path_factory.mktemp("nsmc") / "run", report=True)


def test_the_run_keeps_the_checkpoints_tokenizer_and_safe_checkpoints(nsmc_run, checkpoint):
    saved = config.load_run(nsmc_run)
    assert saved.data.tokenizer_path == str(checkpoint) == saved.model.params["pretrained"]
    tokenizer = json.loads((nsmc_run / "artifacts" / "tokenizer.json").read_text(encoding="utf-8"))
    summary = json.loads((nsmc_run / "data_summary.json").read_text(encoding="utf-8"))
    assert tokenizer["padding"]["pad_id"] == summary["model_kwargs"]["pad_id"] == 1
    for which in ("best", "last"):
        ckpt = torch.load(nsmc_run / "checkpoints" / f"{which}.ckpt", weights_only=True)
        assert ckpt["hyper_parameters"]["model_kwargs"]["pretrained"] == str(checkpoint)
        assert "model.net.bert.embeddings.word_embeddings.weight" in ckpt["state_dict"]
        load_checkpoint(nsmc_run / "checkpoints" / f"{which}.ckpt")  # seqlab's own safe loader
    assert (nsmc_run / "report.html").is_file() and (nsmc_run / "checkpoints" / "model.onnx").is_file()


def test_predict_reads_the_runs_tokenizer_offline(nsmc_run, monkeypatch, capsys):
    """The probabilities `seqlab evaluate` stored for the test reviews, from raw text, with the
    hub switched off: the tokenizer comes from artifacts/, the network from ONNX or the checkpoint."""
    from seqlab.cli.main import main
    from seqlab.inference.evaluate import evaluate

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    evaluate(nsmc_run, "test")
    with np.load(nsmc_run / "predictions_test.npz") as z:
        expected = z["probs"]
    texts = read_ratings(FIX / "nsmc" / "ratings_test.txt")[0]
    for engine in ("onnx", "torch"):
        labels, probs, classes = predict_texts(nsmc_run, texts, engine=engine)
        kept = np.array([label is not None for label in labels])
        np.testing.assert_allclose(probs[kept], expected, rtol=0, atol=1e-5)
    assert np.ptp(expected[:, 0]) > 0  # the reviews are told apart: real token ids, not all padding
    assert main(["predict", str(nsmc_run), "--text", "배우들 연기가 좋았다", "--text", "지루하다"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 2 and lines[0].split()[0] in classes


def test_explain_attributes_the_real_tokens(nsmc_run):
    """Integrated Gradients from an all-padding baseline: the checkpoint's padding id (here 1)."""
    from seqlab.inference.text_explain import explain_text

    result = explain_text(nsmc_run, "배우들 연기가 좋았다", steps=8)
    tokens = [t for t, _ in result["tokens"]]
    assert result["kind"] == "tokens" and tokens[0] == "[CLS]" and tokens[-1] == "[SEP]" and "[PAD]" not in tokens
    assert all(np.isfinite(s) for _, s in result["tokens"])


def test_export_writes_an_onnx_model_within_tolerance(nsmc_run):
    from seqlab.cli.main import main

    assert main(["export", str(nsmc_run)]) == 0
    meta = json.loads((nsmc_run / "checkpoints" / "model.onnx.json").read_text())
    assert meta["model"]["name"] == "hf_encoder" and meta["max_abs_diff_vs_torch"] <= 1e-5


def test_lora_on_imdb_leaves_the_encoder_as_it_was(env, checkpoint, tmp_path):
    from safetensors.torch import load_file

    from seqlab.training import run

    cfg = config.load(TEXT / "imdb_hf_lora.yaml", [f"model.pretrained={checkpoint}", f"data.source={FIX / 'imdb_small.csv'}",
                                                   "model.r=4", *TINY])
    run_dir = run.train(cfg, tmp_path / "run", report=False)
    state = torch.load(run_dir / "checkpoints" / "last.ckpt", weights_only=True)["state_dict"]
    original = load_file(checkpoint / "model.safetensors")
    for name in ("embeddings.word_embeddings.weight", "encoder.layer.0.attention.self.query.base_layer.weight"):
        source = original[name.replace("base_layer.", "")]
        assert torch.equal(state[f"model.net.bert.{name}"], source), name  # frozen
    assert any(k.endswith("lora_B.default.weight") and state[k].abs().sum() > 0 for k in state)  # trained
    assert json.loads((run_dir / "metrics.json").read_text())["n_samples"] > 0


def test_a_checkpoint_that_cannot_be_had_stops_train_in_one_line(env, tmp_path, monkeypatch, capsys):
    from seqlab.cli.main import main

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    code = main(["train", str(TEXT / "nsmc_hf_finetune.yaml"), "model.pretrained=seqlab-tests/not-downloaded",
                 f"data.root={FIX / 'nsmc'}", "--out", str(tmp_path / "run")])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and "huggingface-cli download seqlab-tests/not-downloaded" in err[0]
    assert not (tmp_path / "run").exists()


def test_the_tokenizer_follows_model_pretrained_unless_named():
    cfg = config.load(TEXT / "nsmc_hf_lora.yaml", ["model.pretrained=bert-base-multilingual-cased"])
    assert cfg.data.tokenizer_path == "bert-base-multilingual-cased"
    named = config.load(TEXT / "nsmc_hf_finetune.yaml", ["data.tokenizer_path=ckpt/other"])
    assert named.data.tokenizer_path == "ckpt/other" and named.model.params["pretrained"] == "klue/bert-base"
    seqlab_encoder = config.load(TEXT / "nsmc_bert_finetune.yaml")  # not a HF model: left as written
    assert seqlab_encoder.data.tokenizer_path == "runs/nsmc_pretrain/tokenizer.json"
