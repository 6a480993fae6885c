"""Batched inference outside the Lightning loop (evaluation, prediction, benchmarks)."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from torch import nn

from seqlab.inference.loading import forward_inputs, to_tensors


@torch.inference_mode()
def predict_proba(model: nn.Module, x: Any, batch_size: int = 1024) -> np.ndarray:
    """Class probabilities (N, K) float32 for inputs ``x`` (array or dict of arrays)."""
    model.eval()
    x = to_tensors(x)
    n = len(next(iter(x.values()))) if isinstance(x, dict) else len(x)
    out = []
    for start in range(0, n, batch_size):
        sl = slice(start, start + batch_size)
        batch = {k: v[sl] for k, v in x.items()} if isinstance(x, dict) else x[sl]
        out.append(torch.softmax(forward_inputs(model, batch).float(), dim=1))
    if not out:
        return np.zeros((0, 0), dtype=np.float32)
    return torch.cat(out).numpy()
