"""``tune_report.html`` for ``seqlab tune``: every trial, the objective over trials, the best config."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

from seqlab import atomic
from seqlab.report import plots
from seqlab.report.html import _env
from seqlab.report.rundir import read_json


def write_tune_report(tune_dir: str | Path) -> Path:
    """``tune_report.html`` from the study's ``tune_summary.json`` and ``trials.json``."""
    tune_dir = Path(tune_dir)
    summary, rows = read_json(tune_dir / "tune_summary.json"), json.loads((tune_dir / "trials.json").read_text())
    png = base64.b64encode(history_plot(rows, summary)).decode("ascii") if rows else ""
    keys = list(summary["space"] or {})
    html = _env.get_template("tune.html.j2").render(s=summary, rows=rows, keys=keys, plot_png=png)
    path = tune_dir / "tune_report.html"
    atomic.write_text(path, html)
    return path


def history_plot(rows: list[dict[str, Any]], summary: dict[str, Any]) -> bytes:
    """Objective per trial and the best-so-far line; pruned trials have no final value, so
    they are marked as crosses along the bottom."""
    plt = plots.plt
    fig, ax = plt.subplots(figsize=(6.5, 3.2))
    done = [r for r in rows if r["state"] == "COMPLETE"]
    ax.plot([r["number"] for r in done], [r["value"] for r in done], "o", label="complete")
    pruned = [r["number"] for r in rows if r["state"] == "PRUNED"]
    if done and pruned:
        low = min(r["value"] for r in done)
        ax.plot(pruned, [low] * len(pruned), "x", color="grey", label="pruned")
    best, line = None, []
    sign = 1 if summary["direction"] == "maximize" else -1
    for r in sorted(done, key=lambda r: r["number"]):
        best = r["value"] if best is None or sign * r["value"] > sign * best else best
        line.append((r["number"], best))
    if line:
        ax.step(*zip(*line), where="post", label="best so far")
    ax.set_xlabel("trial")
    ax.set_ylabel(summary["metric"])
    ax.legend(frameon=False, fontsize=8)
    return plots._png(fig)
