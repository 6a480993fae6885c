"""A BERT-style Transformer encoder classifier, built from a config (no downloaded weights).

Three factories share one module, ``BertClassifier`` (``transformers.BertModel`` without its
pooler + a ``[CLS]`` head):

- ``text_transformer``: randomly initialised, trained on the labels alone;
- ``text_bert_pretrained``: encoder weights from a ``seqlab pretrain`` checkpoint
  (``pretrained: path``), fine-tuned end to end (the GPT-1 / BERT recipe);
- ``text_bert_lora``: the same pre-trained encoder frozen, with LoRA adapters (Hu et al. 2021,
  via ``peft``) on the attention projections; only adapters and head train.
  ``parameter_counts(model)`` gives trainable vs total parameters.

Pre-training checkpoints hold tensors and plain types only (``torch.load(weights_only=True)``):
``{"format", "bert_config": dict, "encoder": state_dict, "tokenizer_json": str, ...}``.
"""

from __future__ import annotations

import logging
from pathlib import Path

import torch
from torch import nn

from seqlab.errors import ConfigError
from seqlab.models.registry import register_model

log = logging.getLogger(__name__)
CHECKPOINT_FORMAT = "seqlab-mlm-encoder/1"


def bert_config(*, vocab_size: int, max_length: int, pad_id: int = 0, hidden_size: int = 256,
                num_layers: int = 4, num_heads: int = 4, intermediate_size: int | None = None,
                dropout: float = 0.1) -> dict:
    """Plain-dict ``BertConfig`` arguments (stored as-is in checkpoints)."""
    return {"vocab_size": vocab_size, "hidden_size": hidden_size, "num_hidden_layers": num_layers,
            "num_attention_heads": num_heads,
            "intermediate_size": intermediate_size or 4 * hidden_size,
            "hidden_dropout_prob": dropout, "attention_probs_dropout_prob": dropout,
            "max_position_embeddings": max_length, "type_vocab_size": 1, "pad_token_id": pad_id}


def make_bert(config: dict):
    from transformers import BertConfig, BertModel

    return BertModel(BertConfig(**config), add_pooling_layer=False)


class BertClassifier(nn.Module):
    """Encoder → ``[CLS]`` vector → dense + tanh → dropout → logits."""

    def __init__(self, encoder: nn.Module, *, hidden_size: int, num_classes: int,
                 dropout: float = 0.1):
        super().__init__()
        self.encoder = encoder
        self.pre = nn.Linear(hidden_size, hidden_size)
        self.drop = nn.Dropout(dropout)
        self.head = nn.Linear(hidden_size, num_classes)

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor | None = None):
        if attention_mask is not None:  # right padding: drop all-padding columns (CPU speed)
            width = int(attention_mask.sum(1).max().clamp(min=1))
            input_ids, attention_mask = input_ids[:, :width], attention_mask[:, :width]  # (B, W)
        out = self.encoder(input_ids=input_ids, attention_mask=attention_mask)
        cls = out.last_hidden_state[:, 0]  # (B, H)
        return self.head(self.drop(torch.tanh(self.pre(cls))))  # (B, K)


def parameter_counts(model: nn.Module) -> dict[str, int]:
    return {"trainable": sum(p.numel() for p in model.parameters() if p.requires_grad),
            "total": sum(p.numel() for p in model.parameters())}


def load_pretrained(path: str | Path) -> dict:
    """Read a ``seqlab pretrain`` checkpoint (weights_only: tensors and plain types)."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"model.pretrained: {path} not found; run `seqlab pretrain "
                          "configs/text/nsmc_pretrain.yaml` first")
    ckpt = torch.load(path, map_location="cpu", weights_only=True)
    if ckpt.get("format") != CHECKPOINT_FORMAT:
        raise ConfigError(f"{path} is not a seqlab pre-training checkpoint "
                          f"(format {ckpt.get('format')!r}, expected {CHECKPOINT_FORMAT!r})")
    return ckpt


def _pretrained_encoder(pretrained: str, vocab_size: int, max_length: int, dropout: float):
    ckpt = load_pretrained(pretrained)
    config = dict(ckpt["bert_config"])
    if config["vocab_size"] != vocab_size:
        raise ConfigError(f"the data's vocabulary ({vocab_size}) differs from the pre-trained "
                          f"encoder's ({config['vocab_size']}): set data.tokenizer_path to the "
                          "tokenizer.json saved beside the pre-training checkpoint")
    if max_length > config["max_position_embeddings"]:
        raise ConfigError(f"data.max_length {max_length} exceeds the encoder's "
                          f"{config['max_position_embeddings']} positions")
    config.update(hidden_dropout_prob=dropout, attention_probs_dropout_prob=dropout)
    encoder = make_bert(config)
    encoder.load_state_dict(ckpt["encoder"])
    return encoder, config["hidden_size"]


@register_model
def text_transformer(*, vocab_size: int, num_classes: int, max_length: int, pad_id: int = 0,
                     hidden_size: int = 256, num_layers: int = 4, num_heads: int = 4,
                     intermediate_size: int | None = None, dropout: float = 0.1):
    """BERT-style Transformer encoder classifier, randomly initialised."""
    config = bert_config(vocab_size=vocab_size, max_length=max_length, pad_id=pad_id,
                         hidden_size=hidden_size, num_layers=num_layers, num_heads=num_heads,
                         intermediate_size=intermediate_size, dropout=dropout)
    return BertClassifier(make_bert(config), hidden_size=hidden_size, num_classes=num_classes,
                          dropout=dropout)


@register_model
def text_bert_pretrained(*, vocab_size: int, num_classes: int, max_length: int, pretrained: str,
                         pad_id: int = 0, dropout: float = 0.1):
    """Transformer encoder from a `seqlab pretrain` MLM checkpoint, fully fine-tuned."""
    encoder, hidden = _pretrained_encoder(pretrained, vocab_size, max_length, dropout)
    model = BertClassifier(encoder, hidden_size=hidden, num_classes=num_classes, dropout=dropout)
    log.info("text_bert_pretrained parameters: %s", parameter_counts(model))
    return model


@register_model
def text_bert_lora(*, vocab_size: int, num_classes: int, max_length: int, pretrained: str,
                   pad_id: int = 0, dropout: float = 0.1, r: int = 8, lora_alpha: int = 16,
                   lora_dropout: float = 0.1,
                   target_modules: tuple[str, ...] = ("query", "key", "value", "dense")):
    """Pre-trained encoder frozen + LoRA adapters (peft); only adapters and the head train."""
    from peft import LoraConfig, inject_adapter_in_model

    encoder, hidden = _pretrained_encoder(pretrained, vocab_size, max_length, dropout)
    lora = LoraConfig(r=r, lora_alpha=lora_alpha, lora_dropout=lora_dropout,
                      target_modules=list(target_modules), bias="none")
    encoder = inject_adapter_in_model(lora, encoder)
    for name, p in encoder.named_parameters():
        p.requires_grad = "lora_" in name
    model = BertClassifier(encoder, hidden_size=hidden, num_classes=num_classes, dropout=dropout)
    log.info("text_bert_lora parameters: %s", parameter_counts(model))
    return model
