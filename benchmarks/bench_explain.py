"""Explaining beats: seconds for 100 beats of a record per method, and the time the report's
"looking inside" figures add to an evaluation (issue targets: < 10 s and < 15 s on 2 cores).

    python benchmarks/bench_explain.py RUN_DIR [--record ../shared/data/mitdb/208] [--repeat 3]
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import numpy as np


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("run_dir")
    ap.add_argument("--record", default="../shared/data/mitdb/208")
    ap.add_argument("--beats", type=int, default=100)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()

    from seqlab import config as configlib
    from seqlab.data.catalog import prepare_data
    from seqlab.inference.explain import METHODS, explain_beats
    from seqlab.inference.inside import write_inside_figures
    from seqlab.inference.loading import load_model
    from seqlab.inference.prefetch import beat_options, prepare_record
    from seqlab.inference.proba import predict_proba

    cfg = configlib.load_run(args.run_dir)
    model = load_model(args.run_dir, cfg.eval.checkpoint)
    prepared = prepare_record(args.record, beat_options(cfg.data.model_dump(mode="json")))
    rows = np.arange(min(args.beats, len(prepared.peaks)))
    x = {k: v[rows] for k, v in prepared.inputs.items()} if isinstance(prepared.inputs, dict) else prepared.inputs[rows]
    targets = predict_proba(model, x).argmax(axis=1)
    for method in METHODS:
        times = []
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            explain_beats(model, x, targets, method)
            times.append(time.perf_counter() - t0)
        print(f"{method:<9} {len(rows)} beats: {statistics.median(times):.2f} s (median of {args.repeat})")

    data = prepare_data(cfg.data, cfg.seed)
    part = data.split(cfg.eval.split)
    probs = predict_proba(model, part.x)
    out = Path("/tmp/seqlab-bench-inside")
    t0 = time.perf_counter()
    write_inside_figures(out, model, part, probs, data.classes, rr_names=data.model_kwargs.get("rr_names"))
    print(f"report's looking-inside figures on {len(part):,} {cfg.eval.split} beats: "
          f"{time.perf_counter() - t0:.2f} s")


if __name__ == "__main__":
    main()
