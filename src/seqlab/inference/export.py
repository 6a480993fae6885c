"""Export a run's trained network to ONNX: ``checkpoints/model.onnx`` + ``model.onnx.json``.

Every network run ends here (``training.run``), and ``seqlab export RUN`` does it for runs
trained before. ``seqlab predict`` then classifies with ONNX Runtime, without importing torch
(``onnx_engine``).

Exporter: torch 2.13 offers two. The default ``dynamo=True`` path needs the ``onnxscript``
package and took 8-235 s per ECG model on these machines (235 s for the GRU); the TorchScript
exporter (``dynamo=False``) exported every registered ECG model in 0.1-1.2 s with ONNX
Runtime probabilities within 1e-7 of torch's. It warns that it is deprecated, so it is called
with that warning silenced, and every export is checked against torch before it is written:
if a later torch drops it, the export fails loudly here rather than writing a wrong model.
"""

from __future__ import annotations

import inspect
import io
import logging
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from seqlab import atomic
from seqlab import config as configlib
from seqlab.errors import SeqlabError
from seqlab.inference import sklearn_model
from seqlab.inference.loading import forward_inputs, load_checkpoint, network_from_checkpoint
from seqlab.inference.onnx_engine import file_sha256, onnx_paths, softmax
from seqlab.inference.onnx_layout import convs_as_2d
from seqlab.report.rundir import read_json

log = logging.getLogger(__name__)

OPSET = 17
TOLERANCE = 1e-5  # largest probability difference between ONNX Runtime and torch accepted


def example_inputs(model: torch.nn.Module, name: str, kwargs: dict[str, Any], batch: int
                   ) -> dict[str, torch.Tensor]:
    """Random inputs of the shapes the network was built for, by its ``forward`` argument names:
    ``x`` (B, C, T) [+ ``rr`` (B, F)] for signals, ``input_ids`` + ``attention_mask`` for text."""
    from seqlab.models.catalog import MODELS

    defaults = {k: p.default for k, p in inspect.signature(MODELS.get(name).fn).parameters.items()}
    arg = {k: kwargs.get(k, defaults.get(k)) for k in defaults}
    params = inspect.signature(model.forward).parameters
    gen = torch.Generator().manual_seed(0)
    if "input_ids" in params:
        length = arg.get("max_length")
        if not isinstance(length, int):
            raise SeqlabError(f"{name} has no max_length to export its inputs with")
        ids = torch.randint(1, int(arg["vocab_size"]), (batch, length), generator=gen)  # (B, L)
        mask = torch.ones(batch, length, dtype=torch.long)
        mask[-1, length // 2:] = 0  # a padded row: a traced model must not assume full lengths
        ids[mask == 0] = int(arg.get("pad_id") or 0)
        return {"input_ids": ids, "attention_mask": mask}
    if "x" not in params or not isinstance(arg.get("seq_len"), int):
        raise SeqlabError(f"{name}: forward{tuple(params)} is neither a signal (x, seq_len) nor text")
    channels = arg.get("in_channels") or 1
    inputs = {"x": torch.randn(batch, channels, arg["seq_len"], generator=gen)}  # (B, C, T)
    if arg.get("num_rr"):
        inputs["rr"] = torch.rand(batch, arg["num_rr"], generator=gen) + 0.5  # (B, F)
    return inputs


def to_onnx_bytes(model: torch.nn.Module, inputs: dict[str, torch.Tensor]) -> bytes:
    """The TorchScript exporter with a dynamic batch axis on every input and the logits."""
    buffer = io.BytesIO()
    names = list(inputs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # its deprecation notice and tracer notes on shape checks
        torch.onnx.export(model, (), buffer, kwargs=inputs, input_names=names, output_names=["logits"],
                          dynamic_axes={**{k: {0: "batch"} for k in names}, "logits": {0: "batch"}},
                          opset_version=OPSET, dynamo=False)
    return buffer.getvalue()


def check_against_torch(onnx_bytes: bytes, model: torch.nn.Module, inputs: dict[str, torch.Tensor]) -> float:
    """Largest probability difference between ONNX Runtime and torch on ``inputs``; an error
    above ``TOLERANCE`` (a traced branch that does not generalise, a wrong batch axis)."""
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.intra_op_num_threads, opts.log_severity_level = 1, 3
    session = ort.InferenceSession(onnx_bytes, opts, providers=["CPUExecutionProvider"])
    feeds = {k: v.numpy() for k, v in inputs.items()}
    got = softmax(session.run(None, feeds)[0])
    with torch.inference_mode():
        want = softmax(forward_inputs(model, inputs).float().numpy())
    diff = float(np.abs(got - want).max())
    if not diff <= TOLERANCE:
        raise SeqlabError(f"ONNX Runtime and torch differ by {diff:.2e} (> {TOLERANCE:g})")
    return diff


def export_onnx(run_dir: str | Path, which: str | None = None) -> Path:
    """Write ``checkpoints/model.onnx`` and ``model.onnx.json`` for checkpoint ``which``
    (default: the run's ``eval.checkpoint``); both atomically, the JSON last."""
    run_dir = Path(run_dir)
    cfg = configlib.load_run(run_dir)
    which = which or cfg.eval.checkpoint
    if sklearn_model.is_classical(cfg):
        raise SeqlabError(f"{run_dir} is a scikit-learn run ({cfg.model.name}): it keeps its own "
                          f"checkpoints/{sklearn_model.MODEL_FILE}; ONNX export is for network runs")
    ckpt_path = run_dir / "checkpoints" / f"{which}.ckpt"
    if not ckpt_path.is_file():
        raise SeqlabError(f"{ckpt_path} not found: is {run_dir} a finished network run?")
    ckpt = load_checkpoint(ckpt_path)
    hp, model = ckpt["hyper_parameters"], network_from_checkpoint(ckpt)
    if getattr(model, "beats_per_window", None) is not None:  # models.seq2seq: a decoding loop over windows
        raise SeqlabError(f"{hp['model_name']} decodes windows of beats step by step (greedy): no ONNX export; "
                          "`seqlab predict` uses torch for it")
    onnx_bytes, diff, check, layout = traced_and_checked(model, hp["model_name"], hp["model_kwargs"])
    onnx_path, meta_path = onnx_paths(run_dir)
    atomic.write_bytes(onnx_path, onnx_bytes)
    meta = describe(run_dir, cfg, hp, check, ckpt_path)
    meta.update(onnx_sha256=file_sha256(onnx_path), max_abs_diff_vs_torch=diff, layout=layout)
    atomic.write_json(meta_path, meta)
    return onnx_path


def traced_and_checked(model: nn.Module, name: str, kwargs: dict[str, Any]):
    """``(onnx bytes, largest difference from torch, check inputs, layout)``: the network with
    its 1-D convolutions in 2-D (faster in ONNX Runtime) when that passes the check, else as it is."""
    trace = example_inputs(model, name, kwargs, 2)
    check = example_inputs(model, name, kwargs, 3)  # another batch size than the traced one
    error: Exception | None = None
    for layout, candidate in (("conv2d", convs_as_2d(model)), ("as trained", model)):
        try:
            onnx_bytes = to_onnx_bytes(candidate, trace)
            return onnx_bytes, check_against_torch(onnx_bytes, model, check), check, layout
        except Exception as exc:  # noqa: BLE001  (the plain network is tried next)
            error = error or exc
    raise error


def describe(run_dir: Path, cfg, hp: dict[str, Any], inputs: dict[str, torch.Tensor], ckpt_path: Path
             ) -> dict[str, Any]:
    """What a program needs to use model.onnx without seqlab's training code."""
    import onnxruntime

    summary = read_json(run_dir / "data_summary.json")
    return {
        "format": "onnx", "opset": OPSET,
        "exporter": f"torch {torch.__version__} torch.onnx.export(dynamo=False)",
        "checked_with": f"onnxruntime {onnxruntime.__version__}",
        "model": {"name": hp["model_name"], "kwargs": hp["model_kwargs"]},
        "checkpoint": {"file": ckpt_path.name, "sha256": file_sha256(ckpt_path)},
        "inputs": [{"name": k, "dtype": str(v.numpy().dtype), "shape": ["batch", *v.shape[1:]]}
                   for k, v in inputs.items()],
        **_outputs(summary, hp),
        "rr_names": summary.get("model_kwargs", {}).get("rr_names"),
        "preprocessing": cfg.data.model_dump(mode="json"),
        "postprocessing": cfg.eval.model_dump(mode="json", include={"morphology_vote", "morphology_keep",
                                                                     "rhythm_gate"}),
    }


def _outputs(summary: dict[str, Any], hp: dict[str, Any]) -> dict[str, Any]:
    """The output's meaning: class scores, or a regression target in standardised units."""
    if summary.get("task") != "regression":
        return {"outputs": [{"name": "logits", "dtype": "float32", "shape": ["batch", len(summary["classes"])]}],
                "probabilities": "softmax of logits over axis 1", "classes": summary["classes"]}
    width = 2 if hp["model_kwargs"].get("loss") == "gaussian_nll" else 1  # mean [and variance]
    mean, sd = summary.get("target_scale") or (0.0, 1.0)
    return {"outputs": [{"name": "logits", "dtype": "float32", "shape": ["batch", width]}],
            "target": summary["classes"][0],
            "prediction": f"column 0 x {sd} + {mean} in the target's units"
                          + (f"; column 1 x {sd}^2 is the predicted variance" if width > 1 else "")}


def export_after_training(run_dir: str | Path, which: str) -> Path | None:
    """The end of every network run: export, or say in one line why not and carry on (text
    models built on Hugging Face code may not trace)."""
    try:
        with torch.random.fork_rng(devices=[]):  # rebuilding the network draws initial weights
            return export_onnx(run_dir, which)
    except Exception as exc:  # noqa: BLE001  (the run itself is finished and fine)
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        log.warning("seqlab: no model.onnx for %s (%s: %s); predict uses torch", run_dir,
                    type(exc).__name__, first[:200])
        return None
