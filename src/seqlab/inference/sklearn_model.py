"""A scikit-learn run's estimator: loaded and asked for probabilities without Lightning."""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import Any

import numpy as np


def load(path: Path) -> Any:
    with open(path, "rb") as fh:
        return pickle.load(fh)


def is_estimator(model: Any) -> bool:
    return hasattr(model, "predict_proba") and not hasattr(model, "parameters")


def predict_proba(estimator: Any, x: Any) -> np.ndarray:
    return np.asarray(estimator.predict_proba(x), dtype=np.float32)
