"""Inference throughput (reviews/s) of a finished text run on the NSMC (or IMDB) test split,
through the path ``seqlab predict RUN FILE`` takes: the run's cleaning, its tokenizer or
scikit-learn pipeline, chunks of 20,000, probabilities. Target (issue 19): the best classical
NSMC model >= 2,000 reviews/s on 2 cores.

Kiwi runs start with a fresh morpheme cache (``--kiwi-cache FILE`` reads and fills that one
instead), so the first pass is ``cold`` (Kiwi analyses every review) and the next ones ``warm``
(every review analysed before, e.g. a re-evaluation or a file predicted again). ``--repeat``
warm passes; the best is reported, with the CPU seconds (a shared machine's wall clock says
more about its other jobs than about the code) and the load average.

``--reference`` (scikit-learn runs): each warm pass is interleaved with the same model whose
vectorisers are scikit-learn's own classes (same fitted vocabulary and idf, scikit-learn's
counting loop); the probabilities must be identical, and the ratio of the two times is printed.
``--profile`` times each stage of the pipeline (warm cache).

    python benchmarks/bench_text_inference.py --run runs/nsmc_tfidf_union_lr --reference --profile
    python benchmarks/bench_text_inference.py --run runs/nsmc_bilstm --n 5000
"""

from __future__ import annotations

import argparse
import copy
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


def load_avg() -> list[float]:
    return [round(v, 1) for v in os.getloadavg()]


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


def sklearn_reference(predictor: TextPredictor) -> TextPredictor:
    """The same predictor with every seqlab vectoriser re-typed as its scikit-learn parent."""
    from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer

    from seqlab.models.sklearn_vectorisers import (
        FastCountVectorizer,
        FastTfidfVectorizer,
    )

    ref = copy.copy(predictor)
    ref.model = copy.deepcopy(predictor.model)
    parents = {FastTfidfVectorizer: TfidfVectorizer, FastCountVectorizer: CountVectorizer}

    def walk(est):
        if type(est) in parents:
            est.__class__ = parents[type(est)]
        subs = [s for _, s in getattr(est, "steps", []) + getattr(est, "transformer_list", [])]
        for sub in subs + list(getattr(est, "estimators_", [])):  # a soft vote's fitted members
            walk(sub)

    walk(ref.model)
    return ref


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


def summary(runs: list[tuple[float, float]], n: int, acc: float) -> dict:
    wall, cpu = min(runs)  # best by wall clock
    return {"s": round(wall, 2), "cpu_s": round(cpu, 2), "reviews_per_s": round(n / wall),
            "reviews_per_cpu_s": round(n / cpu), "accuracy": round(acc, 5),
            "s_all": [round(w, 2) for w, _ in runs]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--run", required=True, help="a run directory made by `seqlab train`")
    ap.add_argument("--n", type=int, default=None, help="test reviews to classify (default: all)")
    ap.add_argument("--engine", default="auto", help="network runs: auto, onnx or torch")
    ap.add_argument("--threads", type=int, default=None, help="engine threads (default: its own)")
    ap.add_argument("--repeat", type=int, default=2, help="warm passes (best reported)")
    ap.add_argument("--kiwi-cache", help="Kiwi morpheme cache file (default: a fresh temporary one)")
    ap.add_argument("--reference", action="store_true", help="interleave scikit-learn's own vectorisers")
    ap.add_argument("--profile", action="store_true", help="time each pipeline stage (scikit-learn runs)")
    args = ap.parse_args()

    cache = args.kiwi_cache or str(Path(tempfile.mkdtemp(prefix="seqlab-bench-")) / "kiwi.sqlite")
    os.environ["SEQLAB_KIWI_CACHE"] = cache
    result: dict = {"run": args.run, "load_avg_start": load_avg()}
    w0, c0 = time.perf_counter(), cpu_s()
    predictor = TextPredictor(args.run, engine=args.engine, threads=args.threads)
    result.update(engine=predictor.engine, load_s=round(time.perf_counter() - w0, 2), load_cpu_s=round(cpu_s() - c0, 2))
    texts, y = test_texts(predictor, args.n)
    result["reviews"] = len(texts)
    kiwi = "kiwi" in json.dumps(predictor.cfg.model.params)
    wall, cpu, probs, kept = one_pass(predictor, texts)
    acc = float((probs[kept].argmax(1) == y[kept]).mean())
    result["cold" if kiwi and not args.kiwi_cache else "first"] = summary([(wall, cpu)], len(texts), acc)
    reference = sklearn_reference(predictor) if args.reference and predictor.engine == "scikit-learn" else None
    runs: dict[str, list] = {"warm": [], "sklearn_reference": []}
    for _ in range(args.repeat):  # interleaved, so both see the same machine
        wall, cpu, probs, kept = one_pass(predictor, texts)
        runs["warm"].append((wall, cpu))
        if reference is not None:
            r_wall, r_cpu, r_probs, _ = one_pass(reference, texts)
            runs["sklearn_reference"].append((r_wall, r_cpu))
            if not np.array_equal(r_probs, probs, equal_nan=True):
                raise SystemExit("seqlab's vectorisers and scikit-learn's give different probabilities")
    acc = float((probs[kept].argmax(1) == y[kept]).mean())
    result["warm"] = summary(runs["warm"], len(texts), acc)
    if reference is not None:
        result["sklearn_reference"] = summary(runs["sklearn_reference"], len(texts), acc)
        result["ratio_to_reference"] = round(result["warm"]["s"] / result["sklearn_reference"]["s"], 3)
        result["cpu_ratio_to_reference"] = round(result["warm"]["cpu_s"] / result["sklearn_reference"]["cpu_s"], 3)
    if args.profile and predictor.engine == "scikit-learn":
        from seqlab.data.text.prepare import texts_to_inputs

        t0 = time.perf_counter()
        x, _ = texts_to_inputs(predictor.cfg.data, texts)
        result["profile_warm_s"] = {"cleaning": round(time.perf_counter() - t0, 2), **stage_times(predictor.model, x)}
    result.update(cpus=os.cpu_count(), load_avg_end=load_avg())
    print(json.dumps(result))


if __name__ == "__main__":
    main()
