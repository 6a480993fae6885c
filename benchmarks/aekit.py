"""What the autoencoder benchmarks share: where the repository and the records are, CPU
seconds, and "train the benchmark's config, or read a finished run" with its timing."""

from __future__ import annotations

import argparse
import json
import resource
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT_SOURCE = REPO / "../shared/data/mitdb"


def cpu_s() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def parse_args(description: str, out_name: str, what: str) -> argparse.Namespace:
    """``--source``, ``--out`` (default ``runs/OUT_NAME``), ``--run`` and config overrides."""
    ap = argparse.ArgumentParser(description=description)
    ap.add_argument("--source", default=str(DEFAULT_SOURCE))
    ap.add_argument("--out", default=str(REPO / "runs" / out_name))
    ap.add_argument("--run", default=None, help=f"a finished {what} run to evaluate instead of training one")
    ap.add_argument("overrides", nargs="*", help="config overrides, e.g. trainer.max_epochs=4")
    return ap.parse_args()


def train_or_reuse(args: argparse.Namespace, config_path: str, out: Path, *, extra: tuple[str, ...] = ()):
    """(config, run dir, timing): ``args.run`` read as it is, else ``config_path`` trained into
    ``out/run`` (wall and CPU seconds of the call, plus the run's own timing.json)."""
    from seqlab import config
    from seqlab.training import run

    out.mkdir(parents=True, exist_ok=True)
    timing: dict = {}
    if args.run:
        run_dir = Path(args.run)
        cfg = config.load(run_dir / "config.yaml", [f"data.source={args.source}"])
    else:
        cfg = config.load(REPO / config_path, [f"data.source={args.source}", *extra, *args.overrides])
        t0, c0 = time.perf_counter(), cpu_s()
        run_dir = run.train(cfg, out / "run")
        timing = {"train_call_wall_s": round(time.perf_counter() - t0, 1), "train_call_cpu_s": round(cpu_s() - c0, 1)}
    timing.update(json.loads((run_dir / "timing.json").read_text()))
    return cfg, run_dir, timing
