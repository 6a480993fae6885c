"""Loaders over a pre-training corpus: length-grouped batches whose order is a function of
(seed, epoch) alone, so a resumed run draws exactly the batches an uninterrupted run draws.

A pre-training "epoch" may be shorter than a pass over the corpus (``trainer.limit_train_batches:
250`` makes one every 250 steps: validation and a checkpoint each time). Epochs then walk on
through the current pass instead of redrawing it: global batch k is batch ``k % per_pass`` of
pass ``k // per_pass``, and every pass is a fresh shuffle seeded by (seed, pass).
"""

from __future__ import annotations

from typing import Iterator

import lightning as L
import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset, Sampler

from seqlab.training.data import keep_batch
from seqlab.training.lm_data import LmCorpus


def length_batches(lengths: np.ndarray, batch_size: int, seed: int, pool: int = 50) -> list[list[int]]:
    """Batches of similar length (sorted inside shuffled pools of ``pool`` batches), in random
    order: short reviews then need few padding columns, which the encoder trims away. Rows that
    do not fill a last batch of a pool wait for the next pass."""
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(lengths))
    batches = []
    for start in range(0, len(order), batch_size * pool):
        chunk = order[start:start + batch_size * pool]
        chunk = chunk[np.argsort(lengths[chunk], kind="stable")]
        batches += [chunk[i:i + batch_size].tolist() for i in range(0, len(chunk) - batch_size + 1, batch_size)]
    return [batches[i] for i in rng.permutation(len(batches))]


class _Epoch:
    """What Lightning calls ``set_epoch`` on at every epoch start (``batch_sampler.sampler``)."""

    epoch = 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch


class CorpusBatches(Sampler[list[int]]):
    """Batch indices of epoch ``sampler.epoch``: onward from ``epoch * stride`` in the endless
    sequence of passes, where ``stride`` is what Lightning takes per epoch under ``limit``
    (``trainer.limit_train_batches``; see the module docstring)."""

    def __init__(self, lengths: np.ndarray, *, batch_size: int, seed: int, limit: float | int = 1.0):
        self.lengths, self.batch_size, self.seed = lengths, min(batch_size, len(lengths)), seed
        self.per_pass = len(length_batches(lengths, self.batch_size, seed))
        self.stride = steps_per_epoch(self.per_pass, limit)
        # an int limit: the loader is that long; a float: Lightning takes its share of a pass
        self.length = self.stride if isinstance(limit, int) else self.per_pass
        self.sampler = _Epoch()
        self._cache: tuple[int, list[list[int]]] = (-1, [])

    def _pass(self, p: int) -> list[list[int]]:
        if self._cache[0] != p:
            self._cache = (p, length_batches(self.lengths, self.batch_size, self.seed * 1_000_003 + p))
        return self._cache[1]

    def __len__(self) -> int:
        return self.length

    def __iter__(self) -> Iterator[list[int]]:
        start = self.sampler.epoch * self.stride
        for k in range(start, start + self.length):
            p, j = divmod(k, self.per_pass)
            yield self._pass(p)[j]


class TokenRows(Dataset):
    """Rows of the corpus fetched a batch at a time, trimmed to the batch's longest document."""

    def __init__(self, ids: np.ndarray, lengths: np.ndarray):
        self.ids, self.lengths = torch.from_numpy(ids), torch.from_numpy(lengths)

    def __len__(self) -> int:
        return len(self.ids)

    def __getitem__(self, i: int):
        return self.__getitems__([i])

    def __getitems__(self, index: list[int]):
        idx = torch.as_tensor(index)
        lengths = self.lengths[idx]
        width = int(lengths.max())
        ids = self.ids[idx, :width].long()  # (B, W)
        mask = (torch.arange(width) < lengths[:, None]).long()  # (B, W) right padding
        return ids, mask


def steps_per_epoch(per_pass: int, limit: float | int) -> int:
    """What Lightning consumes per epoch under ``limit_train_batches`` (an int caps the count,
    a float takes that share of the loader's length)."""
    if isinstance(limit, int) and not isinstance(limit, bool):
        return max(1, limit)
    return max(1, int(per_pass * limit))


class LmDataModule(L.LightningDataModule):
    def __init__(self, corpus: LmCorpus, *, batch_size: int, seed: int, limit_train_batches: float | int = 1.0,
                 eval_batch_size: int = 256):
        super().__init__()
        self.corpus, self.batch_size, self.seed = corpus, batch_size, seed
        self.limit, self.eval_batch_size = limit_train_batches, eval_batch_size

    def train_dataloader(self) -> DataLoader:
        c = self.corpus
        batches = CorpusBatches(c.lengths[c.fit], batch_size=self.batch_size, seed=self.seed, limit=self.limit)
        return DataLoader(TokenRows(c.ids[c.fit], c.lengths[c.fit]), batch_sampler=batches, collate_fn=keep_batch)

    def val_dataloader(self) -> DataLoader:
        c = self.corpus
        lengths = c.lengths[c.held_out]
        order = np.argsort(lengths, kind="stable").tolist()  # fixed, length-sorted batches
        batches = [order[i:i + self.eval_batch_size] for i in range(0, len(order), self.eval_batch_size)]
        return DataLoader(TokenRows(c.ids[c.held_out], lengths), batch_sampler=batches, collate_fn=keep_batch)
