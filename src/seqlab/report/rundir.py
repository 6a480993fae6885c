"""Read what a run directory holds, tolerating the parts a run may lack (no curves for
scikit-learn models, no timing for an evaluation-only run)."""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path
from typing import Any

from seqlab.yaml_strict import read_yaml


def read_json(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}


def read_run(run_dir: Path) -> dict[str, Any]:
    run_dir = Path(run_dir)
    if not (run_dir / "metrics.json").exists():
        from seqlab.errors import SeqlabError

        raise SeqlabError(f"{run_dir}/metrics.json not found: is {run_dir} a finished seqlab run?")
    cfg_path = run_dir / "config.yaml"
    return {
        "dir": run_dir,
        "config": read_yaml(cfg_path) if cfg_path.exists() else {},
        "metrics": read_json(run_dir / "metrics.json"),
        "summary": read_json(run_dir / "data_summary.json"),
        "timing": read_json(run_dir / "timing.json"),
        "curves": read_curves(run_dir / "logs" / "csv" / "metrics.csv"),
    }


def read_curves(path: Path) -> dict[str, dict[int, float]]:
    """{metric: {epoch: value}} from Lightning's CSV logs: ``metrics.csv`` and, after each
    resume, ``resumeN/metrics.csv``. A resumed run may have logged an epoch twice (killed
    after logging, before its checkpoint): the last row of each epoch wins."""
    curves: dict[str, dict[int, float]] = {}
    parts = sorted(path.parent.glob("resume*/metrics.csv"), key=lambda p: int(p.parent.name[6:]))
    for part in [path, *parts] if path.exists() else parts:
        _read_curve_file(part, curves)
    return curves


def _read_curve_file(path: Path, curves: dict[str, dict[int, float]]) -> None:
    with open(path, newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            epoch = row.get("epoch")
            if not epoch:
                continue
            for key, value in row.items():
                if key in ("epoch", "step") or value in ("", None):
                    continue
                v = float(value)
                if math.isfinite(v):
                    curves.setdefault(key, {})[int(float(epoch))] = v
