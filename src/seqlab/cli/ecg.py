"""``seqlab reproduce`` (paper protocols) and ``seqlab predict`` (classify a new record)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("reproduce", help="run a paper's protocol end to end; prints ours beside the paper's")
    p.add_argument("name", help="protocol name (configs/ecg/NAME.yaml) or a YAML path")
    p.add_argument("overrides", nargs="*", help="key.sub=value overrides")
    p.add_argument("--data-dir", help="where the records are (overrides data.source)")
    p.add_argument("--out", help="run directory")
    p.add_argument("--cv-only", action="store_true",
                   help="patient-wise cross-validation inside the training records only")
    p.add_argument("--folds", type=int, help="number of record folds for --cv-only")
    p.add_argument("--seeds", type=int, metavar="N",
                   help="with --cv-only: seeds 0..N-1 into OUT/seed_S, then mean ± sd and the "
                        "per-record table over them (a seed already done is read, not re-run)")
    p.set_defaults(func=cmd_reproduce)

    p = sub.add_parser("predict", help="classify every beat of a WFDB record, or texts, with a trained run")
    p.add_argument("run_dir")
    p.add_argument("records", nargs="*", metavar="record|FILE",
                   help="ECG runs: WFDB record path(s) without extension, e.g. data/mitdb/100; several "
                        "records share one model load. Text runs: one file of texts (.txt one a line, "
                        ".csv/.tsv with --column)")
    p.add_argument("--text", action="append",
                   help="text runs: classify this text (repeat the option for several)")
    p.add_argument("--column", help="text runs: the column of a .csv/.tsv FILE holding the texts "
                                    "(default: review, document, text or sentence)")
    p.add_argument("--out", help="CSV path for one record or text file, a directory for several records "
                                 "(default: NAME.seqlab.csv in the current directory)")
    p.add_argument("--annotations", metavar="EXT", help="use this annotation file's beats (e.g. atr) "
                                                         "instead of detecting R peaks")
    p.add_argument("--engine", choices=("auto", "onnx", "torch"), default="auto",
                   help="auto (default): ONNX Runtime when the run has checkpoints/model.onnx "
                        "(`seqlab export RUN`), torch otherwise")
    p.add_argument("--threads", type=int, default=1,
                   help="inference threads (default 1: one record is a small job, and a second "
                        "thread stalls it badly when the other core is busy)")
    p.add_argument("--plot", action="store_true", help="also draw each record's first minute with reference "
                                                       "and predicted labels (RECORD.seqlab.png)")
    p.set_defaults(func=cmd_predict, fast_exit=True)


def cmd_reproduce(args) -> int:
    if args.seeds is not None:
        return _reproduce_seeds(args)
    from seqlab.cli.run import print_summary
    from seqlab.evaluation.reference import reference_table
    from seqlab.experiments.reproduce import reproduce

    run_dir = reproduce(args.name, data_dir=args.data_dir, out=args.out, cv_only=args.cv_only,
                        folds=args.folds, overrides=args.overrides)
    from seqlab.yaml_strict import read_yaml

    if args.cv_only:
        from seqlab.report.cv import write_cv_report
        from seqlab.report.html import write_report
        from seqlab.report.rundir import read_json

        write_report(run_dir)
        print(f"cross-validation report (per fold, per record): "
              f"{write_cv_report(run_dir, read_json(Path(run_dir) / 'cv_summary.json'))}")

    metrics = json.loads((Path(run_dir) / "metrics.json").read_text())
    reference = read_yaml(Path(run_dir) / "config.yaml").get("reference")
    print_summary(run_dir)
    if "cv" in metrics:
        cv = metrics["cv"]
        print(f"cross-validation over {cv['folds']} record folds: macro F1 "
              f"{cv['macro_f1']['mean']:.4f} ± {cv['macro_f1']['std']:.4f} (mean ± sd over folds); "
              f"table below pools every fold's predictions")
    print(reference_table(metrics, reference))
    return 0


def _reproduce_seeds(args) -> int:
    from seqlab import config as configlib
    from seqlab.errors import ConfigError
    from seqlab.experiments.reproduce import find_protocol
    from seqlab.experiments.seeds import format_seeds, run_seeds
    from seqlab.training.run import new_run_dir

    if not args.cv_only or args.seeds < 1:
        raise ConfigError("--seeds N (N >= 1) scores a protocol by cross-validation: add --cv-only")
    cfg = configlib.load(find_protocol(args.name), list(args.overrides))
    if args.data_dir is not None:
        cfg.data.source = args.data_dir
    out = Path(args.out) if args.out else new_run_dir(cfg, None)
    summary = run_seeds(cfg, out, seeds=args.seeds, folds=args.folds)
    print(format_seeds(summary))
    print(f"DS1 cross-validation figures: they overestimate unseen patients. Summary: {out / 'seeds_summary.json'}")
    return 0


def cmd_predict(args) -> int:
    import time

    from seqlab.config import load_run
    from seqlab.data.text.prepare import TextDataConfig

    cfg = load_run(args.run_dir)
    if args.text or isinstance(cfg.data, TextDataConfig):  # one command: the run's data kind decides
        return _predict_texts(args)
    if not args.records:
        from seqlab.errors import ConfigError

        raise ConfigError("give at least one WFDB record to classify, e.g. data/mitdb/100")
    from seqlab.inference.predict import Predictor, resolve_engine
    from seqlab.inference.prefetch import BeatPrefetcher

    t0 = time.perf_counter()
    engine = resolve_engine(args.run_dir, cfg.eval.checkpoint, args.engine)
    # started before the engine (ONNX Runtime or torch) is imported: the records' beats are
    # prepared on the other core meanwhile (with ONNX Runtime this process reads the records)
    with BeatPrefetcher(args.run_dir, args.records, annotations=args.annotations, read_here=engine == "onnx",
                        onnx_threads=args.threads if engine == "onnx" else None) as prepared_records:
        predictor = Predictor(args.run_dir, engine=engine, threads=args.threads)
        many = len(args.records) > 1
        total_beats, total_s = 0, 0.0
        for prepared in prepared_records:
            record = prepared.record
            out = Path(args.out or ".") / f"{record.name}.seqlab.csv" if many else args.out
            result = predictor.classify(prepared, out=out)
            total_beats += result["n_beats"]
            total_s += result["duration_s"]
            counts = " ".join(f"{name} {n:,}" for name, n in result["counts"].items())
            print(f"{record.name}: {result['n_beats']:,} beats in {result['seconds']:.2f} s "
                  f"({result['realtime_factor']:,.0f}x real time, {result['engine']}): {counts}")
            print(f"  csv: {result['csv']}  annotations: {result['annotation']}")
            if args.plot:
                from seqlab.inference.record_plot import plot_record

                png = Path(result["csv"]).with_suffix(".png")
                plot_record(record, png, start_s=0.0, end_s=60.0, predictor=predictor)
                print(f"  plot (first minute): {png}")
    if many:
        wall = time.perf_counter() - t0
        print(f"{len(args.records)} records, {total_beats:,} beats in {wall:.2f} s with the model load "
              f"({total_s / wall:,.0f}x real time)")
    return 0


def _predict_texts(args) -> int:
    from seqlab.errors import ConfigError
    from seqlab.inference.text_predict import predict_text_command, summary_lines

    if args.annotations:
        raise ConfigError("--annotations applies to ECG records, not to texts")
    if len(args.records) > 1:
        raise ConfigError("a text run takes one FILE at a time (or --text)")
    summary = predict_text_command(args.run_dir, text=args.text, file=args.records[0] if args.records else None,
                                   column=args.column, out=args.out, engine=args.engine, threads=args.threads)
    print("\n".join(summary_lines(summary)))
    return 0
