"""Batched inference with torch outside the Lightning loop (evaluation, prediction, benchmarks).

The network gives logits; the softmax is ``onnx_engine.softmax`` in numpy, the same step the
ONNX Runtime engine ends with, so the two engines differ only in the network's arithmetic.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from seqlab.inference.loading import forward_inputs, load_model, to_tensors
from seqlab.inference.onnx_engine import softmax


@torch.inference_mode()
def predict_logits(model: nn.Module, x: Any, batch_size: int = 1024) -> np.ndarray:
    """Logits (N, K) float32 for inputs ``x`` (array or dict of arrays)."""
    model.eval()
    x = to_tensors(x)
    n = len(next(iter(x.values()))) if isinstance(x, dict) else len(x)
    out = []
    for start in range(0, n, batch_size):
        sl = slice(start, start + batch_size)
        batch = {k: v[sl] for k, v in x.items()} if isinstance(x, dict) else x[sl]
        out.append(forward_inputs(model, batch).float())
    if not out:
        return np.zeros((0, 0), dtype=np.float32)
    return torch.cat(out).numpy()


def predict_proba(model: nn.Module, x: Any, batch_size: int = 1024) -> np.ndarray:
    """Class probabilities (N, K) float32 for inputs ``x`` (array or dict of arrays)."""
    return softmax(predict_logits(model, x, batch_size))


class CheckpointModel:
    """A run's model as saved (torch checkpoint, or a scikit-learn run's estimator), with the
    interface of ``onnx_engine.OnnxModel``: the ``--engine torch`` of ``seqlab predict``."""

    def __init__(self, run_dir: str | Path, which: str = "best", *, threads: int | None = 1):
        from seqlab.inference import sklearn_model

        if threads:
            torch.set_num_threads(threads)
        self.model = load_model(run_dir, which)
        self._sklearn = sklearn_model if sklearn_model.is_estimator(self.model) else None

    def predict_proba(self, x: Any, batch_size: int = 1024) -> np.ndarray:
        if self._sklearn is not None:
            return self._sklearn.predict_proba(self.model, x)
        return predict_proba(self.model, x, batch_size)
