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
from seqlab.report.reconstruction import methods_text, reconstruction_figures
from seqlab.report.rundir import read_run

_env = Environment(loader=PackageLoader("seqlab.report", "templates"), autoescape=select_autoescape())


def _missing(v) -> bool:
    return v is None or isinstance(v, Undefined)


_env.filters["num"] = lambda v, d=4: "—" if _missing(v) else (f"{v:,}" if isinstance(v, int) else f"{v:.{d}f}")
_env.filters["pct"] = lambda v: "—" if _missing(v) else f"{100 * v:.2f}"


def _learning_curves(curves: dict[str, dict[int, float]], names: tuple[str, ...]) -> bytes | None:
    panels = {}
    for name in names:
        stages = {s: sorted(curves.get(f"{s}/{name}", {}).items()) for s in ("train", "val")}
        if any(stages.values()):
            panels[name] = stages
    return plots.learning_curves(panels) if panels else None


def _figures(run: dict[str, Any]) -> dict[str, bytes]:
    m, summary, curves = run["metrics"], run["summary"], run["curves"]
    if m.get("task") == "regression":
        return _regression_figures(run)
    if m.get("task") == "reconstruction":  # an autoencoder run (report.reconstruction)
        return reconstruction_figures(run)
    figs = {}
    if summary.get("counts"):
        figs["class_distribution"] = plots.class_distribution(summary["counts"])
    monitor = run["config"].get("trainer", {}).get("monitor", "val/macro_f1").split("/")[-1]
    learning = _learning_curves(curves, ("loss", monitor))
    if learning:
        figs["learning_curves"] = learning
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


def _regression_figures(run: dict[str, Any]) -> dict[str, bytes]:
    """Learning curves (loss, RMSE), predicted vs true and residuals, from ``predictions_<split>.npz``."""
    m, figs = run["metrics"], {}
    learning = _learning_curves(run["curves"], ("loss", "rmse"))
    if learning:
        figs["learning_curves"] = learning
    pred = run["dir"] / f"predictions_{m.get('split', 'test')}.npz"
    if pred.exists():
        with np.load(pred) as z:
            y_true, y_pred = z["y_true"], z["y_pred"]
        figs["predicted_vs_true"] = plots.predicted_vs_true(y_true, y_pred, m.get("target", "target"))
        figs["residuals"] = plots.residuals(y_true, y_pred, m.get("target", "target"))
    return figs


def model_notes(m: dict[str, Any], summary: dict[str, Any]) -> list[str]:
    """Why this model can or cannot separate these classes, from two facts the run recorded:
    whether the model is linear (evaluation: ``model_is_linear``) and whether the training
    classes are linearly separable (the data summary's linear-programming check)."""
    linear, separable = m.get("model_is_linear"), summary.get("linearly_separable")
    if m.get("task") == "regression" or linear is None or separable is None:
        return []
    dims = len(summary.get("features") or [])
    shape = "a straight line in the plane of its 2 features" if dims == 2 else \
        f"a hyperplane in its {dims}-dimensional input space" if dims else "a hyperplane"
    if linear and not separable:
        return [f"Why not 100 %: this model is linear, so its decision boundary is {shape}, and the training "
                "classes are not linearly separable: no setting of its weights puts every training sample on its "
                "class's side. A hidden layer with a non-linearity (mlp) can bend the boundary."]
    if linear:
        return ["This model is linear (a hyperplane decision boundary) and the training classes are linearly "
                "separable, so a linear boundary suffices."]
    if not separable:
        return ["The training classes are not linearly separable; this model's hidden layer(s) with a "
                "non-linearity bend its decision boundary, which a linear model cannot do."]
    return []


def _methods(run: dict[str, Any]) -> dict[str, Any]:
    """The Methods paragraph; a regression run has no classes to average over (this sentence
    belongs in ``report.methods`` itself, which is not this change's to edit)."""
    methods = methods_paragraph(run["config"], run["summary"])
    if run["metrics"].get("task") == "reconstruction":
        methods["text"] = methods_text(methods["text"], run["config"])
    if run["metrics"].get("task") == "regression":
        scale = run["summary"].get("target_scale")
        loss = run["config"].get("model", {}).get("loss") or "mse"
        methods["text"] = methods["text"].replace(
            "Macro averages are over the classes present in the evaluated split. ",
            f"Loss {loss} on the target{' standardised with the training split’s mean and std' if scale else ''}; "
            "MSE, MAE, RMSE and R² are in the target’s own units. ")
    return methods


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
    if run["metrics"].get("task") == "generator":  # a beat generator's own report (report.generated)
        from seqlab.report.generated import write_generator_report

        return write_generator_report(run["dir"])
    figs = _figures(run)
    for name, png in figs.items():
        atomic.write_bytes(run["dir"] / "plots" / f"{name}.png", png)
    html = _env.get_template("report.html.j2").render(
        run=run, m=run["metrics"], summary=run["summary"], timing=run["timing"],
        methods=_methods(run), notes=model_notes(run["metrics"], run["summary"]),
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
REGRESSION_KEYS = ("mse", "mae", "rmse", "r2")


def compare_rows(run_dirs: list[str | Path]) -> tuple[list[str], list[dict[str, Any]]]:
    """One row per run: headline metrics plus per-class F1, for the comparison table."""
    runs = [read_run(Path(d)) for d in run_dirs]
    classes: list[str] = []
    for r in runs:
        classes += [c for c in r["metrics"].get("classes", []) if c not in classes]
    regression = REGRESSION_KEYS if any(r["metrics"].get("task") == "regression" for r in runs) else ()
    rows = []
    for r in runs:
        m = r["metrics"]
        row = {"run": str(r["dir"]), "model": r["config"].get("model", {}).get("name", "?"),
               "protocol": r["summary"].get("protocol", ""), "n": m.get("n_samples")}
        row.update({k: m.get(k) for k in COMPARE_KEYS})
        row.update({k: m.get(k) for k in regression})  # only when a regression run is compared
        row.update({f"F1 {c}": (m.get("per_class", {}).get(c) or {}).get("f1") for c in classes})
        row["train_s"] = r["timing"].get("train_s")
        rows.append(row)
    return classes, rows


def write_comparison(run_dirs: list[str | Path], out: str | Path) -> Path:
    classes, rows = compare_rows(run_dirs)
    html = _env.get_template("compare.html.j2").render(rows=rows, columns=list(rows[0]) if rows else [])
    atomic.write_text(out, html)
    return Path(out)
