"""One LightningModule for every classifier: loss, optimiser, schedule, per-stage metrics.

It receives the model's registry name and keyword arguments (saved as hyper-parameters), so a
checkpoint rebuilds its own network. Validation metrics are computed from a confusion matrix
with macro averages over the classes present (see ``seqlab.evaluation.metrics``), so the
monitored ``val/macro_f1`` is not dragged down by a class absent from the validation split.
A real-valued target trains ``Regressor`` (end of this file): the same loop, a regression loss
and MSE / MAE / RMSE / R² per stage instead of the confusion matrix.

Sequence models (``models.seq2seq``) train on windows of beats: their logits ``(B, L, K)`` are
flattened against the targets ``(B, L)``, padding (-100) left out. Teacher forcing is a hook:
while training, a network whose ``teacher_forcing`` attribute is true also receives the batch's
targets as ``forward(..., targets=y)`` (its decoder reads the true previous labels); validation
and test call it without them (greedy decoding), as inference does.
"""

from __future__ import annotations

import re
from typing import Any

import lightning as L
import torch
from torch import nn
from torch.nn import functional as F
from torchmetrics import Metric
from torchmetrics.classification import MulticlassConfusionMatrix

from seqlab.errors import ConfigError
from seqlab.evaluation.metrics import from_confusion
from seqlab.inference.loading import build_model, forward_inputs

STAGES = ("train", "val", "test")


class Classifier(L.LightningModule):
    def __init__(self, *, model_name: str, model_kwargs: dict[str, Any], classes: list[str],
                 optim: dict[str, Any], class_weights: list[float] | None = None,
                 augment: dict[str, Any] | None = None, seed: int = 0, keep_frozen: bool = False):
        super().__init__()
        self.save_hyperparameters()
        self.model = build_model(model_name, model_kwargs)
        self.augmenter = None  # built in on_fit_start, when the process rank is known
        self.classes = classes
        self.optim = optim
        weight = torch.tensor(class_weights, dtype=torch.float32) if class_weights else None
        self.loss_fn = nn.CrossEntropyLoss(weight=weight, label_smoothing=optim.get("label_smoothing", 0.0))
        # ModuleDict keys cannot be "train" (an nn.Module method): key by "<stage>_cm"
        self.confusion = nn.ModuleDict({f"{s}_cm": MulticlassConfusionMatrix(len(classes)) for s in STAGES})

    def forward(self, x: Any) -> torch.Tensor:
        return forward_inputs(self.model, x)

    def _step(self, batch, stage: str) -> torch.Tensor:
        x, y = batch
        if stage == "train" and getattr(self.model, "teacher_forcing", False):
            x = {**(x if isinstance(x, dict) else {"x": x}), "targets": y}  # the teacher-forcing hook
        logits = self(x)  # (B, K), or (B, L, K) for windows of beats
        if logits.dim() == 3:  # one label per beat of each window; padding (-100) left out
            keep = y.reshape(-1) >= 0
            logits, y = logits.reshape(-1, logits.shape[-1])[keep], y.reshape(-1)[keep]  # (M, K), (M,)
        loss = self.loss_fn(logits, y)
        self.confusion[f"{stage}_cm"].update(logits.argmax(dim=1), y)
        self.log(f"{stage}/loss", loss, on_step=False, on_epoch=True, batch_size=len(y),
                 prog_bar=stage == "val", sync_dist=stage != "train")
        return loss

    def on_fit_start(self) -> None:
        check_windows(self.hparams["model_name"], self.model, getattr(self.trainer, "datamodule", None),
                      self.hparams.get("augment"))
        if self.hparams.get("augment"):
            from seqlab.training.augment import BatchAugment

            self.augmenter = BatchAugment(self.hparams["augment"], seed=self.hparams.get("seed", 0),
                                          rank=self.global_rank)

    def training_step(self, batch, batch_idx: int) -> torch.Tensor:
        if self.augmenter is not None:  # train batches only; seeded by (seed, step, rank)
            batch = (self.augmenter(batch[0], self.global_step), batch[1])
        loss = self._step(batch, "train")
        l1 = self.optim.get("l1", 0.0)
        if l1:
            loss = loss + l1 * sum(p.abs().sum() for n, p in self.model.named_parameters() if p.dim() > 1)
        return loss

    def validation_step(self, batch, batch_idx: int) -> None:
        self._step(batch, "val")

    def test_step(self, batch, batch_idx: int) -> None:
        self._step(batch, "test")

    def _log_epoch(self, stage: str) -> None:
        metric = self.confusion[f"{stage}_cm"]
        m = from_confusion(metric.compute().cpu().numpy(), self.classes)
        metric.reset()
        for key in ("accuracy", "macro_f1", "macro_sensitivity", "macro_ppv"):
            if m[key] is not None:
                self.log(f"{stage}/{key}", float(m[key]), prog_bar=key == "macro_f1" and stage == "val")

    def on_train_epoch_end(self) -> None:
        self._log_epoch("train")

    def on_validation_epoch_end(self) -> None:
        if not self.trainer.sanity_checking:
            self._log_epoch("val")
        else:
            self.confusion["val_cm"].reset()

    def on_test_epoch_end(self) -> None:
        self._log_epoch("test")

    def configure_optimizers(self):
        o = self.optim
        groups = param_groups(self.model, o["lr"], o.get("lr_mult", {}), self.hparams.get("keep_frozen", False))
        if o["name"] == "sgd":
            opt = torch.optim.SGD(groups, lr=o["lr"], momentum=o["momentum"], weight_decay=o["weight_decay"])
        elif o["name"] == "adamw":
            opt = torch.optim.AdamW(groups, lr=o["lr"], weight_decay=o["weight_decay"])
        else:
            opt = torch.optim.Adam(groups, lr=o["lr"], weight_decay=o["weight_decay"])
        sched = build_scheduler(opt, o, self.trainer)
        return opt if sched is None else {"optimizer": opt, "lr_scheduler": sched}


def with_monitor(cfg: Any, logged: tuple[str, ...], maximise: str, logged_by: str) -> Any:
    """``cfg`` (a RunConfig) with the trainer's monitor and mode for a module that logs
    ``logged`` per stage: a monitor left at its default (val/macro_f1, a classifier's) becomes
    ``val/loss``, one the module does not log is a one-line error, and a mode left at its
    default follows the metric (max for ``maximise``, min for the errors)."""
    t = cfg.trainer
    monitor = t.monitor if "monitor" in t.model_fields_set else "val/loss"
    stage, _, metric = monitor.partition("/")
    if stage not in ("train", "val") or metric not in logged:
        raise ConfigError(f"trainer.monitor {monitor!r} is not logged {logged_by}; use val/ with one of "
                          f"{', '.join(logged)}")
    mode = t.mode if "mode" in t.model_fields_set else "max" if metric == maximise else "min"
    return cfg.model_copy(update={"trainer": t.model_copy(update={"monitor": monitor, "mode": mode})})


def check_windows(name: str, model: nn.Module, datamodule: Any, augment: dict | None) -> None:
    """A sequence model (``beats_per_window``) trains on windows of beats (``data.beat_sequence``)
    and any other model on single beats; a mismatch is a config mistake, said in one line."""
    windowed = getattr(datamodule, "window", None) is not None
    sequence = getattr(model, "beats_per_window", None) is not None
    if sequence and not windowed:
        raise ConfigError(f"model {name!r} labels windows of consecutive beats: set data.beat_sequence "
                          "(e.g. {length: 10}) on an ECG beat dataset")
    if windowed and not sequence:
        raise ConfigError(f"data.beat_sequence cuts windows of beats for a sequence model; {name!r} classifies "
                          "single beats (use seq2seq_lstm, or remove data.beat_sequence)")
    if windowed and augment:
        raise ConfigError("augment transforms single beats, not windows of them: set augment.prob: 0 "
                          "with data.beat_sequence")


def param_groups(model: nn.Module, lr: float, lr_mult: dict[str, float],
                 keep_frozen: bool = False) -> list[dict[str, Any]]:
    """Group parameters by the first ``lr_mult`` regex their name matches (discriminative LRs);
    frozen parameters are left out, unless ``keep_frozen`` (they are unfrozen later in the run:
    with no gradient the optimiser skips them until then)."""
    groups: dict[float, list] = {}
    for name, p in model.named_parameters():
        if not p.requires_grad and not keep_frozen:
            continue
        mult = next((m for pat, m in lr_mult.items() if re.search(pat, name)), 1.0)
        groups.setdefault(mult, []).append(p)
    return [{"params": ps, "lr": lr * m} for m, ps in groups.items()]


def build_scheduler(opt: torch.optim.Optimizer, o: dict[str, Any], trainer: L.Trainer):
    kind = o["scheduler"]
    if kind == "none":
        return None
    if kind == "step":
        return torch.optim.lr_scheduler.StepLR(opt, step_size=o["step_size"], gamma=o["gamma"])
    if kind == "plateau":
        return {"scheduler": torch.optim.lr_scheduler.ReduceLROnPlateau(opt, factor=o["gamma"]),
                "monitor": "val/loss"}
    total = max(1, int(trainer.estimated_stepping_batches))
    if kind == "cosine":
        sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=total)
    elif kind == "onecycle":
        sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=[g["lr"] for g in opt.param_groups],
                                                    total_steps=total, pct_start=max(o["warmup_ratio"], 0.01))
    else:  # linear_warmup: linear up over warmup_ratio of the steps, then linear down to 0
        warm = max(1, int(o["warmup_ratio"] * total))
        sched = torch.optim.lr_scheduler.LambdaLR(
            opt, lambda s: min((s + 1) / warm, max(0.0, (total - s) / max(1, total - warm))))
    return {"scheduler": sched, "interval": "step"}


# ---- regression: a real-valued target (``PreparedData.task == "regression"``, the tabular basics) ----


class RegressionSums(Metric):
    """Running sums for MSE / MAE / RMSE / R² over an epoch (summed across processes under DDP);
    R² is ``None`` while the targets seen have no spread."""

    full_state_update = False

    def __init__(self):
        super().__init__()
        for name in ("n", "sum_y", "sum_y2", "sse", "sae"):
            self.add_state(name, default=torch.tensor(0.0, dtype=torch.float64), dist_reduce_fx="sum")

    def update(self, pred: torch.Tensor, target: torch.Tensor) -> None:
        pred, target = pred.double().reshape(-1), target.double().reshape(-1)
        err = pred - target
        self.n += target.numel()
        self.sum_y += target.sum()
        self.sum_y2 += (target ** 2).sum()
        self.sse += (err ** 2).sum()
        self.sae += err.abs().sum()

    def compute(self) -> dict[str, float | None]:
        n = max(float(self.n), 1.0)
        ss_tot = float(self.sum_y2 - self.sum_y ** 2 / n)
        mse = float(self.sse) / n
        return {"mse": mse, "mae": float(self.sae) / n, "rmse": mse ** 0.5,
                "r2": 1.0 - float(self.sse) / ss_tot if ss_tot > 1e-9 * float(self.sum_y2) else None}


class Regressor(Classifier):
    """The shared module for a real-valued target. The loss (the model's ``loss`` argument:
    ``mse``, or ``gaussian_nll`` when the network also predicts a variance) is taken on the
    target standardised with ``target_scale`` (the training split's mean and std), so one
    learning rate suits any units; MSE / MAE / RMSE / R² are logged in the target's own units."""

    def __init__(self, *, model_name: str, model_kwargs: dict[str, Any], classes: list[str],
                 optim: dict[str, Any], class_weights: list[float] | None = None,
                 augment: dict[str, Any] | None = None, seed: int = 0, keep_frozen: bool = False,
                 target_scale: list[float] | None = None):
        super(Classifier, self).__init__()  # LightningModule's, not Classifier's (no confusion matrix)
        self.save_hyperparameters()  # (needs the super() above: Lightning finds the arguments through it)
        if class_weights is not None:
            raise ConfigError("optim.class_weights weighs classes; a regression target has none (set it to none)")
        self.loss_name = model_kwargs.get("loss") or "mse"
        if self.loss_name not in ("mse", "gaussian_nll"):
            raise ConfigError(f"model.loss {self.loss_name!r} is for classes; a regression target takes mse or "
                              f"gaussian_nll")
        self.model = build_model(model_name, model_kwargs)
        self.augmenter, self.classes, self.optim = None, classes, optim
        self.mean, self.sd = (float(v) for v in (target_scale or (0.0, 1.0)))
        self.sums = nn.ModuleDict({f"{s}_sums": RegressionSums() for s in STAGES})

    def _step(self, batch, stage: str) -> torch.Tensor:
        x, y = batch
        out = self(x)  # (B, 1) prediction, or (B, 2) mean and variance, in standardised units
        z = (y.float() - self.mean) / self.sd
        if self.loss_name == "gaussian_nll":
            loss = F.gaussian_nll_loss(out[:, 0], z, out[:, 1], full=True)
        else:
            loss = F.mse_loss(out[:, 0], z)
        self.sums[f"{stage}_sums"].update(out[:, 0].detach() * self.sd + self.mean, y.float())
        self.log(f"{stage}/loss", loss, on_step=False, on_epoch=True, batch_size=len(y),
                 prog_bar=stage == "val", sync_dist=stage != "train")
        return loss

    def _log_epoch(self, stage: str) -> None:
        metric = self.sums[f"{stage}_sums"]
        m = metric.compute()
        metric.reset()
        for key, value in m.items():
            if value is not None:
                self.log(f"{stage}/{key}", value, prog_bar=key == "rmse" and stage == "val")

    def on_validation_epoch_end(self) -> None:
        if not self.trainer.sanity_checking:
            self._log_epoch("val")
        else:
            self.sums["val_sums"].reset()
