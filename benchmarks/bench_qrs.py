"""Se / +P and seconds per record of an R-peak detector on the MIT-BIH records provided.

    python benchmarks/bench_qrs.py [--source ../shared/data/mitdb] [--method seqlab|xqrs]

Lead MLII (channel 0 where a record has none: 102, 104), raw signal, 150 ms one-to-one
matching against the .atr beat symbols, pooled over records; the figure excluding the
ventricular flutter episodes ([ ... ], record 207) is printed too, as EC57/bxb do.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

DEFAULT_SOURCE = Path(__file__).resolve().parents[1] / "../shared/data/mitdb"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--source", default=str(DEFAULT_SOURCE))
    ap.add_argument("--method", default="seqlab")
    ap.add_argument("--repeat", type=int, default=3, help="timing: best of N runs per record")
    args = ap.parse_args()
    from seqlab.data.ecg.mitbih import available_records
    from seqlab.data.ecg.qrs import ecg_peaks
    from seqlab.data.ecg.qrs_eval import pooled, score_record
    from seqlab.data.ecg.reader import read_record

    src = Path(args.source)
    ecg_peaks(np.random.default_rng(0).standard_normal(3600), 360.0, method=args.method)  # warm imports
    full, ex = [], []
    print(f"{'record':>6} {'Se %':>7} {'+P %':>7} {'FN':>4} {'FP':>4} {'s':>6}")
    for name in available_records(src):
        rec = read_record(src / name, lead_fallback="any")
        times = []
        for _ in range(max(1, args.repeat)):
            t0 = time.perf_counter()
            peaks, _ = ecg_peaks(rec.signal, rec.fs, method=args.method)
            times.append(time.perf_counter() - t0)
        a = (name, rec.ann_samples, rec.ann_symbols, peaks, rec.fs, rec.signal.size)
        s, sx = score_record(*a), score_record(*a, exclude_vf=True)
        s.seconds = sx.seconds = min(times)
        full.append(s)
        ex.append(sx)
        print(f"{name:>6} {s.se:7.2f} {s.ppv:7.2f} {s.fn:>4} {s.fp:>4} {s.seconds:6.3f}")
    p, px = pooled(full), pooled(ex)
    print(f"pooled ({len(full)} records, {p.tp + p.fn} beats): Se {p.se:.2f}%  +P {p.ppv:.2f}%  "
          f"{p.seconds / len(full):.3f} s per 30-min record")
    print(f"excluding ventricular flutter ({px.excluded_s:.0f} s of record 207): "
          f"Se {px.se:.2f}%  +P {px.ppv:.2f}%")
    worst = sorted(full, key=lambda r: min(r.se, r.ppv))[:4]
    print("worst: " + ", ".join(f"{r.record} (Se {r.se:.2f}, +P {r.ppv:.2f})" for r in worst))


if __name__ == "__main__":
    main()
