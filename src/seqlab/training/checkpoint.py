"""Checkpoints that survive a kill and restore the RNG streams.

``AtomicCheckpointIO`` writes to a temporary file, fsyncs and renames, so a kill during save
leaves the previous ``last.ckpt`` intact (Lightning's own save has no fsync). ``RngState``
stores torch / numpy / python RNG states as tensors and plain types, so the checkpoint loads
with ``torch.load(weights_only=True)`` and a resumed run draws the same dropout masks.
"""

from __future__ import annotations

import random
from typing import Any

import lightning as L
import numpy as np
import torch
from lightning.pytorch.plugins.io import TorchCheckpointIO

from seqlab.atomic import atomic_open


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
