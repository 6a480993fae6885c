"""Every registered ECG model gives the same probabilities with ONNX Runtime as with torch.

Each model is built from the shapes of real beats (fixture records 101 and 208, two leads,
context RR features), its batch-norm statistics are taken from those beats, it is saved as a
run checkpoint, exported with ``seqlab.inference.export`` and run through both engines of
``seqlab predict`` at batch sizes 1 and 37 (a last, partial batch: the batch axis is dynamic).
"""

from __future__ import annotations

import inspect
import json
from pathlib import Path

import numpy as np
import pytest
import torch

from seqlab import atomic, config
from seqlab.data.ecg.config import BeatOptions
from seqlab.inference.export import export_onnx
from seqlab.inference.onnx_engine import OnnxModel, onnx_paths
from seqlab.inference.prefetch import prepare_record
from seqlab.inference.proba import CheckpointModel
from seqlab.models.catalog import MODELS

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "ecg" / "mitdb"
CLASSES = ["N", "S", "V", "F", "Q"]

def _ecg_models() -> list[str]:
    """Registered torch models whose inputs are a signal (B, C, T): not text (vocab_size), not
    sequence models (beats_per_window: export refuses them, tests/inference/test_seq2seq_predict.py)."""
    return [e.name for e in MODELS.entries() if e.meta.get("kind") not in ("sklearn", "autoencoder", "generator")
            and not {"vocab_size", "beats_per_window"} & set(inspect.signature(e.fn).parameters)]


ECG_MODELS = _ecg_models()


@pytest.fixture(scope="module")
def beats():
    """Real beats of two fixture records: x (N, 2, 187) and 14 context RR features."""
    torch.set_num_threads(1)
    opts = BeatOptions(extra_lead=True, rr_set="context", peaks="reference")
    prepared = [prepare_record(FIX / name, opts, "atr") for name in ("101", "208")]
    x = {k: np.concatenate([p.inputs[k] for p in prepared]) for k in ("x", "rr")}
    assert len(x["x"]) > 2 * 37 and x["x"].shape[1:] == (2, 187)
    return x


def fake_run(root: Path, name: str, beats: dict, extra: dict | None = None) -> Path:
    """A run directory holding ``name`` built for these beats (plus factory arguments
    ``extra``), as training leaves it."""
    params = inspect.signature(MODELS.get(name).fn).parameters
    shapes = {"num_classes": len(CLASSES), "in_channels": beats["x"].shape[1],
              "seq_len": beats["x"].shape[2], "num_rr": beats["rr"].shape[1]}
    kwargs = {**{k: v for k, v in shapes.items() if k in params}, **(extra or {})}
    torch.manual_seed(0)
    model = MODELS.get(name).fn(**kwargs)
    model.train()
    inputs = {"x": torch.from_numpy(beats["x"])}
    if kwargs.get("num_rr"):
        inputs["rr"] = torch.from_numpy(beats["rr"])
    with torch.no_grad():  # batch-norm running statistics from real beats, not the identity
        for _ in range(3):
            model(**inputs)
    run = root / name
    cfg = config.from_dict({"name": name, "data": {"name": "mitbih", "extra_lead": True, "rr_set": "context"},
                            "model": {"name": name}})
    config.save(cfg, run / "config.yaml")
    atomic.write_json(run / "data_summary.json", {"classes": CLASSES, "model_kwargs": {**shapes, "rr_names": []}})
    state = {f"model.{k}": v for k, v in model.state_dict().items()}
    (run / "checkpoints").mkdir(parents=True)
    torch.save({"epoch": 0, "hyper_parameters": {"model_name": name, "model_kwargs": kwargs}, "state_dict": state},
               run / "checkpoints" / "best.ckpt")
    return run


def test_every_ecg_model_is_checked():
    assert {"kachuee_resnet", "rr_resnet", "seed_cnn2", "seed_leaky_cnn", "rnn", "gru", "lstm",
            "bilstm", "tiny_cnn"} <= set(ECG_MODELS)


VARIANTS = [(name, None) for name in ECG_MODELS] + [
    # the factorised output (S from a linear model of the RR input alone): log-probabilities
    ("rr_resnet", {"timing_classes": ["S"], "class_names": CLASSES}),
    # V decided by the beat path before timing (the inter-patient default)
    ("rr_resnet", {"timing_classes": ["S"], "morphology_first": ["V"], "class_names": CLASSES}),
]


@pytest.mark.parametrize(("name", "extra"), VARIANTS)
def test_onnx_runtime_matches_torch_on_real_beats(name, extra, beats, tmp_path):
    run = fake_run(tmp_path, name, beats, extra)
    export_onnx(run)
    meta = json.loads(onnx_paths(run)[1].read_text())
    takes_rr = "rr" in [i["name"] for i in meta["inputs"]]
    x = beats if takes_rr else beats["x"]
    assert meta["inputs"][0] == {"name": "x", "dtype": "float32", "shape": ["batch", 2, 187]}
    assert meta["classes"] == CLASSES and meta["checkpoint"]["file"] == "best.ckpt"
    # every 1-D convolution is traced in 2-D (ONNX Runtime's fast kernels), none fell back
    built = MODELS.get(name).fn(**meta["model"]["kwargs"])
    assert meta["layout"] == "conv2d" or not any(type(m) is torch.nn.Conv1d for m in built.modules())
    want = CheckpointModel(run, threads=1).predict_proba(x)
    assert want.shape == (len(beats["x"]), len(CLASSES)) and np.allclose(want.sum(1), 1, atol=1e-5)
    onnx = OnnxModel(run, threads=1)
    for batch_size in (1, 37):
        got = onnx.predict_proba(x, batch_size=batch_size)
        assert got.dtype == np.float32 and got.shape == want.shape
        assert np.abs(got - want).max() <= 1e-5, f"{name} at batch size {batch_size}"
    assert want.std(axis=0).max() > 1e-3  # the beats really differ: not a constant output
