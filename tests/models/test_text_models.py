"""Every neural text model: forward shape, no NaN, backward; padding does not change the
result; pre-trained and LoRA factories rebuild from a checkpoint (weights_only load)."""

import pytest
import torch

import seqlab.models.text_cnn  # noqa: F401
import seqlab.models.text_rnn  # noqa: F401
import seqlab.models.text_transformer as tt
from seqlab.data.text.subword import subword_train
from seqlab.errors import ConfigError
from seqlab.models.registry import MODELS

V, K, L = 120, 3, 16
SMALL = {"text_birnn": {"embed_dim": 16, "hidden_size": 8}, "text_bilstm": {"embed_dim": 16, "hidden_size": 8},
         "text_bigru": {"embed_dim": 16, "hidden_size": 8}, "text_cnn": {"embed_dim": 16, "num_filters": 4},
         "text_transformer": {"hidden_size": 32, "num_layers": 1, "num_heads": 2}}


def _batch(b=4):
    g = torch.Generator().manual_seed(0)
    ids = torch.randint(5, V, (b, L), generator=g)
    mask = torch.ones_like(ids)
    ids[0, 6:], mask[0, 6:] = 0, 0  # a short review, right-padded
    return ids, mask


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    """A tiny encoder checkpoint in the `seqlab pretrain` format."""
    tok = subword_train(["좋은 영화", "나쁜 영화"] * 5, vocab_size=40, min_frequency=1)
    cfg = tt.bert_config(vocab_size=V, max_length=L, hidden_size=32, num_layers=1, num_heads=2)
    enc = tt.make_bert(cfg)
    path = tmp_path_factory.mktemp("pt") / "encoder.pt"
    torch.save({"format": tt.CHECKPOINT_FORMAT, "bert_config": cfg, "encoder": enc.state_dict(),
                "tokenizer_json": tok.to_str(), "config": {"seed": 0}, "history": [{"step": 0, "loss": 1.0}]},
               path)
    return path


def _build(name, checkpoint):
    kw = dict(SMALL.get(name, {}))
    if name in ("text_bert_pretrained", "text_bert_lora"):
        kw["pretrained"] = str(checkpoint)
    return MODELS.get(name).fn(vocab_size=V, num_classes=K, max_length=L, pad_id=0, **kw)


TEXT_MODELS = [n for n in MODELS.names() if n.startswith("text_")]


def test_all_text_models_are_covered():
    assert {"text_birnn", "text_bilstm", "text_bigru", "text_cnn", "text_transformer",
            "text_bert_pretrained", "text_bert_lora"} <= set(TEXT_MODELS)


@pytest.mark.parametrize("name", TEXT_MODELS)
def test_forward_backward(name, checkpoint):
    torch.manual_seed(0)
    model = _build(name, checkpoint)
    ids, mask = _batch()
    logits = model(ids, attention_mask=mask)
    assert logits.shape == (4, K) and torch.isfinite(logits).all()
    logits.sum().backward()
    grads = [p.grad for p in model.parameters() if p.requires_grad]
    assert grads and all(g is not None and torch.isfinite(g).all() for g in grads)


@pytest.mark.parametrize("name", TEXT_MODELS)
def test_padding_does_not_change_logits(name, checkpoint):
    torch.manual_seed(0)
    model = _build(name, checkpoint).eval()
    ids, mask = _batch()
    with torch.no_grad():
        full = model(ids[:1], attention_mask=mask[:1])
        short = model(ids[:1, :6], attention_mask=mask[:1, :6])
    assert torch.allclose(full, short, atol=1e-5)


def test_pretrained_weights_are_loaded(checkpoint):
    ckpt = torch.load(checkpoint, weights_only=True)
    model = _build("text_bert_pretrained", checkpoint)
    for k, v in ckpt["encoder"].items():
        assert torch.equal(model.encoder.state_dict()[k], v)


def test_lora_trains_a_fraction(checkpoint):
    full = tt.parameter_counts(_build("text_bert_pretrained", checkpoint))
    lora = tt.parameter_counts(_build("text_bert_lora", checkpoint))
    assert full["trainable"] == full["total"]
    assert lora["trainable"] < 0.5 * full["trainable"] and lora["total"] > full["total"]


def test_vocabulary_mismatch_and_missing_checkpoint(checkpoint, tmp_path):
    with pytest.raises(ConfigError, match="tokenizer_path"):
        MODELS.get("text_bert_pretrained").fn(vocab_size=V + 1, num_classes=2, max_length=L,
                                              pretrained=str(checkpoint))
    with pytest.raises(ConfigError, match="seqlab pretrain"):
        MODELS.get("text_bert_pretrained").fn(vocab_size=V, num_classes=2, max_length=L,
                                              pretrained=str(tmp_path / "none.pt"))


def _lm(causal: bool):
    torch.manual_seed(0)
    cfg = tt.bert_config(vocab_size=V, max_length=L, hidden_size=32, num_layers=2, num_heads=2,
                         dropout=0.0, causal=causal)
    return tt.TextLanguageModel(cfg).eval()


def test_causal_lm_cannot_see_future_tokens():
    ids, mask = _batch()
    later = ids.clone()
    later[:, 8] = (later[:, 8] + 7) % (V - 5) + 5  # change token t+1 = 8
    for causal in (True, False):
        with torch.no_grad():
            before, after = _lm(causal)(ids, mask), _lm(causal)(later, mask)  # (B, L, V)
        unchanged = torch.allclose(before[1:, :8], after[1:, :8], atol=1e-6)
        assert unchanged == causal  # GPT-style: positions <= t ignore t+1; BERT-style sees it
    assert not torch.allclose(before[1:, 8], after[1:, 8])


def test_causal_classifier_reads_the_last_real_token_and_adds_the_lm_loss():
    torch.manual_seed(0)
    model = MODELS.get("text_transformer").fn(vocab_size=V, num_classes=K, max_length=L, causal=True,
                                              aux_lm_weight=0.5, **SMALL["text_transformer"])
    ids, mask = _batch()
    model.eval()
    with torch.no_grad():
        full = model(ids[:1], attention_mask=mask[:1])
        short = model(ids[:1, :6], attention_mask=mask[:1, :6])
        changed = ids[:1].clone()
        changed[0, 5] = 9  # the last real token of the short review
        moved = model(changed, attention_mask=mask[:1])
    assert torch.allclose(full, short, atol=1e-5) and not torch.allclose(full, moved)
    assert model.aux_loss is None  # evaluation: no LM loss
    model.train()
    model(ids, attention_mask=mask)
    assert model.aux_loss.requires_grad and float(model.aux_loss.detach()) > 0
    with pytest.raises(ConfigError, match="causal encoder"):
        MODELS.get("text_transformer").fn(vocab_size=V, num_classes=K, max_length=L, aux_lm_weight=0.5)


def test_clm_checkpoint_gives_a_causal_classifier_with_its_lm_head(tmp_path):
    lm = _lm(causal=True)
    path = tmp_path / "encoder.pt"
    torch.save({"format": tt.CHECKPOINT_FORMAT, "bert_config": tt.bert_config(
                    vocab_size=V, max_length=L, hidden_size=32, num_layers=2, num_heads=2, causal=True),
                "encoder": lm.encoder.state_dict(), "lm_head": lm.head.state_dict(), "objective": "clm"}, path)
    model = MODELS.get("text_bert_pretrained").fn(vocab_size=V, num_classes=K, max_length=L,
                                                  pretrained=str(tmp_path), aux_lm_weight=0.25)
    assert tt.is_causal(model.encoder) and model.aux_lm_weight == 0.25
    for k, v in lm.head.state_dict().items():
        assert torch.equal(model.lm_head.state_dict()[k], v)
