"""The report's "looking inside" figures for an ECG network run, computed on the evaluated split:
per class the mean beat with its mean attribution, the most confident mistakes, and
projections of raw beats and of the network's penultimate features coloured by class and by
record. The last is the picture of why beat-level splits leak: beats cluster by patient.

Capped and seeded samples keep it to a few seconds (``benchmarks/bench_explain.py``); the
figures land in ``plots/inside_*.png`` with their captions in ``plots/inside.json``, which
``report.html`` embeds.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from seqlab import atomic
from seqlab.data.base import Split
from seqlab.inference.explain import explain_beats
from seqlab.report import inside_plots

PER_CLASS, MISTAKES, PROJECTED, TSNE_POINTS = 32, 8, 1000, 500


def beat_inputs(x: Any) -> np.ndarray | None:
    beats = x.get("x") if isinstance(x, dict) else x
    return beats if isinstance(beats, np.ndarray) and beats.ndim == 3 and beats.dtype.kind == "f" else None


def write_inside_figures(run_dir: Path, model: Any, part: Split, probs: np.ndarray, classes: list[str], *,
                         rr_names: list[str] | None = None, seed: int = 0, tsne: bool = True) -> list[dict]:
    """Draw the figures for a network on beat inputs (nothing for other runs); returns the
    ``inside.json`` entries."""
    beats = beat_inputs(part.x)
    if not isinstance(model, nn.Module) or beats is None or len(part) == 0:
        return []
    if getattr(model, "beats_per_window", None) is not None:  # a sequence model: sampled beats lack their context
        return []
    rng = np.random.default_rng(seed)
    pred = probs.argmax(axis=1)
    figs = [("inside_attribution_by_class", _class_attributions(model, part, classes, rng),
             f"Per class (true label): the mean beat of a sample of up to {PER_CLASS} beats and its mean Integrated "
             "Gradients attribution for that class (test split, seeded sample).")]
    wrong = np.flatnonzero(pred != part.y)
    top = wrong[np.argsort(-probs[wrong, pred[wrong]])][:MISTAKES]
    names = np.asarray(classes, dtype=object)
    figs.append(("inside_confident_mistakes",
                 inside_plots.confident_mistakes(beats[top], list(names[part.y[top]]), list(names[pred[top]]),
                                                 probs[top, pred[top]]),
                 "Where the errors are: the most confident wrong calls (true→predicted, probability)."))
    if len(part) >= 10:  # fewer beats than that draw no meaningful projection
        figs += _projections(model, part, names, rng, tsne)
    entries = []
    for name, png, caption in figs:
        atomic.write_bytes(run_dir / "plots" / f"{name}.png", png)
        entries.append({"name": name, "caption": caption})
    atomic.write_json(run_dir / "plots" / "inside.json", entries)
    return entries


def _class_attributions(model: nn.Module, part: Split, classes: list[str], rng) -> bytes:
    means = {}
    for k, c in enumerate(classes):
        rows = np.flatnonzero(part.y == k)
        if len(rows) == 0:
            continue
        rows = np.sort(rng.choice(rows, size=min(PER_CLASS, len(rows)), replace=False))
        sample = part.take(rows)
        att = explain_beats(model, sample.x, np.full(len(rows), k), "ig", steps=16)
        means[c] = (beat_inputs(sample.x).mean(axis=0), att.beat.mean(axis=0), len(rows))
    return inside_plots.class_attributions(means, "IG")


def penultimate(model: nn.Module, x: Any, batch_size: int = 512) -> np.ndarray:
    """The input of the network's last linear layer: the features its decision is made from."""
    last = [m for m in model.modules() if isinstance(m, nn.Linear)][-1]
    seen: list[torch.Tensor] = []
    hook = last.register_forward_hook(lambda _m, inp, _out: seen.append(inp[0].detach()))
    try:
        from seqlab.inference.proba import predict_proba

        predict_proba(model, x, batch_size)
    finally:
        hook.remove()
    return torch.cat(seen).reshape(sum(len(s) for s in seen), -1).numpy()


def _projections(model: nn.Module, part: Split, names: np.ndarray, rng, tsne: bool) -> list[tuple]:
    from sklearn.decomposition import PCA
    from sklearn.discriminant_analysis import LinearDiscriminantAnalysis

    rows = np.sort(rng.choice(len(part), size=min(PROJECTED, len(part)), replace=False))
    sample = part.take(rows)
    labels, groups = names[sample.y], None if sample.groups is None else sample.groups.astype(str)
    views = {"raw beats": beat_inputs(sample.x).reshape(len(rows), -1),
             "penultimate features": penultimate(model, sample.x)}
    out = []
    for view, feats in views.items():
        pca = PCA(n_components=2, random_state=0).fit_transform(feats)
        out.append((f"inside_pca_{view.split()[0]}", inside_plots.projection(pca, labels, groups, f"PCA of {view}"),
                    f"PCA of {view} ({len(rows)} test beats, seeded sample)."))
        if len(np.unique(labels)) >= 3:
            lda = LinearDiscriminantAnalysis(n_components=2).fit_transform(feats, labels)
            out.append((f"inside_lda_{view.split()[0]}", inside_plots.projection(lda, labels, groups, f"LDA of {view}"),
                        f"LDA of {view}: the two directions that best separate the classes."))
    if tsne and len(rows) >= 20:  # t-SNE's perplexity must stay below the number of points
        from sklearn.manifold import TSNE

        sub = views["penultimate features"][:TSNE_POINTS]
        emb = TSNE(n_components=2, init="pca", perplexity=min(30.0, (len(sub) - 1) / 3), random_state=0
                   ).fit_transform(sub)
        out.append(("inside_tsne_penultimate", inside_plots.projection(
            emb, labels[:TSNE_POINTS], None if groups is None else groups[:TSNE_POINTS], "t-SNE of penultimate features"),
            f"t-SNE of the penultimate features ({len(sub)} test beats): clusters by record mean the features "
            "still carry the patient."))
    return out
