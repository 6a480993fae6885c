"""``augment.synthetic``: beats of rare classes from a conditional generator, added to the
training split only (validation and test are never touched).

Two sources, one of them per config:

* ``config: configs/gen/cvae.yaml`` trains the generator *inside* this run, on this run's own
  training split (``RUN_DIR/generator/``), so under cross-validation each fold's generator
  sees that fold's training records only: nothing of a held-out record leaks into training.
  A rerun finds the finished generator there and reuses it.
* ``run: RUN_DIR`` takes a generator trained before. The records it saw (its train and val
  splits) are compared with this run's test records; an overlap is leakage (the generator has
  seen the patients the classifier is scored on) and is printed and written into the data
  summary.

A generated beat gets the RR features of a real beat of its class drawn from *this* run's
training split (``inference.generate.draw_rr``), and the generator must have been trained on
the same beat options (window, filters, normalisation, leads): checked, one-line error.

>>> import numpy as np
>>> from seqlab.data.base import Split
>>> a = Split({"x": np.zeros((2, 1, 4)), "rr": np.zeros((2, 3))}, np.array([0, 1]), np.array(["r1", "r2"]))
>>> b = Split({"x": np.ones((1, 1, 4)), "rr": np.ones((1, 3))}, np.array([1]), np.array(["synthetic"]))
>>> joined(a, b).y.tolist(), joined(a, b).x["x"].shape
([0, 1, 1], (3, 1, 4))
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import numpy as np

from seqlab import config as configlib
from seqlab.config import RunConfig, SyntheticConfig
from seqlab.data.base import PreparedData, Split
from seqlab.errors import ConfigError
from seqlab.inference.generate import Generator, draw_rr
from seqlab.report.rundir import read_json

SYNTHETIC_GROUP = "synthetic"  # the group (record) id of generated beats


def joined(a: Split, b: Split) -> Split:
    """Rows of ``a`` then ``b``; groups kept (``b`` always has them here)."""
    x = {k: np.concatenate([a.x[k], b.x[k]]) for k in a.x} if isinstance(a.x, dict) else np.concatenate([a.x, b.x])
    groups = None if a.groups is None else np.concatenate([a.groups.astype(str), b.groups.astype(str)])
    return Split(x, np.concatenate([a.y, b.y]), groups)


def add_synthetic(cfg: RunConfig, data: PreparedData, run_dir: Path) -> PreparedData:
    """``data`` with generated beats appended to its training split (unchanged when
    ``augment.synthetic`` is off)."""
    s = cfg.augment.synthetic
    if s is None:
        return data
    unknown = [c for c in s.per_class if c not in data.classes]
    if unknown:
        raise ConfigError(f"augment.synthetic.per_class names {', '.join(unknown)}, not classes of this data "
                          f"({', '.join(data.classes)})")
    gen_dir, leaked = (Path(s.run), _leakage(Path(s.run), data)) if s.run else (_train_inside(cfg, s, data, run_dir), [])
    gen = Generator(gen_dir, s.checkpoint)
    _check_compatible(gen, data)
    parts = [_synthetic_split(gen, data, name, n, seed=cfg.seed + 7 * i) for i, (name, n) in enumerate(s.per_class.items())]
    train = data.train
    for part in parts:
        train = joined(train, part)
    added = ", ".join(f"{n:,} {c}" for c, n in s.per_class.items())
    notes = list(data.summary.get("notes", []))
    notes.append(f"training split: {added} generated beats added by {gen_dir} (val and test untouched; RR features "
                 "drawn from real training beats of the same class)")
    if leaked:
        notes.append(f"**Leakage: the generator {gen_dir} was trained on records {' '.join(leaked)}, which this run "
                     "tests on; train the generator per fold (augment.synthetic.config).**")
        print(f"warning: synthetic beats leak: generator trained on tested records {' '.join(leaked)}")
    counts = {c: int((train.y == k).sum()) for k, c in enumerate(data.classes)}
    summary = {**data.summary, "notes": notes,
               "synthetic": {"generator": str(gen_dir), "per_class": dict(s.per_class), "leaked_records": leaked,
                             "train_counts_with_synthetic": counts}}
    return dataclasses.replace(data, train=train, summary=summary)


def _train_inside(cfg: RunConfig, s: SyntheticConfig, data: PreparedData, run_dir: Path) -> Path:
    """Train the generator of ``s.config`` on this run's training split (val for its
    checkpoint), in ``run_dir/generator``; a finished one there is reused."""
    from seqlab.training import run

    out = Path(run_dir) / "generator"
    if (out / "metrics.json").is_file():
        return out
    gen_cfg = configlib.load(_config_path(s.config), s.overrides)
    if gen_cfg.augment.synthetic is not None:
        raise ConfigError(f"{s.config}: a generator config cannot itself ask for synthetic beats")
    # this run's beats, with the generator's own batch size and sampler
    own = {k: getattr(gen_cfg.data, k) for k in ("batch_size", "sampler")}
    gen_cfg = gen_cfg.model_copy(update={"data": cfg.data.model_copy(update=own), "seed": cfg.seed})
    gen_data = dataclasses.replace(data, test=data.val, summary={
        **data.summary, "protocol": f"generator trained on the training split of {run_dir}"})
    killed = (out / "checkpoints" / "last.ckpt").is_file()  # a killed generator fit goes on where it stopped
    run.train(gen_cfg, None if killed else out, resume_from=out if killed else None, data=gen_data, report=False)
    run.setup_process(cfg)  # back to the classifier's seeds
    return out


def _config_path(name: str) -> Path:
    """A generator YAML path, or a name under the shipped ``configs/gen/``."""
    from importlib import resources

    path = Path(name)
    if path.is_file():
        return path
    shipped = Path(str(resources.files("seqlab") / "configs" / "gen" / f"{path.stem}.yaml"))
    if shipped.is_file():
        return shipped
    raise ConfigError(f"augment.synthetic.config: {name} not found (e.g. configs/gen/cvae.yaml)")


def _leakage(gen_dir: Path, data: PreparedData) -> list[str]:
    """Records the generator saw (its train and val splits) that this run tests on."""
    seen = read_json(gen_dir / "data_summary.json").get("records", {})
    trained = {str(r) for k in ("train", "val") for r in seen.get(k, [])}
    tested = set() if data.test.groups is None else {str(g) for g in np.unique(data.test.groups)}
    return sorted(trained & tested)


def _check_compatible(gen: Generator, data: PreparedData) -> None:
    x = data.train.x["x"] if isinstance(data.train.x, dict) else data.train.x
    if tuple(x.shape[1:]) != gen.shape:
        raise ConfigError(f"generator {gen.run_dir} makes beats of shape {gen.shape}, this run's beats are "
                          f"{tuple(x.shape[1:])}: train the generator on the same data section")
    beat = data.summary.get("beat")
    if gen.beat and beat and gen.beat != beat:
        diff = sorted(k for k in set(gen.beat) | set(beat) if gen.beat.get(k) != beat.get(k))
        raise ConfigError(f"generator {gen.run_dir} was trained on other beat options ({', '.join(diff)}): "
                          "train it on the same data section")


def _synthetic_split(gen: Generator, data: PreparedData, name: str, n: int, *, seed: int) -> Split:
    """``n`` generated beats of class ``name`` as a ``Split`` shaped like the training split."""
    k = data.classes.index(name)
    beats = gen.sample(name, n, seed=seed)
    x: Any = beats
    if isinstance(data.train.x, dict):
        pool = {"rr": data.train.x["rr"], "y": data.train.y} if "rr" in data.train.x else None
        x = {"x": beats}
        if pool is not None:
            x["rr"] = draw_rr(pool, k, n, np.random.default_rng(seed))
        if set(x) != set(data.train.x):
            raise ConfigError(f"synthetic beats carry {sorted(x)}, the classifier takes {sorted(data.train.x)}")
    return Split(x, np.full(n, k, dtype=data.train.y.dtype), np.full(n, SYNTHETIC_GROUP))
