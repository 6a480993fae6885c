"""Inference throughput (reviews/s) of a finished text run on the NSMC (or IMDB) test split,
through the path ``seqlab predict RUN FILE`` takes: the run's cleaning, its tokenizer or
scikit-learn pipeline, chunks of 20,000, probabilities. Target (issue 19): the best classical
NSMC model >= 2,000 reviews/s on 2 cores.

Kiwi runs are measured twice in one process: ``cold`` (a fresh morpheme cache: Kiwi analyses
every review) then ``warm`` (every review analysed before, e.g. a re-evaluation or a file
predicted again). ``--profile`` then times each stage of a scikit-learn pipeline (warm cache).

    python benchmarks/bench_text_inference.py --run runs/nsmc_tfidf_union_lr --profile
    python benchmarks/bench_text_inference.py --run runs/nsmc_bilstm --n 5000
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import tempfile
import time
from pathlib import Path

import numpy as np

from seqlab.inference.text_predict import CHUNK, TextPredictor


def cpu_s() -> float:
    use = resource.getrusage(resource.RUSAGE_SELF)
    return use.ru_utime + use.ru_stime


def test_texts(predictor: TextPredictor, n: int | None) -> tuple[list[str], np.ndarray]:
    """The raw test reviews of the run's dataset and their labels (0/1)."""
    data = predictor.cfg.data
    if data.name == "nsmc":
        from seqlab.data.text.nsmc import read_ratings
        from seqlab.paths import data_root

        root = Path(data.root) if data.root else data_root() / "nsmc"
        texts, y, _ = read_ratings(root / "ratings_test.txt")
    else:
        from seqlab.data.text.imdb import default_imdb_source, read_imdb

        texts, y = read_imdb(data.source or default_imdb_source()).part("test")
    return list(texts[:n]), np.asarray(y[:n])


def one_pass(predictor: TextPredictor, texts: list[str]) -> tuple[float, float, np.ndarray, np.ndarray]:
    w0, c0 = time.perf_counter(), cpu_s()
    parts = [predictor.predict_proba(texts[i:i + CHUNK]) for i in range(0, len(texts), CHUNK)]
    wall, cpu = time.perf_counter() - w0, cpu_s() - c0
    return wall, cpu, np.concatenate([p for p, _ in parts]), np.concatenate([k for _, k in parts])


def stage_times(estimator, x) -> dict[str, float]:
    """Seconds per leaf transformer / classifier of a Pipeline or FeatureUnion (one pass each)."""
    from sklearn.pipeline import FeatureUnion, Pipeline

    out: dict[str, float] = {}

    def walk(est, x, name):
        if isinstance(est, Pipeline):
            for step, sub in est.steps:
                x = walk(sub, x, f"{name}/{step}")
            return x
        if isinstance(est, FeatureUnion):
            from scipy import sparse

            return sparse.hstack([walk(sub, x, f"{name}/{step}") for step, sub in est.transformer_list]).tocsr()
        t0 = time.perf_counter()
        y = est.predict_proba(x) if hasattr(est, "predict_proba") else est.transform(x)
        out[name.lstrip("/")] = round(time.perf_counter() - t0, 2)
        return y

    walk(estimator, x, "")
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--run", required=True, help="a run directory made by `seqlab train`")
    ap.add_argument("--n", type=int, default=None, help="test reviews to classify (default: all)")
    ap.add_argument("--engine", default="auto", help="network runs: auto, onnx or torch")
    ap.add_argument("--threads", type=int, default=None, help="engine threads (default: its own)")
    ap.add_argument("--profile", action="store_true", help="time each pipeline stage (scikit-learn runs)")
    args = ap.parse_args()

    cache = Path(tempfile.mkdtemp(prefix="seqlab-bench-")) / "kiwi.sqlite"
    os.environ["SEQLAB_KIWI_CACHE"] = str(cache)  # a fresh cache: the first pass is cold
    t0 = time.perf_counter()
    predictor = TextPredictor(args.run, engine=args.engine, threads=args.threads)
    load_s = time.perf_counter() - t0
    texts, y = test_texts(predictor, args.n)
    result = {"run": args.run, "engine": predictor.engine, "reviews": len(texts), "load_s": round(load_s, 2)}
    passes = ("cold", "warm") if "kiwi" in json.dumps(predictor.cfg.model.params) else ("pass1", "pass2")
    for name in passes:
        wall, cpu, probs, kept = one_pass(predictor, texts)
        acc = float((probs[kept].argmax(1) == y[kept]).mean())
        result[name] = {"s": round(wall, 2), "cpu_s": round(cpu, 2), "reviews_per_s": round(len(texts) / wall),
                        "reviews_per_cpu_s": round(len(texts) / cpu), "accuracy": round(acc, 4)}
    if args.profile and predictor.engine == "scikit-learn":
        from seqlab.data.text.prepare import texts_to_inputs

        t0 = time.perf_counter()
        x, _ = texts_to_inputs(predictor.cfg.data, texts)
        result["profile_warm_s"] = {"cleaning": round(time.perf_counter() - t0, 2), **stage_times(predictor.model, x)}
    result.update(cpus=os.cpu_count(), load_avg_1m=round(os.getloadavg()[0], 1))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
