"""``seqlab predict RUN_DIR RECORD``: classify every beat of a record the model never saw.

The record goes through exactly the preprocessing the run's dataset used (same lead, rate,
filters, window, normalisation and RR features, via ``beats_from_record``); only the R peaks
differ: detected on the raw lead by seqlab's detector unless ``annotations`` names an
annotation file to take the beats from. Writes a CSV (sample, time, class, probabilities) and
a WFDB annotation file (``RECORD.<ext>``, readable by ``wfdb.rdann``).

Engines: ONNX Runtime on the run's exported ``checkpoints/model.onnx`` when it is there and
matches the checkpoint (``onnx_engine``), torch otherwise; ``engine=`` forces one. Either gives
numpy probabilities, and everything after them (post-processing, labels, files) is shared.
This module imports no torch: only the torch engine does, when it is chosen.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np

from seqlab import atomic
from seqlab import config as configlib
from seqlab.errors import ConfigError
from seqlab.report.rundir import read_json
from seqlab.inference import onnx_engine
from seqlab.inference.postprocess import postprocess, shape_first
from seqlab.inference.prefetch import PreparedRecord, beat_options, prepare_record

# the annotation symbol written for each class name (AAMI classes use their own letter)
WFDB_SYMBOL = {"N": "N", "S": "S", "V": "V", "F": "F", "Q": "Q", "L": "L", "R": "R", "A": "A",
               "normal": "N", "abnormal": "Q"}


ENGINES = ("auto", "onnx", "torch")


def resolve_engine(run_dir: str | Path, which: str = "best", engine: str = "auto") -> str:
    """``onnx`` or ``torch``: ``auto`` takes ONNX Runtime when the run's model.onnx is usable."""
    if engine not in ENGINES:
        raise ConfigError(f"unknown engine {engine!r}; choose one of {', '.join(ENGINES)}")
    if engine == "torch":
        return "torch"
    reason = onnx_engine.unusable(run_dir, which)
    if reason is not None and engine == "onnx":
        raise ConfigError(f"--engine onnx: {reason}; run `seqlab export {run_dir}` first")
    return "torch" if reason else "onnx"


def load_engine(run_dir: str | Path, which: str = "best", engine: str = "auto", threads: int | None = 1):
    """``(name, model)``: the run's ONNX model (``auto`` when usable, or ``onnx``) or its
    checkpoint in torch; ``model.predict_proba(x)`` gives (N, K) float32 probabilities."""
    if resolve_engine(run_dir, which, engine) == "onnx":
        return "onnx", onnx_engine.OnnxModel(run_dir, threads=threads)
    from seqlab.inference.proba import CheckpointModel

    return "torch", CheckpointModel(run_dir, which, threads=threads)


class Predictor:
    """A trained ECG run, loaded once: config, class names and model (``engine``: auto, onnx
    or torch; ``threads``: the engine's threads, None for its default).

    Several records share one load (``seqlab predict RUN A B C``): the interpreter, the engine
    and the model are paid for once, so a database goes through at the in-process rate."""

    def __init__(self, run_dir: str | Path, *, engine: str = "auto", threads: int | None = None):
        self.run_dir = Path(run_dir)
        self.cfg = configlib.load_run(self.run_dir)
        self.data = self.cfg.data.model_dump(mode="json")
        beat_options(self.data, run=str(self.run_dir))  # a run not trained on ECG beats stops here
        summary = read_json(self.run_dir / "data_summary.json")
        if read_json(self.run_dir / "metrics.json").get("task") == "reconstruction":  # read without torch
            raise ConfigError(f"{run_dir} is an autoencoder run ({self.cfg.model.name}): it reconstructs beats and "
                              "classifies none; predict with a classifier (e.g. ae_classifier with model.init_from)")
        self.classes = summary["classes"]
        self.rr_names = summary.get("model_kwargs", {}).get("rr_names")
        self.engine, self.model = load_engine(self.run_dir, self.cfg.eval.checkpoint, engine, threads)

    def __call__(self, record: str | Path, *, out: str | Path | None = None,
                 annotations: str | None = None, ann_ext: str = "seqlab") -> dict[str, Any]:
        opts = beat_options(self.data, annotations)
        return self.classify(prepare_record(record, opts, annotations), out=out, ann_ext=ann_ext)

    def probabilities(self, prepared: PreparedRecord) -> tuple[np.ndarray, np.ndarray]:
        """Post-processed class probabilities (N, K) of a prepared record's beats, and their peaks."""
        probs = prepared.probs  # classified by the process that prepared it (ONNX Runtime only)
        if probs is None or self.engine != "onnx":
            probs = self.model.predict_proba(prepared.inputs, self.cfg.eval.batch_size)
        probs = postprocess(probs, prepared.inputs, None, self.cfg.eval, self.classes, self.rr_names,
                            shape_first(self.cfg))
        return probs, prepared.peaks

    def classify(self, prepared: PreparedRecord, *, out: str | Path | None = None,
                 ann_ext: str = "seqlab") -> dict[str, Any]:
        """Classify a prepared record's beats and write its CSV and annotation file."""
        t0 = time.perf_counter()
        record = prepared.record
        probs, peaks = self.probabilities(prepared)
        labels = probs.argmax(axis=1)
        seconds = prepared.seconds + time.perf_counter() - t0
        out = Path(out) if out else Path(f"{record.name}.seqlab.csv")
        write_csv(out, peaks, prepared.fs, labels, probs, self.classes)
        ann_path = write_annotations(out.parent, record.name, peaks, labels, self.classes, prepared.fs,
                                     ann_ext)
        counts = {c: int((labels == i).sum()) for i, c in enumerate(self.classes)}
        return {"record": str(record), "engine": self.engine, "n_beats": len(peaks), "counts": counts,
                "csv": str(out), "annotation": str(ann_path), "seconds": seconds,
                "duration_s": prepared.duration_s, "realtime_factor": prepared.duration_s / max(seconds, 1e-9)}


def predict_record(run_dir: str | Path, record: str | Path, *, out: str | Path | None = None,
                   annotations: str | None = None, ann_ext: str = "seqlab", engine: str = "auto"
                   ) -> dict[str, Any]:
    """One record with a freshly loaded run (model load included in ``seconds``)."""
    t0 = time.perf_counter()
    result = Predictor(run_dir, engine=engine)(record, out=out, annotations=annotations, ann_ext=ann_ext)
    result["seconds"] = time.perf_counter() - t0
    result["realtime_factor"] = result["duration_s"] / max(result["seconds"], 1e-9)
    return result


def write_csv(path: Path, peaks: np.ndarray, fs: float, labels: np.ndarray, probs: np.ndarray,
              classes: list[str]) -> None:
    header = ",".join(["sample", "time_s", "class"] + [f"p_{c}" for c in classes])
    names = np.asarray(classes, dtype=object)[labels]
    lines = [header]
    lines += [f"{s},{s / fs:.3f},{n}," + ",".join(f"{p:.4f}" for p in row)
              for s, n, row in zip(peaks.tolist(), names, probs.tolist())]
    atomic.write_text(path, "\n".join(lines) + "\n")


def write_annotations(directory: Path, record_name: str, peaks: np.ndarray, labels: np.ndarray,
                      classes: list[str], fs: float, ext: str) -> Path:
    """``RECORD.<ext>``: each beat's WFDB symbol, with its class name as the note (the same
    bytes ``wfdb.wrann`` writes, without importing wfdb and pandas)."""
    from seqlab.inference.wfdb_annotations import write_annotation_file

    names = np.asarray(classes, dtype=object)[labels]
    symbols = [WFDB_SYMBOL.get(c, "Q") for c in names]
    directory.mkdir(parents=True, exist_ok=True)
    return write_annotation_file(directory / f"{record_name}.{ext}", np.asarray(peaks, dtype=np.int64),
                                 symbols, list(names), int(round(fs)))
