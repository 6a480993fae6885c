"""Language-model pre-training of a text encoder: one more training objective on the shared
typed config, Lightning trainer, checkpoints and progress bar.

    seqlab pretrain configs/text/nsmc_pretrain.yaml [key=value ...] [--objective mlm|clm] [--out DIR]
    seqlab pretrain --resume RUN_DIR

The config is a run config (``seqlab.config.load``): ``data`` is the dataset's own section
(``nsmc`` / ``imdb``; the corpus is read by ``training.lm_data``), ``model`` is a
``text_transformer`` (its size; ``causal: true`` = GPT-style, trained by next-token
prediction, else BERT-style masked-token prediction), ``optim`` and ``trainer`` as for any run
(monitor ``val/loss``, mode ``min``; budget = ``max_epochs`` × ``limit_train_batches`` steps).

Run directory (default ``runs/<name>``, the path the fine-tune configs read)::

    config.yaml, corpus.json        resolved config; documents, vocabulary, notes
    tokenizer.json                  set a fine-tune config's data.tokenizer_path to it
    checkpoints/{best,last}.ckpt    Lightning checkpoints (weights_only), resume from last
    logs/csv, logs/tb               per-step train loss, per-epoch held-out loss / accuracy
    encoder.pt                      the encoder + LM head for fine-tuning (model.pretrained)
    pretrain.json                   steps, epochs, times, held-out loss
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

import lightning as L
import torch

from seqlab import atomic
from seqlab import config as configlib
from seqlab.config import RunConfig
from seqlab.data.text.subword import PAD_ID
from seqlab.errors import ConfigError, SeqlabError
from seqlab.inference.loading import load_checkpoint
from seqlab.models.text_transformer import CHECKPOINT_FORMAT, bert_config
from seqlab.report.rundir import read_json
from seqlab.training import run
from seqlab.training.lm_data import LmCorpus, lm_corpus
from seqlab.training.lm_loaders import LmDataModule
from seqlab.training.checkpoint import resume_checkpoint
from seqlab.training.lm_objectives import LM_MONITORS, LanguageModel

log = logging.getLogger(__name__)
ENCODER_KEYS = ("hidden_size", "num_layers", "num_heads", "intermediate_size", "dropout", "causal")


def check_config(cfg: RunConfig) -> None:
    """What a pre-training run needs beyond a valid run config, as one-line errors."""
    if cfg.model.name != "text_transformer":
        raise ConfigError(f"pre-training trains a text_transformer encoder; got model.name "
                          f"{cfg.model.name!r} (set model.name: text_transformer)")
    if cfg.model.params.get("aux_lm_weight"):
        raise ConfigError("model.aux_lm_weight is a fine-tuning setting; remove it from the pre-training config")
    if LM_MONITORS.get(cfg.trainer.monitor) != cfg.trainer.mode:
        valid = ", ".join(f"{k} (mode {v})" for k, v in LM_MONITORS.items())
        raise ConfigError(f"trainer.monitor {cfg.trainer.monitor!r} with mode {cfg.trainer.mode!r} is not a "
                          f"pre-training metric; valid: {valid}")


def encoder_config(cfg: RunConfig, corpus: LmCorpus) -> dict:
    params = {k: cfg.model.params[k] for k in ENCODER_KEYS if k in cfg.model.params}
    return bert_config(vocab_size=corpus.vocab_size, max_length=cfg.data.max_length, pad_id=PAD_ID, **params)


def _has_checkpoint(run_dir: Path) -> bool:
    return any((run_dir / "checkpoints" / name).exists() for name in ("last.ckpt", "best.ckpt"))


def pretrain_run_dir(cfg: RunConfig, out: str | Path | None) -> Path:
    """``--out`` or ``runs/<name>``: a fixed default, the path the fine-tune configs name."""
    return Path(out) if out is not None else Path("runs") / cfg.name


def _keep_run_tokenizer(cfg: RunConfig, corpus: LmCorpus, run_dir: Path) -> LmCorpus:
    """A resumed run keeps its own token ids: when the cached tokenizer is not the run's (the
    cache was cleared and retrained, and HF's trainer numbers tied tokens differently from run
    to run), the corpus is encoded again with the run's ``tokenizer.json``."""
    own = run_dir / "tokenizer.json"
    if not own.is_file() or own.read_bytes() == corpus.tokenizer_path.read_bytes():
        return corpus
    return lm_corpus(cfg.data.model_copy(update={"tokenizer_path": str(own)}))


def _write_header(run_dir: Path, cfg: RunConfig, corpus: LmCorpus) -> None:
    run_dir.mkdir(parents=True, exist_ok=True)
    configlib.save(cfg, run_dir / "config.yaml")
    atomic.write_json(run_dir / "corpus.json", corpus.summary)
    atomic.write_text(run_dir / "tokenizer.json", corpus.tokenizer_path.read_text(encoding="utf-8"))


def pretrain(cfg: RunConfig, out: str | Path | None = None, *, resume_from: Path | None = None,
             callbacks: list[L.Callback] = ()) -> Path:
    """Pre-train (or, with ``resume_from``, continue from ``last.ckpt``); returns the run dir."""
    check_config(cfg)
    run.setup_process(cfg)
    t0 = time.perf_counter()
    corpus = lm_corpus(cfg.data)
    if resume_from is not None:
        corpus = _keep_run_tokenizer(cfg, corpus, resume_from)
    prepare_s = time.perf_counter() - t0
    run_dir = resume_from if resume_from is not None else pretrain_run_dir(cfg, out)
    if resume_from is None and _has_checkpoint(run_dir):
        raise SeqlabError(f"{run_dir} already holds a pre-training run; use --resume {run_dir} or another --out")
    ckpt = resume_checkpoint(run_dir)[0] if resume_from is not None else None  # the latest that loads
    for folder in (run_dir, run_dir / "checkpoints"):  # unfinished atomic writes of a killed process
        atomic.remove_orphans(folder)
    _write_header(run_dir, cfg, corpus)
    module = LanguageModel(encoder_config=encoder_config(cfg, corpus), optim=cfg.optim.model_dump(), seed=cfg.seed)
    module.hparams["config"] = cfg.to_dict()
    trainer = run.build_trainer(cfg, run_dir, callbacks=list(callbacks))
    if trainer.world_size > 1:
        raise ConfigError("seqlab pretrain runs on one device; set trainer.devices: 1")
    dm = LmDataModule(corpus, batch_size=cfg.data.batch_size, seed=cfg.seed,
                      limit_train_batches=cfg.trainer.limit_train_batches,
                      eval_batch_size=min(cfg.eval.batch_size, 2 * cfg.data.batch_size))
    log.info("pre-training %s on %d documents (%d held out), vocabulary %d, prepared in %.0f s",
             module.objective, len(corpus.fit), len(corpus.held_out), corpus.vocab_size, prepare_s)
    t1 = time.perf_counter()
    trainer.fit(module, datamodule=dm, ckpt_path=ckpt)
    _finish(run_dir, trainer, module, prepare_s, time.perf_counter() - t1)
    return run_dir


def resume(run_dir: str | Path) -> Path:
    """Continue a stopped pre-training run from ``checkpoints/last.ckpt`` with its saved config."""
    run_dir = Path(run_dir)
    if not _has_checkpoint(run_dir):
        raise SeqlabError(f"cannot resume {run_dir}: no checkpoints/last.ckpt or best.ckpt (the run saved "
                          f"no epoch yet; start it again with `seqlab pretrain CONFIG --out {run_dir}`)")
    return pretrain(configlib.load(run_dir / "config.yaml"), resume_from=run_dir)


def export_encoder(run_dir: Path, which: str = "best") -> Path:
    """``encoder.pt`` from a checkpoint (``best``: lowest held-out loss): the encoder and LM head
    state dicts + plain metadata (what ``text_bert_pretrained`` / ``text_bert_lora`` read), with
    the whole run's history, written atomically."""
    last = resume_checkpoint(run_dir, say=False)[1]  # the latest complete checkpoint: the history
    path = run_dir / "checkpoints" / f"{which}.ckpt"
    ckpt = load_checkpoint(path) if which != "last" and path.exists() else last
    hp, state = ckpt["hyper_parameters"], ckpt["state_dict"]
    part = lambda prefix: {k[len(prefix):]: v for k, v in state.items() if k.startswith(prefix)}  # noqa: E731
    config = hp["encoder_config"]
    out = {"format": CHECKPOINT_FORMAT, "bert_config": config, "encoder": part("net.encoder."),
           "lm_head": part("net.head."), "objective": "clm" if config.get("is_decoder") else "mlm",
           "tokenizer_json": (run_dir / "tokenizer.json").read_text(encoding="utf-8"),
           "config": hp.get("config", {}), "history": last.get("history", []),
           "epoch": ckpt["epoch"], "step": ckpt["global_step"]}
    with atomic.atomic_open(run_dir / "encoder.pt", "wb") as fh:
        torch.save(out, fh)
    return run_dir / "encoder.pt"


def _finish(run_dir: Path, trainer: L.Trainer, module: LanguageModel, prepare_s: float, fit_s: float) -> None:
    export_encoder(run_dir)
    summary = read_json(run_dir / "pretrain.json")
    steps_before = summary.get("steps", 0)
    best = min(module.history, key=lambda h: h["val_loss"], default={})
    summary.update({
        "objective": module.objective, "steps": trainer.global_step, "epochs": trainer.current_epoch,
        "encoder_parameters": sum(p.numel() for p in module.net.encoder.parameters()),
        "prepare_s": round(prepare_s, 1), "train_s": round(summary.get("train_s", 0.0) + fit_s, 1),
        "val_loss": module.history[-1]["val_loss"] if module.history else None,
        "best": best, "history": module.history})
    if trainer.global_step > steps_before:
        summary["step_ms"] = round(1000 * fit_s / (trainer.global_step - steps_before), 1)
    atomic.write_json(run_dir / "pretrain.json", summary)
    log.info("pre-training done: %d steps, held-out %s loss %s", trainer.global_step, module.objective,
             summary["val_loss"])
