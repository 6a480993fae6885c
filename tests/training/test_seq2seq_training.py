"""Training a sequence model: windows of consecutive beats, the teacher-forcing hook of the
shared ``Classifier``, (B, L, K) logits against (B, L) targets, and the one-line mismatches."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from seqlab import config
from seqlab.data.base import Split
from seqlab.errors import ConfigError
from seqlab.training import run
from seqlab.training.data import BeatWindowDataset
from seqlab.training.module import Classifier

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "ecg" / "mitdb"


def test_windows_stay_inside_a_record_and_pad_short_ones():
    x = np.arange(10, dtype=np.float32).reshape(10, 1, 1) + 1  # beat i holds the value i + 1
    split = Split({"x": x, "rr": x[:, 0]}, np.arange(10) % 3, np.array(["a"] * 7 + ["b"] * 3))
    ds = BeatWindowDataset(split, length=4, stride=2)
    assert ds.index.tolist() == [[0, 1, 2, 3], [2, 3, 4, 5], [3, 4, 5, 6], [7, 8, 9, -1]]
    xb, yb = ds.__getitems__([1, 3])
    assert xb["x"].shape == (2, 4, 1, 1) and xb["rr"].shape == (2, 4, 1) and yb.shape == (2, 4)
    assert xb["x"][1, :, 0, 0].tolist() == [8.0, 9.0, 10.0, 0.0]  # the pad is a zero beat
    assert yb[1].tolist() == [1, 2, 0, -100]  # labelled -100: no loss, no metric


class Spy(torch.nn.Module):
    """Records whether forward got the targets (the teacher-forcing hook)."""

    teacher_forcing = True
    beats_per_window = 3

    def __init__(self):
        super().__init__()
        self.lin = torch.nn.Linear(2, 2)
        self.got: list[bool] = []

    def forward(self, x, targets=None):
        self.got.append(targets is not None)
        return self.lin(x[..., 0, :])  # (B, L, 2) or (N, 2)


def test_classifier_passes_targets_while_training_only_and_flattens_windows(monkeypatch):
    module = Classifier(model_name="tiny_cnn", model_kwargs={"num_classes": 2}, classes=["N", "V"],
                        optim={"lr": 1e-3})
    module.model = Spy()
    y = torch.tensor([[0, 1, -100], [1, 1, 0]])
    loss = module._step((torch.randn(2, 3, 1, 2), y), "train")  # windows: (B, L, C, T)
    module._step((torch.randn(5, 1, 2), torch.tensor([0, 1, 1, 0, 0])), "val")  # beats in order: greedy
    assert module.model.got == [True, False]
    assert torch.isfinite(loss)
    confusion = module.confusion["train_cm"].compute()
    assert int(confusion.sum()) == 5  # the padded position is neither scored nor counted


def tiny(model: dict, beat_sequence: dict | None, tmp_path: Path):
    data = {"name": "mitbih", "source": str(FIX), "split": "records", "train_records": ["101"],
            "test_records": ["208"], "check_annotations": False, "batch_size": 8,
            "rr_features": False}
    if beat_sequence is not None:
        data["beat_sequence"] = beat_sequence
    return config.from_dict({"name": "s2s", "seed": 0, "data": data, "model": model,
                             "trainer": {"max_epochs": 1, "progress_bar": False}})


def test_mismatched_model_and_data_are_one_line_errors(tmp_path, monkeypatch):
    monkeypatch.setenv("SEQLAB_DATA", str(tmp_path / "data"))
    with pytest.raises(ConfigError, match="set data.beat_sequence"):
        run.train(tiny({"name": "seq2seq_lstm", "hidden_size": 4}, None, tmp_path), tmp_path / "a", report=False)
    with pytest.raises(ConfigError, match="classifies single beats"):
        run.train(tiny({"name": "tiny_cnn"}, {"length": 4}, tmp_path), tmp_path / "b", report=False)
    with pytest.raises(ConfigError, match="comes from the data"):
        tiny({"name": "seq2seq_lstm", "beats_per_window": 4}, {"length": 4}, tmp_path)
