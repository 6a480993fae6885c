"""Rebuild a run's trained network without importing Lightning.

Lightning costs ~3.7 s of start-up here, more than `seqlab predict` may take end to end, so
the inference path (predict, evaluate, benchmarks) reads checkpoints with plain
``torch.load(weights_only=True)`` and rebuilds the network from the registry name and
arguments the checkpoint carries.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from seqlab.errors import ConfigError, SeqlabError
from seqlab.models.registry import MODELS


def to_tensors(x: Any) -> Any:
    """numpy inputs -> torch tensors (a dict stays a dict; float64 becomes float32)."""
    if isinstance(x, dict):
        return {k: to_tensors(v) for k, v in x.items()}
    t = torch.from_numpy(np.ascontiguousarray(x))
    return t.float() if t.dtype == torch.float64 else t


def forward_inputs(model: nn.Module, x: Any) -> torch.Tensor:
    """A dict of inputs becomes keyword arguments (``{"x": ..., "rr": ...}``)."""
    return model(**x) if isinstance(x, dict) else model(x)


def build_model(name: str, kwargs: dict[str, Any]) -> nn.Module:
    import seqlab.models.catalog  # noqa: F401  (fills the registry)

    try:
        return MODELS.get(name).fn(**kwargs)
    except ValueError as exc:  # a factory refusing its arguments: a config mistake, one line
        raise ConfigError(f"model {name!r}: {exc}") from None


def load_checkpoint(path: str | Path) -> dict[str, Any]:
    """Load a seqlab checkpoint the safe way (tensors and plain types only)."""
    return torch.load(os.fspath(path), map_location="cpu", weights_only=True)


def load_model(run_dir: str | Path, which: str = "best"):
    """The trained network of a run in eval mode (or its scikit-learn estimator)."""
    run_dir = Path(run_dir)
    pkl = run_dir / "checkpoints" / "model.pkl"
    if pkl.exists():
        from seqlab.inference import sklearn_model

        return sklearn_model.load(pkl)
    path = run_dir / "checkpoints" / f"{which}.ckpt"
    if not path.exists():
        raise SeqlabError(f"{path} not found: is {run_dir} a finished seqlab run?")
    ckpt = load_checkpoint(path)
    hp = ckpt["hyper_parameters"]
    model = build_model(hp["model_name"], hp["model_kwargs"])
    # the LightningModule keeps the network under "model."; metrics and loss weights are not needed
    model.load_state_dict({k[len("model."):]: v for k, v in ckpt["state_dict"].items() if k.startswith("model.")})
    return model.eval()
