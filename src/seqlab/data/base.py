"""The contract between a dataset and the trainer: arrays per split, class names, a summary.

A dataset is a function registered with ``@register_dataset(config=ItsConfig)``; it takes its
validated config and returns a ``PreparedData``. Everything downstream (trainer, evaluation,
report) works from this object alone, so a new dataset needs no trainer changes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict

Inputs = "np.ndarray | dict[str, np.ndarray]"


class DataConfigBase(BaseModel):
    """Fields every dataset config has; a dataset subclasses it with its own fields."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    name: str
    batch_size: int = 128  # range checked in config.from_dict
    # train-side class balancing by the trainer's loader: draw every class equally often
    # (weighted_sampler) or in proportion to the square root of its count (sqrt_weighted_sampler:
    # milder, keeps the rare classes from being repeated hundreds of times)
    sampler: Literal["none", "weighted_sampler", "sqrt_weighted_sampler"] = "none"


@dataclass
class Split:
    """One split. ``x`` is an array (first axis = samples) or a dict of such arrays; a dict is
    passed to the model as keyword arguments (e.g. ``{"x": beats, "rr": rr_features}``).
    ``groups`` holds the patient / record / document-source id per sample (for group folds)."""

    x: Any
    y: np.ndarray
    groups: np.ndarray | None = None

    def __len__(self) -> int:
        return int(self.y.shape[0])

    def take(self, index: np.ndarray) -> "Split":
        """Rows ``index`` of every array (used by cross-validation and samplers)."""
        x = {k: v[index] for k, v in self.x.items()} if isinstance(self.x, dict) else self.x[index]
        groups = None if self.groups is None else self.groups[index]
        return Split(x, self.y[index], groups)


@dataclass
class PreparedData:
    """Splits ready for training. ``model_kwargs`` are shapes the model needs from the data
    (``in_channels``, ``seq_len``, ``vocab_size``...); ``summary`` goes into the report:
    ``protocol``, ``intra_patient`` (bool: the report then warns in bold), ``records`` per
    split, ``notes`` (list of str), and anything else JSON-serialisable."""

    classes: list[str]
    train: Split
    val: Split
    test: Split
    model_kwargs: dict[str, Any] = field(default_factory=dict)
    summary: dict[str, Any] = field(default_factory=dict)
    # files the run must keep to be reproducible (e.g. a trained tokenizer): name -> path;
    # the trainer copies them into RUN_DIR/artifacts/
    artifacts: dict[str, str] = field(default_factory=dict)
    # "regression": ``y`` holds real-valued targets (float32), ``classes`` the target's name;
    # the trainer then fits a ``Regressor`` and evaluation reports MSE / MAE / RMSE / R²
    task: Literal["classification", "regression"] = "classification"

    def split(self, name: str) -> Split:
        if name not in ("train", "val", "test"):
            raise ValueError(f"unknown split {name!r}")
        return getattr(self, name)

    def class_counts(self) -> dict[str, dict[str, int]]:
        """Samples per class per split, for the data summary (none for a regression target)."""
        if self.task == "regression":
            return {}
        out = {}
        for name in ("train", "val", "test"):
            counts = np.bincount(self.split(name).y, minlength=len(self.classes))
            out[name] = {c: int(n) for c, n in zip(self.classes, counts)}
        return out
