"""Time training an autoencoder on every DS1 beat (issue 17 target: < 5 min on 2 cores).

    python benchmarks/bench_ae_train_time.py [--source ../shared/data/mitdb] [--config configs/ae/conv_ae.yaml]
                                             [--threads 2] [--out runs/bench-ae-time] [key=value ...]

The config's model and budget (``conv_ae.yaml``: 8 epochs, batch 128), its data switched to the
22 DS1 records (``data.records``) with 90 % of the beats for training (``split: intra``: 5 % validation, 5 % test
beats, unlabelled use only). Prints the fit's wall time (Lightning ``fit``, validation
included), the whole call's wall and process CPU time (data from the cache, evaluation and the
report included), and the load average: on a shared machine the wall time stretches while the
CPU time does not.
"""

from __future__ import annotations

import argparse
import json
import os
import time

from aekit import REPO, cpu_s


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--source", default=str(REPO / "../shared/data/mitdb"))
    ap.add_argument("--config", default=str(REPO / "configs/ae/conv_ae.yaml"))
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--out", default=str(REPO / "runs" / "bench-ae-time"))
    ap.add_argument("overrides", nargs="*")
    args = ap.parse_args()
    from seqlab import config
    from seqlab.data.ecg.splits import record_groups
    from seqlab.training import run

    cfg = config.load(args.config, [f"data.source={args.source}", "data.split=intra", "data.val_fraction=0.05",
                                    "data.test_fraction=0.05", f"data.records=[{', '.join(record_groups()['DS1'])}]",
                                    f"trainer.threads={args.threads}", *args.overrides])
    load0 = os.getloadavg()[0]
    t0, c0 = time.perf_counter(), cpu_s()
    run_dir = run.train(cfg, args.out)
    wall, cpu = time.perf_counter() - t0, cpu_s() - c0
    timing = json.loads((run_dir / "timing.json").read_text())
    summary = json.loads((run_dir / "data_summary.json").read_text())
    n_train = sum(summary["counts"]["train"].values())
    print(f"{cfg.model.name} on {n_train:,} DS1 training beats ({len(summary['records']['train'])} records), "
          f"{timing['epochs_run']} epochs, {args.threads} threads, CPU cores {os.cpu_count()}")
    print(f"fit {timing['train_s']:.0f} s wall ({timing['train_samples_per_s']:.0f} beats/s, "
          f"{timing['step_ms']:.0f} ms/step); whole call {wall:.0f} s wall, {cpu:.0f} s CPU; "
          f"load average {load0:.1f} before, {os.getloadavg()[0]:.1f} after (target: fit < 300 s)")


if __name__ == "__main__":
    main()
