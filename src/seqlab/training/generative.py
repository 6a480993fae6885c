"""Training of the conditional beat generators (``seqlab.models.generators``): the branch of
``seqlab train`` taken when the config's model registers with ``kind="generator"``.

* ``CVAEModule``: Lightning's automatic optimisation; loss = squared reconstruction error per
  beat + ``beta`` x KL(q(z | x, y) || N(0, I)); ``val/loss`` is the same on the validation
  split (with z = the posterior mean) and picks ``best.ckpt``.
* ``GANModule``: manual optimisation (two optimisers): every batch one critic step of
  WGAN-GP, every ``n_critic``-th batch also one generator step. ``val/loss`` is the critic's
  Wasserstein estimate on validation beats: it tracks progress within a run but moves with the
  critic, so the GAN config generates from ``last.ckpt`` (``eval.checkpoint: last``).

Batches come from the shared ``ArrayDataModule``, so ``data.sampler: weighted_sampler`` shows
every class equally often (what a generator of rare classes needs). Only the beat waveform
(``x``) is modelled; the RR features a classifier may also take are drawn from real beats of
the same class when beats are generated (``seqlab.inference.generate``).

After fitting, the run directory gets what a generator run is judged by (``metrics.json``
with ``task: generator``): per class, nearest-neighbour copy checks and a two-sample AUROC
(``seqlab.evaluation.generated``), a grid of generated beats beside real ones, and
``rr_pool.npz`` (the training split's RR features and classes).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import lightning as L
import numpy as np
import torch
from torch.nn import functional as F

from seqlab import atomic
from seqlab import config as configlib
from seqlab.config import RunConfig
from seqlab.data.base import PreparedData
from seqlab.errors import ConfigError
from seqlab.inference.loading import build_model
from seqlab.models.registry import MODELS


def beats_of(batch) -> tuple[torch.Tensor, torch.Tensor]:
    """(waveforms (B, C, T), classes (B,)) from a loader batch whose inputs may be a dict."""
    x, y = batch
    return (x["x"] if isinstance(x, dict) else x), y


class GenerativeModule(L.LightningModule):
    """Saves the network's registry name and kwargs, like the classifiers, so a checkpoint
    rebuilds its own generator (``inference.loading.network_from_checkpoint``)."""

    def __init__(self, *, model_name: str, model_kwargs: dict[str, Any], classes: list[str],
                 optim: dict[str, Any], seed: int = 0):
        super().__init__()
        self.save_hyperparameters()
        self.model = build_model(model_name, model_kwargs)
        self.optim = optim

    def _adam(self, params, betas=(0.9, 0.999)) -> torch.optim.Optimizer:
        return torch.optim.Adam(params, lr=self.optim["lr"], weight_decay=self.optim["weight_decay"], betas=betas)


class CVAEModule(GenerativeModule):
    def _losses(self, batch) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        x, y = beats_of(batch)
        recon, mu, logvar = self.model(x, y)
        rec = F.mse_loss(recon, x, reduction="none").flatten(1).sum(dim=1).mean()  # squared error per beat
        kl = (-0.5 * (1 + logvar - mu.pow(2) - logvar.exp()).sum(dim=1)).mean()
        return rec + self.model.beta * kl, rec, kl

    def training_step(self, batch, batch_idx: int) -> torch.Tensor:
        loss, rec, kl = self._losses(batch)
        self.log_dict({"train/loss": loss, "train/recon": rec, "train/kl": kl}, on_step=False, on_epoch=True,
                      batch_size=len(batch[1]))
        return loss

    def validation_step(self, batch, batch_idx: int) -> None:
        loss, rec, kl = self._losses(batch)
        self.log_dict({"val/loss": loss, "val/recon": rec, "val/kl": kl}, on_step=False, on_epoch=True,
                      batch_size=len(batch[1]), prog_bar=True)

    def configure_optimizers(self):
        return self._adam(self.model.parameters())


class GANModule(GenerativeModule):
    """WGAN-GP with manual optimisation (Adam, betas (0.5, 0.9) as in Gulrajani et al. 2017)."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.automatic_optimization = False

    def _fake(self, y: torch.Tensor) -> torch.Tensor:
        return self.model.sample(y, torch.randn(len(y), self.model.latent, device=y.device))  # (B, C, T)

    def _penalty(self, real: torch.Tensor, fake: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        eps = torch.rand(len(real), 1, 1, device=real.device)  # (B, 1, 1)
        mixed = (eps * real + (1 - eps) * fake).requires_grad_(True)
        grad, = torch.autograd.grad(self.model.critic(mixed, y).sum(), mixed, create_graph=True)
        return (grad.flatten(1).norm(dim=1) - 1).pow(2).mean()

    def training_step(self, batch, batch_idx: int) -> None:
        opt_g, opt_c = self.optimizers()
        x, y = beats_of(batch)
        fake = self._fake(y).detach()
        w = self.model.critic(x, y).mean() - self.model.critic(fake, y).mean()
        loss_c = -w + self.model.gp_weight * self._penalty(x, fake, y)
        opt_c.zero_grad()
        self.manual_backward(loss_c)
        opt_c.step()
        self.log_dict({"train/w_dist": w.detach(), "train/critic_loss": loss_c.detach()}, on_step=False,
                      on_epoch=True, batch_size=len(y))
        if (batch_idx + 1) % self.model.n_critic == 0:
            loss_g = -self.model.critic(self._fake(y), y).mean()
            opt_g.zero_grad()
            self.manual_backward(loss_g)
            opt_g.step()
            self.log("train/gen_loss", loss_g.detach(), on_step=False, on_epoch=True, batch_size=len(y))

    def validation_step(self, batch, batch_idx: int) -> None:
        x, y = beats_of(batch)
        w = self.model.critic(x, y).mean() - self.model.critic(self._fake(y), y).mean()
        self.log("val/loss", w, on_step=False, on_epoch=True, batch_size=len(y), prog_bar=True)

    def configure_optimizers(self):
        return [self._adam(self.model.generator.parameters(), (0.5, 0.9)),
                self._adam(self.model.critic.parameters(), (0.5, 0.9))]


MODULES = {"beat_cvae": CVAEModule, "beat_wgan": GANModule}


def is_generator(cfg: RunConfig) -> bool:
    return MODELS.get(cfg.model.name).meta.get("kind") == "generator"


def for_generator(cfg: RunConfig, data: PreparedData) -> RunConfig:
    """The config a generator run needs: checkpoints by ``val/loss`` (lower is better), no
    class weights or gradient clipping (WGAN-GP steps its optimisers by hand), class labels."""
    if data.task != "classification":
        raise ConfigError(f"model {cfg.model.name!r} generates beats of a class; this data has no classes")
    x = data.train.x["x"] if isinstance(data.train.x, dict) else data.train.x
    if getattr(x, "ndim", 0) != 3:
        raise ConfigError(f"model {cfg.model.name!r} generates beat windows (N, C, T); this data's inputs are "
                          f"{getattr(x, 'shape', type(x).__name__)} (set data.features: none)")
    if cfg.augment.prob > 0 or cfg.augment.synthetic is not None:
        raise ConfigError(f"augment does not apply to the generator {cfg.model.name!r}; remove the augment section")
    if cfg.optim.class_weights != "none":
        raise ConfigError("optim.class_weights does not apply to a generator; balance classes with "
                          "data.sampler: weighted_sampler")
    if cfg.trainer.gradient_clip_val is not None and cfg.model.name == "beat_wgan":
        raise ConfigError("trainer.gradient_clip_val does not apply to beat_wgan (WGAN-GP bounds the critic "
                          "with its gradient penalty); remove it")
    trainer = cfg.trainer.model_copy(update={"monitor": "val/loss", "mode": "min"})
    return cfg.model_copy(update={"trainer": trainer})


def fit(cfg: RunConfig, data: PreparedData, run_dir: Path, kwargs: dict[str, Any], *,
        ckpt: Path | None = None, prepare_s: float = 0.0, report: bool = True) -> Path:
    """Train the generator of ``cfg`` on ``data.train`` (val for ``best.ckpt``), then write
    its checks, figures and report; returns ``run_dir``."""
    from seqlab.training.data import ArrayDataModule
    from seqlab.training.run import build_trainer

    cfg = for_generator(cfg, data)
    configlib.save(cfg, run_dir / "config.yaml")  # with the monitor the generator logs
    module = MODULES[cfg.model.name](model_name=cfg.model.name, model_kwargs=kwargs, classes=data.classes,
                                     optim=cfg.optim.model_dump(), seed=cfg.seed)
    module.hparams["config"] = cfg.to_dict()
    trainer = build_trainer(cfg, run_dir)
    dm = ArrayDataModule(data, batch_size=cfg.data.batch_size, seed=cfg.seed, sampler=cfg.data.sampler,
                         num_workers=cfg.trainer.num_workers, eval_batch_size=cfg.eval.batch_size)
    t0, c0 = time.perf_counter(), time.process_time()
    trainer.fit(module, datamodule=dm, ckpt_path=ckpt)
    fit_s, cpu_s = time.perf_counter() - t0, time.process_time() - c0
    # CPU seconds too: on a shared machine the wall clock says more about the neighbours
    atomic.write_json(run_dir / "timing.json", {"prepare_s": round(prepare_s, 3), "train_s": round(fit_s, 3),
                                                "train_cpu_s": round(cpu_s, 1), "epochs_run": trainer.current_epoch,
                                                "steps": trainer.global_step})
    save_rr_pool(run_dir, data)
    from seqlab.inference.generate import check_generator

    check_generator(run_dir, cfg, data, report=report)
    return run_dir


def save_rr_pool(run_dir: Path, data: PreparedData) -> None:
    """The training split's RR features and classes: ``seqlab generate`` gives each generated
    beat the RR features of a real training beat of its class (empty when the data has none)."""
    x = data.train.x
    rr = x["rr"] if isinstance(x, dict) and "rr" in x else np.zeros((len(data.train), 0), np.float32)
    atomic.save_npz(run_dir / "rr_pool.npz", rr=np.asarray(rr, np.float32), y=np.asarray(data.train.y, np.int64),
                    classes=np.asarray(data.classes, dtype=str))
