"""Several seeds of one patient-wise cross-validation: mean ± sd and the per-record table.

Why: on MIT-BIH DS1 each minority class sits in a handful of records, so one seed's pooled
figure can move by points between seeds and a pooled sensitivity can hide a patient whose
beats are all missed. The selection discipline (docs/inter-patient.md) scores every candidate
by leave-one-record-out with 3 seeds and reads the spread and the per-record table; this is
that table. Each seed is an ordinary ``--cv-only`` run directory (``OUT/seed_S``); a seed whose
directory already holds ``metrics.json`` is read, not re-run, so a killed run resumes.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from seqlab import atomic
from seqlab.config import RunConfig
from seqlab.evaluation.per_record import per_record
from seqlab.experiments.reproduce import cross_validate_records

POOLED = ("sensitivity", "ppv", "f1")


def run_seeds(cfg: RunConfig, out: str | Path, *, seeds: int, folds: int | None = None) -> dict[str, Any]:
    """Cross-validate ``cfg`` with seeds 0 .. seeds-1 into ``OUT/seed_S``; summary in
    ``OUT/seeds_summary.json``."""
    out = Path(out)
    dirs = []
    for seed in range(seeds):
        run_dir = out / f"seed_{seed}"
        if not (run_dir / "metrics.json").is_file():
            cross_validate_records(cfg.model_copy(update={"seed": seed}), run_dir, folds=folds)
        dirs.append(run_dir)
    summary = summarise_seeds(dirs)
    atomic.write_json(out / "seeds_summary.json", summary)
    return summary


def _mean_sd(values: list[float | None]) -> dict[str, float | None]:
    v = np.array([x for x in values if x is not None], dtype=float)
    if v.size == 0:
        return {"mean": None, "sd": None}
    return {"mean": float(v.mean()), "sd": float(v.std(ddof=1)) if v.size > 1 else 0.0}


def summarise_seeds(dirs: list[Path]) -> dict[str, Any]:
    """Pooled macro-F1 and per-class Se / PPV / F1 as mean ± sd (ddof 1) over the seed runs,
    and per record the class counts, mean sensitivity and mean false calls over the seeds."""
    metrics = [json.loads((Path(d) / "metrics.json").read_text()) for d in dirs]
    classes = list(metrics[0]["per_class"])
    pooled = {"macro_f1": _mean_sd([m["macro_f1"] for m in metrics])}
    for c in classes:
        for k in POOLED:
            pooled[f"{c} {k}"] = _mean_sd([m["per_class"][c].get(k) for m in metrics])
    tables = [_per_record(Path(d), classes) for d in dirs]
    records = []
    for i, row in enumerate(tables[0]):
        rows = [t[i] for t in tables]
        out = {"record": row["record"], "n": row["n"]}
        for c in classes:
            out[c] = {"n": row[c]["n"], "sensitivity": _mean_sd([r[c]["sensitivity"] for r in rows])["mean"],
                      "false": float(np.mean([r[c]["false"] for r in rows]))}
        records.append(out)
    return {"runs": [str(d) for d in dirs], "seeds": len(dirs), "classes": classes,
            "pooled": pooled, "per_record": records}


def _per_record(run_dir: Path, classes: list[str]) -> list[dict[str, Any]]:
    """The run's per-record table, from its pooled held-out predictions (same records in every
    seed: the record folds do not depend on the seed)."""
    with np.load(run_dir / "cv_predictions.npz") as z:
        return per_record(z["y_true"], z["probs"], z["groups"], classes)


def format_seeds(summary: dict[str, Any], classes: tuple[str, ...] = ("S", "V")) -> str:
    """The pooled figures (percent, mean ± sd) and the per-record table of ``classes``."""
    n = summary["seeds"]
    lines = [f"pooled over the held-out records, mean ± sd over {n} seed(s):"]
    for key, v in summary["pooled"].items():
        if v["mean"] is None:
            continue
        scale, fmt = (1, ".3f") if key == "macro_f1" else (100, ".1f")
        lines.append(f"  {key:16s} {scale * v['mean']:{fmt}} ± {scale * v['sd']:{fmt}}")
    shown = [c for c in classes if c in summary["classes"]]
    lines.append("record | " + " | ".join(f"{c} beats | {c} Se % | false {c}" for c in shown))
    for row in summary["per_record"]:
        cells = []
        for c in shown:
            se = row[c]["sensitivity"]
            cells += [str(row[c]["n"]), "—" if se is None else f"{100 * se:.1f}", f"{row[c]['false']:.0f}"]
        lines.append(f"{row['record']} | " + " | ".join(cells))
    return "\n".join(lines)
