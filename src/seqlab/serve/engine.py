"""The web page's one door into seqlab's inference path: runs loaded once, records and texts
classified exactly as ``seqlab predict`` and ``seqlab evaluate`` do.

Why one adapter: the page must give the same beats, classes and files as the command line,
so it calls the same objects (``Predictor.classify`` writes the CSV and the WFDB annotation
file with the predictor's own writers); this is the only module of ``seqlab.serve`` that names
the inference modules, so a move of those touches one file.

Thread safety: a loaded run is read-only after ``__init__`` (an ONNX Runtime session, torch
in inference mode, a fitted scikit-learn estimator), so request threads share it; the subword
tokenizer keeps its padding settings as state, so a text run with one holds a lock.
"""

from __future__ import annotations

import contextlib
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from seqlab import config as configlib
from seqlab.data.ecg.labels import BEAT_SYMBOLS, SCHEMES, nearest_within
from seqlab.data.ecg.reader import EcgRecord
from seqlab.data.ecg.segment import beats_from_record, clean_record, read_record_for
from seqlab.errors import ConfigError, DataError, SeqlabError
from seqlab.inference.predict import Predictor
from seqlab.inference.prefetch import PreparedRecord, beat_options

REFERENCE_TOLERANCE_S = 0.15  # a detected beat matches the reference beat this close to it


@dataclass
class EcgResult:
    """One classified record: what ``seqlab predict`` wrote, plus what the page draws."""

    record: EcgRecord
    summary: dict[str, Any]  # Predictor.classify's result (counts, seconds, paths)
    csv_text: str
    annotation: bytes
    samples: np.ndarray  # (N,) int R peaks
    labels: np.ndarray  # (N,) int class index
    probs: np.ndarray  # (N, K) float, as printed in the CSV
    filtered: np.ndarray  # (T,) float32 the lead after the run's filters
    reference: dict[str, Any] | None = None
    notes: list[str] = field(default_factory=list)


class EcgRun:
    """A trained ECG-beat run, loaded once (``Predictor``) and shared by request threads."""

    kind = "ecg"

    def __init__(self, run_dir: str | Path, threads: int | None = 1):
        self.predictor = Predictor(run_dir, threads=threads)  # the engine `seqlab predict` picks
        self.run_dir = Path(run_dir)
        self.classes = list(self.predictor.classes)
        self.model_name = self.predictor.cfg.model.name
        self.scheme = self.predictor.data.get("labels", "aami5")

    def options(self, reference_beats: bool = False):
        """Beat options as ``seqlab predict`` builds them (``--annotations atr`` when asked)."""
        return beat_options(self.predictor.data, "atr" if reference_beats else None,
                            run=str(self.run_dir))

    def read_wfdb(self, path: Path, opts, with_annotations: bool) -> EcgRecord:
        return read_record_for(path, opts, annotator="atr" if with_annotations else None)

    def classify(self, record: EcgRecord, opts, out_csv: Path) -> EcgResult:
        """``prepare_record`` + ``Predictor.classify`` on a record already in memory (WFDB,
        EDF or CSV): the same preparation, the same model, the same writers."""
        t0 = time.perf_counter()
        filtered = in_background(clean_record, record, opts)  # for the plot, on the other core
        inputs, peaks = beats_from_record(record, opts)
        if len(peaks) == 0:
            raise SeqlabError(f"no beats found in {record.name} (is it an ECG record at a sane gain?)")
        prepared = PreparedRecord(out_csv.parent / record.name, float(record.fs), len(record.signal),
                                  inputs, peaks, time.perf_counter() - t0)
        summary = self.predictor.classify(prepared, out=out_csv)
        csv_text = Path(summary["csv"]).read_text()
        labels, probs = parse_csv(csv_text, self.classes)
        result = EcgResult(record, summary, csv_text, Path(summary["annotation"]).read_bytes(),
                           np.asarray(peaks, dtype=np.int64), labels, probs, filtered(),
                           notes=list(record.notes))
        if record.ann_samples is not None:
            result.reference = self.compare(record, result.samples, labels)
        return result

    def compare(self, record: EcgRecord, samples: np.ndarray, labels: np.ndarray) -> dict[str, Any]:
        """Each classified beat against the nearest reference beat (within 150 ms): its symbol,
        its class in the run's label scheme (-1: not one of the run's classes), mismatches."""
        beat = np.isin(record.ann_symbols, list(BEAT_SYMBOLS))
        ref_samples, ref_symbols = record.ann_samples[beat], record.ann_symbols[beat]
        mapping = SCHEMES.get(self.scheme, SCHEMES["aami5"])[0]
        index = {c: i for i, c in enumerate(self.classes)}
        ref_class = np.array([index.get(mapping.get(s, ""), -1) for s in ref_symbols], dtype=np.int64)
        symbol = np.full(len(samples), "", dtype=object)
        cls = np.full(len(samples), -1, dtype=np.int64)
        matched = np.zeros(len(ref_samples), dtype=bool)
        if len(ref_samples) and len(samples):
            nearest, close = nearest_within(ref_samples, samples, REFERENCE_TOLERANCE_S * record.fs)
            symbol[close] = ref_symbols[nearest[close]]
            cls[close] = ref_class[nearest[close]]
            matched[nearest[close]] = True
        mismatch = (cls >= 0) & (cls != labels)
        counts = {c: int((ref_class == i).sum()) for i, c in enumerate(self.classes)}
        return {"symbol": symbol.tolist(), "class": cls.tolist(), "mismatch": np.flatnonzero(mismatch).tolist(),
                "n_reference": int(len(ref_samples)), "n_missed": int((~matched).sum()), "counts": counts}


def in_background(fn, *args):
    """Start ``fn(*args)`` in a thread (numpy and scipy release the GIL); returns a function
    that waits for its result (or raises its error)."""
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["value"] = fn(*args)
        except BaseException as exc:  # noqa: BLE001  (raised again in the caller's thread)
            box["error"] = exc

    thread = threading.Thread(target=target, name="seqlab-serve-plot", daemon=True)
    thread.start()

    def result():
        thread.join()
        if "error" in box:
            raise box["error"]
        return box["value"]

    return result


def parse_csv(text: str, classes: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """(labels, probabilities) from the CSV ``Predictor`` wrote: the page shows the very
    numbers the download holds."""
    rows = [line.split(",") for line in text.splitlines()[1:] if line]
    index = {c: i for i, c in enumerate(classes)}
    labels = np.array([index[r[2]] for r in rows], dtype=np.int64)
    probs = np.array([[float(v) for v in r[3:]] for r in rows], dtype=np.float64).reshape(len(rows), len(classes))
    return labels, probs


class TextRun:
    """A trained text run, loaded once by ``TextPredictor`` (the path of ``seqlab predict RUN
    --text``): the run's cleaning, its tokenizer or raw strings, its model."""

    kind = "text"

    def __init__(self, run_dir: str | Path, threads: int | None = 1):
        from seqlab.inference.text_predict import TextPredictor

        self.predictor = TextPredictor(run_dir, threads=threads)
        self.run_dir = Path(run_dir)
        self.classes = list(self.predictor.classes)
        self.model_name = self.predictor.cfg.model.name
        self._lock = threading.Lock() if self.predictor.tokenizer is not None else contextlib.nullcontext()

    def predict(self, texts: list[str]) -> tuple[list[int], np.ndarray]:
        """(indices of the texts classified, their probabilities (N, K)); texts empty after the
        run's cleaning are left out."""
        with self._lock:  # the tokenizer keeps its padding settings as state
            probs, kept = self.predictor.predict_proba(texts)
        if not kept.any():
            raise DataError("no text to classify: every line is empty after the run's cleaning")
        return np.flatnonzero(kept).tolist(), probs[kept]


def load_run(run_dir: str | Path, threads: int | None = 1) -> EcgRun | TextRun:
    """An ECG-beat run or a text run, told apart by its config's ``data`` section; ``threads``
    for its engine (1: concurrent requests each get a core instead of fighting over both)."""
    cfg = configlib.load_run(run_dir)
    fields = type(cfg.data).model_fields
    if "peaks" in fields:
        return EcgRun(run_dir, threads)
    if "representation" in fields:
        return TextRun(run_dir, threads)
    raise ConfigError(f"{run_dir} was trained on {cfg.data.name!r}: serve takes ECG-beat runs "
                      "and text runs")
