"""Tokenising speed of the trained subword tokenizer: 200,000 NSMC reviews with
``encode_batch`` (Rust, all cores), plus training time. The issue's target: < 10 s on 2 cores.

    python benchmarks/bench_text_tokenize.py [--tokenizer runs/nsmc_pretrain/tokenizer.json]
"""

from __future__ import annotations

import argparse
import json
import os
import time

import seqlab.data.text  # noqa: F401
from seqlab.data.text.nsmc import NsmcConfig, nsmc, read_ratings
from seqlab.data.text.subword import subword_encode, subword_load, subword_train
from seqlab.paths import data_root


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tokenizer", help="a tokenizer.json (default: train one on the training split)")
    ap.add_argument("--max-length", type=int, default=64)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()

    nsmc(NsmcConfig(), seed=0)  # builds data_root()/nsmc from the shared raw file if missing
    texts = read_ratings(data_root() / "nsmc" / "ratings_train.txt")[0]
    texts += read_ratings(data_root() / "nsmc" / "ratings_test.txt")[0]
    texts = texts[:200_000]
    t0 = time.perf_counter()
    tok = subword_load(args.tokenizer) if args.tokenizer else subword_train(texts[:150_000], vocab_size=16000)
    train_s = time.perf_counter() - t0
    times = []
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        x = subword_encode(tok, texts, max_length=args.max_length)
        times.append(time.perf_counter() - t0)
    print(json.dumps({"reviews": len(texts), "vocab": tok.get_vocab_size(), "shape": list(x["input_ids"].shape),
                      "train_s": round(train_s, 2), "encode_s_best": round(min(times), 2),
                      "encode_s_all": [round(t, 2) for t in times], "cpus": os.cpu_count(),
                      "reviews_per_s": round(len(texts) / min(times))}))


if __name__ == "__main__":
    main()
