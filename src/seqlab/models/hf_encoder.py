"""Pre-trained Hugging Face encoders (KLUE-BERT, multilingual BERT, KcBERT, KoELECTRA,
RoBERTa, ...) fine-tuned as seqlab classifiers: ``model.pretrained: PATH_OR_NAME``.

The checkpoint is read with ``AutoModelForSequenceClassification``, which puts each
architecture's own classification head on the encoder (BERT: the pre-trained pooler, dropout,
a new linear layer; RoBERTa / ELECTRA: their two-layer heads on the first token), i.e. what
the published fine-tuning figures used. Offline first (``seqlab.hf_hub``): a directory never
touches the network, a hub name is read from the local cache when it is there. The run's
data uses the same checkpoint's tokenizer: the config loader sets ``data.tokenizer_path`` to
``model.pretrained`` unless the YAML names one (``data.text.hf_tokenizer``).

Factories: ``hf_encoder`` (every weight trained) and ``hf_encoder_lora`` (the encoder frozen,
LoRA adapters (peft; Hu et al. 2021) + the task head trained). Checkpoints hold the whole
state dict (tensors only: ``torch.load(weights_only=True)``); rebuilding the network from a
checkpoint (``seqlab evaluate``, ``predict --engine torch``, ``export``) reads the
architecture from ``model.pretrained`` again, while ``seqlab predict`` on the exported
``model.onnx`` needs only the run directory.

``save_as_hf`` writes a ``seqlab pretrain`` MLM encoder as a Hugging Face directory, so it
can be fine-tuned here (``model.pretrained: DIR``) or used by any HF program.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
from pathlib import Path

import torch
from torch import nn

from seqlab.errors import ConfigError
from seqlab.hf_hub import from_hub
from seqlab.models.registry import register_model

log = logging.getLogger(__name__)


class HFClassifier(nn.Module):
    """A ``*ForSequenceClassification`` network with seqlab's ``forward(input_ids, attention_mask)``
    → logits ``(B, K)``."""

    def __init__(self, net: nn.Module):
        super().__init__()
        self.net = net

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor | None = None) -> torch.Tensor:
        if attention_mask is not None:  # right padding: all-padding columns are never attended to
            width = int(attention_mask.sum(1).max().clamp(min=1))
            input_ids, attention_mask = input_ids[:, :width], attention_mask[:, :width]  # (B, W)
        return self.net(input_ids=input_ids, attention_mask=attention_mask).logits  # (B, K)


def _sequence_classifier(source: str, *, local_files_only: bool = False, **kwargs) -> nn.Module:
    """``AutoModelForSequenceClassification.from_pretrained``; transformers 5.24 looks for a peft
    ``adapter_config.json`` on the hub even under ``local_files_only`` (about 45 s of retries
    without a network), so the flag is passed to that lookup too."""
    from transformers import AutoModelForSequenceClassification

    if local_files_only:
        kwargs["adapter_kwargs"] = {"local_files_only": True}
    return AutoModelForSequenceClassification.from_pretrained(source, local_files_only=local_files_only, **kwargs)


def load_classifier(pretrained: str, *, num_classes: int, vocab_size: int | None, max_length: int) -> nn.Module:
    """The checkpoint with a ``num_classes`` head, checked against the data's token ids."""
    if vocab_size is None:
        raise ConfigError("hf_encoder reads token ids: set data.representation: tokens (the checkpoint's "
                          "tokenizer is used)")
    net = from_hub(_sequence_classifier, pretrained, "model.pretrained", num_labels=num_classes,
                   ignore_mismatched_sizes=True)  # a checkpoint with another head gets a new one
    config = net.config
    if getattr(config, "is_decoder", False):
        raise ConfigError(f"model.pretrained: {pretrained!r} is a causal (decoder) model; hf_encoder fine-tunes "
                          "encoders, which read the first token (for a `seqlab pretrain --objective clm` encoder "
                          "use text_bert_pretrained)")
    if vocab_size > config.vocab_size:
        raise ConfigError(f"the data's vocabulary ({vocab_size}) is larger than {pretrained!r}'s "
                          f"({config.vocab_size}): data.tokenizer_path must be the checkpoint's own tokenizer "
                          f"(leave it unset to use {pretrained!r})")
    positions = getattr(config, "max_position_embeddings", None)
    if positions is not None and max_length > positions:
        raise ConfigError(f"data.max_length {max_length} exceeds {pretrained!r}'s {positions} positions")
    return net.train()  # from_pretrained returns eval mode; a new module trains (dropout on) like any other


def parameter_counts(model: nn.Module) -> dict[str, int]:
    return {"trainable": sum(p.numel() for p in model.parameters() if p.requires_grad),
            "total": sum(p.numel() for p in model.parameters())}


@register_model(tokenizer="pretrained")
def hf_encoder(*, pretrained: str, num_classes: int, vocab_size: int | None = None, max_length: int = 128):
    """A pre-trained Hugging Face encoder + its classification head, every weight fine-tuned."""
    model = HFClassifier(load_classifier(pretrained, num_classes=num_classes, vocab_size=vocab_size,
                                         max_length=max_length))
    log.info("hf_encoder %s parameters: %s", pretrained, parameter_counts(model))
    return model


@register_model(tokenizer="pretrained")
def hf_encoder_lora(*, pretrained: str, num_classes: int, vocab_size: int | None = None, max_length: int = 128,
                    r: int = 8, lora_alpha: int = 16, lora_dropout: float = 0.1,
                    target_modules: list[str] | None = None):
    """A pre-trained Hugging Face encoder frozen + LoRA adapters; adapters and head train.
    ``target_modules`` None: peft's default for the architecture (BERT: query, value)."""
    from peft import LoraConfig, inject_adapter_in_model

    net = load_classifier(pretrained, num_classes=num_classes, vocab_size=vocab_size, max_length=max_length)
    lora = LoraConfig(r=r, lora_alpha=lora_alpha, lora_dropout=lora_dropout, bias="none",
                      target_modules=list(target_modules) if target_modules else None)
    try:
        inject_adapter_in_model(lora, net.base_model)  # the encoder only: the task head stays whole
    except ValueError as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else "no target"
        raise ConfigError(f"model.target_modules: {first[:200]} (name the encoder's linear layers, "
                          "e.g. [query, value])") from None
    encoder = f"{net.base_model_prefix}."
    for name, p in net.named_parameters():
        p.requires_grad = "lora_" in name or not name.startswith(encoder)
    model = HFClassifier(net)
    log.info("hf_encoder_lora %s parameters: %s", pretrained, parameter_counts(model))
    return model


def save_as_hf(source: str | Path, dest: str | Path) -> Path:
    """Write a ``seqlab pretrain`` MLM encoder (its run directory or ``encoder.pt``) as a Hugging
    Face directory: ``config.json`` + weights (``BertModel``, no pooler: fine-tuning starts it
    fresh) + its tokenizer (``tokenizer.json``, special tokens declared). Returns ``dest``."""
    from tokenizers import Tokenizer
    from transformers import BertConfig, BertModel, PreTrainedTokenizerFast

    from seqlab.models.text_transformer import load_pretrained

    ckpt = load_pretrained(source)
    if ckpt["bert_config"].get("is_decoder"):
        raise ConfigError(f"{source} is a causal (CLM) encoder: an HF sequence classifier reads [CLS], which "
                          "under causal attention sees only itself; fine-tune it with text_bert_pretrained")
    dest = Path(dest)
    if dest.exists():
        raise ConfigError(f"{dest} already exists; choose a new directory for the Hugging Face checkpoint")
    encoder = BertModel(BertConfig(**ckpt["bert_config"]), add_pooling_layer=False)
    encoder.load_state_dict(ckpt["encoder"])
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=Tokenizer.from_str(ckpt["tokenizer_json"]),
                                        unk_token="[UNK]", pad_token="[PAD]", cls_token="[CLS]",
                                        sep_token="[SEP]", mask_token="[MASK]")
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=dest.parent, prefix=f".{dest.name}."))
    try:  # all files or none: a failed conversion leaves no half-written checkpoint at dest
        encoder.save_pretrained(tmp)
        tokenizer.save_pretrained(tmp)
        os.replace(tmp, dest)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return dest
