"""Transformer text encoders built from a config (no downloaded weights): classifiers and the
language model ``seqlab pretrain`` trains.

One encoder, ``transformers.BertModel`` without its pooler, two attention patterns:

- bidirectional (BERT, Devlin et al. 2019): every token sees the whole review; pre-trained by
  masked-token prediction; the classifier reads the ``[CLS]`` vector;
- causal (GPT-1, Radford et al. 2018; ``causal=True``, HF's ``is_decoder``): token t sees tokens
  ≤ t only; pre-trained by next-token prediction; the classifier reads the last real token
  (``[SEP]``), the only one that has seen the whole review, as GPT-1 reads its end token.

Classifier factories: ``text_transformer`` (random init), ``text_bert_pretrained`` (a
``seqlab pretrain`` encoder, fine-tuned end to end) and ``text_bert_lora`` (that encoder frozen
+ LoRA adapters, Hu et al. 2021). With ``aux_lm_weight: λ`` a causal classifier also predicts
the next token during training and exposes ``λ·L_LM`` as ``aux_loss`` (GPT-1's fine-tuning
objective L2 + λ·L1; the training module adds it).

Pre-training output (``encoder.pt``) holds tensors and plain types only
(``torch.load(weights_only=True)``): ``{"format", "bert_config", "encoder", "lm_head",
"objective", "tokenizer_json", "config", "history"}``.
"""

from __future__ import annotations

import logging
from pathlib import Path

import torch
from torch import nn
from torch.nn import functional as F

from seqlab.errors import ConfigError
from seqlab.models.registry import register_model

log = logging.getLogger(__name__)
CHECKPOINT_FORMAT = "seqlab-text-encoder/2"
READABLE_FORMATS = ("seqlab-mlm-encoder/1", CHECKPOINT_FORMAT)  # /1: MLM only, no lm_head


def bert_config(*, vocab_size: int, max_length: int, pad_id: int = 0, hidden_size: int = 256,
                num_layers: int = 4, num_heads: int = 4, intermediate_size: int | None = None,
                dropout: float = 0.1, causal: bool = False) -> dict:
    """Plain-dict ``BertConfig`` arguments (stored as-is in checkpoints)."""
    return {"vocab_size": vocab_size, "hidden_size": hidden_size, "num_hidden_layers": num_layers,
            "num_attention_heads": num_heads,
            "intermediate_size": intermediate_size or 4 * hidden_size,
            "hidden_dropout_prob": dropout, "attention_probs_dropout_prob": dropout,
            "max_position_embeddings": max_length, "type_vocab_size": 1, "pad_token_id": pad_id,
            "is_decoder": causal, "use_cache": False}


def make_bert(config: dict):
    from transformers import BertConfig, BertModel

    return BertModel(BertConfig(**config), add_pooling_layer=False)


def is_causal(encoder: nn.Module) -> bool:
    return bool(getattr(encoder.config, "is_decoder", False))


class LMHead(nn.Module):
    """BERT's LM head (dense + GELU + LayerNorm), then the word-embedding matrix, tied as both
    BERT and GPT-1 tie it, + a bias → vocabulary logits. The same head serves both objectives,
    so MLM and CLM encoders differ only in their attention pattern."""

    def __init__(self, hidden_size: int, vocab_size: int):
        super().__init__()
        self.dense = nn.Linear(hidden_size, hidden_size)
        self.norm = nn.LayerNorm(hidden_size, eps=1e-12)
        self.bias = nn.Parameter(torch.zeros(vocab_size))

    def forward(self, hidden: torch.Tensor, embedding: torch.Tensor) -> torch.Tensor:
        return F.linear(self.norm(F.gelu(self.dense(hidden))), embedding, self.bias)  # (..., V)


def encode(encoder: nn.Module, input_ids: torch.Tensor, attention_mask: torch.Tensor | None):
    """Last hidden states ``(B, W, H)``; all-padding columns are dropped first (right padding:
    a real token never attends to them, and CPU time grows with the width)."""
    if attention_mask is not None:
        width = int(attention_mask.sum(1).max().clamp(min=1))
        input_ids, attention_mask = input_ids[:, :width], attention_mask[:, :width]  # (B, W)
    out = encoder(input_ids=input_ids, attention_mask=attention_mask, use_cache=False)
    return out.last_hidden_state, input_ids, attention_mask


def next_token_loss(hidden: torch.Tensor, input_ids: torch.Tensor, attention_mask: torch.Tensor | None,
                    head: LMHead, embedding: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """GPT's objective: position t predicts token t+1, wherever t+1 is a real token; the
    vocabulary projection runs only there. Returns (mean loss, number of correct guesses)."""
    real = torch.ones_like(input_ids) if attention_mask is None else attention_mask
    where = real[:, 1:].bool()  # (B, W-1): a real next token to predict
    logits = head(hidden[:, :-1][where], embedding)  # (M, V)
    target = input_ids[:, 1:][where]  # (M,)
    return F.cross_entropy(logits, target), (logits.argmax(1) == target).sum()


class TextLanguageModel(nn.Module):
    """Encoder + tied LM head: what ``seqlab pretrain`` trains (``causal`` → GPT-style)."""

    def __init__(self, config: dict):
        super().__init__()
        self.encoder = make_bert(config)
        self.head = LMHead(config["hidden_size"], config["vocab_size"])

    @property
    def causal(self) -> bool:
        return is_causal(self.encoder)

    def embedding(self) -> torch.Tensor:
        return self.encoder.embeddings.word_embeddings.weight  # (V, H)

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor | None = None):
        """Vocabulary logits at every position ``(B, L, V)``, padding columns included."""
        out = self.encoder(input_ids=input_ids, attention_mask=attention_mask, use_cache=False)
        return self.head(out.last_hidden_state, self.embedding())


class BertClassifier(nn.Module):
    """Encoder → ``[CLS]`` vector (causal: last real token) → dense + tanh → dropout → logits."""

    def __init__(self, encoder: nn.Module, *, hidden_size: int, num_classes: int,
                 dropout: float = 0.1, lm_head: LMHead | None = None, aux_lm_weight: float = 0.0):
        super().__init__()
        self.encoder = encoder
        self.pre = nn.Linear(hidden_size, hidden_size)
        self.drop = nn.Dropout(dropout)
        self.head = nn.Linear(hidden_size, num_classes)
        self.lm_head = lm_head
        self.aux_lm_weight = aux_lm_weight
        self.aux_loss: torch.Tensor | None = None  # λ·L_LM of the last training forward

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor | None = None):
        hidden, input_ids, attention_mask = encode(self.encoder, input_ids, attention_mask)  # (B, W, H)
        if is_causal(self.encoder):
            last = (attention_mask.sum(1) - 1 if attention_mask is not None
                    else torch.full((len(hidden),), hidden.shape[1] - 1, device=hidden.device))
            pooled = hidden[torch.arange(len(hidden), device=hidden.device), last]  # (B, H)
        else:
            pooled = hidden[:, 0]  # (B, H)
        self.aux_loss = None
        if self.training and self.lm_head is not None:
            embedding = self.encoder.embeddings.word_embeddings.weight
            lm, _ = next_token_loss(hidden, input_ids, attention_mask, self.lm_head, embedding)
            self.aux_loss = self.aux_lm_weight * lm
        return self.head(self.drop(torch.tanh(self.pre(pooled))))  # (B, K)


def parameter_counts(model: nn.Module) -> dict[str, int]:
    return {"trainable": sum(p.numel() for p in model.parameters() if p.requires_grad),
            "total": sum(p.numel() for p in model.parameters())}


def load_pretrained(path: str | Path) -> dict:
    """Read a ``seqlab pretrain`` output: its run directory or its ``encoder.pt`` (weights_only:
    tensors and plain types)."""
    path = Path(path)
    if path.is_dir():
        path = path / "encoder.pt"
    if not path.is_file():
        raise ConfigError(f"model.pretrained: {path} not found; run `seqlab pretrain "
                          "configs/text/nsmc_pretrain.yaml` first (or give its RUN_DIR)")
    ckpt = torch.load(path, map_location="cpu", weights_only=True)
    if ckpt.get("format") not in READABLE_FORMATS:
        raise ConfigError(f"{path} is not a seqlab pre-training checkpoint "
                          f"(format {ckpt.get('format')!r}, expected {CHECKPOINT_FORMAT!r})")
    return ckpt


def _aux_head(encoder: nn.Module, hidden: int, vocab_size: int, aux_lm_weight: float,
              state: dict | None = None) -> LMHead | None:
    """The LM head for the auxiliary loss (pre-trained weights when the checkpoint has them)."""
    if aux_lm_weight < 0:
        raise ConfigError(f"model.aux_lm_weight must be >= 0, got {aux_lm_weight}")
    if aux_lm_weight == 0:
        return None
    if not is_causal(encoder):
        raise ConfigError("model.aux_lm_weight needs a causal encoder: pre-train with `seqlab pretrain "
                          "... --objective clm` (or set model.causal: true for text_transformer)")
    head = LMHead(hidden, vocab_size)
    if state:
        head.load_state_dict(state)
    return head


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
    config.update(hidden_dropout_prob=dropout, attention_probs_dropout_prob=dropout, use_cache=False)
    encoder = make_bert(config)
    encoder.load_state_dict(ckpt["encoder"])
    return encoder, config["hidden_size"], ckpt.get("lm_head")


@register_model
def text_transformer(*, vocab_size: int, num_classes: int, max_length: int, pad_id: int = 0,
                     hidden_size: int = 256, num_layers: int = 4, num_heads: int = 4,
                     intermediate_size: int | None = None, dropout: float = 0.1,
                     causal: bool = False, aux_lm_weight: float = 0.0):
    """Transformer encoder classifier (BERT-style; causal: GPT-style), randomly initialised."""
    config = bert_config(vocab_size=vocab_size, max_length=max_length, pad_id=pad_id,
                         hidden_size=hidden_size, num_layers=num_layers, num_heads=num_heads,
                         intermediate_size=intermediate_size, dropout=dropout, causal=causal)
    encoder = make_bert(config)
    head = _aux_head(encoder, hidden_size, vocab_size, aux_lm_weight)
    return BertClassifier(encoder, hidden_size=hidden_size, num_classes=num_classes,
                          dropout=dropout, lm_head=head, aux_lm_weight=aux_lm_weight)


@register_model
def text_bert_pretrained(*, vocab_size: int, num_classes: int, max_length: int, pretrained: str,
                         pad_id: int = 0, dropout: float = 0.1, aux_lm_weight: float = 0.0):
    """Transformer encoder from a `seqlab pretrain` run (MLM or CLM), fully fine-tuned."""
    encoder, hidden, lm_state = _pretrained_encoder(pretrained, vocab_size, max_length, dropout)
    head = _aux_head(encoder, hidden, vocab_size, aux_lm_weight, lm_state)
    model = BertClassifier(encoder, hidden_size=hidden, num_classes=num_classes, dropout=dropout,
                           lm_head=head, aux_lm_weight=aux_lm_weight)
    log.info("text_bert_pretrained parameters: %s", parameter_counts(model))
    return model


@register_model
def text_bert_lora(*, vocab_size: int, num_classes: int, max_length: int, pretrained: str,
                   pad_id: int = 0, dropout: float = 0.1, r: int = 8, lora_alpha: int = 16,
                   lora_dropout: float = 0.1,
                   target_modules: tuple[str, ...] = ("query", "key", "value", "dense")):
    """Pre-trained encoder frozen + LoRA adapters (peft); only adapters and the head train."""
    from peft import LoraConfig, inject_adapter_in_model

    encoder, hidden, _ = _pretrained_encoder(pretrained, vocab_size, max_length, dropout)
    lora = LoraConfig(r=r, lora_alpha=lora_alpha, lora_dropout=lora_dropout,
                      target_modules=list(target_modules), bias="none")
    encoder = inject_adapter_in_model(lora, encoder)
    for name, p in encoder.named_parameters():
        p.requires_grad = "lora_" in name
    model = BertClassifier(encoder, hidden_size=hidden, num_classes=num_classes, dropout=dropout)
    log.info("text_bert_lora parameters: %s", parameter_counts(model))
    return model
