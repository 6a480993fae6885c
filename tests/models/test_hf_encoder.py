"""Pre-trained Hugging Face encoders, offline: a tiny BERT written with save_pretrained stands in
for KLUE-BERT / mBERT. Full fine-tuning and LoRA build, train the right parameters and refuse
mismatched data in one line; a checkpoint that cannot be had fails at once, naming both ways
to provide one; a `seqlab pretrain` encoder is written as an HF directory and read back.
(The checkpoint's tokenizer: tests/data/text/test_text_hf_tokenizer.py.)"""

import json
import time

import numpy as np
import pytest
import torch

from hf_tiny import tiny_checkpoint
from seqlab import hf_hub
from seqlab.data.text.hf_tokenizer import pretrained_tokenizer_file
from seqlab.errors import ConfigError, SeqlabError
from seqlab.models.hf_encoder import hf_encoder, hf_encoder_lora, save_as_hf

TEXTS = ["배우들 연기가 좋았다", "지루하고 긴 영화", "A great film", "bad plot, boring"]


@pytest.fixture(autouse=True)
def isolated(tmp_path, monkeypatch):
    monkeypatch.setenv("SEQLAB_DATA", str(tmp_path / "data"))
    torch.set_num_threads(1)


@pytest.fixture(scope="module")
def checkpoints(tmp_path_factory):
    """Two tiny checkpoints: one pads with id 0 (BERT), one with id 1 (RoBERTa, KoBERT)."""
    root = tmp_path_factory.mktemp("hf")
    return {pad: tiny_checkpoint(root / f"pad{pad}", TEXTS, pad_id=pad) for pad in (0, 1)}


def _batch(vocab: int, pad: int):
    g = torch.Generator().manual_seed(0)
    ids = torch.randint(5, vocab, (3, 12), generator=g)  # (B, L)
    mask = torch.ones_like(ids)
    ids[0, 5:], mask[0, 5:] = pad, 0  # a short review, right-padded
    return ids, mask


@pytest.mark.parametrize("pad", [0, 1])
def test_forward_backward_and_padding_invariance(checkpoints, no_network, pad):
    torch.manual_seed(0)
    model = hf_encoder(pretrained=str(checkpoints[pad]), num_classes=3, vocab_size=20, max_length=12)
    assert not no_network
    assert model.training  # from_pretrained's eval mode is not what a new module starts in
    ids, mask = _batch(20, pad)
    logits = model(ids, mask)
    assert logits.shape == (3, 3) and torch.isfinite(logits).all()
    logits.sum().backward()
    assert all(p.grad is not None for p in model.parameters())
    model.eval()
    with torch.no_grad():  # the short review alone (no padding) gives the same logits
        np.testing.assert_allclose(model(ids[:1, :5], mask[:1, :5]).numpy(), model(ids, mask)[:1].numpy(),
                                   atol=1e-5)


def test_lora_trains_adapters_and_head_only(checkpoints):
    model = hf_encoder_lora(pretrained=str(checkpoints[0]), num_classes=2, vocab_size=20, max_length=12, r=4)
    trainable = {n for n, p in model.named_parameters() if p.requires_grad}
    assert trainable and all("lora_" in n or n.startswith("net.classifier.") for n in trainable)
    assert {n.split(".")[-3] for n in trainable if "lora_" in n} == {"lora_A", "lora_B"}
    assert any(".query." in n for n in trainable) and any(".value." in n for n in trainable)  # peft's BERT default
    assert {"net.classifier.weight", "net.classifier.bias"} <= trainable
    keyed = hf_encoder_lora(pretrained=str(checkpoints[0]), num_classes=2, vocab_size=20, max_length=12,
                            target_modules=["key"])
    assert all(".key." in n for n, p in keyed.named_parameters() if p.requires_grad and "lora_" in n)
    with pytest.raises(ConfigError, match="model.target_modules") as caught:
        hf_encoder_lora(pretrained=str(checkpoints[0]), num_classes=2, vocab_size=20, max_length=12,
                        target_modules=["no_such_layer"])
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize("kwargs,fragment", [
    ({"vocab_size": None}, "data.representation: tokens"),
    ({"vocab_size": 10_000}, "data.tokenizer_path must be the checkpoint's own tokenizer"),
    ({"max_length": 512}, "exceeds"),
])
def test_mismatched_data_is_one_line(checkpoints, kwargs, fragment):
    args = {"pretrained": str(checkpoints[0]), "num_classes": 2, "vocab_size": 20, "max_length": 12, **kwargs}
    with pytest.raises(ConfigError, match=fragment) as caught:
        hf_encoder(**args)
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize("offline", [True, False])
def test_a_missing_checkpoint_fails_at_once_naming_both_ways(monkeypatch, offline):
    """Not a directory, not cached: one line at once, whether HF_HUB_OFFLINE is set or the hub
    simply cannot be reached (huggingface_hub itself would retry for about 45 s)."""
    if offline:
        monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    else:
        monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
        monkeypatch.delenv("TRANSFORMERS_OFFLINE", raising=False)
        monkeypatch.setattr(hf_hub, "hub_reachable", lambda: False)
    name = "seqlab-tests/never-downloaded-encoder"
    for call in (lambda: hf_encoder(pretrained=name, num_classes=2, vocab_size=20, max_length=12),
                 lambda: pretrained_tokenizer_file(name)):
        t0 = time.perf_counter()
        with pytest.raises(ConfigError) as caught:
            call()
        message = str(caught.value)
        assert time.perf_counter() - t0 < 20  # the first call imports transformers' model classes
        assert "\n" not in message and "not in the Hugging Face cache" in message
        assert "local directory" in message and "HF_HUB_OFFLINE unset" in message
        assert f"huggingface-cli download {name}" in message
        assert ("HF_HUB_OFFLINE is set" if offline else "cannot be reached") in message


def test_a_missing_directory_and_a_seqlab_run_are_named(tmp_path):
    with pytest.raises(ConfigError, match=r"directory \./nowhere not found"):
        hf_encoder(pretrained="./nowhere", num_classes=2, vocab_size=20, max_length=12)
    (tmp_path / "encoder.pt").write_bytes(b"")
    with pytest.raises(ConfigError, match="model.pretrained: .* is a `seqlab pretrain` run.*text_bert_pretrained"):
        hf_encoder(pretrained=str(tmp_path), num_classes=2, vocab_size=20, max_length=12)
    with pytest.raises(ConfigError, match="data.tokenizer_path: .* is a `seqlab pretrain` run"):
        pretrained_tokenizer_file(str(tmp_path))  # `seqlab train` prepares the data first: the same hint
    (tmp_path / "encoder.pt").unlink()
    with pytest.raises(ConfigError, match="not a usable Hugging Face checkpoint directory") as caught:
        hf_encoder(pretrained=str(tmp_path), num_classes=2, vocab_size=20, max_length=12)
    assert "\n" not in str(caught.value)


@pytest.fixture(scope="module")
def seqlab_encoder(tmp_path_factory):
    """A tiny encoder.pt in the `seqlab pretrain` format (MLM)."""
    import seqlab.models.text_transformer as tt
    from seqlab.data.text.subword import subword_train

    tok = subword_train(["좋은 영화", "나쁜 영화", "good film"] * 5, vocab_size=40, min_frequency=1)
    cfg = tt.bert_config(vocab_size=tok.get_vocab_size(), max_length=16, hidden_size=32, num_layers=1,
                         num_heads=2)
    torch.manual_seed(0)
    enc = tt.make_bert(cfg)
    path = tmp_path_factory.mktemp("pt") / "encoder.pt"
    torch.save({"format": tt.CHECKPOINT_FORMAT, "bert_config": cfg, "encoder": enc.state_dict(),
                "tokenizer_json": tok.to_str(), "config": {}, "history": []}, path)
    return path, enc, tok


def test_a_seqlab_pretrain_encoder_is_written_and_read_as_a_hf_checkpoint(seqlab_encoder, tmp_path):
    from transformers import AutoModel

    path, enc, tok = seqlab_encoder
    dest = save_as_hf(path, tmp_path / "hf")
    ids = torch.tensor([[2, 7, 9, 11, 3, 0]])  # (1, L)
    mask = (ids != 0).long()
    loaded = AutoModel.from_pretrained(dest, local_files_only=True).eval()
    with torch.no_grad():
        np.testing.assert_allclose(loaded(input_ids=ids, attention_mask=mask).last_hidden_state.numpy(),
                                   enc.eval()(input_ids=ids, attention_mask=mask).last_hidden_state.numpy(),
                                   atol=1e-5)
    tokenizer = pretrained_tokenizer_file(str(dest))  # seqlab's own ids, [PAD] = 0
    assert json.loads(tokenizer.read_text())["model"]["vocab"] == json.loads(tok.to_str())["model"]["vocab"]
    model = hf_encoder(pretrained=str(dest), num_classes=2, vocab_size=tok.get_vocab_size(), max_length=16)
    assert model(ids, mask).shape == (1, 2)
    with pytest.raises(ConfigError, match="already exists"):
        save_as_hf(path, dest)


def test_a_causal_seqlab_encoder_is_refused(seqlab_encoder, tmp_path):
    path, _, _ = seqlab_encoder
    ckpt = torch.load(path, weights_only=True)
    ckpt["bert_config"] = {**ckpt["bert_config"], "is_decoder": True}
    torch.save(ckpt, tmp_path / "encoder.pt")
    with pytest.raises(SeqlabError, match="causal"):
        save_as_hf(tmp_path / "encoder.pt", tmp_path / "hf")
    assert not (tmp_path / "hf").exists()

