"""Autoencoder pre-training for a beat classifier with 1 %, 10 % and 100 % of the labels (issue 17).

    python benchmarks/bench_ae_pretrain.py [--source ../shared/data/mitdb] [--out runs/bench-ae-pretrain]
                                           [--seeds 0 1] [--fractions 0.01 0.1 1.0] [--ae-run RUN_DIR]

Patient-wise: DS1 fold 0 of 5 (``split: patient_kfold``): 12 training records, 5 validation,
5 test records that neither network sees. Beat shape only (no RR features), AAMI N/S/V/F.

1. ``configs/ae/conv_ae.yaml``: a convolutional autoencoder fitted on every beat of the training
   records, labels unused (``--ae-run`` reuses a finished one). Its fit time is printed: wall
   time and process CPU time (one thread: what one dedicated core would take).
2. ``ae_classifier`` (conv_ae's encoder + a 32-unit head) on a class-stratified random fraction
   of the training beats' labels (seeded per seed and fraction; at least one beat per class),
   from scratch, with ``model.init_from`` the autoencoder run (all fine-tuned), and with that
   encoder frozen (only the head trained: a probe of the code); same config otherwise:
   balanced class weights, Adam 1e-3, a budget of optimiser steps per fraction (``BUDGET``),
   checkpoint by validation macro-F1. Test macro-F1 and accuracy on the 5 test records.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from aekit import DEFAULT_SOURCE, REPO, cpu_s

BUDGET = {0.01: (32, 30), 0.1: (64, 10), 1.0: (128, 4)}  # fraction -> (batch size, epochs)


def label_fraction(y: np.ndarray, fraction: float, seed: int) -> np.ndarray:
    """Rows of a class-stratified random ``fraction`` (at least one beat of each class present)."""
    rng = np.random.default_rng([seed, int(fraction * 1e6)])
    rows = [rng.choice(np.flatnonzero(y == c), size=max(1, int(round(fraction * (y == c).sum()))), replace=False)
            for c in np.unique(y)]
    return np.sort(np.concatenate(rows))


ARMS = {"scratch": "scratch", "autoencoder": "ae", "frozen": "ae-frozen"}  # arm -> run-name tag


def classifier_config(source: str, ae_cfg, fraction: float, seed: int, arm: str, ae_dir: str):
    """``scratch``; ``autoencoder``: init_from the autoencoder, all fine-tuned; ``frozen``: its
    encoder kept as it is, only the head trained (a probe of what the code holds)."""
    from seqlab import config

    batch, epochs = BUDGET.get(fraction, (128, 4))
    model = {"name": "ae_classifier", **{k: ae_cfg.model.params[k] for k in ("channels", "kernel_size", "code_size")
                                         if k in ae_cfg.model.params}}
    if arm != "scratch":
        model["init_from"] = ae_dir
    if arm == "frozen":
        model["freeze"] = [r"^encoder\."]
    return config.from_dict({
        "name": f"clf-{fraction:g}-{ARMS[arm]}-s{seed}", "seed": seed,
        "data": {**ae_cfg.data.model_dump(mode="json"), "source": source, "classes": ["N", "S", "V", "F"],
                 "batch_size": batch},
        "model": model, "optim": {"name": "adam", "lr": 0.001, "class_weights": "balanced"},
        "trainer": {"max_epochs": epochs, "progress_bar": False, "threads": 1}})


def train_ae(args, out: Path) -> tuple[Path, dict]:
    from seqlab import config
    from seqlab.training import run

    if args.ae_run:
        return Path(args.ae_run), {}
    cfg = config.load(REPO / "configs/ae/conv_ae.yaml", [f"data.source={args.source}", "trainer.threads=1"])
    t0, c0 = time.perf_counter(), cpu_s()
    run_dir = run.train(cfg, out / "ae")
    return run_dir, {"call_wall_s": round(time.perf_counter() - t0, 1), "call_cpu_s": round(cpu_s() - c0, 1)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--source", default=str(DEFAULT_SOURCE))
    ap.add_argument("--out", default=str(REPO / "runs" / "bench-ae-pretrain"))
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    ap.add_argument("--fractions", type=float, nargs="+", default=[0.01, 0.1, 1.0])
    ap.add_argument("--ae-run", default=None)
    ap.add_argument("--arms", nargs="+", default=list(ARMS), choices=list(ARMS))
    args = ap.parse_args()
    from seqlab import config
    from seqlab.data.catalog import prepare_data
    from seqlab.training import run

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    ae_dir, ae_time = train_ae(args, out)
    ae_cfg = config.load(ae_dir / "config.yaml")
    ae_time.update(json.loads((ae_dir / "timing.json").read_text()))
    ae_metrics = json.loads((ae_dir / "metrics.json").read_text())
    rows = []
    for fraction in args.fractions:
        for seed in args.seeds:
            base = classifier_config(args.source, ae_cfg, fraction, seed, "scratch", str(ae_dir))
            data = prepare_data(base.data, seed)
            data.train = data.train.take(label_fraction(data.train.y, fraction, seed))
            counts = {c: int((data.train.y == i).sum()) for i, c in enumerate(data.classes)}
            data.summary = {**data.summary, "counts": {**data.summary["counts"], "train": counts},
                            "notes": [*data.summary["notes"], f"{100 * fraction:g} % of the training labels"]}
            for arm in args.arms:
                cfg = classifier_config(args.source, ae_cfg, fraction, seed, arm, str(ae_dir))
                run_dir = out / cfg.name
                if not (run_dir / "metrics.json").exists():  # a rerun adds arms, seeds or fractions only
                    run.train(cfg, run_dir, data=data, report=False)
                m = json.loads((run_dir / "metrics.json").read_text())
                rows.append({"fraction": fraction, "seed": seed, "init": arm,
                             "labels": len(data.train), "macro_f1": m["macro_f1"], "accuracy": m["accuracy"],
                             **{f"f1_{c}": m["per_class"][c]["f1"] for c in ("S", "V")}})
                print(json.dumps(rows[-1]), flush=True)
    result = {"ae_run": str(ae_dir), "ae_timing": ae_time, "ae_test": {k: ae_metrics.get(k) for k in
                                                                        ("mse", "snr_db", "prd", "n_samples")},
              "records": json.loads((ae_dir / "data_summary.json").read_text())["records"], "rows": rows}
    (out / "bench_ae_pretrain.json").write_text(json.dumps(result, indent=1))
    print(f"autoencoder {ae_dir}: fit {ae_time.get('train_s')} s wall, {ae_time.get('epochs_run')} epochs, "
          f"{ae_time.get('train_samples_per_s')} beats/s; whole call {ae_time.get('call_wall_s')} s wall, "
          f"{ae_time.get('call_cpu_s')} s CPU; test reconstruction SNR {ae_metrics.get('snr_db'):.2f} dB")
    print("\n| labels | init | beats | macro-F1 (mean ± sd over seeds) | accuracy | F1 S | F1 V |")
    print("|---|---|---|---|---|---|---|")
    for fraction in args.fractions:
        for init in args.arms:
            sel = [r for r in rows if r["fraction"] == fraction and r["init"] == init]
            f1 = np.array([r["macro_f1"] for r in sel])
            mean = lambda k: np.mean([r[k] or 0.0 for r in sel])  # noqa: E731
            print(f"| {100 * fraction:g} % | {init} | {sel[0]['labels']} | {f1.mean():.3f} ± {f1.std():.3f} | "
                  f"{mean('accuracy'):.3f} | {mean('f1_S'):.3f} | {mean('f1_V'):.3f} |")


if __name__ == "__main__":
    main()
