"""``report.html`` for one run, and a side-by-side comparison of several runs.

Self-contained: images are embedded as base64 PNG (also written under ``plots/``), no
scripts or external styles, so the file reads offline and can be mailed as is.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import numpy as np
from jinja2 import Environment, PackageLoader, Undefined, select_autoescape

from seqlab import atomic
from seqlab.evaluation.metrics import roc_curves
from seqlab.evaluation.reference import reference_rows
from seqlab.report import plots
from seqlab.report.methods import methods_paragraph
from seqlab.report.rundir import read_run

_env = Environment(loader=PackageLoader("seqlab.report", "templates"), autoescape=select_autoescape())


def _missing(v) -> bool:
    return v is None or isinstance(v, Undefined)


_env.filters["num"] = lambda v, d=4: "—" if _missing(v) else (f"{v:,}" if isinstance(v, int) else f"{v:.{d}f}")
_env.filters["pct"] = lambda v: "—" if _missing(v) else f"{100 * v:.2f}"


def _figures(run: dict[str, Any]) -> dict[str, bytes]:
    m, summary, curves = run["metrics"], run["summary"], run["curves"]
    figs = {}
    if summary.get("counts"):
        figs["class_distribution"] = plots.class_distribution(summary["counts"])
    monitor = run["config"].get("trainer", {}).get("monitor", "val/macro_f1").split("/")[-1]
    panels = {}
    for name in ("loss", monitor):
        stages = {s: sorted(curves.get(f"{s}/{name}", {}).items()) for s in ("train", "val")}
        if any(stages.values()):
            panels[name] = stages
    if panels:
        figs["learning_curves"] = plots.learning_curves(panels)
    figs["confusion_counts"] = plots.confusion(np.array(m["confusion_matrix"]), m["classes"], False)
    figs["confusion_normalised"] = plots.confusion(np.array(m["confusion_matrix"]), m["classes"], True)
    pred = run["dir"] / f"predictions_{m.get('split', 'test')}.npz"
    if pred.exists():
        with np.load(pred) as z:
            curves_roc = roc_curves(z["y_true"], z["probs"], m["classes"])
        if curves_roc:
            aucs = {c: m["per_class"][c].get("auroc") for c in m["classes"]}
            figs["roc"] = plots.roc(curves_roc, aucs)
    return figs


def _inside(run_dir: Path) -> list[dict[str, str]]:
    """The "looking inside" figures that evaluation drew (``plots/inside.json``), embedded."""
    index = run_dir / "plots" / "inside.json"
    if not index.exists():
        return []
    out = []
    for entry in json.loads(index.read_text(encoding="utf-8")):
        png = run_dir / "plots" / f"{entry['name']}.png"
        if png.exists():
            out.append({**entry, "png": base64.b64encode(png.read_bytes()).decode("ascii")})
    return out


def write_report(run_dir: str | Path) -> Path:
    """Write ``RUN_DIR/report.html`` and ``RUN_DIR/plots/*.png``; returns the HTML path."""
    run = read_run(Path(run_dir))
    figs = _figures(run)
    for name, png in figs.items():
        atomic.write_bytes(run["dir"] / "plots" / f"{name}.png", png)
    html = _env.get_template("report.html.j2").render(
        run=run, m=run["metrics"], summary=run["summary"], timing=run["timing"],
        methods=methods_paragraph(run["config"], run["summary"]),
        reference=reference_rows(run["metrics"], run["config"].get("reference"))
        if run["config"].get("reference") else None,
        config_yaml=(run["dir"] / "config.yaml").read_text(encoding="utf-8")
        if (run["dir"] / "config.yaml").exists() else "",
        images={k: base64.b64encode(v).decode("ascii") for k, v in figs.items()},
        inside=_inside(run["dir"]),
    )
    out = run["dir"] / "report.html"
    atomic.write_text(out, html)
    return out


COMPARE_KEYS = ("accuracy", "macro_f1", "macro_sensitivity", "macro_ppv", "auroc_macro")


def compare_rows(run_dirs: list[str | Path]) -> tuple[list[str], list[dict[str, Any]]]:
    """One row per run: headline metrics plus per-class F1, for the comparison table."""
    runs = [read_run(Path(d)) for d in run_dirs]
    classes: list[str] = []
    for r in runs:
        classes += [c for c in r["metrics"]["classes"] if c not in classes]
    rows = []
    for r in runs:
        m = r["metrics"]
        row = {"run": str(r["dir"]), "model": r["config"].get("model", {}).get("name", "?"),
               "protocol": r["summary"].get("protocol", ""), "n": m.get("n_samples")}
        row.update({k: m.get(k) for k in COMPARE_KEYS})
        row.update({f"F1 {c}": (m["per_class"].get(c) or {}).get("f1") for c in classes})
        row["train_s"] = r["timing"].get("train_s")
        rows.append(row)
    return classes, rows


def write_comparison(run_dirs: list[str | Path], out: str | Path) -> Path:
    classes, rows = compare_rows(run_dirs)
    html = _env.get_template("compare.html.j2").render(rows=rows, columns=list(rows[0]) if rows else [])
    atomic.write_text(out, html)
    return Path(out)
