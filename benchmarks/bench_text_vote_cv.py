"""Choose the members of a soft vote by cross-validation on the training split, never the test.

Each candidate member is fitted 5 times (stratified folds of the full training split) and its
out-of-fold probabilities kept; every combination is then scored by the out-of-fold accuracy
of its averaged probabilities, which costs nothing more. The best combination is what
``configs/text/imdb_vote.yaml`` uses; ``bench_text_classical.py imdb soft_vote`` gives its test
figure.

    python benchmarks/bench_text_vote_cv.py imdb              # all candidates (~20 min, 1 core)
    python benchmarks/bench_text_vote_cv.py imdb --members nblr13 charlr --top 3
"""

from __future__ import annotations

import argparse
import itertools
import time

import numpy as np
from sklearn.model_selection import StratifiedKFold

import seqlab.data.text  # noqa: F401  (registers the datasets)
import seqlab.models.sklearn_factories  # noqa: F401  (registers the models)
from seqlab.data.registry import DATASETS
from seqlab.models.registry import MODELS

CANDIDATES = {
    "imdb": {
        "nblr13": {"model": "nblr", "analyzer": "word", "ngram_range": [1, 3], "C": 1.0},
        "nblr12": {"model": "nblr", "analyzer": "word", "ngram_range": [1, 2], "C": 1.0},
        "wordlr13": {"model": "tfidf_lr", "analyzer": "word", "ngram_range": [1, 3], "min_df": 2, "C": 16.0},
        "charlr": {"model": "tfidf_lr", "analyzer": "char_wb", "ngram_range": [2, 5], "min_df": 3, "C": 8.0},
        "nblrchar": {"model": "nblr", "analyzer": "char_wb", "ngram_range": [2, 5], "min_df": 3, "C": 1.0},
    },
}


def out_of_fold(spec: dict, x: np.ndarray, y: np.ndarray, folds: int, seed: int) -> np.ndarray:
    """P(positive) for every training row from a model that did not see it."""
    spec = dict(spec)
    factory = MODELS.get(spec.pop("model")).fn
    oof = np.zeros(len(y))
    for fit_rows, held_rows in StratifiedKFold(folds, shuffle=True, random_state=seed).split(x, y):
        model = factory(**spec)
        model.fit(x[fit_rows], y[fit_rows])
        oof[held_rows] = model.predict_proba(x[held_rows])[:, 1]
    return oof


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("dataset", choices=sorted(CANDIDATES))
    ap.add_argument("--members", nargs="+", help="candidate names (default: all)")
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--top", type=int, default=10, help="combinations to print")
    args = ap.parse_args()

    candidates = CANDIDATES[args.dataset]
    names = args.members or list(candidates)
    entry = DATASETS.get(args.dataset)
    data = entry.fn(entry.meta["config"](name=args.dataset, representation="raw"), seed=0)
    x = np.concatenate([data.train.x, data.val.x])  # the full official training split
    y = np.concatenate([data.train.y, data.val.y])
    oof = {}
    for name in names:
        t0 = time.perf_counter()
        oof[name] = out_of_fold(candidates[name], x, y, args.folds, seed=0)
        print(f"{name:10s} out-of-fold accuracy {((oof[name] > 0.5) == y).mean():.4f} "
              f"({time.perf_counter() - t0:.0f} s)", flush=True)
    scores = []
    for r in range(2, len(names) + 1):
        for combo in itertools.combinations(names, r):
            scores.append((float(((np.mean([oof[k] for k in combo], axis=0) > 0.5) == y).mean()), combo))
    print(f"# soft votes by out-of-fold accuracy ({len(scores)} combinations, {len(y):,} reviews)")
    for acc, combo in sorted(scores, reverse=True)[: args.top]:
        print(f"{acc:.4f}  {' + '.join(combo)}")


if __name__ == "__main__":
    main()
