"""Masked-language-model pre-training of a small BERT-style encoder on unlabelled reviews.

The GPT-1 / BERT idea on CPU scale: learn the language of movie reviews from the texts with
no labels (NSMC's unlabelled remainder plus the training split's texts, never the test
split), then fine-tune on the labels (``text_bert_pretrained`` / ``text_bert_lora``). Masking
follows BERT: 15 % of the real tokens are chosen; 80 % become ``[MASK]``, 10 % a random
token, 10 % stay.

Output in ``out``: ``encoder.pt`` (``{"format", "bert_config", "encoder", "tokenizer_json",
"config", "history"}``: tensors and plain types, loadable with ``weights_only=True``),
``tokenizer.json`` (set a fine-tune config's ``data.tokenizer_path`` to it), ``config.json``.

    seqlab pretrain configs/text/nsmc_pretrain.yaml trainer.max_steps=2000
"""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path
from typing import Literal

import numpy as np
import torch
import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

from seqlab.atomic import atomic_open, write_json
from seqlab.data.text.subword import MASK_ID, PAD_ID, subword_encode, subword_save, subword_train
from seqlab.errors import ConfigError
from seqlab.models.text_transformer import CHECKPOINT_FORMAT, bert_config
from seqlab.registry import suggest

log = logging.getLogger(__name__)
N_SPECIAL = 5


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class PretrainData(_Section):
    corpus: Literal["nsmc", "imdb"] = "nsmc"
    root: str | None = None  # built corpus folder (default data_root()/<corpus>)
    include_train: bool = True  # add the training split's texts (labels unused)
    max_docs: int | None = None
    val_docs: int = 2000
    tokenizer: Literal["wordpiece", "bpe"] = "wordpiece"
    vocab_size: int = 16000
    min_frequency: int = 2
    max_length: int = 64


class PretrainModel(_Section):
    hidden_size: int = 256
    num_layers: int = 4
    num_heads: int = 4
    intermediate_size: int | None = None
    dropout: float = 0.1


class PretrainOptim(_Section):
    lr: float = 5e-4
    weight_decay: float = 0.01
    warmup_ratio: float = 0.06


class PretrainTrainer(_Section):
    max_steps: int = 10000
    batch_size: int = 128
    mask_prob: float = 0.15
    gradient_clip_val: float = 1.0
    log_every_n_steps: int = 50
    save_every_n_steps: int = 1000
    max_time: str | None = None  # wall-clock budget "DD:HH:MM:SS"; stops cleanly and saves
    num_threads: int | None = None


class PretrainConfig(_Section):
    data: PretrainData = PretrainData()
    model: PretrainModel = PretrainModel()
    optim: PretrainOptim = PretrainOptim()
    trainer: PretrainTrainer = PretrainTrainer()
    seed: int = 0
    out: str = "runs/nsmc_pretrain"


def load_pretrain_config(path: str | Path, overrides: list[str] = ()) -> PretrainConfig:
    """YAML + ``a.b=value`` overrides (values parsed as YAML), validated; unknown keys are
    errors naming the nearest valid key."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"config {path} not found")
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    for item in overrides:
        key, sep, value = item.partition("=")
        if not sep:
            raise ConfigError(f"override {item!r} is not key=value")
        node, model = raw, PretrainConfig
        parts = key.split(".")
        for i, part in enumerate(parts):
            fields = list(model.model_fields)
            if part not in fields:
                raise ConfigError(f"unknown config key {key!r}{suggest(part, fields)}")
            if i == len(parts) - 1:
                node[part] = yaml.safe_load(value)
            else:
                node = node.setdefault(part, {})
                model = model.model_fields[part].annotation
    try:
        return PretrainConfig.model_validate(raw)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = ".".join(str(p) for p in err["loc"])
        raise ConfigError(f"{path}: {loc}: {err['msg']}") from None


def pretrain_texts(cfg: PretrainData) -> list[str]:
    """The unlabelled corpus: never the test split."""
    from seqlab.data.text.preprocess import text_clean
    from seqlab.paths import data_root

    root = Path(cfg.root) if cfg.root else data_root() / cfg.corpus
    if cfg.corpus == "nsmc":
        from seqlab.data.text.nsmc import read_ratings, read_unlabelled

        if not (root / "unlabelled.txt").is_file():
            raise ConfigError(f"{root}/unlabelled.txt not found; run `seqlab data build nsmc`")
        texts = read_unlabelled(root / "unlabelled.txt")
        if cfg.include_train:
            texts += read_ratings(root / "ratings_train.txt")[0]
        html = False
    else:
        from seqlab.data.text.imdb import default_imdb_source, read_imdb_jsonl

        from seqlab.data.text.nsmc import shared_data_dir

        src = default_imdb_source()
        unsup = [p for p in (src.with_name("imdb_unsup.jsonl.gz"),
                             shared_data_dir() / "imdb" / "imdb_unsup.jsonl.gz") if p.is_file()]
        texts = _read_unsup(unsup[0]) if unsup else []
        if cfg.include_train:
            texts += read_imdb_jsonl(src).part("train")[0]
        html = True
    texts = [t for t in (text_clean(t, strip_html=html) for t in texts) if t]
    if cfg.max_docs:
        texts = texts[: cfg.max_docs]
    return texts


def _read_unsup(path: Path) -> list[str]:
    import gzip

    with gzip.open(path, "rt", encoding="utf-8", errors="replace") as fh:
        return [json.loads(line)["review"] for line in fh if line.strip()]


def mask_tokens(ids: torch.Tensor, attn: torch.Tensor, *, vocab_size: int, prob: float,
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


def length_batches(lengths: np.ndarray, batch_size: int, seed: int, pool: int = 50) -> list[list[int]]:
    """Batches of similar length (sorted inside shuffled pools of ``pool`` batches), in random
    order: short reviews then need few padding columns, which ``_loss`` trims away."""
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(lengths))
    batches = []
    for start in range(0, len(order), batch_size * pool):
        chunk = order[start:start + batch_size * pool]
        chunk = chunk[np.argsort(lengths[chunk], kind="stable")]
        batches += [chunk[i:i + batch_size].tolist() for i in range(0, len(chunk) - batch_size + 1, batch_size)]
    return [batches[i] for i in rng.permutation(len(batches))]


def _module(cfg: PretrainConfig, bert_cfg: dict, total_steps: int):
    import lightning as L
    from transformers import BertConfig, BertForMaskedLM

    class MlmModule(L.LightningModule):
        """BertForMaskedLM with on-the-fly masking, AdamW and linear warm-up/decay."""

        def __init__(self):
            super().__init__()
            self.net = BertForMaskedLM(BertConfig(**bert_cfg))
            self.history: list[dict] = []

        def _loss(self, batch):
            ids, attn = batch
            width = int(attn.sum(1).max())  # drop all-padding columns: (B, L) -> (B, width)
            ids, attn = ids[:, :width], attn[:, :width]
            inputs, labels = mask_tokens(ids, attn, vocab_size=bert_cfg["vocab_size"],
                                         prob=cfg.trainer.mask_prob)
            hidden = self.net.bert(input_ids=inputs, attention_mask=attn).last_hidden_state  # (B, W, H)
            chosen = labels != -100  # the vocabulary projection only where a token is predicted
            logits = self.net.cls(hidden[chosen])  # (M, V)
            return torch.nn.functional.cross_entropy(logits, labels[chosen])

        def training_step(self, batch, batch_idx):
            loss = self._loss(batch)
            self.log("train/mlm_loss", loss, prog_bar=True)
            step = self.global_step
            if step % cfg.trainer.log_every_n_steps == 0:
                value = loss.detach().item()
                self.history.append({"step": step, "loss": value})
                log.info("step %d mlm loss %.4f", step, value)
            if step and step % cfg.trainer.save_every_n_steps == 0:
                self.trainer.strategy.barrier()
                save_encoder(self, cfg, bert_cfg, Path(cfg.out) / "encoder.pt")
            return loss

        def validation_step(self, batch, batch_idx):
            self.log("val/mlm_loss", self._loss(batch), prog_bar=True)

        def configure_optimizers(self):
            decay = [p for n, p in self.named_parameters() if p.ndim >= 2]
            no_decay = [p for n, p in self.named_parameters() if p.ndim < 2]
            opt = torch.optim.AdamW([{"params": decay, "weight_decay": cfg.optim.weight_decay},
                                     {"params": no_decay, "weight_decay": 0.0}], lr=cfg.optim.lr)
            warm = max(1, int(cfg.optim.warmup_ratio * total_steps))
            sched = torch.optim.lr_scheduler.LambdaLR(
                opt, lambda s: min((s + 1) / warm, max(0.0, (total_steps - s) / max(1, total_steps - warm))))
            return {"optimizer": opt, "lr_scheduler": {"scheduler": sched, "interval": "step"}}

    return MlmModule()


def save_encoder(module, cfg: PretrainConfig, bert_cfg: dict, path: Path) -> None:
    """Encoder weights (no MLM head) + plain-typed metadata, written atomically."""
    encoder = {k: v.detach().cpu().clone() for k, v in module.net.bert.state_dict().items()}
    tok_path = Path(cfg.out) / "tokenizer.json"
    ckpt = {"format": CHECKPOINT_FORMAT, "bert_config": bert_cfg, "encoder": encoder,
            "tokenizer_json": tok_path.read_text(encoding="utf-8"),
            "config": cfg.model_dump(), "history": list(module.history)}
    with atomic_open(path, "wb") as fh:
        torch.save(ckpt, fh)


def pretrain(cfg: PretrainConfig) -> Path:
    """Run MLM pre-training; returns the path of ``encoder.pt``."""
    import lightning as L
    from torch.utils.data import DataLoader, TensorDataset

    if cfg.trainer.num_threads:
        torch.set_num_threads(cfg.trainer.num_threads)
    L.seed_everything(cfg.seed, workers=True)
    out = Path(cfg.out)
    t0 = time.perf_counter()
    texts = pretrain_texts(cfg.data)
    rng = np.random.default_rng(cfg.seed)
    order = rng.permutation(len(texts))
    val_idx, fit_idx = order[: cfg.data.val_docs], order[cfg.data.val_docs:]
    tok = subword_train([texts[i] for i in fit_idx], kind=cfg.data.tokenizer,
                        vocab_size=cfg.data.vocab_size, min_frequency=cfg.data.min_frequency)
    subword_save(tok, out / "tokenizer.json")
    enc = subword_encode(tok, texts, max_length=cfg.data.max_length)
    ids, attn = torch.from_numpy(enc["input_ids"]), torch.from_numpy(enc["attention_mask"])
    prep_s = time.perf_counter() - t0
    log.info("pre-training corpus: %d documents (%d held out), vocabulary %d, prepared in %.0f s",
             len(fit_idx), len(val_idx), tok.get_vocab_size(), prep_s)

    bert_cfg = bert_config(vocab_size=tok.get_vocab_size(), max_length=cfg.data.max_length,
                           pad_id=PAD_ID, hidden_size=cfg.model.hidden_size,
                           num_layers=cfg.model.num_layers, num_heads=cfg.model.num_heads,
                           intermediate_size=cfg.model.intermediate_size,
                           dropout=cfg.model.dropout)
    lengths = enc["attention_mask"][fit_idx].sum(1)
    fit = DataLoader(TensorDataset(ids[fit_idx], attn[fit_idx]),
                     batch_sampler=length_batches(lengths, cfg.trainer.batch_size, cfg.seed))
    val = DataLoader(TensorDataset(ids[val_idx], attn[val_idx]), batch_size=256)
    module = _module(cfg, bert_cfg, cfg.trainer.max_steps)
    trainer = L.Trainer(max_steps=cfg.trainer.max_steps, max_time=cfg.trainer.max_time,
                        accelerator="auto", devices=1,
                        gradient_clip_val=cfg.trainer.gradient_clip_val, logger=False,
                        enable_checkpointing=False, enable_progress_bar=False,
                        val_check_interval=min(cfg.trainer.save_every_n_steps, len(fit)),
                        check_val_every_n_epoch=None if len(fit) < cfg.trainer.save_every_n_steps else 1,
                        log_every_n_steps=cfg.trainer.log_every_n_steps, num_sanity_val_steps=0)
    t1 = time.perf_counter()
    trainer.fit(module, fit, val)
    train_s = time.perf_counter() - t1
    val_loss = trainer.validate(module, val, verbose=False)[0]["val/mlm_loss"]
    module.history.append({"step": trainer.global_step, "val_loss": float(val_loss)})
    save_encoder(module, cfg, bert_cfg, out / "encoder.pt")
    write_json(out / "config.json", {"config": cfg.model_dump(), "bert_config": bert_cfg,
                                     "documents": len(fit_idx), "held_out": len(val_idx),
                                     "prepare_s": round(prep_s, 1), "train_s": round(train_s, 1),
                                     "steps": trainer.global_step, "val_mlm_loss": float(val_loss)})
    log.info("pre-training done: %d steps in %.0f s, held-out MLM loss %.3f",
             trainer.global_step, train_s, val_loss)
    return out / "encoder.pt"
