"""``cv_report.html`` for ``seqlab cv`` and ``seqlab reproduce --cv-only``: spread over folds,
the summed confusion matrix, per fold, and per record (where the data has records)."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import numpy as np

from seqlab import atomic
from seqlab.evaluation.per_record import per_record
from seqlab.report import plots
from seqlab.report.html import _env


def write_cv_report(out: str | Path, summary: dict[str, Any]) -> Path:
    out = Path(out)
    cm = np.array(summary["summed_confusion"]["confusion_matrix"])
    img = base64.b64encode(plots.confusion(cm, summary["classes"], True)).decode("ascii")
    html = _env.get_template("cv.html.j2").render(s=summary, confusion_png=img, records=record_rows(out, summary))
    path = out / "cv_report.html"
    atomic.write_text(path, html)
    return path


def record_rows(out: Path, summary: dict[str, Any]) -> list[dict[str, Any]]:
    path = out / "cv_predictions.npz"
    if not path.exists():
        return []
    with np.load(path) as z:
        if not z["groups"].size or (z["groups"] == "").all():
            return []
        return per_record(z["y_true"], z["probs"], z["groups"], summary["classes"])
