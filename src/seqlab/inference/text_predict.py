"""``seqlab predict RUN --text "..."`` and ``seqlab predict RUN FILE``: a text run on new texts.

A text goes through exactly what the run's documents went through (``prepare.texts_to_inputs``:
the run's cleaning, then its raw strings or its own ``artifacts/tokenizer.json`` and
``max_length``), then the run's model: the scikit-learn pipeline for a classical run (torch is
never imported), ONNX Runtime or torch for a network (``engine``, as for ECG runs). The model
is loaded once for a whole file, which goes through in chunks, so memory stays bounded.

A text left empty by the cleaning has no prediction: ``--text ""`` is a one-line error, and
in a file the row is kept (so the output lines up with the input) with an empty label and
empty probabilities, and counted. Probabilities are those ``seqlab evaluate`` computes for the
same documents.
"""

from __future__ import annotations

import contextlib
import time
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from seqlab import atomic
from seqlab.config import load_run
from seqlab.data.text.prepare import TextDataConfig, texts_to_inputs
from seqlab.errors import ConfigError, DataError, SeqlabError
from seqlab.inference import sklearn_model
from seqlab.inference.postprocess import postprocess
from seqlab.inference.text_files import csv_writer, prediction_header, prediction_rows, read_texts
from seqlab.report.rundir import read_json

CHUNK = 20_000  # texts per model call for a file: large enough for batch tokenisers, bounded memory


def is_text_run(run_dir: str | Path) -> bool:
    """Whether a run was trained on text (its config's ``data`` is a text dataset)."""
    return isinstance(load_run(run_dir).data, TextDataConfig)


class TextPredictor:
    """A trained text run, loaded once: config, class names, tokenizer and model."""

    def __init__(self, run_dir: str | Path, *, engine: str = "auto", threads: int | None = 1):
        self.run_dir = Path(run_dir)
        self.cfg = load_run(self.run_dir)
        if not isinstance(self.cfg.data, TextDataConfig):
            raise ConfigError(f"{self.run_dir} was trained on {self.cfg.data.name!r}, not on text: give it an "
                              f"ECG record (`seqlab predict {self.run_dir} RECORD`), or give the texts to an "
                              "NSMC or IMDB run")
        self.classes = list(read_json(self.run_dir / "data_summary.json").get("classes") or [])
        if not self.classes:
            raise SeqlabError(f"{self.run_dir}/data_summary.json lacks the class names: is {self.run_dir} "
                              "a finished seqlab run?")
        self.tokenizer = None
        if self.cfg.data.representation == "tokens":
            from seqlab.data.text.subword import subword_load

            self.tokenizer = subword_load(self.run_dir / "artifacts" / "tokenizer.json")
        self.engine, self.model = self._load(engine, threads)

    def _load(self, engine: str, threads: int | None):
        if _is_classical(self.cfg.model.name):
            if engine == "onnx":
                raise ConfigError(f"{self.run_dir} is a scikit-learn run: it predicts with scikit-learn, "
                                  "not ONNX Runtime (use --engine auto)")
            ckpts = self.run_dir / "checkpoints"
            legacy = ckpts / sklearn_model.LEGACY_FILE
            path = legacy if legacy.exists() and not (ckpts / sklearn_model.MODEL_FILE).exists() \
                else ckpts / sklearn_model.MODEL_FILE
            return "scikit-learn", sklearn_model.load(path)
        from seqlab.inference.predict import load_engine

        return load_engine(self.run_dir, self.cfg.eval.checkpoint, engine, threads)

    def predict_proba(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """(probabilities (N, K) float32, mask of the texts classified); the rows of texts empty
        after cleaning are NaN."""
        x, kept = texts_to_inputs(self.cfg.data, list(texts), self.tokenizer)
        probs = np.full((len(kept), len(self.classes)), np.nan, dtype=np.float32)
        if kept.any():
            probs[kept] = self._proba(x)
        return probs, kept

    def _proba(self, x: Any) -> np.ndarray:
        if self.engine == "scikit-learn":
            probs = sklearn_model.predict_proba(self.model, x)
        else:
            # similar lengths side by side: a batch costs its longest review
            order = np.argsort(x["attention_mask"].sum(axis=1), kind="stable")
            sorted_probs = self.model.predict_proba({k: v[order] for k, v in x.items()}, self.cfg.eval.batch_size)
            probs = np.empty_like(sorted_probs)
            probs[order] = sorted_probs
        return postprocess(probs, x, None, self.cfg.eval, self.classes)

    def labels(self, probs: np.ndarray, kept: np.ndarray) -> list[str | None]:
        best = np.nan_to_num(probs, nan=-1.0).argmax(axis=1)
        return [self.classes[i] if k else None for i, k in zip(best.tolist(), kept.tolist())]


def _is_classical(model_name: str) -> bool:
    """``sklearn_model.is_classical`` without filling the whole registry, which imports torch:
    the classical text models all register in ``sklearn_factories``, which imports neither."""
    import seqlab.models.sklearn_factories  # noqa: F401
    from seqlab.models.registry import MODELS

    return model_name in MODELS and MODELS.get(model_name).meta.get("kind") == "sklearn"


def predict_texts(run_dir: str | Path, texts: Sequence[str], *, engine: str = "auto", threads: int | None = 1
                  ) -> tuple[list[str | None], np.ndarray, list[str]]:
    """(label per text, probabilities (N, K), class names) with a freshly loaded run; a text
    empty after the run's cleaning has label None and a NaN row."""
    predictor = TextPredictor(run_dir, engine=engine, threads=threads)
    probs, kept = predictor.predict_proba(texts)
    return predictor.labels(probs, kept), probs, predictor.classes


def predict_text_command(run_dir: str | Path, *, text: str | Sequence[str] | None = None,
                         file: str | Path | None = None, column: str | None = None,
                         out: str | Path | None = None, engine: str = "auto",
                         threads: int | None = 1) -> dict[str, Any]:
    """What ``seqlab predict`` does for a text run; returns a summary (``summary_lines`` prints it).

    ``text``: one text or several (each one row); ``file``: a text file (``text_files``),
    written to ``out`` (default ``<file name>.seqlab.csv`` in the working directory)."""
    if (text is None) == (file is None):
        raise ConfigError("give the texts with --text TEXT or as a FILE (.txt, one a line; .csv with --column), "
                          "not both")
    t0 = time.perf_counter()
    if text is not None:
        texts, ids, replaced = [text] if isinstance(text, str) else list(text), None, 0
    else:
        table = read_texts(file, column)
        texts, ids, replaced = table.texts, table.ids, table.replaced_bytes
        if not texts:
            raise DataError(f"{file} holds no texts")
        out = Path(out) if out else Path(f"{Path(file).name.removesuffix('.gz').rsplit('.', 1)[0]}.seqlab.csv")
        if out.resolve() == Path(file).resolve():
            raise ConfigError(f"--out {out} is the input file; choose another path")
    t1 = time.perf_counter()
    predictor = TextPredictor(run_dir, engine=engine, threads=threads)
    t2 = time.perf_counter()
    labels, probs = _predict_all(predictor, texts, ids, Path(out) if out else None, keep_probs=text is not None)
    if text is not None and all(label is None for label in labels):
        raise DataError("--text is empty after the run's cleaning: nothing to classify")
    t3 = time.perf_counter()
    rows = None
    if text is not None:
        rows = [{"text": t, "label": lab, **{f"p_{c}": float(v) for c, v in zip(predictor.classes, p)}}
                for t, lab, p in zip(texts, labels, probs.tolist())]
    return {"run": str(run_dir), "engine": predictor.engine, "classes": predictor.classes,
            "file": None if file is None else str(file), "csv": None if out is None else str(out),
            "n_rows": len(texts), "n_empty": labels.count(None),
            "counts": {c: labels.count(c) for c in predictor.classes}, "replaced_bytes": replaced,
            "read_s": t1 - t0, "load_s": t2 - t1, "predict_s": t3 - t2, "seconds": t3 - t0,
            "rows_per_s": len(texts) / max(t3 - t2, 1e-9), "rows": rows}


def _predict_all(predictor: TextPredictor, texts: list[str], ids: list[str] | None, out: Path | None,
                 *, keep_probs: bool) -> tuple[list[str | None], np.ndarray | None]:
    """Labels (and, with ``keep_probs``, probabilities) chunk by chunk; the CSV, when ``out``,
    is written as the chunks come and appears atomically at the end."""
    labels: list[str | None] = []
    all_probs = []
    with atomic.atomic_open(out, "w") if out else contextlib.nullcontext() as fh:
        writer = csv_writer(fh) if out else None
        if writer:
            writer.writerow(prediction_header(predictor.classes, ids is not None))
        for start in range(0, len(texts), CHUNK):
            chunk = texts[start:start + CHUNK]
            probs, kept = predictor.predict_proba(chunk)
            chunk_labels = predictor.labels(probs, kept)
            labels += chunk_labels
            if writer:
                chunk_ids = None if ids is None else ids[start:start + CHUNK]
                writer.writerows(prediction_rows(start + 1, chunk, chunk_ids, chunk_labels, probs))
            if keep_probs:
                all_probs.append(probs)
    return labels, np.concatenate(all_probs) if keep_probs else None


def summary_lines(summary: dict[str, Any]) -> list[str]:
    """What ``seqlab predict`` prints for a text run."""
    classes = summary["classes"]
    if summary["rows"] is not None:  # --text: one line per text
        lines = []
        for row in summary["rows"]:
            short = row["text"] if len(row["text"]) <= 60 else row["text"][:59] + "…"
            if row["label"] is None:
                lines.append(f"(empty after the run's cleaning: no prediction)  {short!r}")
            else:
                probs = "  ".join(f"p_{c} {row[f'p_{c}']:.4f}" for c in classes)
                lines.append(f"{row['label']}  {probs}  {short}")
        return lines + ([f"  csv: {summary['csv']}"] if summary["csv"] else [])
    counts = " ".join(f"{name} {n:,}" for name, n in summary["counts"].items())
    empty = f"; {summary['n_empty']:,} empty after cleaning (label left blank)" if summary["n_empty"] else ""
    bad = f"; {summary['replaced_bytes']:,} non-UTF-8 bytes replaced" if summary["replaced_bytes"] else ""
    return [f"{summary['file']}: {summary['n_rows']:,} texts in {summary['seconds']:.2f} s "
            f"(model load {summary['load_s']:.2f} s, then {summary['rows_per_s']:,.0f} texts/s, "
            f"{summary['engine']}): {counts}{empty}{bad}",
            f"  csv: {summary['csv']}"]
