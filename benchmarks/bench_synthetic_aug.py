"""Does adding generated beats help the rare classes? DS1 record-wise cross-validation of the
``inter-patient`` classifier (rr_resnet, context RR features, rhythm gate, morphology vote),
the same model in four arms, S and F sensitivity / PPV pooled over the held-out records,
mean ± sd over seeds:

* ``none``: the shipped config (its weighted sampler draws every class equally often);
* ``synthetic``: + ``augment.synthetic: {config: configs/gen/cvae.yaml, per_class: {S: 2000, F: 1000}}``:
  a conditional VAE trained inside each fold on that fold's training records only (no leakage);
* ``oversample``: classical random oversampling of the fold's training part (``data.balance:
  oversample``) instead of the weighted sampler;
* ``signal``: seqlab's signal augmentations (``augment.prob: 0.5``: scale, wander, noise,
  motion, shift, stretch).

Folds are fixed across arms and seeds (``--folds 22`` = leave-one-record-out), so every arm
is scored on the same held-out beats; each seed changes the networks, the sampling and the
inner validation record. Jobs run seed by seed, and ``--deadline`` stops starting new ones:
only seeds whose folds all finished in every arm are in the table.

    python benchmarks/bench_synthetic_aug.py --data-dir ../shared/data/mitdb --folds 22 --seeds 0 1 2
    python benchmarks/bench_synthetic_aug.py --data-dir ../shared/data/mitdb --save-pooled runs/pooled.npz
    python benchmarks/bench_synthetic_aug.py --pooled runs/pooled.npz --workers 14 trainer.deterministic=false
    python benchmarks/bench_synthetic_aug.py --generator configs/gen/wgan.yaml --out runs/gen-wgan trainer.threads=2
"""

from __future__ import annotations

import argparse
import json
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from multiprocessing import get_context
from pathlib import Path

import numpy as np

ARMS = {
    "synthetic": ["augment.synthetic={config: configs/gen/cvae.yaml, per_class: {S: 2000, F: 1000}}"],
    "none": [],
    "oversample": ["data.balance=oversample", "data.sampler=none"],
    "signal": ["augment.prob=0.5"],
}
PROTOCOL = "configs/ecg/inter-patient.yaml"
_CACHE: dict = {}


def save_pooled(data_dir: str, path: Path, overrides: list[str] = ()) -> None:
    """Every DS1 beat of the protocol (unbalanced) with its record id, as one ``.npz``: lets a
    machine without the WFDB records (or wfdb) run the benchmark."""
    from seqlab import atomic
    from seqlab import config as configlib
    from seqlab.experiments.reproduce import pooled_records

    data = pooled_records(configlib.load(PROTOCOL, [f"data.source={data_dir}", *overrides]))
    s = data.train
    atomic.save_npz(path, x=s.x["x"], rr=s.x["rr"], y=s.y, groups=s.groups.astype(str),
                    classes=np.asarray(data.classes), meta=np.asarray(json.dumps(
                        {"model_kwargs": data.model_kwargs, "summary": data.summary}, default=str)))
    print(f"{len(s):,} beats of {len(np.unique(s.groups))} records: {path}")


def pooled(args):
    """The pooled DS1 ``PreparedData`` (from ``--pooled`` or the records), cached per process."""
    if "data" in _CACHE:
        return _CACHE["data"]
    from seqlab import config as configlib
    from seqlab.data.base import PreparedData, Split
    from seqlab.experiments.reproduce import pooled_records

    if args.pooled:
        with np.load(args.pooled, allow_pickle=False) as z:
            meta = json.loads(str(z["meta"]))
            split = Split({"x": z["x"], "rr": z["rr"]}, z["y"], z["groups"])
            empty = split.take(np.zeros(0, dtype=np.int64))
            data = PreparedData(classes=[str(c) for c in z["classes"]], train=split, val=empty, test=empty,
                                model_kwargs=meta["model_kwargs"], summary=meta["summary"])
    else:
        data = pooled_records(configlib.load(PROTOCOL, [f"data.source={args.data_dir}"]))
    _CACHE["data"] = data
    return data


def run_dir(args, k: int, arm: str, seed: int, fold: int) -> Path:
    return Path(args.out) / f"folds{k}" / arm / f"seed{seed}" / f"fold_{fold:02d}"


def run_job(args, k: int, arm: str, seed: int, fold: int) -> dict:
    """Train and evaluate one (k folds, arm, seed, fold); a finished one is skipped."""
    from seqlab import config as configlib
    from seqlab.experiments.cv import fold_data, fold_indices
    from seqlab.training import run

    out, job = run_dir(args, k, arm, seed, fold), {"folds": k, "arm": arm, "seed": seed, "fold": fold}
    if (out / "metrics.json").is_file():
        return {**job, "seconds": None}
    if args.deadline_at and time.time() > args.deadline_at:
        return {**job, "seconds": None, "skipped": "deadline"}
    t0 = time.perf_counter()
    if args.lean:  # skip what does not change the metrics: the "inside" figures and the ONNX export
        from seqlab.inference import evaluate, export

        evaluate.write_inside_figures = export.export_after_training = lambda *a, **k: None
    data = pooled(args)
    if k not in _CACHE:
        _CACHE[k] = fold_indices(data.train, k, grouped=True, seed=0)
    tr, te = _CACHE[k][fold]
    cfg = configlib.load(PROTOCOL, ["trainer.threads=1", "trainer.progress_bar=false", f"seed={seed}",
                                    *args.overrides, *ARMS[arm]])
    if cfg.augment.synthetic is not None:  # the per-fold generator gets the same trainer settings
        cfg.augment.synthetic.overrides = [*cfg.augment.synthetic.overrides, "trainer.threads=1", *args.gen_overrides]
    cfg.eval.split = "test"
    fd = fold_data(data, data.train, tr, te, grouped=True, inner_folds=max(3, k - 1), seed=seed + fold,
                   balance=cfg.data.balance)
    run.train(cfg, out, data=fd, report=False)
    return {**job, "seconds": round(time.perf_counter() - t0, 1)}


def fit_generator(args) -> None:
    """Train ``--generator CONFIG`` on the pooled DS1 beats of 4 of 5 record folds (inner
    validation records carved from them; fold 0 unused), the checks and figures included."""
    from seqlab import config as configlib
    from seqlab.experiments.cv import fold_data, fold_indices
    from seqlab.training import run

    data = pooled(args)
    tr, te = fold_indices(data.train, 5, grouped=True, seed=0)[0]
    fd = fold_data(data, data.train, tr, te, grouped=True, inner_folds=4, seed=0)
    cfg = configlib.load(args.generator, args.overrides)
    t0 = time.perf_counter()
    run.train(cfg, Path(args.out), data=fd)
    print(f"{args.generator}: {time.perf_counter() - t0:.0f} s (training + checks) on records "
          f"{' '.join(sorted(set(fd.train.groups)))}; {Path(args.out) / 'report.html'}")


def run_all(args) -> list[dict]:
    """Every job in order (protocol, seed, fold, arm); after the deadline none starts."""
    jobs = [(k, arm, s, f) for k in args.folds for s in args.seeds for f in (args.only_folds or range(k))
            for arm in args.arms]
    args.deadline_at = time.time() + args.deadline if args.deadline else 0
    done = []
    if args.workers <= 1:
        for job in jobs:
            done.append(run_job(args, *job))
            print(json.dumps(done[-1]), flush=True)
        return done
    with ProcessPoolExecutor(args.workers, mp_context=get_context("spawn")) as pool:
        for fut in as_completed([pool.submit(run_job, args, *job) for job in jobs]):
            done.append(fut.result())
            if not done[-1].get("skipped"):
                print(json.dumps(done[-1]), flush=True)
    return done


def arm_seed_metrics(args, classes: list[str], k: int, arm: str, seed: int) -> dict | None:
    """Metrics pooled over every held-out fold of (arm, seed); None unless all folds finished."""
    from seqlab.evaluation.metrics import compute

    runs = [run_dir(args, k, arm, seed, f) for f in range(k)]
    if not all((r / "metrics.json").is_file() for r in runs):
        return None
    ys, ps = [], []
    for r in runs:
        with np.load(r / "predictions_test.npz") as z:
            ys.append(z["y_true"])
            ps.append(z["probs"])
    return compute(np.concatenate(ys), np.concatenate(ps), classes)


def generator_checks(args, k: int, seeds: list[int]) -> dict:
    """Per class: the per-fold generators' two-sample AUROC (mean ± sd over folds and seeds),
    their median nearest-neighbour ratio, and the exact copies summed."""
    out: dict = {}
    for s in seeds:
        for f in range(k):
            path = run_dir(args, k, "synthetic", s, f) / "generator" / "metrics.json"
            if not path.is_file():
                continue
            for c, p in json.loads(path.read_text())["per_class"].items():
                row = out.setdefault(c, {"auroc": [], "ratio": [], "exact_copies": 0, "generators": 0})
                row["generators"] += 1
                row["exact_copies"] += p["copies"]["exact_copies"]
                if p["two_sample"]["auroc"] is not None:
                    row["auroc"].append(p["two_sample"]["auroc"])
                if p["copies"]["ratio_median"] is not None:
                    row["ratio"].append(p["copies"]["ratio_median"])
    return out


def ms(values: list[float], scale: float = 100.0, digits: int = 1) -> str:
    """mean ± sd (sample sd) of the values that exist, times ``scale``."""
    v = np.asarray([x for x in values if x is not None], float) * scale
    if v.size == 0:
        return "—"
    return f"{v.mean():.{digits}f} ± {v.std(ddof=1):.{digits}f}" if v.size > 1 else f"{v.mean():.{digits}f}"


def summarise(args, k: int) -> dict:
    classes = pooled(args).classes
    table = {arm: {s: arm_seed_metrics(args, classes, k, arm, s) for s in args.seeds} for arm in args.arms}
    seeds = [s for s in args.seeds if all(table[a][s] is not None for a in args.arms)]
    print(f"\nDS1 record-wise CV, {k} folds, seeds {seeds} (complete in every arm), pooled over the "
          "held-out records; mean ± sd over seeds")
    print("| arm | macro-F1 | S Se | S PPV | F Se | F PPV | V Se | V PPV |\n|---|---|---|---|---|---|---|---|")
    rows = {}
    for arm in args.arms:
        runs = [table[arm][s] for s in seeds]
        rows[arm] = {"macro_f1": [m["macro_f1"] for m in runs],
                     **{f"{c} {k}": [m["per_class"][c][k] for m in runs] for c in ("S", "F", "V")
                        for k in ("sensitivity", "ppv")}}
        print(f"| {arm} | {ms(rows[arm]['macro_f1'], 1.0, 3)} | "
              + " | ".join(ms(rows[arm][f"{c} {k}"]) for c in ("S", "F", "V") for k in ("sensitivity", "ppv")) + " |")
    gen = generator_checks(args, k, seeds)
    if gen:
        print("\nper-fold generators (cVAE): two-sample AUROC mean ± sd over folds x seeds; NN ratio = median "
              "generated→train / train→train distance")
        for c, r in gen.items():
            print(f"  {c}: AUROC {ms(r['auroc'], 1.0, 3)} ({len(r['auroc'])} generators with >= 50 training beats), "
                  f"NN ratio {ms(r['ratio'], 1.0, 2)}, exact copies {r['exact_copies']} of {r['generators']} generators")
    return {"folds": k, "seeds": seeds, "arms": rows, "generators": gen}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data-dir", default="../shared/data/mitdb")
    p.add_argument("--pooled", help="a .npz written by --save-pooled (no WFDB records needed)")
    p.add_argument("--save-pooled", help="write the pooled DS1 beats to this .npz and stop")
    p.add_argument("--folds", type=int, nargs="+", default=[22],
                   help="record folds over DS1 (22 = leave-one-record-out); several: run in this order")
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    p.add_argument("--arms", nargs="+", default=list(ARMS), choices=list(ARMS))
    p.add_argument("--only-folds", type=int, nargs="+", help="run these fold indices only, in this order (a second "
                   "process sharing --out; the table needs every fold)")
    p.add_argument("--workers", type=int, default=1, help="parallel fits (processes, one thread each)")
    p.add_argument("--deadline", type=float, default=0, help="seconds after which no new fit starts (0: none)")
    p.add_argument("--out", default="runs/bench_synthetic_aug")
    p.add_argument("--full", dest="lean", action="store_false",
                   help="also draw each fold's 'inside' figures and export ONNX (off: they do not change the metrics)")
    p.add_argument("--generator", metavar="CONFIG", help="only train this generator config on 4 of 5 record folds")
    p.add_argument("--gen", dest="gen_overrides", nargs="*", default=[], metavar="KEY=VALUE",
                   help="overrides of the per-fold generator config (configs/gen/cvae.yaml)")
    p.add_argument("overrides", nargs="*", help="config overrides for every arm, e.g. trainer.max_epochs=2")
    args = p.parse_args()
    if args.save_pooled:
        return save_pooled(args.data_dir, Path(args.save_pooled), args.overrides)
    if args.generator:
        return fit_generator(args)
    t0 = time.perf_counter()
    done = run_all(args)
    summary = {"protocols": [summarise(args, k) for k in args.folds], "jobs": done,
               "wall_s": round(time.perf_counter() - t0, 1)}
    Path(args.out).mkdir(parents=True, exist_ok=True)
    (Path(args.out) / "summary.json").write_text(json.dumps(summary, indent=1))
    fits = sum(1 for d in done if d.get("seconds"))
    print(f"\n{fits} fits in {summary['wall_s']:.0f} s; {Path(args.out) / 'summary.json'}")


if __name__ == "__main__":
    main()
