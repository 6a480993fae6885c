"""A 20-trial Optuna search with median pruning: wall time and best vs hand-set validation macro-F1.

    python benchmarks/bench_tune.py [CONFIG] [--trials 20] [--source ../shared/data/mitdb] [--out DIR]

Default CONFIG is configs/tune/kachuee-intra-ds1.yaml (MIT-BIH DS1 beats, Kachuee CNN);
configs/tune/smoke.yaml runs without data. Trial 0 is the config's hand-set values (see
``seqlab.experiments.tune.base_params``), scored like every trial on the validation split of its
best checkpoint, so "best - hand-set" is measured on the same split with the same schedule.
Prints one Markdown table and writes OUT/bench_tune.json.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("config", nargs="?", default=str(REPO / "configs" / "tune" / "kachuee-intra-ds1.yaml"))
    ap.add_argument("--trials", type=int, default=20)
    ap.add_argument("--source", default=str(REPO.parent / "shared" / "data" / "mitdb"),
                    help="MIT-BIH records (ignored for datasets without data.source)")
    ap.add_argument("--out", default=None)
    args = ap.parse_args()
    from seqlab import config
    from seqlab.experiments import tune

    cfg = config.load(args.config)
    if "source" in type(cfg.data).model_fields:
        cfg.data.source = args.source
    out = Path(args.out or f"runs/bench-tune-{cfg.name}-{time.strftime('%Y%m%d-%H%M%S')}")
    t0 = time.perf_counter()
    s = tune.run_tune(cfg, out, trials=args.trials)
    wall = time.perf_counter() - t0
    result = {"config": args.config, "trials": s["n_trials"], "states": s["states"], "wall_s": round(wall, 1),
              "hand_set_val_macro_f1": s["hand_set_value"], "best_val_macro_f1": s.get("best_value"),
              "best_trial": s.get("best_trial"), "best_params": s.get("best_params"),
              "cpu_count": os.cpu_count(), "load_avg_1m_at_end": os.getloadavg()[0]}
    (out / "bench_tune.json").write_text(json.dumps(result, indent=2))
    print(f"| config | trials | pruned | wall | hand-set val macro-F1 | best val macro-F1 |")
    print("|---|---|---|---|---|---|")
    print(f"| {cfg.name} | {s['n_trials']} | {s['states'].get('PRUNED', 0)} | {wall / 60:.1f} min | "
          f"{s['hand_set_value']:.4f} | {s.get('best_value', float('nan')):.4f} (trial {s.get('best_trial')}) |")
    print(f"best params: {s.get('best_params')}")
    print(f"report: {out / 'tune_report.html'}; load average at the end {result['load_avg_1m_at_end']:.1f}")


if __name__ == "__main__":
    main()
