"""Language-model objectives as Lightning modules: masked LM (BERT), causal LM (GPT-1), and
the classifier that adds GPT-1's auxiliary LM loss while fine-tuning.

- MLM: 15 % of the real tokens are chosen; 80 % become ``[MASK]``, 10 % a random token, 10 %
  stay; the loss is cross-entropy at the chosen positions only (Devlin et al. 2019).
- CLM: every real position predicts the next token, under causal attention (Radford et al.
  2018, L1). The objective follows from the encoder: a causal encoder cannot be trained by
  MLM usefully and a bidirectional one sees the token it should predict, so
  ``model.causal`` picks it (``seqlab pretrain --objective clm`` sets it).
- Fine-tuning with ``model.aux_lm_weight: λ``: the network exposes ``aux_loss = λ·L1`` after a
  training forward and ``AuxLossClassifier`` adds it to the classification loss (L3 = L2 + λ·L1).
"""

from __future__ import annotations

from typing import Any

import lightning as L
import torch
from torch.nn import functional as F

from seqlab.data.text.subword import MASK_ID
from seqlab.models.text_transformer import TextLanguageModel, encode, next_token_loss
from seqlab.training.module import Classifier, build_scheduler

N_SPECIAL = 5  # [PAD] [UNK] [CLS] [SEP] [MASK]: never chosen for masking, never a random swap
MASK_PROB = 0.15
LM_MONITORS = {"val/loss": "min", "val/accuracy": "max"}


def mask_tokens(ids: torch.Tensor, attn: torch.Tensor, *, vocab_size: int, prob: float = MASK_PROB,
                generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """BERT masking → (inputs, labels); labels are -100 where no prediction is made."""
    real = (attn == 1) & (ids >= N_SPECIAL)  # (B, L) maskable positions
    chosen = (torch.rand(ids.shape, generator=generator) < prob) & real
    labels = torch.where(chosen, ids, torch.full_like(ids, -100))
    roll = torch.rand(ids.shape, generator=generator)
    inputs = ids.clone()
    inputs[chosen & (roll < 0.8)] = MASK_ID
    swap = chosen & (roll >= 0.8) & (roll < 0.9)
    inputs[swap] = torch.randint(N_SPECIAL, vocab_size, (int(swap.sum()),), generator=generator)
    return inputs, labels


def mlm_loss(net: TextLanguageModel, ids: torch.Tensor, attn: torch.Tensor,
             generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor, int]:
    """(mean loss, correct, predicted): the vocabulary projection only where a token is masked."""
    inputs, labels = mask_tokens(ids.cpu(), attn.cpu(), vocab_size=net.head.bias.numel(),
                                 generator=generator)
    inputs, labels = inputs.to(ids.device), labels.to(ids.device)
    hidden, _, _ = encode(net.encoder, inputs, attn)  # (B, W, H)
    chosen = labels[:, : hidden.shape[1]] != -100
    logits = net.head(hidden[chosen], net.embedding())  # (M, V)
    target = labels[:, : hidden.shape[1]][chosen]
    return F.cross_entropy(logits, target), (logits.argmax(1) == target).sum(), int(chosen.sum())


def clm_loss(net: TextLanguageModel, ids: torch.Tensor,
             attn: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, int]:
    hidden, ids, attn = encode(net.encoder, ids, attn)  # (B, W, H)
    loss, correct = next_token_loss(hidden, ids, attn, net.head, net.embedding())
    return loss, correct, int(attn[:, 1:].sum())


class LanguageModel(L.LightningModule):
    """Pre-training module: the encoder config and optimiser settings are its (plain-typed)
    hyper-parameters, so ``checkpoints/*.ckpt`` load with ``weights_only=True`` and rebuild it.
    ``history`` (held-out loss per epoch) travels inside every checkpoint."""

    def __init__(self, *, encoder_config: dict[str, Any], optim: dict[str, Any], seed: int = 0):
        super().__init__()
        self.save_hyperparameters()
        self.net = TextLanguageModel(encoder_config)
        self.history: list[dict[str, float]] = []
        self._val = [0.0, 0.0, 0]  # loss sum, correct, predicted

    @property
    def objective(self) -> str:
        return "clm" if self.net.causal else "mlm"

    def _loss(self, batch, generator: torch.Generator | None = None):
        ids, attn = batch
        if self.net.causal:
            return clm_loss(self.net, ids, attn)
        return mlm_loss(self.net, ids, attn, generator)

    def training_step(self, batch, batch_idx: int) -> torch.Tensor:
        loss, _, n = self._loss(batch)
        self.log("train/loss", loss, prog_bar=True, batch_size=max(n, 1))
        return loss

    def validation_step(self, batch, batch_idx: int) -> None:
        # the same masks every epoch (a generator seeded by the batch), so epochs compare
        g = torch.Generator().manual_seed(self.hparams["seed"] * 7919 + batch_idx)
        loss, correct, n = self._loss(batch, g)
        self._val[0] += float(loss) * n
        self._val[1] += float(correct)
        self._val[2] += n

    def on_validation_epoch_end(self) -> None:
        total, correct, n = self._val
        self._val = [0.0, 0.0, 0]
        if n == 0:
            return
        loss, acc = total / n, correct / n
        self.log_dict({"val/loss": loss, "val/accuracy": acc}, prog_bar=True)
        if not self.trainer.sanity_checking:
            self.history.append({"epoch": self.current_epoch, "step": self.global_step,
                                 "val_loss": loss, "val_accuracy": acc})

    def on_save_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        checkpoint["history"] = [dict(h) for h in self.history]

    def on_load_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        self.history = [dict(h) for h in checkpoint.get("history", [])]

    def configure_optimizers(self):
        """Weight decay on matrices only (not biases, LayerNorm), as BERT and GPT-1 do."""
        o = self.hparams["optim"]
        params = [p for p in self.parameters() if p.requires_grad]
        groups = [{"params": [p for p in params if p.ndim >= 2], "weight_decay": o["weight_decay"]},
                  {"params": [p for p in params if p.ndim < 2], "weight_decay": 0.0}]
        if o["name"] == "sgd":
            opt = torch.optim.SGD(groups, lr=o["lr"], momentum=o["momentum"])
        else:
            opt = (torch.optim.AdamW if o["name"] == "adamw" else torch.optim.Adam)(groups, lr=o["lr"])
        sched = build_scheduler(opt, o, self.trainer)
        return opt if sched is None else {"optimizer": opt, "lr_scheduler": sched}


class AuxLossClassifier(Classifier):
    """The shared classifier plus the network's auxiliary loss (``model.aux_loss``, set by a
    training forward): GPT-1's fine-tuning objective L3 = L2 + λ·L1."""

    def training_step(self, batch, batch_idx: int) -> torch.Tensor:
        loss = super().training_step(batch, batch_idx)
        aux, self.model.aux_loss = getattr(self.model, "aux_loss", None), None  # drop the graph ref
        if aux is None:
            return loss
        self.log("train/aux_loss", aux, on_step=False, on_epoch=True, batch_size=len(batch[1]))
        return loss + aux


def classifier_class(model_params: dict[str, Any]) -> type[Classifier]:
    """The LightningModule for a classification run: ``AuxLossClassifier`` when the model adds
    an auxiliary LM loss (``model.aux_lm_weight`` > 0), else the shared ``Classifier``."""
    return AuxLossClassifier if model_params.get("aux_lm_weight") else Classifier
