"""Speed of `seqlab predict` on a 30-minute two-lead 360 Hz MIT-BIH record, and of batch
inference, for a trained run (target: < 2 s end to end, >= 900x real time).

    python benchmarks/bench_ecg_predict.py RUN_DIR [--record ../shared/data/mitdb/208] [--repeat 3]

Prints: the in-process time of predict_record (model load, read, filter, detect, segment,
classify, write CSV + WFDB annotations), the wall time of the whole `seqlab predict` command
(including Python and torch start-up; the command prepares beats in a forked process while it
imports torch, so the two overlap), one command over ten records, and inference beats/s on the
run's test split.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("run_dir")
    ap.add_argument("--record", default=str(Path(__file__).resolve().parents[1] / "../shared/data/mitdb/208"))
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--threads", type=int, default=1, help="torch threads, as `seqlab predict --threads`")
    ap.add_argument("--many", type=int, default=10,
                    help="also time one command over this many records of the record's folder")
    args = ap.parse_args()
    import torch

    torch.set_num_threads(args.threads)
    from seqlab.inference.predict import predict_record

    out = Path(tempfile.mkdtemp()) / "pred.csv"
    times, result = [], None
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        result = predict_record(args.run_dir, args.record, out=out)
        times.append(time.perf_counter() - t0)
    best = min(times)
    duration_s = 30 * 60 + 5.6
    print(f"record {Path(args.record).name}: {result['n_beats']:,} beats")
    print(f"predict_record in-process: best {best:.3f} s of {args.repeat} ({duration_s / best:,.0f}x real time)")
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-m", "seqlab.cli.main", "predict", args.run_dir, args.record, "--out", str(out)],
                   check=True, capture_output=True)
    wall = time.perf_counter() - t0
    print(f"`seqlab predict` command wall time (with interpreter + torch start-up): {wall:.3f} s")
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import os, seqlab.inference.predict; os._exit(0)"], check=True)
    print(f"  of which start-up (interpreter + imports of seqlab.inference.predict, no teardown): "
          f"{time.perf_counter() - t0:.3f} s")
    folder = Path(args.record).parent
    many = sorted(p.with_suffix("") for p in folder.glob("*.hea") if "MLII" in p.read_text())[: args.many]
    if len(many) > 1:
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-m", "seqlab.cli.main", "predict", args.run_dir, *map(str, many),
                        "--out", str(out.parent / "many")], check=True, capture_output=True)
        wall = time.perf_counter() - t0
        print(f"`seqlab predict` over {len(many)} records in one command: {wall:.3f} s wall, "
              f"{wall / len(many):.3f} s per record ({len(many) * duration_s / wall:,.0f}x real time)")

    from seqlab import config
    from seqlab.inference.proba import predict_proba
    from seqlab.inference.loading import load_model
    from seqlab.data.catalog import prepare_data

    cfg = config.load(Path(args.run_dir) / "config.yaml")
    data = prepare_data(cfg.data, cfg.seed)
    model = load_model(Path(args.run_dir))
    predict_proba(model, data.test.x)  # warm-up
    t0 = time.perf_counter()
    probs = predict_proba(model, data.test.x)
    dt = time.perf_counter() - t0
    print(f"batch inference: {len(probs):,} beats in {dt:.3f} s = {len(probs) / dt:,.0f} beats/s "
          f"(torch threads {__import__('torch').get_num_threads()})")
    assert np.isfinite(probs).all()


if __name__ == "__main__":
    main()
