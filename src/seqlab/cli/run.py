"""``seqlab train | evaluate | report | list``: the verbs every experiment uses."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from seqlab.errors import ConfigError


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("train", help="train a model from a config; prints the run directory")
    p.add_argument("config", nargs="?", help="experiment YAML, e.g. configs/smoke.yaml")
    p.add_argument("overrides", nargs="*", help="key.sub=value, e.g. optim.lr=3e-4 trainer.max_epochs=5")
    p.add_argument("--out", help="run directory (default runs/NAME-TIMESTAMP)")
    p.add_argument("--resume", metavar="RUN_DIR", help="continue a killed run from its last.ckpt")
    p.set_defaults(func=cmd_train)

    p = sub.add_parser("evaluate", help="re-evaluate a run's checkpoint")
    p.add_argument("run_dir")
    p.add_argument("--split", choices=["test", "val"])
    p.add_argument("--data-dir", help="where the dataset's files are (overrides data.source)")
    p.set_defaults(func=cmd_evaluate)

    p = sub.add_parser("report", help="write report.html for one run, or a comparison of several")
    p.add_argument("run_dirs", nargs="+")
    p.add_argument("--out", help="comparison HTML path (default: comparison.html in the first run's parent)")
    p.set_defaults(func=cmd_report)

    p = sub.add_parser("list", help="list registered models or datasets")
    p.add_argument("what", choices=["models", "datasets"])
    p.set_defaults(func=cmd_list)


def cmd_train(args) -> int:
    from seqlab import config as configlib
    from seqlab.training import run

    if args.resume:
        if args.config or args.overrides:
            raise ConfigError("--resume takes the run's saved config; give no CONFIG or overrides with it")
        run_dir = run.resume(args.resume)
    else:
        if not args.config:
            raise ConfigError("give a CONFIG file (e.g. configs/smoke.yaml) or --resume RUN_DIR")
        cfg = configlib.load(args.config, args.overrides)
        run_dir = run.train(cfg, args.out)
    print_summary(run_dir)
    return 0


def print_summary(run_dir: Path) -> None:
    """The run directory, the report path and a metrics table (what `make demo` ends with)."""
    metrics = json.loads((Path(run_dir) / "metrics.json").read_text())
    print(metrics_table(metrics))
    print(f"report: {Path(run_dir) / 'report.html'}")
    print(f"run directory: {run_dir}")


def metrics_table(m: dict) -> str:
    fmt = lambda v: "   —  " if v is None else f"{v:6.4f}"  # noqa: E731
    if m.get("task") == "generator":  # a beat generator: copy and two-sample checks, no classes predicted
        from seqlab.evaluation.generated import format_generator_table

        return format_generator_table(m)
    if m.get("task") == "reconstruction":  # an autoencoder run
        return (f"{m.get('split', 'test')} split: {m['n_samples']:,} beats reconstructed: MSE {fmt(m['mse'])}, "
                f"SNR {m['snr_db']:.2f} dB, PRD {m['prd']:.2f} %"
                + (f", anomaly ROC-AUC {fmt(m['anomaly']['auroc'])}" if m.get("anomaly") else ""))
    if m.get("task") == "regression":
        return (f"{m.get('split', 'test')} split: {m['n_samples']:,} samples, target {m.get('target')}: "
                f"MSE {fmt(m['mse'])}, MAE {fmt(m['mae'])}, RMSE {fmt(m['rmse'])}, R² {fmt(m['r2'])}")
    lines = [f"{m.get('split', 'test')} split: {m['n_samples']:,} samples, accuracy {fmt(m['accuracy'])}, "
             f"macro F1 {fmt(m['macro_f1'])}, ROC-AUC {fmt(m['auroc_macro'])}",
             f"{'class':>8} {'support':>8} {'Se':>7} {'Sp':>7} {'PPV':>7} {'F1':>7}"]
    for c in m["classes"]:
        p = m["per_class"][c]
        lines.append(f"{c:>8} {p['support']:>8,} {fmt(p['sensitivity']):>7} {fmt(p['specificity']):>7} "
                     f"{fmt(p['ppv']):>7} {fmt(p['f1']):>7}")
    return "\n".join(lines)


def cmd_evaluate(args) -> int:
    from seqlab.inference.evaluate import evaluate
    from seqlab.report.html import write_report

    m = evaluate(args.run_dir, split=args.split, data_dir=args.data_dir)
    print(metrics_table(m))
    if m["split"] == "test" or not args.split:
        print(f"report: {write_report(args.run_dir)}")
    return 0


def cmd_report(args) -> int:
    from seqlab.report.html import compare_rows, write_comparison, write_report

    if len(args.run_dirs) == 1:
        print(write_report(args.run_dirs[0]))
        return 0
    _, rows = compare_rows(args.run_dirs)
    cols = ["model", "accuracy", "macro_f1", "macro_sensitivity", "macro_ppv", "auroc_macro"]
    print(f"{'run':<40} " + " ".join(f"{c[:12]:>12}" for c in cols))
    for r in rows:
        vals = [r[c] if isinstance(r[c], str) else ("—" if r[c] is None else f"{r[c]:.4f}") for c in cols]
        print(f"{r['run'][-40:]:<40} " + " ".join(f"{v[:12]:>12}" for v in vals))
    out = args.out or Path(args.run_dirs[0]).parent / "comparison.html"
    print(f"comparison: {write_comparison(args.run_dirs, out)}")
    return 0


def cmd_list(args) -> int:
    from seqlab.config import _import_registries
    from seqlab.data.registry import DATASETS
    from seqlab.models.registry import MODELS

    _import_registries()
    registry = MODELS if args.what == "models" else DATASETS
    width = max(len(e.name) for e in registry.entries())
    for e in registry.entries():
        print(f"{e.name:<{width}}  {e.description}")
    return 0
