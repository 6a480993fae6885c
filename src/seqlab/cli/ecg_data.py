"""``seqlab data`` verbs for ECG: ``fetch mitdb``, ``qrs-eval mitdb``, ``summary mitdb``.

``register(data_subparsers)`` adds them to the ``seqlab data`` sub-parsers; each sets
``func=handler`` with ``handler(args) -> int``.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from seqlab.errors import DataError

DATASETS = ["mitdb"]


def fetch_handler(args: argparse.Namespace) -> int:
    from seqlab.data.ecg.fetch import fetch_mitdb

    dest = fetch_mitdb(source=args.source, dest=args.dest)
    print(f"mitdb: all files verified against SHA256SUMS.txt in {dest}")
    return 0


def qrs_eval_handler(args: argparse.Namespace) -> int:
    from seqlab.data.ecg.mitbih import available_records
    from seqlab.data.ecg.qrs import ecg_peaks
    from seqlab.data.ecg.qrs_eval import pooled, score_record
    from seqlab.data.ecg.reader import read_record
    from seqlab.paths import data_root

    src = Path(args.source) if args.source else data_root() / "mitdb"
    if not src.is_dir():
        raise DataError(f"{src} is not a directory; run `seqlab data fetch mitdb --source "
                        "../shared/data/mitdb` or pass --source")
    names = [str(r) for r in args.records] if args.records else available_records(src)
    rows, rows_ex = [], []
    for name in names:
        rec = read_record(src / name, lead=args.lead, lead_fallback="any")
        t0 = time.perf_counter()
        peaks, _ = ecg_peaks(rec.signal, rec.fs, method=args.method)
        seconds = time.perf_counter() - t0
        full = score_record(name, rec.ann_samples, rec.ann_symbols, peaks, rec.fs, rec.signal.size,
                            tolerance_s=args.tolerance)
        ex = score_record(name, rec.ann_samples, rec.ann_symbols, peaks, rec.fs, rec.signal.size,
                          tolerance_s=args.tolerance, exclude_vf=True)
        full.seconds = ex.seconds = seconds
        rows.append(full)
        rows_ex.append(ex)
    if args.json:
        print(json.dumps({"records": [r.as_dict() for r in rows],
                          "pooled": pooled(rows).as_dict(),
                          "pooled_excluding_vf": pooled(rows_ex).as_dict()}, indent=2))
        return 0
    print(f"QRS detection, method {args.method}, lead {args.lead} (else channel 0), "
          f"{args.tolerance * 1000:.0f} ms one-to-one matching against the .atr beat symbols")
    print(f"{'record':>8} {'beats':>6} {'TP':>6} {'FN':>5} {'FP':>5} {'Se %':>7} {'+P %':>7} {'s':>6}")
    for r in rows:
        print(f"{r.record:>8} {r.tp + r.fn:>6} {r.tp:>6} {r.fn:>5} {r.fp:>5} {r.se:7.2f} {r.ppv:7.2f} "
              f"{r.seconds:6.3f}")
    p, px = pooled(rows), pooled(rows_ex)
    print(f"{'pooled':>8} {p.tp + p.fn:>6} {p.tp:>6} {p.fn:>5} {p.fp:>5} {p.se:7.2f} {p.ppv:7.2f} "
          f"{p.seconds / max(1, len(rows)):6.3f} (s per record)")
    print(f"excluding ventricular flutter episodes ([ ... ], {px.excluded_s:.0f} s; as EC57/bxb): "
          f"TP {px.tp} FN {px.fn} FP {px.fp}  Se {px.se:.2f}%  +P {px.ppv:.2f}%")
    return 0


def summary_handler(args: argparse.Namespace) -> int:
    import seqlab.data.ecg  # noqa: F401
    from seqlab.data.ecg.mitbih import MitbihConfig, mitbih

    cfg = MitbihConfig(source=args.source, split=args.split, lead_fallback=args.lead_fallback,
                       classes=args.classes.split(",") if args.classes else None)
    data = mitbih(cfg, seed=args.seed)
    s = data.summary
    print(f"mitbih {s['protocol']}  (intra_patient={s['intra_patient']})")
    print(f"{'split':<6} {'records':>7} " + " ".join(f"{c:>7}" for c in data.classes))
    for split in ("train", "val", "test"):
        print(f"{split:<6} {len(s['records'][split]):>7} "
              + " ".join(f"{s['counts'][split][c]:>7}" for c in data.classes))
    print("before edge drop: " + ", ".join(f"{c} {n}" for c, n in s["counts_before_edge_drop"].items())
          + f"; edge beats dropped {s['dropped_edge_beats']}; non-beat marks skipped "
          f"{s['skipped_non_beat']}; unknown symbols {s['unknown_symbols'] or 'none'}")
    for note in s["notes"]:
        print(f"note: {note}")
    return 0


def register(data_subparsers) -> None:
    """Add ``fetch``, ``qrs-eval`` and ``summary`` (each taking ``mitdb``) to ``seqlab data``."""
    p = data_subparsers.add_parser("fetch", help="fetch a data set and verify its checksums")
    p.add_argument("dataset", choices=DATASETS)
    p.add_argument("--source", help="local copy to take the files from (e.g. ../shared/data/mitdb)")
    p.add_argument("--dest", help="destination (default $SEQLAB_DATA/mitdb, $SEQLAB_DATA defaults to ./data)")
    p.set_defaults(func=fetch_handler)

    p = data_subparsers.add_parser("qrs-eval", help="score the R-peak detector (Se, +P)")
    p.add_argument("dataset", choices=DATASETS)
    p.add_argument("--source", help="directory with the records (default $SEQLAB_DATA/mitdb)")
    p.add_argument("--records", nargs="+", help="record names (default: all in the source)")
    p.add_argument("--method", default="seqlab", choices=["seqlab", "xqrs"])
    p.add_argument("--lead", default="MLII")
    p.add_argument("--tolerance", type=float, default=0.15, help="matching window, seconds")
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    p.set_defaults(func=qrs_eval_handler)

    p = data_subparsers.add_parser("summary", help="beats per class per split of a protocol")
    p.add_argument("dataset", choices=DATASETS)
    p.add_argument("--source")
    p.add_argument("--split", default="intra", choices=["intra", "inter", "patient_kfold"])
    p.add_argument("--classes", help="comma-separated subset, e.g. N,S,V,F")
    p.add_argument("--lead-fallback", default="none", choices=["none", "limb", "any"])
    p.add_argument("--seed", type=int, default=0)
    p.set_defaults(func=summary_handler)


# ``seqlab.cli.main`` looks for ``register_data`` first, then ``register``
register_data = register
