"""Checkpoints that survive a kill and restore the RNG streams.

``AtomicCheckpointIO`` writes to a temporary file, fsyncs and renames, so a kill during save
leaves the previous ``last.ckpt`` intact (Lightning's own save has no fsync). ``RngState``
stores torch / numpy / python RNG states as tensors and plain types, so the checkpoint loads
with ``torch.load(weights_only=True)`` and a resumed run draws the same dropout masks.

``best.ckpt`` and ``last.ckpt`` come from two ``ModelCheckpoint`` callbacks (``checkpoint_callbacks``):
with a monitor, Lightning 2.6 writes ``save_last`` only in epochs where the monitored metric
improved, so after 30 epochs ``last.ckpt`` held epoch 20 (the best) and a resume restarted
there. A second callback without a monitor writes ``last.ckpt`` every epoch, after ``best.ckpt``
(Lightning keeps checkpoint callbacks in order at the end), so when a kill interrupts the first
``last.ckpt`` a complete ``best.ckpt`` of that same epoch is there: ``resume_checkpoint`` picks
the newest checkpoint that loads.
"""

from __future__ import annotations

import random
import sys
from pathlib import Path
from typing import Any

import lightning as L
import numpy as np
import torch
from lightning.pytorch.callbacks import ModelCheckpoint
from lightning.pytorch.plugins.io import TorchCheckpointIO

from seqlab.atomic import atomic_open
from seqlab.errors import SeqlabError


class AtomicCheckpointIO(TorchCheckpointIO):
    def save_checkpoint(self, checkpoint: dict[str, Any], path, storage_options=None) -> None:
        with atomic_open(path, "wb") as fh:
            torch.save(checkpoint, fh)


def _numpy_state() -> dict[str, Any]:
    kind, keys, pos, has_gauss, cached = np.random.get_state()
    return {"kind": kind, "keys": torch.from_numpy(keys.astype(np.int64)), "pos": int(pos),
            "has_gauss": int(has_gauss), "cached": float(cached)}


def _set_numpy_state(s: dict[str, Any]) -> None:
    np.random.set_state((s["kind"], s["keys"].numpy().astype(np.uint32), s["pos"], s["has_gauss"], s["cached"]))


class RngState(L.Callback):
    """Save and restore the global RNG streams with every checkpoint."""

    def state_dict(self) -> dict[str, Any]:
        py = random.getstate()
        return {"torch": torch.get_rng_state(), "numpy": _numpy_state(),
                "python": [py[0], list(py[1]), py[2]]}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        torch.set_rng_state(state["torch"])
        _set_numpy_state(state["numpy"])
        version, internal, gauss = state["python"]
        random.setstate((version, tuple(internal), gauss))


def checkpoint_callbacks(directory: Path, monitor: str, mode: str) -> list[ModelCheckpoint]:
    """``best.ckpt`` (the monitored metric's best epoch), then ``last.ckpt`` (every epoch)."""
    common = dict(dirpath=directory, save_top_k=1, save_last=False, enable_version_counter=False,
                  auto_insert_metric_name=False)
    return [ModelCheckpoint(filename="best", monitor=monitor, mode=mode, **common),
            ModelCheckpoint(filename="last", monitor=None, **common)]


def resume_checkpoint(run_dir: Path, *, say: bool = True) -> tuple[Path, dict[str, Any]]:
    """The checkpoint a killed run resumes from: the latest epoch among ``last.ckpt`` and
    ``best.ckpt`` that loads (``best.ckpt`` when a kill cut the first ``last.ckpt`` short, or
    when ``last.ckpt`` is damaged; said on stderr). Nothing usable: one line saying what exists."""
    from seqlab.inference.loading import load_checkpoint

    folder = Path(run_dir) / "checkpoints"
    found, problems = [], []
    for name in ("last.ckpt", "best.ckpt"):
        if (folder / name).exists():
            try:
                ckpt = load_checkpoint(folder / name)
            except SeqlabError as exc:
                problems.append(str(exc))
                continue
            found.append(((ckpt["epoch"], ckpt.get("global_step", 0), name == "last.ckpt"), folder / name, ckpt))
    if not found:
        there = sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []
        if problems:
            raise SeqlabError(f"cannot resume {run_dir}: {'; '.join(problems)}; remove {folder} and start the run "
                              f"again with `seqlab train CONFIG --out {run_dir}`")
        what = f"checkpoints/ holds only {', '.join(there)}" if there else "it saved no checkpoint"
        raise SeqlabError(f"cannot resume {run_dir}: no checkpoints/last.ckpt or best.ckpt ({what}: it was stopped "
                          f"during its first epoch); start it again with `seqlab train CONFIG --out {run_dir}`")
    _, path, ckpt = max(found, key=lambda f: f[0])
    if path.name != "last.ckpt" and say:
        print(f"seqlab: resuming {run_dir} from best.ckpt (epoch {ckpt['epoch']}), the latest complete checkpoint"
              + (f"; {problems[0]}" if problems else ""), file=sys.stderr)
    return path, ckpt
