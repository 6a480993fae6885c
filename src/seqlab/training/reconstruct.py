"""Autoencoder training: the reconstruction objective on the shared loop of ``training.run``.

A model registered with ``kind="autoencoder"`` (``seqlab.models.autoencoders``) trains here:
the target is the input beat itself, the loss MSE (plus the model's sparsity or KL penalty),
or the Gaussian negative log-likelihood when the model also predicts a variance (the VAE).
MSE, MAE, SNR (dB) and PRD (%) are logged per stage; ``val/loss`` picks the checkpoint.

The run config's ``reconstruct`` section adds the rest:

* ``noise: [bw, ma, em]``: a denoising autoencoder (Vincent et al. 2008): each training and
  validation beat gets one of these synthetic NST-like noise kinds (``data.ecg.noise``) at an
  SNR drawn from ``snr_db``, and the clean beat is the target. The draw is seeded by (seed,
  stage, step or batch), so a resumed run sees the same noise and validation the same every
  epoch.
* ``fit_classes: [N]``: train and validate on these beats only; the test split keeps every
  class, and evaluation scores each beat by its reconstruction error (anomaly ROC-AUC).

Labels are never used by the loss: an autoencoder fitted on every beat is unsupervised, and its
encoder can start a classifier (``ae_classifier`` with ``model.init_from``).
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F
from torchmetrics import Metric

from seqlab.config import ReconstructConfig, RunConfig
from seqlab.data.base import PreparedData
from seqlab.data.ecg.noise import ecg_add_noise
from seqlab.errors import ConfigError, DataError
from seqlab.inference.loading import build_model
from seqlab.models.registry import MODELS
from seqlab.training.module import STAGES, Classifier, with_monitor

MONITORS = ("loss", "mse", "mae", "snr_db", "prd")  # what Reconstructor logs per stage


def is_autoencoder(cfg: RunConfig) -> bool:
    return MODELS.get(cfg.model.name).meta.get("kind") == "autoencoder"


def beats(x: Any) -> Any:
    """The signal windows of a batch or split: ``x``, or its ``"x"`` entry (RR features are
    not reconstructed)."""
    return x["x"] if isinstance(x, dict) else x


def beat_rate(cfg: RunConfig) -> float | None:
    """Sampling rate of the windows: ``reconstruct.fs``, else the ECG data's ``beat_fs``."""
    return cfg.reconstruct.fs or getattr(cfg.data, "beat_fs", None)


def for_task(cfg: RunConfig, data: PreparedData) -> tuple[RunConfig, PreparedData]:
    """Checks before anything is written, the monitor an autoencoder logs (``val/loss`` unless
    the config names another), and the training / validation beats cut to ``fit_classes``."""
    if not is_autoencoder(cfg):
        if cfg.reconstruct.model_dump() != ReconstructConfig().model_dump():
            names = ", ".join(e.name for e in MODELS.entries() if e.meta.get("kind") == "autoencoder")
            raise ConfigError(f"the reconstruct section trains an autoencoder and model {cfg.model.name!r} is not one; "
                              f"remove the section or use one of {names}")
        return cfg, data
    shape = np.shape(beats(data.train.x))
    if data.task != "classification" or len(shape) != 3:
        raise ConfigError(f"model {cfg.model.name!r} reconstructs signal windows (N, C, T); data {cfg.data.name!r} "
                          f"gives {data.task} rows of shape {shape} (ECG beats: set data.features: none)")
    if cfg.optim.class_weights != "none":
        raise ConfigError("optim.class_weights weighs classes in a classification loss; an autoencoder has none "
                          "(set it to none)")
    if cfg.reconstruct.noise and beat_rate(cfg) is None:
        raise ConfigError("reconstruct.noise needs the windows' sampling rate: set reconstruct.fs (Hz)")
    cfg = with_monitor(cfg, MONITORS, "snr_db", "by an autoencoder")
    return cfg, fit_classes(data, cfg.reconstruct.fit_classes)


def fit_classes(data: PreparedData, classes: list[str]) -> PreparedData:
    """``data`` with the training and validation splits cut to ``classes`` (test untouched)."""
    if not classes:
        return data
    unknown = [c for c in classes if c not in data.classes]
    if unknown:
        raise ConfigError(f"reconstruct.fit_classes {unknown} are not classes of this data; valid: "
                          f"{', '.join(data.classes)}")
    keep = [data.classes.index(c) for c in classes]
    train, val = (s.take(np.flatnonzero(np.isin(s.y, keep))) for s in (data.train, data.val))
    if not len(train):
        raise DataError(f"no training beat of class {', '.join(classes)} (reconstruct.fit_classes)")
    note = (f"autoencoder fitted on class {', '.join(classes)} only (training and validation splits); the test "
            "split keeps every class")
    summary = {**data.summary, "notes": [*data.summary.get("notes", []), note]}
    if "counts" in summary:  # the dataset's own per-split counts (else the run counts the splits itself)
        summary["counts"] = {**summary["counts"], **{k: {c: int((s.y == i).sum()) for i, c in enumerate(data.classes)}
                                                     for k, s in (("train", train), ("val", val))}}
    return dataclasses.replace(data, train=train, val=val, summary=summary)


def module_args(cfg: RunConfig, data: PreparedData) -> dict[str, Any]:
    """What ``Reconstructor`` takes beyond the shared module arguments."""
    return {"reconstruct": cfg.reconstruct.model_dump(mode="json"), "fs": beat_rate(cfg)}


def corrupt(clean: np.ndarray, fs: float, kinds: list[str], snr_range: tuple[float, float],
            rng: np.random.Generator) -> np.ndarray:
    """Each row of ``clean`` (N, C, T) plus one of ``kinds`` at an SNR drawn from ``snr_range``."""
    kind = rng.integers(0, len(kinds), len(clean))
    snr = rng.uniform(snr_range[0], snr_range[1], len(clean))
    noisy = clean.copy()
    for i, method in enumerate(kinds):
        rows = np.flatnonzero(kind == i)
        if rows.size:
            noisy[rows] = ecg_add_noise(clean[rows], fs, method=method, snr_db=snr[rows], rng=rng)[0]
    return noisy


class ReconstructionSums(Metric):
    """Running sums for MSE / MAE and the mean per-beat SNR / PRD over an epoch."""

    full_state_update = False

    def __init__(self):
        super().__init__()
        for name in ("rows", "elems", "sse", "sae", "snr", "prd"):
            self.add_state(name, default=torch.tensor(0.0, dtype=torch.float64), dist_reduce_fx="sum")

    def update(self, recon: torch.Tensor, target: torch.Tensor) -> None:
        s, e = target.double().flatten(1), recon.double().flatten(1)  # (B, C*T)
        err = ((s - e) ** 2).sum(dim=1)
        power = (s ** 2).sum(dim=1).clamp_min(1e-300)
        self.rows += len(s)
        self.elems += s.numel()
        self.sse += err.sum()
        self.sae += (s - e).abs().sum()
        self.snr += (10 * torch.log10(power / err.clamp_min(power * 1e-12))).sum()
        self.prd += (100 * torch.sqrt(err / power)).sum()

    def compute(self) -> dict[str, float]:
        rows, elems = max(float(self.rows), 1.0), max(float(self.elems), 1.0)
        return {"mse": float(self.sse) / elems, "mae": float(self.sae) / elems,
                "snr_db": float(self.snr) / rows, "prd": float(self.prd) / rows}


class Reconstructor(Classifier):
    """The shared module for autoencoders: same optimiser, schedule, augmentation and
    checkpoints as ``Classifier``; a reconstruction loss and metrics instead of classes."""

    def __init__(self, *, model_name: str, model_kwargs: dict[str, Any], classes: list[str],
                 optim: dict[str, Any], class_weights: list[float] | None = None,
                 augment: dict[str, Any] | None = None, seed: int = 0, keep_frozen: bool = False,
                 reconstruct: dict[str, Any] | None = None, fs: float | None = None):
        super(Classifier, self).__init__()  # LightningModule's, not Classifier's (no confusion matrix)
        self.save_hyperparameters()
        if class_weights is not None:
            raise ConfigError("optim.class_weights weighs classes; an autoencoder has none (set it to none)")
        self.model = build_model(model_name, model_kwargs)
        if not hasattr(self.model, "reconstruct"):
            raise ConfigError(f"model {model_name!r} is not an autoencoder (it has no reconstruct())")
        self.augmenter, self.classes, self.optim = None, classes, optim
        self.settings = reconstruct or ReconstructConfig().model_dump(mode="json")
        self.fs = fs
        self.sums = nn.ModuleDict({f"{s}_sums": ReconstructionSums() for s in STAGES})

    def forward(self, x: Any) -> torch.Tensor:
        return self.model(beats(x))  # (B, C, T)

    def noisy(self, clean: torch.Tensor, stage: str, index: int) -> torch.Tensor:
        """``clean`` with the configured noise, drawn from a generator seeded by (seed, stage, index,
        process rank)."""
        kinds = self.settings.get("noise") or []
        if not kinds:
            return clean
        rng = np.random.default_rng([int(self.hparams.get("seed", 0)), STAGES.index(stage), int(index),
                                     self.global_rank])
        out = corrupt(clean.detach().cpu().numpy(), self.fs, kinds, tuple(self.settings["snr_db"]), rng)
        return torch.from_numpy(out).to(clean.device, clean.dtype)

    def _step(self, batch, stage: str, index: int = 0) -> torch.Tensor:
        x, _ = batch
        target = beats(x).float()  # (B, C, T)
        out = self.model.reconstruct(self.noisy(target, stage, index))
        recon = out["recon"]
        if "logvar" in out:  # a Gaussian decoder: per-sample mean and log-variance
            loss = F.gaussian_nll_loss(recon, target, out["logvar"].exp(), full=True)
        else:
            loss = F.mse_loss(recon, target)
        if "penalty" in out:
            loss = loss + out["penalty"]
        self.sums[f"{stage}_sums"].update(recon.detach(), target)
        self.log(f"{stage}/loss", loss, on_step=False, on_epoch=True, batch_size=len(target),
                 prog_bar=stage == "val", sync_dist=stage != "train")
        return loss

    def training_step(self, batch, batch_idx: int) -> torch.Tensor:
        if self.augmenter is not None:  # the clean beat is augmented, then noised: both stay paired
            batch = (self.augmenter(batch[0], self.global_step), batch[1])
        loss = self._step(batch, "train", self.global_step)
        l1 = self.optim.get("l1", 0.0)
        if l1:
            loss = loss + l1 * sum(p.abs().sum() for p in self.model.parameters() if p.dim() > 1)
        return loss

    def validation_step(self, batch, batch_idx: int) -> None:
        self._step(batch, "val", batch_idx)

    def test_step(self, batch, batch_idx: int) -> None:
        self._step(batch, "test", batch_idx)

    def _log_epoch(self, stage: str) -> None:
        metric = self.sums[f"{stage}_sums"]
        m = metric.compute()
        metric.reset()
        for key, value in m.items():
            self.log(f"{stage}/{key}", value, prog_bar=key == "snr_db" and stage == "val")

    def on_validation_epoch_end(self) -> None:
        if not self.trainer.sanity_checking:
            self._log_epoch("val")
        else:
            self.sums["val_sums"].reset()
