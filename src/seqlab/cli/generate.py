"""``seqlab generate RUN --class S --n 5000 --out beats.npz``: beats of one class from a
trained generator run (``configs/gen/*.yaml``), written as ``.npz`` in the classifier's input
layout: ``x (n, C, T)``, ``rr (n, F)``, ``y`` (class index), ``classes``, ``class_name``."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("generate", help="beats of a class from a trained generator run (cVAE / WGAN-GP) -> .npz")
    p.add_argument("run_dir", metavar="RUN", help="a generator run (seqlab train configs/gen/cvae.yaml)")
    p.add_argument("--class", dest="cls", required=True, metavar="C", help="class to generate, e.g. S")
    p.add_argument("--n", type=int, default=1000, help="how many beats (default 1000)")
    p.add_argument("--out", required=True, help="output .npz path")
    p.add_argument("--seed", type=int, default=0, help="seeds the latent codes and the RR draws (default 0)")
    p.add_argument("--checkpoint", choices=["best", "last"], help="default: the run's eval.checkpoint")
    p.set_defaults(func=cmd_generate)


def cmd_generate(args) -> int:
    import time

    from seqlab.inference.generate import generate, write_beats

    t0 = time.perf_counter()
    arrays = generate(args.run_dir, args.cls, args.n, seed=args.seed, which=args.checkpoint)
    out = write_beats(args.out, arrays)
    x, rr = arrays["x"], arrays["rr"]
    print(f"{len(x):,} {args.cls} beats of shape {tuple(x.shape[1:])} with {rr.shape[1]} RR features "
          f"in {time.perf_counter() - t0:.2f} s: {out}")
    return 0
