"""Sequence-to-sequence beat labelling after Mousavi & Afghah (ICASSP 2019).

S. Mousavi, F. Afghah, "Inter- and intra-patient ECG heartbeat classification for arrhythmia
detection: a sequence to sequence deep learning approach", ICASSP 2019 (arXiv:1812.07421): a
CNN turns each beat into a feature vector, a bidirectional LSTM encodes the sequence of beats,
and an LSTM decoder started from the encoder's final states emits one label per beat, reading
the previous label (teacher forcing while training, its own greedy choice at inference).

Ours, per window of ``beats_per_window`` consecutive beats of one record::

    beat (C, T) -> 3 x [conv, ReLU] (max-pool between) -> pooled to ``pool_len`` -> linear
      [+ batch-normalised RR features]                        -> (L, E) per window
    -> BiLSTM encoder (L, 2H) -> LSTM decoder (2H), initial state = both final encoder states
    decoder input at step t: embedding of label t-1 (<GO> at t = 0) [+ encoder output of beat t]
    -> Luong ("general") attention over the window's L encoder outputs -> linear -> K logits

``feed_beat`` (ours, on by default) also gives the decoder the aligned beat's encoding: the
labels are aligned one-to-one with the beats, and without it the decoder must find beat t by
attention alone (``feed_beat: false, attention: true`` is the paper's form).

Two input forms, one network:

* ``x (B, L, C, T)`` windows [``rr (B, L, F)``] -> logits ``(B, L, K)``; with ``targets (B, L)``
  (training; -100 marks padding) the decoder reads the true previous labels (teacher forcing),
  else its own greedy ones. The shared ``Classifier`` passes ``targets`` to a network whose
  ``teacher_forcing`` attribute is true, and flattens (B, L, K) against (B, L).
* ``x (N, C, T)`` = N consecutive beats of one record [``rr (N, F)``] -> logits ``(N, K)``: the
  beats are cut into windows of L (the last one ends at the last beat, overlapping the one
  before; fewer than L beats are padded with zero beats), decoded greedily, and each beat gets
  the mean of its windows' outputs. Every per-beat path (evaluation, ``seqlab predict``) works
  unchanged, provided the rows it passes are consecutive beats (``inference.proba`` keeps
  records apart with their ``groups``).

>>> import torch
>>> net = seq2seq_lstm(num_classes=4, beats_per_window=5, hidden_size=8).eval()
>>> net(torch.randn(2, 5, 1, 187)).shape, net(torch.randn(12, 1, 187)).shape
(torch.Size([2, 5, 4]), torch.Size([12, 4]))
>>> window_starts(12, 5).tolist(), window_starts(12, 5, stride=3).tolist(), window_starts(3, 5).tolist()
([0, 5, 7], [0, 3, 6, 7], [0])
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from seqlab.models.layers import FeatureBatchNorm, check_rr
from seqlab.models.registry import register_model

IGNORE = -100  # the label of a padding position (``nn.CrossEntropyLoss``'s ignore_index)


def window_starts(n: int, length: int, stride: int | None = None) -> np.ndarray:
    """First rows of the windows over ``n`` consecutive beats: every ``stride`` (default
    ``length``) and one more ending at the last beat if the stride left it out; ``[0]`` when
    ``n < length`` (that window is padded)."""
    stride = stride or length
    if n <= length:
        return np.zeros(1 if n else 0, dtype=np.int64)
    starts = np.arange(0, n - length + 1, stride, dtype=np.int64)
    return starts if starts[-1] + length == n else np.append(starts, n - length)


def window_index(n: int, length: int, stride: int | None = None) -> np.ndarray:
    """(W, L) row indices of the windows over ``n`` consecutive beats; -1 where padded."""
    idx = window_starts(n, length, stride)[:, None] + np.arange(length)[None, :]  # (W, L)
    return np.where(idx < n, idx, -1)


def gather_rows(t: torch.Tensor, index: torch.Tensor) -> torch.Tensor:
    """``t[index]`` for an index with -1 padding, padded entries zero: (N, ...) -> (W, L, ...)."""
    out = t[index.clamp(min=0)]
    valid = (index >= 0).reshape(*index.shape, *([1] * (out.dim() - index.dim())))
    return out * valid.to(out.dtype)


class BeatSeq2Seq(nn.Module):
    """CNN per beat -> BiLSTM over beats -> LSTM decoder with attention, one label per beat."""

    def __init__(self, *, num_classes: int, in_channels: int, num_rr: int, beats_per_window: int,
                 channels: list[int], kernel_size: int, pool_len: int, beat_features: int, hidden_size: int,
                 embed_size: int, attention: bool, feed_beat: bool, dropout: float, teacher_forcing: bool,
                 sampling: float = 0.0):
        super().__init__()
        self.sampling = sampling  # scheduled sampling: share of previous labels taken from the model
        self.num_classes, self.num_rr, self.beats_per_window = num_classes, num_rr, beats_per_window
        self.teacher_forcing = teacher_forcing  # read by the Classifier: pass targets while training
        layers: list[nn.Module] = []
        c = in_channels
        for i, out in enumerate(channels):
            if i:
                layers.append(nn.MaxPool1d(2, ceil_mode=True))
            layers += [nn.Conv1d(c, out, kernel_size, padding=kernel_size // 2), nn.ReLU()]
            c = out
        layers += [nn.AdaptiveAvgPool1d(pool_len), nn.Flatten(), nn.Linear(c * pool_len, beat_features), nn.ReLU()]
        self.beat = nn.Sequential(*layers)
        self.rr_norm = FeatureBatchNorm(num_rr) if num_rr else None
        self.encoder = nn.LSTM(beat_features + num_rr, hidden_size, batch_first=True, bidirectional=True)
        d = 2 * hidden_size
        self.embed = nn.Embedding(num_classes + 1, embed_size)  # the classes, then <GO>
        self.feed_beat = feed_beat
        self.decoder = nn.LSTM(embed_size + (d if feed_beat else 0), d, batch_first=True)
        self.score = nn.Linear(d, d, bias=False) if attention else None
        self.combine = nn.Linear(2 * d, d) if attention else None
        self.drop = nn.Dropout(dropout)
        self.out = nn.Linear(d, num_classes)

    def forward(self, x: torch.Tensor, rr: torch.Tensor | None = None,
                targets: torch.Tensor | None = None) -> torch.Tensor:
        if x.dim() == 3:  # (N, C, T) consecutive beats of one record
            if targets is not None:
                raise ValueError("targets (teacher forcing) go with windows x (B, L, C, T), not beats (N, C, T)")
            return self._consecutive(x, check_rr(rr, self.num_rr))
        if x.dim() != 4:
            raise ValueError(f"expected windows (B, L, C, T) or consecutive beats (N, C, T), got {tuple(x.shape)}")
        b, length = x.shape[:2]
        if rr is not None and self.num_rr:
            rr = check_rr(rr.reshape(b * length, -1), self.num_rr)  # (B*L, F)
        else:
            rr = check_rr(rr, self.num_rr)
        enc, state = self._encode(x, rr)
        feats = self._greedy(enc, state) if targets is None else self._forced(enc, state, targets)
        return self.out(self.drop(feats))  # (B, L, K)

    def _encode(self, x: torch.Tensor, rr: torch.Tensor | None):
        """Windows (B, L, C, T) [+ rr (B*L, F)] -> encoder outputs (B, L, 2H) and the decoder's
        initial (h, c), each (1, B, 2H): both directions' final states side by side."""
        b, length = x.shape[:2]
        f = self.beat(x.reshape(b * length, *x.shape[2:]))  # (B*L, E)
        if rr is not None:
            f = torch.cat([f, self.rr_norm(rr)], dim=1)  # (B*L, E + F)
        enc, (h, c) = self.encoder(self.drop(f.reshape(b, length, -1)))  # (B, L, 2H); (2, B, H)
        state = (torch.cat([h[0], h[1]], dim=1)[None], torch.cat([c[0], c[1]], dim=1)[None])
        return enc, state

    def _step_input(self, prev: torch.Tensor, enc: torch.Tensor) -> torch.Tensor:
        """Decoder input: previous labels (B, S) [+ the aligned encoder outputs (B, S, 2H)]."""
        e = self.embed(prev)  # (B, S, embed)
        return torch.cat([e, enc], dim=2) if self.feed_beat else e

    def _attend(self, dec: torch.Tensor, enc: torch.Tensor) -> torch.Tensor:
        """Luong attention of decoder states (B, S, D) over the window (B, L, D) -> (B, S, D)."""
        if self.score is None:
            return dec
        weights = torch.softmax(dec @ self.score(enc).transpose(1, 2), dim=2)  # (B, S, L)
        return torch.tanh(self.combine(torch.cat([dec, weights @ enc], dim=2)))  # (B, S, D)

    def _forced(self, enc: torch.Tensor, state, targets: torch.Tensor) -> torch.Tensor:
        """Teacher forcing: step t reads the true label t-1; all steps in one LSTM call. With
        ``sampling`` > 0 (training only), each previous label is, with that probability, the
        model's own choice from a first teacher-forced pass (parallel scheduled sampling,
        Duckworth et al. 2019): the decoder meets its own mistakes while it learns, as it will
        at inference, instead of learning to copy a previous label that is always right."""
        if self.training and self.sampling > 0:
            with torch.no_grad():
                guess = self.out(self._forced_pass(enc, state, targets)).argmax(dim=2)  # (B, L)
            take = (torch.rand(targets.shape, device=targets.device) < self.sampling) & (targets >= 0)
            targets = torch.where(take, guess, targets)
        return self._forced_pass(enc, state, targets)

    def _forced_pass(self, enc: torch.Tensor, state, targets: torch.Tensor) -> torch.Tensor:
        go = torch.full_like(targets[:, :1], self.num_classes)
        prev = torch.cat([go, targets[:, :-1]], dim=1)  # (B, L)
        prev = torch.where(prev < 0, torch.full_like(prev, self.num_classes), prev)  # padding reads <GO>
        dec, _ = self.decoder(self._step_input(prev, enc), state)  # (B, L, D)
        return self._attend(dec, enc)

    def _greedy(self, enc: torch.Tensor, state) -> torch.Tensor:
        """Greedy decoding: step t reads the label it chose at t-1."""
        prev = torch.full((enc.shape[0], 1), self.num_classes, dtype=torch.long, device=enc.device)
        feats = []
        for t in range(enc.shape[1]):
            dec, state = self.decoder(self._step_input(prev, enc[:, t:t + 1]), state)  # (B, 1, D)
            f = self._attend(dec, enc)
            feats.append(f)
            prev = F.linear(f, self.out.weight, self.out.bias).argmax(dim=2)  # (B, 1)
        return torch.cat(feats, dim=1)  # (B, L, D)

    def _consecutive(self, x: torch.Tensor, rr: torch.Tensor | None) -> torch.Tensor:
        """(N, C, T) consecutive beats -> (N, K): windows, greedy decoding, mean per beat."""
        n = x.shape[0]
        if n == 0:
            return x.new_zeros(0, self.num_classes)
        index = torch.from_numpy(window_index(n, self.beats_per_window)).to(x.device)  # (W, L)
        xw = gather_rows(x, index)  # (W, L, C, T)
        rw = None if rr is None else gather_rows(rr, index).reshape(index.numel(), -1)  # (W*L, F)
        enc, state = self._encode(xw, rw)
        feats = self._greedy(enc, state)  # (W, L, D)
        # one call of ``out`` on (N, D): the mean of the windows' logits (``out`` is affine)
        return self.out(self.drop(per_beat_mean(feats, n)))  # (N, K)


def per_beat_mean(feats: torch.Tensor, n: int) -> torch.Tensor:
    """(W, L, D) outputs of the ``window_index(n, L)`` windows -> (N, D), a beat in two windows
    (the last window overlaps the one before) taking their mean. Slices, not ``index_add_``:
    deterministic on every device."""
    w, length, d = feats.shape
    k = n // length if n >= length else 1  # windows that start every L beats
    flat = feats[:k].reshape(k * length, d)[:n]  # (min(n, kL), D)
    if k == w:
        return flat
    tail, first = feats[-1], n - length  # the last window covers beats n-L .. n-1
    both = k * length - first  # beats in both the last two windows
    return torch.cat([flat[:first], (flat[first:] + tail[:both]) / 2, tail[both:]])  # (N, D)


@register_model
def seq2seq_lstm(
    *,
    num_classes: int,
    in_channels: int = 1,
    seq_len: int = 187,
    num_rr: int = 0,
    beats_per_window: int = 10,
    channels: list[int] = (32, 64, 128),
    kernel_size: int = 3,
    pool_len: int = 8,
    beat_features: int = 128,
    hidden_size: int = 64,
    embed_size: int = 10,
    attention: bool = True,
    feed_beat: bool = True,
    dropout: float = 0.0,
    teacher_forcing: bool = True,
    scheduled_sampling: float = 0.0,
) -> nn.Module:
    """Mousavi & Afghah 2019: CNN per beat, BiLSTM encoder, LSTM decoder with attention; one label per beat."""
    if seq_len < 2 ** max(0, len(channels) - 1):
        raise ValueError(f"seq_len={seq_len} is too short for {len(channels)} conv layers with pooling")
    if beats_per_window < 1 or not channels or min(channels) < 1:
        raise ValueError("beats_per_window and every entry of channels must be >= 1")
    if not 0.0 <= scheduled_sampling < 1.0:
        raise ValueError(f"scheduled_sampling is a probability in [0, 1), got {scheduled_sampling}")
    return BeatSeq2Seq(num_classes=num_classes, in_channels=in_channels, num_rr=num_rr,
                       beats_per_window=beats_per_window, channels=list(channels), kernel_size=kernel_size,
                       pool_len=pool_len, beat_features=beat_features, hidden_size=hidden_size,
                       embed_size=embed_size, attention=attention, feed_beat=feed_beat, dropout=dropout,
                       teacher_forcing=teacher_forcing, sampling=scheduled_sampling)
