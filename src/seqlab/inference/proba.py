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


def chunks(n: int, batch_size: int, window: int | None = None, groups: np.ndarray | None = None
           ) -> list[tuple[int, int]]:
    """``(start, stop)`` row ranges to run the network on. A sequence model (``window`` beats
    per window, ``models.seq2seq``) reads each range as consecutive beats of one record, so the
    ranges never cross a record (``groups``) and hold whole windows: the result does not depend
    on ``batch_size``.

    >>> chunks(5, 2)
    [(0, 2), (2, 4), (4, 5)]
    >>> chunks(7, 4, window=3, groups=np.array(list("aaaaabb")))
    [(0, 5), (5, 7)]
    """
    if not window:
        return [(s, min(s + batch_size, n)) for s in range(0, n, batch_size)]
    from seqlab.data.ecg.beat_sequence import group_runs

    step = max(window, batch_size // window * window)
    out = []
    for start, stop in group_runs(groups, n):
        pieces = [[s, min(s + step, stop)] for s in range(start, stop, step)]
        if len(pieces) > 1 and pieces[-1][1] - pieces[-1][0] < window:  # a tail shorter than a window
            tail = pieces.pop()
            pieces[-1][1] = tail[1]  # joins the piece before (its last window ends at the last beat)
        out += [tuple(p) for p in pieces]
    return out


@torch.inference_mode()
def predict_logits(model: nn.Module, x: Any, batch_size: int = 1024, groups: np.ndarray | None = None
                   ) -> np.ndarray:
    """Logits (N, K) float32 for inputs ``x`` (array or dict of arrays); ``groups`` (the record
    of each row) keeps a sequence model's windows inside one record."""
    model.eval()
    x = to_tensors(x)
    n = len(next(iter(x.values()))) if isinstance(x, dict) else len(x)
    out = []
    for start, stop in chunks(n, batch_size, getattr(model, "beats_per_window", None), groups):
        sl = slice(start, stop)
        batch = {k: v[sl] for k, v in x.items()} if isinstance(x, dict) else x[sl]
        out.append(forward_inputs(model, batch).float())
    if not out:
        return np.zeros((0, 0), dtype=np.float32)
    return torch.cat(out).numpy()


def predict_proba(model: nn.Module, x: Any, batch_size: int = 1024, groups: np.ndarray | None = None
                  ) -> np.ndarray:
    """Class probabilities (N, K) float32 for inputs ``x`` (array or dict of arrays)."""
    return softmax(predict_logits(model, x, batch_size, groups))


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
