"""Beats from a trained generator run, without Lightning: ``seqlab generate RUN --class S``,
synthetic augmentation (``training.synthetic``), and the checks written after training.

A generated beat must fit the input the classifier takes. The waveform ``x (C, T)`` comes
from the generator; a classifier that also takes RR features (``data.rr_features``) gets, for
each generated beat, the RR feature row of a real training beat of the same class, drawn with
replacement (``rr_pool.npz`` of the generator run, or the classifier's own training split).
Rhythm is what marks an S beat; the generator models shape only, and pairing a generated
shape with a real rhythm of its class keeps the two consistent with the label.

>>> import numpy as np
>>> pool = {"rr": np.arange(6, dtype=np.float32).reshape(3, 2), "y": np.array([0, 1, 1])}
>>> draw_rr(pool, 1, 4, np.random.default_rng(0)).tolist()[0] in ([2.0, 3.0], [4.0, 5.0])
True
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import torch

from seqlab import atomic
from seqlab.config import RunConfig, load_run
from seqlab.data.base import PreparedData
from seqlab.errors import ConfigError, SeqlabError
from seqlab.evaluation.generated import copy_check, two_sample_auroc
from seqlab.inference.loading import load_checkpoint, network_from_checkpoint
from seqlab.models.registry import MODELS
from seqlab.report.rundir import read_json

CHECK_PER_CLASS = 2000  # generated beats per class for the copy and two-sample checks


class Generator:
    """A loaded generator run: the network, its classes, beat shape and RR pool."""

    def __init__(self, run_dir: str | Path, which: str | None = None):
        self.run_dir = Path(run_dir)
        cfg = _generator_config(self.run_dir)
        which = which or cfg.eval.checkpoint
        path = self.run_dir / "checkpoints" / f"{which}.ckpt"
        if not path.is_file():
            raise SeqlabError(f"{path} not found: the generator run {self.run_dir} did not finish training "
                              f"(or use --checkpoint {'last' if which == 'best' else 'best'})")
        ckpt = load_checkpoint(path)
        self.net = network_from_checkpoint(ckpt)
        self.classes: list[str] = list(ckpt["hyper_parameters"]["classes"])
        kw = ckpt["hyper_parameters"]["model_kwargs"]
        self.shape = (int(kw.get("in_channels", 1)), int(kw.get("seq_len", 187)))
        self.beat = read_json(self.run_dir / "data_summary.json").get("beat")
        pool = self.run_dir / "rr_pool.npz"
        self.rr_pool = dict(np.load(pool, allow_pickle=False)) if pool.is_file() else None

    def class_index(self, name: str) -> int:
        if name not in self.classes:
            raise ConfigError(f"class {name!r} is not one the generator {self.run_dir} learned; valid: "
                              f"{', '.join(self.classes)}")
        return self.classes.index(name)

    @torch.no_grad()
    def sample(self, name: str, n: int, *, seed: int = 0, batch: int = 4096) -> np.ndarray:
        """``n`` waveforms ``(n, C, T)`` of class ``name``; the latent codes come from a
        generator seeded by ``seed`` (same seed, same beats)."""
        k = self.class_index(name)
        g = torch.Generator().manual_seed(int(seed))
        out = []
        for start in range(0, n, batch):
            m = min(batch, n - start)
            z = torch.randn(m, self.net.latent, generator=g)  # (m, latent)
            out.append(self.net.sample(torch.full((m,), k, dtype=torch.long), z).numpy())
        return np.concatenate(out).astype(np.float32) if out else np.zeros((0, *self.shape), np.float32)


def _generator_config(run_dir: Path) -> RunConfig:
    if not run_dir.is_dir():
        raise SeqlabError(f"generator run {run_dir} not found (train one: seqlab train configs/gen/cvae.yaml)")
    cfg = load_run(run_dir)
    import seqlab.models.catalog  # noqa: F401  (fills the registry)

    if MODELS.get(cfg.model.name).meta.get("kind") != "generator":
        raise SeqlabError(f"{run_dir} is a {cfg.model.name!r} run, not a generator run (train one: "
                          f"seqlab train configs/gen/cvae.yaml)")
    return cfg


def draw_rr(pool: dict[str, np.ndarray], k: int, n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` RR feature rows of real beats of class index ``k``, drawn with replacement."""
    rows = np.flatnonzero(np.asarray(pool["y"]) == k)
    if rows.size == 0:
        raise ConfigError(f"no real beat of class index {k} to take RR features from")
    return np.asarray(pool["rr"], np.float32)[rng.choice(rows, size=n, replace=True)]


def generate(run_dir: str | Path, name: str, n: int, *, seed: int = 0, which: str | None = None) -> dict[str, Any]:
    """Arrays for ``beats.npz``: ``x (n, C, T)``, ``rr (n, F)`` (F = 0 without RR features),
    ``y`` (class index into ``classes``), ``classes``, ``class_name``."""
    if n < 1:
        raise ConfigError(f"--n must be at least 1, got {n}")
    gen = Generator(run_dir, which)
    x = gen.sample(name, n, seed=seed)
    k = gen.class_index(name)
    pool = gen.rr_pool
    rr = draw_rr(pool, k, n, np.random.default_rng(seed)) if pool is not None and pool["rr"].shape[1] \
        else np.zeros((n, 0), np.float32)
    return {"x": x, "rr": rr, "y": np.full(n, k, np.int64), "classes": np.asarray(gen.classes, dtype=str),
            "class_name": np.asarray(name)}


def write_beats(path: str | Path, arrays: dict[str, Any]) -> Path:
    atomic.save_npz(path, **arrays)
    return Path(path)


def check_generator(run_dir: Path, cfg: RunConfig, data: PreparedData, *, report: bool = True,
                    n: int = CHECK_PER_CLASS) -> dict[str, Any]:
    """Per class present in the training split: ``n`` generated beats against the training
    beats (copies, nearest-neighbour distances) and against real beats (two-sample AUROC);
    the validation split's beats are the held-out reference. Writes ``metrics.json``, the
    beat grid and, with ``report``, ``report.html``."""
    gen = Generator(run_dir)
    beats = lambda split: split.x["x"] if isinstance(split.x, dict) else split.x
    train_x, val_x = beats(data.train), beats(data.val)
    per_class, samples = {}, {}
    for k, name in enumerate(data.classes):
        real = train_x[data.train.y == k]
        if len(real) == 0:
            continue
        fake = gen.sample(name, n, seed=cfg.seed + k)
        held = val_x[data.val.y == k] if len(data.val) else None
        per_class[name] = {"n_train": len(real),
                           "copies": copy_check(fake, real, held, seed=cfg.seed),
                           "two_sample": two_sample_auroc(real, fake, seed=cfg.seed)}
        show = np.random.default_rng(cfg.seed).choice(len(real), size=min(4, len(real)), replace=False)
        samples[name] = (real[np.sort(show)], fake[:8])  # real beats drawn across records
    metrics = {"task": "generator", "model": cfg.model.name, "classes": list(data.classes),
               "n_per_class": n, "checkpoint": cfg.eval.checkpoint, "per_class": per_class,
               "exact_copies": int(sum(p["copies"]["exact_copies"] for p in per_class.values()))}
    atomic.write_json(run_dir / "metrics.json", metrics)
    from seqlab.report.generated import write_generator_report

    write_generator_report(run_dir, samples, report=report)
    return metrics
