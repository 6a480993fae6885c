"""Sequences of consecutive beats (``data.beat_sequence``): what a sequence model trains on.

Why the data stay one row per beat: evaluation, cross-validation, per-record tables,
post-processing and ``seqlab predict`` all speak beats, so a sequence model is scored exactly
like any other. What ``beat_sequence`` adds is the promise that the rows of every split are in
record order (consecutive rows with the same ``groups`` value are consecutive beats of one
record), and the window length the model is built for (``model_kwargs["beats_per_window"]``).
The training loader cuts the windows (``training.data.BeatWindowDataset``); the model cuts its
own at inference (``models.seq2seq``). Two things would break the order and are refused:
over-/under-sampling (``balance``) and weighted samplers; use ``optim.class_weights`` instead.

The intra-patient protocol splits whole blocks of ``length`` consecutive beats (``block_split``),
as Mousavi & Afghah (2019) split sequences, never single beats: a beat-wise split would leave
each test beat's neighbours in the training set and the windows full of holes.

>>> groups = np.array(["a"] * 5 + ["b"] * 3)
>>> group_runs(groups, 8)
[(0, 5), (5, 8)]
>>> [b.tolist() for b in record_blocks(groups, 8, 2)]
[[0, 1], [2, 3], [4], [5, 6], [7]]
"""

from __future__ import annotations

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from seqlab.data.ecg.splits import stratified_beat_split


class BeatSequence(BaseModel):
    """``length`` consecutive beats per window; ``stride`` beats between training windows
    (None: ``length``, i.e. no overlap; smaller overlaps them, more windows per epoch)."""

    model_config = ConfigDict(extra="forbid")

    length: int = Field(10, ge=2, le=1000)
    stride: int | None = Field(None, ge=1)

    def model_kwargs(self) -> dict[str, int]:
        """The data-derived model argument and the training loader's step."""
        return {"beats_per_window": self.length, "window_stride": self.stride or self.length}


def check_order_kept(cfg) -> None:
    """``ValueError`` (a config mistake) when ``cfg`` would reorder a split's beats."""
    if getattr(cfg, "beat_sequence", None) is None:
        return
    if cfg.balance != "none":
        raise ValueError("beat_sequence keeps beats in record order: balance must be none "
                         "(weigh the loss instead: optim.class_weights: balanced)")
    if cfg.sampler != "none":
        raise ValueError("beat_sequence draws windows of beats, not beats: sampler must be none "
                         "(weigh the loss instead: optim.class_weights: balanced)")


def group_runs(groups: np.ndarray | None, n: int) -> list[tuple[int, int]]:
    """``(start, stop)`` of each run of equal consecutive ``groups`` values (one run when None)."""
    if n == 0:
        return []
    if groups is None:
        return [(0, n)]
    g = np.asarray(groups)
    cuts = np.flatnonzero(g[1:] != g[:-1]) + 1
    edges = [0, *cuts.tolist(), n]
    return list(zip(edges[:-1], edges[1:]))


def record_blocks(groups: np.ndarray | None, n: int, length: int) -> list[np.ndarray]:
    """Row indices of consecutive blocks of ``length`` rows inside each run (the last block of
    a run may be shorter)."""
    return [np.arange(s, min(s + length, stop)) for start, stop in group_runs(groups, n)
            for s in range(start, stop, length)]


def block_split(y: np.ndarray, groups: np.ndarray, length: int, val_fraction: float, test_fraction: float,
                *, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(train, val, test) row indices, whole blocks of ``length`` consecutive beats each, the
    blocks stratified by their rarest class (so the few S / F blocks reach every split)."""
    blocks = record_blocks(groups, len(y), length)
    if not blocks:
        return tuple(np.zeros(0, np.int64) for _ in range(3))
    freq = np.bincount(y, minlength=int(y.max()) + 1)
    rarest = np.array([b[np.argmin(freq[y[b]])] for b in blocks])  # a row holding the block's rarest class
    parts = stratified_beat_split(y[rarest], val_fraction, test_fraction, seed=seed)
    return tuple(np.sort(np.concatenate([blocks[i] for i in p])) if len(p) else np.zeros(0, np.int64)
                 for p in parts)
