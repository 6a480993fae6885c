"""Inference throughput (reviews/s) on the NSMC test split, for a finished run directory
(scikit-learn ``model.pkl`` or a Lightning checkpoint) or a classical model fitted here.
The issue's target: ≥ 1,000 reviews/s for the best model on 2 cores.

    python benchmarks/bench_text_inference.py --run runs/nsmc_tfidf_lr_char
    python benchmarks/bench_text_inference.py --run runs/nsmc_bert_finetune --batch-size 256
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import time
from pathlib import Path

import numpy as np
import torch

import seqlab.data.text  # noqa: F401
import seqlab.models.sklearn_factories  # noqa: F401
from seqlab.data.text.nsmc import NsmcConfig, nsmc


def _time(fn, n: int, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return n / best


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--run", required=True, help="a run directory made by `seqlab train`")
    ap.add_argument("--n", type=int, default=10_000, help="test reviews to classify")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--batch-size", type=int, default=512)
    args = ap.parse_args()
    raw = nsmc(NsmcConfig(), seed=0)
    texts = raw.test.x[: args.n]
    run = Path(args.run)
    pkl = run / "checkpoints" / "model.pkl"
    if pkl.is_file():
        with open(pkl, "rb") as fh:
            model = pickle.load(fh)
        rate = _time(lambda: model.predict_proba(texts), len(texts), args.repeat)
        kind = "sklearn"
    else:
        rate, kind = _torch_rate(run, texts, args)
    print(json.dumps({"run": args.run, "kind": kind, "reviews": len(texts), "threads": torch.get_num_threads(),
                      "cpus": os.cpu_count(), "reviews_per_s": round(rate)}))


def _torch_rate(run: Path, texts: np.ndarray, args) -> tuple[float, str]:
    """Tokenise + forward in batches (the whole path from text to probabilities)."""
    from seqlab.data.text.subword import subword_encode, subword_load
    from seqlab.inference.loading import load_checkpoint
    from seqlab.inference.loading import build_model

    tok = subword_load(run / "artifacts" / "tokenizer.json")
    ckpt = load_checkpoint(run / "checkpoints" / "best.ckpt")
    hp = ckpt["hyper_parameters"]
    model = build_model(hp["model_name"], hp["model_kwargs"])
    model.load_state_dict({k.removeprefix("model."): v for k, v in ckpt["state_dict"].items()
                           if k.startswith("model.")})
    model.eval()
    max_length = hp["model_kwargs"]["max_length"]

    # batches of similar length: the models drop all-padding columns, so short reviews run
    # short batches (order restored by the caller in real use; irrelevant to throughput)
    by_length = texts[np.argsort([len(t) for t in texts], kind="stable")]

    def predict():
        with torch.inference_mode():
            for i in range(0, len(by_length), args.batch_size):
                x = subword_encode(tok, by_length[i:i + args.batch_size].tolist(), max_length=max_length)
                model(**{k: torch.from_numpy(v) for k, v in x.items()}).softmax(-1)

    return _time(predict, len(texts), args.repeat), hp["model_name"]


if __name__ == "__main__":
    main()
