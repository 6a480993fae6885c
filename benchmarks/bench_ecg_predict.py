"""The whole `seqlab predict RUN RECORD` command with ONNX Runtime against the same command with
torch, measured in one run on the same machine, interleaved (targets: one record with ONNX
<= 0.6 x torch's wall time; ten records >= 2 x faster).

    python benchmarks/bench_ecg_predict.py RUN_DIR [--record ../shared/data/mitdb/208] [--repeat 5]

RUN_DIR is a trained ECG run with checkpoints/model.onnx (training writes it; `seqlab export
RUN_DIR` for older runs). Each measurement is one fresh `seqlab predict` process (interpreter,
imports, model load, reading, filtering, detecting, segmenting, classifying, writing the CSV and
the WFDB annotations); the engines alternate which goes first in each round, after one
unmeasured warm-up each. Prints every wall time, the medians and their ratios, and checks that
both engines wrote the same labels and annotation files. These machines are shared: compare
ratios, not seconds. ``--batch-inference`` also times both engines on the run's test split.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ENGINES = ("onnx", "torch")


def command() -> list[str]:
    script = Path(sys.executable).with_name("seqlab")
    return [str(script)] if script.exists() else [sys.executable, "-m", "seqlab.cli.main"]


def run_once(run_dir: str, records: list[Path], engine: str, out: Path, threads: int) -> float:
    out.mkdir(parents=True, exist_ok=True)
    argv = [*command(), "predict", run_dir, *map(str, records), "--engine", engine, "--threads", str(threads)]
    argv += ["--out", str(out if len(records) > 1 else out / f"{records[0].name}.seqlab.csv")]
    t0 = time.perf_counter()
    done = subprocess.run(argv, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if done.returncode != 0:
        sys.exit(f"{' '.join(argv)} failed:\n{done.stderr}")
    if f"{engine})" not in done.stdout:
        sys.exit(f"`seqlab predict --engine {engine}` did not report the {engine} engine:\n{done.stdout}")
    return wall


def compare_outputs(a: Path, b: Path, records: list[Path]) -> str:
    """Labels and annotation files must match; count printed probabilities that differ."""
    rows = values = differ = 0
    for rec in records:
        if (a / f"{rec.name}.seqlab").read_bytes() != (b / f"{rec.name}.seqlab").read_bytes():
            sys.exit(f"{rec.name}: the engines wrote different annotation files")
        la = (a / f"{rec.name}.seqlab.csv").read_text().splitlines()[1:]
        lb = (b / f"{rec.name}.seqlab.csv").read_text().splitlines()[1:]
        for ra, rb in zip(la, lb, strict=True):
            fa, fb = ra.split(","), rb.split(",")
            if fa[:3] != fb[:3]:
                sys.exit(f"{rec.name}: the engines labelled a beat differently:\n{ra}\n{rb}")
            rows += 1
            values += len(fa) - 3
            differ += sum(x != y for x, y in zip(fa[3:], fb[3:]))
    return (f"same labels and annotation files for {rows:,} beats; {differ} of {values:,} printed "
            f"probabilities differ in the 4th decimal")


def measure(run_dir: str, cases: dict[str, list[Path]], repeat: int, threads: int, tmp: Path) -> dict:
    walls = {(case, e): [] for case in cases for e in ENGINES}
    for case, records in cases.items():  # warm-up: page cache, bytecode
        for engine in ENGINES:
            run_once(run_dir, records, engine, tmp / case / engine, threads)
        print(f"{case}: {compare_outputs(tmp / case / 'onnx', tmp / case / 'torch', records)}")
    for i in range(repeat):
        for case, records in cases.items():
            for engine in ENGINES if i % 2 == 0 else ENGINES[::-1]:
                walls[case, engine].append(run_once(run_dir, records, engine, tmp / case / engine, threads))
        print(f"round {i + 1}/{repeat}: " + "  ".join(f"{c} {e} {walls[c, e][-1]:.2f} s" for c, e in walls),
              flush=True)
    return walls


def batch_inference(run_dir: str) -> None:
    import torch

    from seqlab import config
    from seqlab.data.catalog import prepare_data
    from seqlab.inference.onnx_engine import OnnxModel
    from seqlab.inference.proba import CheckpointModel

    cfg = config.load(Path(run_dir) / "config.yaml")
    x = prepare_data(cfg.data, cfg.seed).test.x
    engines = {"onnx": OnnxModel(run_dir, threads=1), "torch": CheckpointModel(run_dir, threads=1)}
    times = {name: [] for name in engines}
    for _ in range(3):
        for name, model in engines.items():
            t0 = time.perf_counter()
            probs = model.predict_proba(x)
            times[name].append(time.perf_counter() - t0)
            assert np.isfinite(probs).all()
    n = len(probs)
    print(f"batch inference on the test split ({n:,} beats, 1 thread, torch {torch.__version__}): " +
          ", ".join(f"{k} {n / min(v):,.0f} beats/s" for k, v in times.items()))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("run_dir")
    ap.add_argument("--record", default=str(Path(__file__).resolve().parents[1] / "../shared/data/mitdb/208"))
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--threads", type=int, default=1, help="`seqlab predict --threads`")
    ap.add_argument("--many", type=int, default=10, help="records in the several-records case")
    ap.add_argument("--batch-inference", action="store_true")
    args = ap.parse_args()
    record = Path(args.record)
    folder = record.parent
    many = sorted(p.with_suffix("") for p in folder.glob("*.hea") if "MLII" in p.read_text())[: args.many]
    cases = {"one record": [record], f"{len(many)} records": many}
    print(f"run {args.run_dir}; one record {record.name}; {len(many)} records "
          f"{' '.join(p.name for p in many)}; {os.cpu_count()} CPUs, load average "
          f"{' '.join(f'{v:.1f}' for v in os.getloadavg())} at the start")
    with tempfile.TemporaryDirectory() as tmp:
        walls = measure(args.run_dir, cases, args.repeat, args.threads, Path(tmp))
    print(f"load average at the end: {' '.join(f'{v:.1f}' for v in os.getloadavg())}")
    for case in cases:
        onnx, torch_ = (statistics.median(walls[case, e]) for e in ENGINES)
        print(f"{case}: onnx median {onnx:.2f} s, torch median {torch_:.2f} s over {args.repeat} rounds: "
              f"onnx / torch = {onnx / torch_:.2f} (torch / onnx = {torch_ / onnx:.2f}x)")
    if args.batch_inference:
        batch_inference(args.run_dir)


if __name__ == "__main__":
    main()
