"""The work of one request, run in a worker thread: an uploaded form in, a JSON-ready dict out.

Everything the request writes lies in its own directory (``workdir``), under names made from
``token``; messages that would name those files are rewritten to the name the user uploaded
(``scrub``), so a page shows ``record 208: ...`` and never a server path.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from seqlab.errors import DataError
from seqlab.serve import records
from seqlab.serve.engine import EcgResult, EcgRun, TextRun
from seqlab.serve.upload import Form

MAX_PLOT_SAMPLES = 4_000_000  # longer records are plotted at every k-th sample (beats stay exact)
MAX_TEXT_LINES = 10_000
BEAT_MODES = ("detect", "reference")


@dataclass
class Job:
    """Where a request may write, and how its messages name the record."""

    workdir: Path
    token: str  # the generated record name inside workdir
    display: str = "record"  # the uploaded record's tame name

    def scrub(self, message: str) -> str:
        for prefix in (f"{self.workdir}/", str(self.workdir)):
            message = message.replace(prefix, "")
        return message.replace(self.token, self.display)


def ecg_job(run_id: str, run: EcgRun, form: Form, job: Job) -> dict[str, Any]:
    """Classify the uploaded record with ``run``: the CSV and annotation file ``seqlab predict``
    would write, and what the page draws."""
    if form.fields.get("text", "").strip() and not form.files:
        raise DataError(f"run {run_id} is an ECG run: upload a record, or choose a text run for text")
    groups = records.group_files(form.files)
    kind, main = records.main_file(groups)
    job.display = records.display_name(main.name)
    mode = form.fields.get("beats", "detect") or "detect"
    if mode not in BEAT_MODES:
        raise DataError(f"beats must be one of {', '.join(BEAT_MODES)}, not {records.short(mode)!r}")
    reference = mode == "reference"
    opts = run.options(reference)
    if kind == "hea":
        with_atr = records.wfdb_files(groups, job.workdir, job.token)
        if reference and not with_atr:
            raise DataError(f"record {job.token}: reference beats need the record's .atr file")
        record = run.read_wfdb(job.workdir / job.token, opts, with_atr)
    elif reference:
        raise DataError(f"record {job.token}: reference beats need a WFDB record with its .atr file")
    elif kind == "edf":
        record = records.edf_record(main.path, opts, job.token, form.fields.get("lead") or None)
    else:
        record = records.csv_record(main.path, opts, job.token, form.fields.get("fs"))
    result = run.classify(record, opts, job.workdir / "out" / f"{job.token}.seqlab.csv")
    return ecg_payload(run_id, run, result, kind, job)


def ecg_payload(run_id: str, run: EcgRun, result: EcgResult, kind: str, job: Job) -> dict[str, Any]:
    rec, summary = result.record, result.summary
    fs = float(rec.fs)
    step = max(1, -(-len(result.filtered) // MAX_PLOT_SAMPLES))
    plot, scale = plot_samples(result.filtered[::step])
    notes = [job.scrub(n) for n in result.notes]
    if step > 1:
        notes.append(f"plot shows every {step}th sample of the {len(result.filtered):,}")
    return {
        "kind": "ecg", "run": run_id, "record": job.display, "format": {"hea": "wfdb"}.get(kind, kind),
        "fs": fs, "duration_s": len(rec.signal) / fs, "lead": rec.lead, "classes": run.classes,
        "n_beats": int(len(result.samples)), "counts": summary["counts"],
        "seconds": round(float(summary["seconds"]), 4),
        "beats": {"sample": result.samples.tolist(), "class": result.labels.tolist(),
                  "probs": result.probs.tolist()},
        "signal": {"fs": fs / step, "encoding": "int16-le-base64", "scale": scale,
                   "data": base64.b64encode(plot.tobytes()).decode("ascii")},
        "reference": result.reference, "notes": notes,
        "files": {"csv": {"name": f"{job.display}.seqlab.csv", "text": result.csv_text},
                  "annotation": {"name": f"{job.display}.seqlab",
                                 "base64": base64.b64encode(result.annotation).decode("ascii")}},
    }


def plot_samples(signal: np.ndarray) -> tuple[np.ndarray, float]:
    """The plotted lead as int16 steps of ``scale`` mV (1 µV unless the lead passes ±32 mV):
    half the bytes of float32, and a step far below what a screen shows."""
    peak = float(np.max(np.abs(signal))) if len(signal) else 0.0
    scale = max(1e-3, peak / 32_000)
    return np.round(signal / scale).astype("<i2"), scale


def text_job(run_id: str, run: TextRun, form: Form) -> dict[str, Any]:
    """Labels and probabilities for each non-empty line of the ``text`` field."""
    if form.files:
        raise DataError(f"run {run_id} is a text run: paste the reviews, one a line, in the text field")
    lines = [line for line in form.fields.get("text", "").splitlines() if line.strip()]
    if not lines:
        raise DataError("no text to classify: paste one review a line")
    if len(lines) > MAX_TEXT_LINES:
        raise DataError(f"{len(lines):,} lines: at most {MAX_TEXT_LINES:,} a request")
    kept, probs = run.predict(lines)
    labels = probs.argmax(axis=1)
    items = [{"line": i + 1, "text": lines[i], "label": run.classes[int(k)],
              "probs": {c: round(float(p), 4) for c, p in zip(run.classes, row)}}
             for i, k, row in zip(kept, labels, probs.tolist())]
    counts = {c: int((labels == j).sum()) for j, c in enumerate(run.classes)}
    return {"kind": "text", "run": run_id, "classes": run.classes, "counts": counts,
            "n_skipped": len(lines) - len(kept), "items": items}
