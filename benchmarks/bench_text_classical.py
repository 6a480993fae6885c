"""Fit classical text baselines on the full NSMC / IMDB splits and print test accuracy.

The same registered datasets and model factories as ``seqlab train``; this script only skips
the run directory so many variants can be compared in one go.

    python benchmarks/bench_text_classical.py nsmc count_nb tfidf_nb tfidf_union_lr
    python benchmarks/bench_text_classical.py imdb nblr soft_vote
    python benchmarks/bench_text_classical.py nsmc tfidf_lr --kwargs '{"analyzer": "char_wb", "ngram_range": [1, 5]}'

Kiwi models analyse through a fresh morpheme cache (a temporary file) unless ``--kiwi-cache``
names one, so fit and predict times are those of a first run (the cache of earlier runs, see
``seqlab.data.text.korean.MorphCache``, would make a repeated benchmark look faster).
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

import numpy as np

import seqlab.data.text  # noqa: F401  (registers the datasets)
import seqlab.models.sklearn_factories  # noqa: F401  (registers the models)
from seqlab.data.registry import DATASETS
from seqlab.data.text.analysers import TEXT_ANALYSERS
from seqlab.models.registry import MODELS

# the settings of the configs in configs/text/ (the best ones found by this script)
PRESETS = {
    "nsmc": {
        "count_nb": {"analyzer": "word", "ngram_range": [1, 2]},
        "tfidf_nb": {"analyzer": "word", "ngram_range": [1, 2]},
        "tfidf_lr": {"analyzer": "char_wb", "ngram_range": [1, 5], "min_df": 2, "C": 4.0},
        "nblr": {"analyzer": "char_wb", "ngram_range": [1, 5], "min_df": 2, "C": 1.0},
        "tfidf_union_lr": {"branches": [
            {"analyzer": "char_wb", "ngram_range": [1, 5], "min_df": 2},
            {"analyzer": "kiwi", "kiwi_mode": "morphs", "ngram_range": [1, 2], "min_df": 2}]},
    },
    "imdb": {
        "count_nb": {"analyzer": "word", "ngram_range": [1, 2]},
        "tfidf_nb": {"analyzer": "word", "ngram_range": [1, 2]},
        "tfidf_lr": {"analyzer": "word", "ngram_range": [1, 2], "C": 8.0},
        "nblr": {"analyzer": "word", "ngram_range": [1, 3], "C": 1.0},
        "tfidf_union_lr": {},
        # members chosen by out-of-fold accuracy on the training split (bench_text_vote_cv.py)
        "soft_vote": {"members": [
            {"model": "nblr", "analyzer": "word", "ngram_range": [1, 3], "C": 1.0},
            {"model": "nblr", "analyzer": "word", "ngram_range": [1, 2], "C": 1.0},
            {"model": "tfidf_lr", "analyzer": "word", "ngram_range": [1, 3], "min_df": 2, "C": 16.0},
            {"model": "nblr", "analyzer": "char_wb", "ngram_range": [2, 5], "min_df": 3, "C": 1.0}]},
    },
}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("dataset", choices=["nsmc", "imdb"])
    ap.add_argument("models", nargs="+")
    ap.add_argument("--kwargs", default="{}", help="JSON merged into every model's settings")
    ap.add_argument("--max-train", type=int, default=None)
    ap.add_argument("--kiwi-cache", help="Kiwi morpheme cache file (default: a fresh temporary one)")
    args = ap.parse_args()
    os.environ["SEQLAB_KIWI_CACHE"] = args.kiwi_cache or str(Path(tempfile.mkdtemp()) / "kiwi.sqlite")

    entry = DATASETS.get(args.dataset)
    cfg = entry.meta["config"](name=args.dataset, representation="raw", max_train=args.max_train)
    t0 = time.perf_counter()
    data = entry.fn(cfg, seed=0)
    print(f"# {args.dataset}: train {len(data.train)} val {len(data.val)} test {len(data.test)} "
          f"(load {time.perf_counter() - t0:.1f} s)", flush=True)
    # the benchmark figure trains on train+val (the full official training split)
    x_fit = np.concatenate([data.train.x, data.val.x])
    y_fit = np.concatenate([data.train.y, data.val.y])
    for name in args.models:
        kwargs = {**PRESETS[args.dataset].get(name, {}), **json.loads(args.kwargs)}
        model = MODELS.get(name).fn(**kwargs, analysers=TEXT_ANALYSERS)
        t0 = time.perf_counter()
        model.fit(x_fit, y_fit)
        fit_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        proba = model.predict_proba(data.test.x)
        pred_s = time.perf_counter() - t0
        acc = float((proba.argmax(1) == data.test.y).mean())
        print(json.dumps({"dataset": args.dataset, "model": name, "kwargs": kwargs,
                          "test_accuracy": round(acc, 5),
                          "test_correct": int((proba.argmax(1) == data.test.y).sum()),
                          "fit_s": round(fit_s, 1),
                          "predict_per_s": round(len(data.test) / pred_s)}), flush=True)


if __name__ == "__main__":
    main()
