"""A training run from a config: prepare data, fit, checkpoint, evaluate, report.

Run directory layout (other tools read it)::

    RUN_DIR/config.yaml            resolved config (also inside every checkpoint)
    RUN_DIR/data_summary.json      classes, samples per class per split, protocol notes
    RUN_DIR/checkpoints/{best,last}.ckpt   (scikit-learn models: model.skops)
    RUN_DIR/logs/csv/metrics.csv   per-epoch curves; logs/tb/ for TensorBoard
    RUN_DIR/metrics.json, predictions.npz, timing.json, report.html, plots/*.png
"""

from __future__ import annotations

import os
import shutil
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import lightning as L
import numpy as np
import torch
from lightning.pytorch.callbacks import EarlyStopping, TQDMProgressBar
from lightning.pytorch.loggers import CSVLogger, TensorBoardLogger

from seqlab import atomic
from seqlab import config as configlib
from seqlab.config import DATA_DERIVED, RunConfig
from seqlab.data.base import PreparedData
from seqlab.data.catalog import prepare_data
from seqlab.errors import ConfigError, SeqlabError
from seqlab.models.registry import MODELS
from seqlab.report.rundir import read_json
from seqlab.inference.evaluate import evaluate
from seqlab.training import generative, lm_objectives, reconstruct, sklearn_fit, synthetic, timing_fit, transfer
from seqlab.training.checkpoint import AtomicCheckpointIO, RngState, checkpoint_callbacks, resume_checkpoint
from seqlab.training.data import ArrayDataModule
from seqlab.training.module import Regressor, with_monitor

RUN_DIR_ENV = "SEQLAB_RUN_DIR"  # lets DDP child processes find the directory rank 0 made


def model_kwargs(cfg: RunConfig, data: PreparedData) -> dict[str, Any]:
    """YAML model arguments plus the shapes the data dictates (only those the factory takes)."""
    import inspect

    accepted = inspect.signature(MODELS.get(cfg.model.name).fn).parameters
    derived = {"num_classes": len(data.classes), "class_names": list(data.classes), **data.model_kwargs}
    return {**cfg.model.params, **{k: v for k, v in derived.items() if k in accepted and k in DATA_DERIVED}}


def class_weights(cfg: RunConfig, data: PreparedData) -> list[float] | None:
    if cfg.optim.class_weights == "none":
        return None
    counts = np.bincount(data.train.y, minlength=len(data.classes)).astype(float)
    w = np.where(counts > 0, counts.sum() / (len(counts) * np.maximum(counts, 1)), 0.0)
    return w.tolist()


REGRESSION_MONITORS = ("loss", "mse", "mae", "rmse", "r2")  # what Regressor logs per stage


def for_task(cfg: RunConfig, data: PreparedData) -> RunConfig:
    """The config as a regression target (``data.task``) needs it, checked before anything is
    written: a network, no class weights, and a monitor that is logged. A monitor left at its
    default (val/macro_f1) becomes ``val/loss``; a mode left at its default follows the metric
    (max for r2, min for the errors)."""
    if data.task != "regression":
        return cfg
    if MODELS.get(cfg.model.name).meta.get("kind") == "sklearn":
        raise ConfigError(f"model {cfg.model.name!r} is a classifier; a regression target needs a network "
                          f"('linear', 'mlp')")
    if cfg.optim.class_weights != "none":
        raise ConfigError("optim.class_weights weighs classes; a regression target has none (set it to none)")
    return with_monitor(cfg, REGRESSION_MONITORS, "r2", "for a regression target")


def is_rank_zero() -> bool:
    """Whether this process is global rank 0, known before Lightning starts: torchrun sets
    RANK; Lightning's re-launched DDP children set NODE_RANK / LOCAL_RANK (and inherit
    SEQLAB_RUN_DIR, so they find the directory rank 0 made)."""
    if "RANK" in os.environ:
        return int(os.environ["RANK"]) == 0
    return int(os.environ.get("NODE_RANK", 0)) == 0 and int(os.environ.get("LOCAL_RANK", 0)) == 0


def new_run_dir(cfg: RunConfig, out: str | Path | None) -> Path:
    if os.environ.get(RUN_DIR_ENV):
        return Path(os.environ[RUN_DIR_ENV])
    if out is not None:
        return Path(out)
    if int(os.environ.get("WORLD_SIZE", 1)) > 1:  # torchrun: each rank would stamp its own name
        raise ConfigError("several processes (torchrun / WORLD_SIZE > 1): give the run directory with --out")
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    return Path("runs") / f"{cfg.name}-{stamp}"


def write_run_header(run_dir: Path, cfg: RunConfig, data: PreparedData) -> None:
    """Config, data summary and artifacts: everything known before training starts."""
    run_dir.mkdir(parents=True, exist_ok=True)
    configlib.save(cfg, run_dir / "config.yaml")
    summary = {"classes": data.classes, "counts": data.class_counts(), **data.summary}
    summary["model_kwargs"] = data.model_kwargs
    atomic.write_json(run_dir / "data_summary.json", summary)
    for name, src in data.artifacts.items():
        dest = run_dir / "artifacts" / name
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, dest)


def build_trainer(cfg: RunConfig, run_dir: Path, *, enable_checkpointing: bool = True,
                  callbacks: list[L.Callback] = ()) -> L.Trainer:
    t = cfg.trainer
    callbacks: list[L.Callback] = [RngState(), *callbacks]
    if enable_checkpointing:  # best.ckpt, then last.ckpt every epoch (see training.checkpoint)
        callbacks.extend(checkpoint_callbacks(run_dir / "checkpoints", t.monitor, t.mode))
    if t.early_stopping_patience is not None:
        callbacks.append(EarlyStopping(monitor=t.monitor, mode=t.mode, patience=t.early_stopping_patience))
    if t.progress_bar:
        callbacks.append(TQDMProgressBar(refresh_rate=max(1, t.log_every_n_steps // 5)))
    precision = t.precision
    if precision == "auto":
        precision = "16-mixed" if torch.cuda.is_available() and t.accelerator != "cpu" else "32-true"
    return L.Trainer(
        max_epochs=t.max_epochs, max_steps=t.max_steps, accelerator=t.accelerator, devices=t.devices, num_nodes=t.num_nodes,
        strategy=t.strategy, precision=precision, gradient_clip_val=t.gradient_clip_val,
        deterministic=t.deterministic, callbacks=callbacks, enable_progress_bar=t.progress_bar,
        logger=[CSVLogger(run_dir / "logs", name="csv", version=_csv_version(run_dir)),
                TensorBoardLogger(run_dir / "logs", name="tb", version="", default_hp_metric=False)],
        log_every_n_steps=t.log_every_n_steps, limit_train_batches=t.limit_train_batches,
        num_sanity_val_steps=0, enable_checkpointing=enable_checkpointing,
        plugins=[AtomicCheckpointIO()], enable_model_summary=False,
    )


def _csv_version(run_dir: Path) -> str:
    """A fresh CSV log folder per (re)start: Lightning's CSV logger deletes an existing
    metrics.csv when it starts, which would drop a resumed run's earlier epochs."""
    root = run_dir / "logs" / "csv"
    if not (root / "metrics.csv").exists():
        return ""
    n = 1
    while (root / f"resume{n}").exists():
        n += 1
    return f"resume{n}"


def setup_process(cfg: RunConfig) -> None:
    if cfg.trainer.threads:
        torch.set_num_threads(cfg.trainer.threads)
    L.seed_everything(cfg.seed, workers=True, verbose=False)


def train(cfg: RunConfig, out: str | Path | None = None, *, resume_from: Path | None = None,
          data: PreparedData | None = None, report: bool = True, callbacks: list[L.Callback] = ()) -> Path:
    """Fit a model and write a complete run directory; returns its path. ``callbacks`` are
    added to the trainer's (``seqlab tune`` passes its pruning callback here)."""
    setup_process(cfg)
    t0 = time.perf_counter()
    data = data if data is not None else prepare_data(cfg.data, cfg.seed)
    prepare_s = time.perf_counter() - t0
    cfg = for_task(cfg, data)  # a regression target: monitor val/loss unless the config names another
    cfg, data = reconstruct.for_task(cfg, data)  # an autoencoder: val/loss, reconstruct.fit_classes
    run_dir = resume_from if resume_from is not None else new_run_dir(cfg, out)
    ckpts = run_dir / "checkpoints"
    if resume_from is None and not os.environ.get(RUN_DIR_ENV) and \
            any((ckpts / n).exists() for n in ("last.ckpt", "best.ckpt", "model.skops")):
        raise SeqlabError(f"{run_dir} already holds a run; use --resume {run_dir} or another --out")
    ckpt, start_epoch = None, 0
    if resume_from is not None:  # checked before anything is written: a bad checkpoint is one line
        ckpt, state = resume_checkpoint(run_dir)
        start_epoch = state["epoch"] + 1
    data = synthetic.add_synthetic(cfg, data, run_dir)  # augment.synthetic: generated beats, training split only
    if is_rank_zero():
        for folder in (run_dir, ckpts):  # unfinished atomic writes of a killed process
            atomic.remove_orphans(folder)
        write_run_header(run_dir, cfg, data)
    if MODELS.get(cfg.model.name).meta.get("kind") == "sklearn":
        sklearn_fit.fit(cfg, data, run_dir, prepare_s=prepare_s)
        return finish(run_dir, cfg, data, report=report)
    if generative.is_generator(cfg):  # conditional beat generators: their own loop and checks
        return generative.fit(cfg, data, run_dir, model_kwargs(cfg, data), ckpt=ckpt, prepare_s=prepare_s, report=report)
    # the shared Classifier, or its subclass that adds the network's auxiliary LM loss
    module_class = lm_objectives.classifier_class(cfg.model.params)
    task_args = {}
    if data.task == "regression":  # a real-valued target: regression loss and metrics, same loop
        module_class, task_args = Regressor, {"target_scale": data.summary.get("target_scale")}
    if reconstruct.is_autoencoder(cfg):  # the input is the target: reconstruction loss and metrics
        module_class, task_args = reconstruct.Reconstructor, reconstruct.module_args(cfg, data)
    module = module_class(model_name=cfg.model.name, model_kwargs=model_kwargs(cfg, data), classes=data.classes,
                        optim=cfg.optim.model_dump(), class_weights=class_weights(cfg, data),
                        augment=cfg.augment.model_dump() if cfg.augment.prob > 0 else None, seed=cfg.seed,
                        keep_frozen=cfg.model.unfreeze_at_epoch is not None, **task_args)
    module.hparams["config"] = cfg.to_dict()
    _, transfer_callbacks = transfer.apply(module.model, cfg.model, run_dir if is_rank_zero() else None)
    trainer = build_trainer(cfg, run_dir, callbacks=[*transfer_callbacks, *callbacks])
    dm = ArrayDataModule(data, batch_size=cfg.data.batch_size, seed=cfg.seed, sampler=cfg.data.sampler,
                         num_workers=cfg.trainer.num_workers, eval_batch_size=cfg.eval.batch_size,
                         distributed=trainer.world_size > 1)
    t1 = time.perf_counter()
    os.environ[RUN_DIR_ENV] = str(run_dir)  # Lightning's DDP children start inside fit() and inherit it
    try:
        trainer.fit(module, datamodule=dm, ckpt_path=ckpt)
    finally:  # a pruned or failed fit must not leave the next train() in this process here
        os.environ.pop(RUN_DIR_ENV, None)
    fit_s = time.perf_counter() - t1
    if not trainer.is_global_zero:
        trainer.strategy.barrier("seqlab-finished")  # return once rank 0 has written metrics
        return run_dir
    try:
        return _after_fit(run_dir, cfg, data, trainer, start_epoch, prepare_s, fit_s, report)
    finally:
        trainer.strategy.barrier("seqlab-finished")


def _after_fit(run_dir: Path, cfg: RunConfig, data: PreparedData, trainer: L.Trainer, start_epoch: int,
               prepare_s: float, fit_s: float, report: bool) -> Path:
    epochs = trainer.current_epoch - start_epoch
    steps = trainer.global_step
    timing = read_json(run_dir / "timing.json")
    timing.update({"prepare_s": round(prepare_s, 3), "epochs_run": trainer.current_epoch,
                   "train_s": round(timing.get("train_s", 0.0) + fit_s, 3)})
    if epochs > 0:
        timing["train_samples_per_s"] = round(len(data.train) * epochs / fit_s, 1)
        timing["step_ms"] = round(1000 * fit_s / max(1, steps - timing.get("steps_before", 0)), 2)
    timing["steps_before"] = steps
    atomic.write_json(run_dir / "timing.json", timing)
    refit = timing_fit.refit_checkpoints(run_dir, timing_fit.fit_split(data.train, data.val))  # timing_classes
    if refit:
        atomic.write_json(run_dir / "timing_head.json", refit)
    from seqlab.inference.export import export_after_training

    if not reconstruct.is_autoencoder(cfg):  # an autoencoder outputs beats, not what `seqlab predict` reads
        export_after_training(run_dir, cfg.eval.checkpoint)  # checkpoints/model.onnx: predict without torch
    return finish(run_dir, cfg, data, report=report)


def resume(run_dir: str | Path, *, report: bool = True) -> Path:
    """Continue a killed run from its last complete epoch (``checkpoints/last.ckpt``, see
    ``resume_checkpoint``) with its saved config."""
    run_dir = Path(run_dir)
    resume_checkpoint(run_dir, say=False)  # nothing to resume from: say so before preparing any data
    if not (run_dir / "config.yaml").is_file():
        raise SeqlabError(f"cannot resume {run_dir}: no config.yaml (not a seqlab run directory)")
    cfg = configlib.load(run_dir / "config.yaml")
    return train(cfg, resume_from=run_dir, report=report)


def finish(run_dir: Path, cfg: RunConfig, data: PreparedData, *, report: bool = True) -> Path:
    evaluate(run_dir, cfg=cfg, data=data)
    if report:
        from seqlab.report.html import write_report

        write_report(run_dir)
    return run_dir
