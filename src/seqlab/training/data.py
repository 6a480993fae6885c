"""Turn ``PreparedData`` splits into DataLoaders, with a shuffle order that survives resume.

The train order of epoch ``e`` is drawn from a generator seeded with ``(seed, e)``: a run
resumed from ``last.ckpt`` at epoch ``e`` sees exactly the batches an uninterrupted run sees
(Lightning restores the epoch counter and calls ``set_epoch``, but not the global RNG).
"""

from __future__ import annotations

from typing import Iterator

import lightning as L
import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset, Sampler

from seqlab.data.base import PreparedData, Split
from seqlab.inference.loading import to_tensors


class ArrayDataset(Dataset):
    """In-memory tensors fetched a whole batch at a time (``__getitems__``): no per-sample
    Python call and no collate of single items, which keeps the loader off the profile."""

    def __init__(self, split: Split):
        self.x = to_tensors(split.x)
        self.y = torch.from_numpy(split.y.astype(np.float32 if split.y.dtype.kind == "f" else np.int64))

    def __len__(self) -> int:
        return len(self.y)

    def __getitem__(self, i: int):
        return self.__getitems__([i])

    def __getitems__(self, index: list[int]):
        idx = torch.as_tensor(index)
        x = {k: v[idx] for k, v in self.x.items()} if isinstance(self.x, dict) else self.x[idx]
        return x, self.y[idx]


class BeatWindowDataset(Dataset):
    """Windows of ``length`` consecutive beats of one record, each with its ``length`` labels:
    the training samples of a sequence model (``data.beat_sequence``). The split's rows are in
    record order (``data.ecg.beat_sequence``); windows start every ``stride`` beats inside each
    record, never across two, and a record shorter than ``length`` is padded with zero beats
    labelled -100 (which the loss and metrics ignore). A batch is ``x (B, L, ...)``, ``y (B, L)``."""

    def __init__(self, split: Split, length: int, stride: int):
        from seqlab.data.ecg.beat_sequence import group_runs
        from seqlab.models.seq2seq import IGNORE, window_index

        self.x = to_tensors(split.x)
        y = torch.from_numpy(split.y.astype(np.int64))
        parts = [np.zeros((0, length), np.int64)]
        for start, stop in group_runs(split.groups, len(split)):  # one record's consecutive beats
            w = window_index(stop - start, length, stride)  # (W, L) inside the record
            parts.append(np.where(w >= 0, w + start, -1))
        index = np.concatenate(parts)
        self.index = torch.from_numpy(index)  # (W, L) rows of the split, -1 = padding
        self.y = torch.where(self.index >= 0, y[self.index.clamp(min=0)], torch.full_like(self.index, IGNORE))

    def __len__(self) -> int:
        return len(self.index)

    def __getitem__(self, i: int):
        return self.__getitems__([i])

    def __getitems__(self, index: list[int]):
        from seqlab.models.seq2seq import gather_rows

        rows = self.index[torch.as_tensor(index)]  # (B, L)
        x = {k: gather_rows(v, rows) for k, v in self.x.items()} if isinstance(self.x, dict) else \
            gather_rows(self.x, rows)
        return x, self.y[torch.as_tensor(index)]


def keep_batch(batch):
    """The dataset already returns a collated batch."""
    return batch


class EpochSeededSampler(Sampler[int]):
    """A permutation (or, with ``weights``, a weighted draw with replacement) per epoch,
    seeded by (seed, epoch) instead of the global RNG."""

    def __init__(self, n: int, seed: int, weights: np.ndarray | None = None):
        self.n, self.seed, self.epoch = n, seed, 0
        self.weights = None if weights is None else torch.as_tensor(weights, dtype=torch.double)

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __len__(self) -> int:
        return self.n

    def __iter__(self) -> Iterator[int]:
        g = torch.Generator().manual_seed(self.seed * 1_000_003 + self.epoch)
        if self.weights is None:
            order = torch.randperm(self.n, generator=g)
        else:
            order = torch.multinomial(self.weights, self.n, replacement=True, generator=g)
        return iter(order.tolist())


def balanced_sample_weights(y: np.ndarray, power: float = 1.0) -> np.ndarray:
    """Per-sample weights so class c is drawn in proportion to count_c ** (1 - power):
    power 1 draws each class equally often, 0.5 in proportion to the square root."""
    counts = np.bincount(y)
    return 1.0 / counts[y].astype(float) ** power


class ArrayDataModule(L.LightningDataModule):
    """Loaders over a ``PreparedData``; the data itself is built (and cached) by the dataset."""

    def __init__(self, data: PreparedData, *, batch_size: int, seed: int, sampler: str = "none",
                 num_workers: int = 0, eval_batch_size: int = 1024, distributed: bool = False):
        super().__init__()
        self.data, self.batch_size, self.seed = data, batch_size, seed
        self.sampler, self.num_workers = sampler, num_workers
        self.eval_batch_size, self.distributed = eval_batch_size, distributed
        self._sets = {name: ArrayDataset(data.split(name)) for name in ("train", "val", "test")}
        # a sequence model trains on windows of consecutive beats (``data.beat_sequence``); it is
        # validated on the beats in order, as evaluation and ``seqlab predict`` see them
        length = data.model_kwargs.get("beats_per_window")
        self.window = None if length is None else (int(length), int(data.model_kwargs.get("window_stride") or length))
        if self.window is not None:
            self._sets["train"] = BeatWindowDataset(data.train, *self.window)

    def _loader(self, name: str, **kw) -> DataLoader:
        return DataLoader(self._sets[name], collate_fn=keep_batch, num_workers=self.num_workers,
                          persistent_workers=self.num_workers > 0,
                          generator=torch.Generator().manual_seed(self.seed), **kw)

    def train_dataloader(self) -> DataLoader:
        y = self.data.train.y
        if self.distributed and self.sampler == "none":
            # Lightning swaps in a DistributedSampler seeded by (seed, epoch)
            return self._loader("train", batch_size=self.batch_size, shuffle=True)
        power = {"weighted_sampler": 1.0, "sqrt_weighted_sampler": 0.5}.get(self.sampler)
        weights = balanced_sample_weights(y, power) if power is not None else None
        return self._loader("train", batch_size=self.batch_size,
                            sampler=EpochSeededSampler(len(self._sets["train"]), self.seed, weights))

    def val_dataloader(self) -> DataLoader:
        return self._loader("val", batch_size=self.eval_batch_size)

    def test_dataloader(self) -> DataLoader:
        return self._loader("test", batch_size=self.eval_batch_size)
