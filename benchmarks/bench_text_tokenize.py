"""Tokenising speed: 200,000 NSMC reviews through ``subword_encode`` (the path every token run
and ``seqlab predict`` takes), interleaved with the anchor, the same tokenizer padding and
truncating by itself (``enable_padding`` + ``encode_batch``, what a user would write).
The issue's target: <= 10 s on 2 cores. Prints wall and CPU seconds (a shared machine's wall
clock says more about its other jobs than about the code) and the ratio to the anchor.

    python benchmarks/bench_text_tokenize.py [--tokenizer runs/nsmc_pretrain/tokenizer.json]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import time

from seqlab.data.text.nsmc import NsmcConfig, nsmc, read_ratings
from seqlab.data.text.subword import PAD_ID, subword_encode, subword_load, subword_train
from seqlab.paths import data_root


def cpu_s() -> float:
    """CPU seconds of this process, all threads (the tokenizer's Rust threads included)."""
    use = resource.getrusage(resource.RUSAGE_SELF)
    return use.ru_utime + use.ru_stime


def anchor_encode(tok, texts: list[str], max_length: int):
    tok.enable_truncation(max_length=max_length)
    tok.enable_padding(pad_id=PAD_ID, pad_token="[PAD]", length=max_length)
    return [e.ids for e in tok.encode_batch(texts)]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tokenizer", help="a tokenizer.json (default: train one on the training split)")
    ap.add_argument("--max-length", type=int, default=64)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()

    if not (data_root() / "nsmc" / "ratings_test.txt").is_file():
        nsmc(NsmcConfig(), seed=0)  # builds data_root()/nsmc from the shared raw file
    texts = read_ratings(data_root() / "nsmc" / "ratings_train.txt")[0]
    texts += read_ratings(data_root() / "nsmc" / "ratings_test.txt")[0]
    texts = texts[:200_000]
    t0 = time.perf_counter()
    tok = subword_load(args.tokenizer) if args.tokenizer else subword_train(texts[:150_000], vocab_size=16000)
    train_s = time.perf_counter() - t0
    runs = {"seqlab": [], "anchor": []}
    for _ in range(args.repeat):  # interleaved, so both see the same machine
        for name in runs:
            w0, c0 = time.perf_counter(), cpu_s()
            out = subword_encode(tok, texts, max_length=args.max_length) if name == "seqlab" else \
                anchor_encode(tok, texts, args.max_length)
            runs[name].append((time.perf_counter() - w0, cpu_s() - c0))
            if name == "seqlab":
                ids = out["input_ids"]
            elif ids.tolist() != out:
                raise SystemExit("subword_encode and the tokenizer's own padding disagree")
    best = {name: min(r) for name, r in runs.items()}  # by wall clock
    print(json.dumps({
        "reviews": len(texts), "vocab": tok.get_vocab_size(), "shape": list(ids.shape),
        "train_s": round(train_s, 2), "encode_s_best": round(best["seqlab"][0], 2),
        "encode_cpu_s": round(best["seqlab"][1], 2), "reviews_per_s": round(len(texts) / best["seqlab"][0]),
        "anchor_s_best": round(best["anchor"][0], 2), "anchor_cpu_s": round(best["anchor"][1], 2),
        "ratio_to_anchor": round(best["seqlab"][0] / best["anchor"][0], 3),
        "encode_s_all": [round(w, 2) for w, _ in runs["seqlab"]], "cpus": os.cpu_count(),
        "load_avg_1m": round(os.getloadavg()[0], 1)}))


if __name__ == "__main__":
    main()
