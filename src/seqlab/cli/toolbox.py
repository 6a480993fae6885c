"""``seqlab cv | tune | ablate | pseudo-label``: the training toolbox (issue 6).

Every verb takes an experiment YAML plus ``key=value`` overrides, like ``seqlab train``, and
writes ordinary run directories under ``--out`` with a summary beside them.
"""

from __future__ import annotations

import argparse
from datetime import datetime
from pathlib import Path



def _out(args, cfg, verb: str) -> Path:
    return Path(args.out) if args.out else Path("runs") / f"{verb}-{cfg.name}-{datetime.now():%Y%m%d-%H%M%S}"


def _common(p: argparse.ArgumentParser, out_help: str) -> None:
    p.add_argument("config", help="experiment YAML, e.g. configs/smoke.yaml")
    p.add_argument("overrides", nargs="*", help="key.sub=value, e.g. trainer.max_epochs=5")
    p.add_argument("--out", help=out_help)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("cv", help="k-fold cross-validation over train+val (test untouched); aggregate report")
    _common(p, "directory for the fold runs and cv_report.html (default runs/cv-NAME-TIMESTAMP)")
    p.add_argument("--folds", type=int, default=5, help="number of folds K (default 5)")
    kind = p.add_mutually_exclusive_group()
    kind.add_argument("--group", dest="grouped", action="store_true", default=None,
                      help="group folds: a patient / record is never split (default when the data has groups)")
    kind.add_argument("--stratified", dest="grouped", action="store_false", help="sample-wise stratified folds")
    p.add_argument("--repeats", type=int, default=1, help="re-draw the folds R times (repeated K-fold)")
    p.set_defaults(func=cmd_cv)

    p = sub.add_parser("tune", help="Optuna search over the config's tune: section (TPE + median pruning)")
    _common(p, "tune directory: trials, study.db, best_config.yaml, tune_report.html (default runs/tune-NAME-...)")
    p.add_argument("--trials", type=int, required=True, help="trials this worker runs")
    p.add_argument("--storage", help="SQLAlchemy URL shared by several workers, e.g. "
                                     "postgresql+psycopg2://user:pw@host/db (default: sqlite file in --out)")
    p.add_argument("--study", help="study name (default: the config's name)")
    p.add_argument("--seed", type=int, help="sampler seed (default: config seed; + pid with --storage)")
    p.add_argument("--startup-trials", type=int, default=5, help="random trials before TPE (default 5)")
    p.add_argument("--heartbeat", type=int, default=30, help="seconds between worker heartbeats (default 30)")
    p.set_defaults(func=cmd_tune)

    p = sub.add_parser("ablate", help="validation macro-F1 with each switch on / off, as one table")
    _common(p, "directory for the runs, ablation.json and ablation.md (default runs/ablate-NAME-...)")
    p.add_argument("--switches", nargs="+", metavar="NAME", help="subset of switches (default: all)")
    p.add_argument("--seeds", type=int, default=1, help="runs per setting; the table shows mean ± std")
    p.add_argument("--on", action="append", default=[], metavar="NAME=VALUE",
                   help="the 'on' value of a switch, e.g. --on dropout=0.5 (repeatable)")
    p.set_defaults(func=cmd_ablate)

    p = sub.add_parser("pseudo-label", help="label an unlabelled pool with a trained model, retrain, compare")
    _common(p, "directory for baseline/, retrained/ and pseudo_label.json (default runs/pseudo-label-NAME-...)")
    p.add_argument("--threshold", type=float, default=0.95, help="keep predictions at least this confident")
    p.add_argument("--hide-labels", type=float, default=0.5, metavar="F",
                   help="pool = fraction F of the train split with labels hidden (default 0.5)")
    p.add_argument("--pool-config", help="pool = the train split of this data config instead")
    p.add_argument("--teacher", metavar="RUN_DIR", help="label the pool with this run instead of a fresh baseline")
    p.add_argument("--max-per-class", type=int, help="keep at most this many pseudo-labels per class")
    p.set_defaults(func=cmd_pseudo_label)


def cmd_cv(args) -> int:
    from seqlab import config as configlib
    from seqlab.experiments import cv

    cfg = configlib.load(args.config, args.overrides)
    out = _out(args, cfg, "cv")
    from seqlab.report.cv import write_cv_report

    summary = cv.run_cv(cfg, out, folds=args.folds, grouped=args.grouped, repeats=args.repeats)
    print(cv.format_table(summary))
    print(f"report: {write_cv_report(out, summary)}")
    return 0


def cmd_tune(args) -> int:
    from seqlab import config as configlib
    from seqlab.experiments import tune

    cfg = configlib.load(args.config, args.overrides)
    out = _out(args, cfg, "tune")
    s = tune.run_tune(cfg, out, trials=args.trials, storage=args.storage, study_name=args.study, seed=args.seed,
                      startup_trials=args.startup_trials, heartbeat=args.heartbeat)
    states = ", ".join(f"{n} {k.lower()}" for k, n in sorted(s["states"].items()))
    print(f"study {s['study']}: {s['n_trials']} trials ({states}) from {len(s['workers'])} worker(s)")
    if "best_value" in s:
        hand = "" if s["hand_set_value"] is None else f" (hand-set config: {s['hand_set_value']:.4f})"
        print(f"best {s['metric']} {s['best_value']:.4f} in trial {s['best_trial']}{hand}: {s['best_params']}")
        print(f"best config: {s['best_config']}")
    from seqlab.report.tune import write_tune_report

    print(f"report: {write_tune_report(out)}")
    return 0


def cmd_ablate(args) -> int:
    from seqlab import config as configlib
    from seqlab.errors import ConfigError
    from seqlab.experiments import ablation
    from seqlab.yaml_strict import parse_yaml

    on = {}
    for item in args.on:
        name, sep, text = item.partition("=")
        if not sep:
            raise ConfigError(f"--on {item!r} is not of the form NAME=VALUE")
        on[name] = parse_yaml(text, f"--on {name}")
    cfg = configlib.load(args.config, args.overrides)
    out = _out(args, cfg, "ablate")
    result = ablation.run_ablation(cfg, out, switches=args.switches, seeds=args.seeds, on_values=on)
    print(ablation.format_table(result))
    print(f"table: {out / 'ablation.md'}")
    return 0


def cmd_pseudo_label(args) -> int:
    from seqlab import config as configlib
    from seqlab.experiments import pseudo_label

    cfg = configlib.load(args.config, args.overrides)
    out = _out(args, cfg, "pseudo-label")
    r = pseudo_label.run_pseudo_label(cfg, out, threshold=args.threshold, hide=args.hide_labels,
                                      pool_config=args.pool_config, teacher=args.teacher,
                                      max_per_class=args.max_per_class)
    print(pseudo_label.format_result(r))
    print(f"summary: {out / 'pseudo_label.json'}")
    return 0
