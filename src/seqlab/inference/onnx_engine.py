"""Class probabilities from a run's exported ``model.onnx`` with ONNX Runtime: no torch.

Why: ``import torch`` alone takes 1-2.5 s on these machines, longer than reading, filtering,
detecting and classifying a 30-minute record; ONNX Runtime starts in a tenth of that. The
network is exported at the end of training (``seqlab.inference.export``) beside its checkpoint,
with ``model.onnx.json`` saying what it takes (input names, dtypes, shapes with a dynamic
batch axis), what it gives (logits), the class names, the RR feature names and the
preprocessing the run used. Both engines end in the same numpy ``softmax`` here, so the
post-processing and the files written downstream see the same kind of array.

This module imports numpy only; ``onnxruntime`` is imported when a session is opened.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import numpy as np

from seqlab.errors import DataError, SeqlabError

ONNX_FILE = "model.onnx"
META_FILE = "model.onnx.json"
# beats per session run at most: with the convolutions in 2-D (``onnx_layout``) chunks of 64-128
# ran about twice as fast as chunks of 1024 on these machines (working set in cache)
RUN_BATCH = 64


def onnx_paths(run_dir: str | Path) -> tuple[Path, Path]:
    """``(checkpoints/model.onnx, checkpoints/model.onnx.json)`` of a run."""
    ckpt = Path(run_dir) / "checkpoints"
    return ckpt / ONNX_FILE, ckpt / META_FILE


def softmax(logits: np.ndarray) -> np.ndarray:
    """Row-wise float32 softmax; the one step both engines share after the network.

    >>> softmax(np.array([[0.0, 0.0], [0.0, np.log(3.0)]])).round(3).tolist()
    [[0.5, 0.5], [0.25, 0.75]]
    """
    z = np.asarray(logits, dtype=np.float32)
    if z.size == 0:
        return z.reshape(len(z), -1)
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def file_sha256(path: str | Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_meta(run_dir: str | Path) -> dict[str, Any]:
    _, meta = onnx_paths(run_dir)
    try:
        return json.loads(meta.read_text())
    except (OSError, ValueError) as exc:
        raise SeqlabError(f"{meta} cannot be read ({exc}); run `seqlab export {run_dir}` again") from None


def unusable(run_dir: str | Path, which: str) -> str | None:
    """Why the run's ``model.onnx`` cannot stand in for checkpoint ``which`` (None: it can).

    A model exported from another checkpoint than the one on disk (a resumed run, a replaced
    ``best.ckpt``) is stale; a run whose checkpoints were removed keeps its ONNX model."""
    model, meta_path = onnx_paths(run_dir)
    if not model.is_file():
        return f"{model} not found"
    if not meta_path.is_file():
        return f"{meta_path} not found"
    try:
        meta = read_meta(run_dir)
    except SeqlabError as exc:
        return str(exc)
    if meta.get("onnx_sha256") != file_sha256(model):
        return f"{model} does not match {meta_path.name} (an interrupted export?)"
    source = meta.get("checkpoint", {})
    ckpt = Path(run_dir) / "checkpoints" / f"{which}.ckpt"
    if source.get("file") != ckpt.name:
        return f"{model} was exported from {source.get('file')}, not {ckpt.name}"
    if ckpt.is_file() and source.get("sha256") != file_sha256(ckpt):
        return f"{model} was exported from an older {ckpt.name}"
    import importlib.util

    if importlib.util.find_spec("onnxruntime") is None:
        return "onnxruntime is not installed (pip install onnxruntime)"
    return None


class OnnxModel:
    """A run's exported network in an ONNX Runtime session (CPU)."""

    def __init__(self, run_dir: str | Path, *, threads: int | None = 1):
        import onnxruntime as ort

        self.run_dir = Path(run_dir)
        self.meta = read_meta(self.run_dir)
        self.inputs = self.meta["inputs"]  # [{"name", "dtype", "shape"}] in the graph's order
        opts = ort.SessionOptions()
        if threads:
            opts.intra_op_num_threads = threads
        opts.inter_op_num_threads = 1
        opts.log_severity_level = 3  # warnings about unused initialisers are not the user's business
        path, _ = onnx_paths(self.run_dir)
        self.session = ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])

    def feeds(self, x: Any) -> dict[str, np.ndarray]:
        """Model inputs (an array for the first input, or a dict by name) as the graph's arrays."""
        given = x if isinstance(x, dict) else {self.inputs[0]["name"]: x}
        feeds = {}
        for spec in self.inputs:
            if spec["name"] not in given:
                raise DataError(f"the ONNX model takes {[s['name'] for s in self.inputs]}, "
                                f"the inputs hold {sorted(given)}")
            feeds[spec["name"]] = np.ascontiguousarray(given[spec["name"]], dtype=spec["dtype"])
        return feeds

    def logits(self, x: Any, batch_size: int = 1024) -> np.ndarray:
        feeds = self.feeds(x)
        n = len(next(iter(feeds.values())))
        batch_size = max(1, min(batch_size, RUN_BATCH))
        out = [self.session.run(None, {k: v[i:i + batch_size] for k, v in feeds.items()})[0]
               for i in range(0, n, batch_size)]
        return np.concatenate(out) if out else np.zeros((0, len(self.meta["classes"])), np.float32)

    def predict_proba(self, x: Any, batch_size: int = 1024) -> np.ndarray:
        """Class probabilities (N, K) float32, as ``proba.predict_proba`` gives them with torch."""
        return softmax(self.logits(x, batch_size))
