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

    fn = MODELS.get(name).fn
    if "pretrained" not in kwargs:
        check_size(name, fn, kwargs)
    try:
        return fn(**kwargs)
    except ValueError as exc:  # a factory refusing its arguments: a config mistake, one line
        raise ConfigError(f"model {name!r}: {exc}") from None


MAX_PARAMETERS = 500_000_000  # far beyond any model seqlab trains on a CPU or one GPU


def check_size(name: str, fn, kwargs: dict[str, Any]) -> None:
    """Build the network on the meta device first (no memory, milliseconds): a zero width or
    length makes empty layers and an absurd one billions of parameters; both are config
    mistakes, said in one line instead of a torch traceback or gigabytes allocated."""
    try:
        with torch.device("meta"):
            probe = fn(**kwargs)
    except ValueError as exc:
        raise ConfigError(f"model {name!r}: {exc}") from None
    except (RuntimeError, OverflowError) as exc:
        raise ConfigError(f"model {name!r}: these sizes cannot be built ({str(exc).splitlines()[0]}); "
                          "check width / depth / length arguments") from None
    sizes = [p.numel() for p in probe.parameters()]
    if any(n == 0 for n in sizes):
        raise ConfigError(f"model {name!r}: a zero width or length makes empty layers; use sizes >= 1")
    if sum(sizes) > MAX_PARAMETERS:
        raise ConfigError(f"model {name!r}: {sum(sizes):,} parameters, over {MAX_PARAMETERS:,}; "
                          "reduce its width / depth / hidden sizes")


CHECKPOINT_KEYS = ("epoch", "state_dict", "hyper_parameters")


def load_checkpoint(path: str | Path) -> dict[str, Any]:
    """Load a seqlab checkpoint the safe way (tensors and plain types only, memory-mapped).

    A missing, truncated, non-zip or foreign file, or one holding other objects, is one
    ``SeqlabError``: torch's own message would advise ``weights_only=False``, i.e. running
    whatever code the file holds, which seqlab never does."""
    import pickle
    import re
    import zipfile

    path = Path(path)
    if not path.is_file():
        raise SeqlabError(f"checkpoint {path} {'is not a file' if path.exists() else 'not found'}")
    if not zipfile.is_zipfile(path):
        raise SeqlabError(f"checkpoint {path} is truncated or not a PyTorch checkpoint (no zip directory)")
    try:
        ckpt = torch.load(os.fspath(path), map_location="cpu", weights_only=True, mmap=True)
    except pickle.UnpicklingError as exc:
        found = re.search(r"GLOBAL ([\w.]+)", str(exc))
        what = f" ({found.group(1)})" if found else ""
        raise SeqlabError(f"checkpoint {path} holds non-tensor objects{what} and is refused: seqlab "
                          "checkpoints hold tensors and plain types only") from None
    except (RuntimeError, EOFError, ValueError, OSError, KeyError, zipfile.BadZipFile) as exc:
        why = "" if "weights_only" in str(exc) else f": {str(exc).splitlines()[0][:120]}" if str(exc) else ""
        raise SeqlabError(f"checkpoint {path} is corrupt or truncated ({type(exc).__name__}{why})") from None
    if not isinstance(ckpt, dict) or any(k not in ckpt for k in CHECKPOINT_KEYS):
        raise SeqlabError(f"{path} is not a seqlab training checkpoint (it lacks {', '.join(CHECKPOINT_KEYS)})")
    return ckpt


def load_model(run_dir: str | Path, which: str = "best"):
    """The trained network of a run in eval mode (or its scikit-learn estimator)."""
    run_dir = Path(run_dir)
    from seqlab.inference import sklearn_model

    # the run's config decides, never a file's presence: a model file planted in a neural run
    # is not opened, and a classical run's file is loaded with skops' type checks, not pickle
    if (run_dir / "config.yaml").exists():
        from seqlab.config import load_run

        if sklearn_model.is_classical(load_run(run_dir)):
            return sklearn_model.load_from_run(run_dir)
    path = run_dir / "checkpoints" / f"{which}.ckpt"
    if not path.exists():
        raise SeqlabError(f"{path} not found: is {run_dir} a finished seqlab run?")
    return network_from_checkpoint(load_checkpoint(path))


def network_from_checkpoint(ckpt: dict[str, Any]) -> nn.Module:
    """The network a loaded checkpoint holds, rebuilt from its registry name and kwargs, in eval mode."""
    hp = ckpt["hyper_parameters"]
    model = build_model(hp["model_name"], hp["model_kwargs"])
    # the LightningModule keeps the network under "model."; metrics and loss weights are not needed
    model.load_state_dict({k[len("model."):]: v for k, v in ckpt["state_dict"].items() if k.startswith("model.")})
    return model.eval()
