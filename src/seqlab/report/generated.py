"""A generator run's figures and ``report.html``: a grid of generated beats per class beside
real ones, the learning curves, and the copy / two-sample checks of ``metrics.json``."""

from __future__ import annotations

import base64
from pathlib import Path

import numpy as np

from seqlab import atomic
from seqlab.report import plots
from seqlab.report.html import _env, _learning_curves
from seqlab.report.rundir import read_run

REFERENCES = [
    ("Sohn K, Lee H, Yan X. Learning structured output representation using deep conditional generative "
     "models. NeurIPS 2015 (conditional VAE)."),
    "Gulrajani I et al. Improved training of Wasserstein GANs. NeurIPS 2017 (WGAN-GP).",
    "Miyato T, Koyama M. cGANs with projection discriminator. ICLR 2018.",
    "Lopez-Paz D, Oquab M. Revisiting classifier two-sample tests. ICLR 2017.",
]


def beat_grid(samples: dict[str, tuple[np.ndarray, np.ndarray]]) -> bytes:
    """One row per class: real training beats (grey) then generated ones (colour), channel 0."""
    import matplotlib.pyplot as plt

    classes = list(samples)
    cols = max((len(r) + len(f) for r, f in samples.values()), default=1)
    fig, axes = plt.subplots(len(classes), cols, figsize=(1.6 * cols, 1.3 * len(classes) + 0.4),
                             squeeze=False, sharex=True)
    for i, name in enumerate(classes):
        real, fake = samples[name]
        beats = [("real", b) for b in real] + [("generated", b) for b in fake]
        for j, ax in enumerate(axes[i]):
            ax.set_xticks([]), ax.set_yticks([])
            if j >= len(beats):
                ax.axis("off")
                continue
            kind, beat = beats[j]
            ax.plot(beat[0], lw=0.9, color="0.45" if kind == "real" else f"C{i}")
            if i == 0:
                ax.set_title(kind, fontsize=8)
        axes[i][0].set_ylabel(name, rotation=0, labelpad=12, fontsize=10)
    fig.suptitle("Real (grey) and generated (colour) beats per class, first channel", fontsize=10)
    return plots._png(fig)


def distance_histograms(per_class: dict) -> bytes | None:
    """Medians of nearest-neighbour distances per class: generated→train, train→train,
    held-out→train (bars), the picture of "learned, not copied"."""
    import matplotlib.pyplot as plt

    if not per_class:
        return None
    keys = [("gen_to_train", "generated → train"), ("train_to_train", "train → other train"),
            ("held_out_to_train", "held-out real → train")]
    classes = list(per_class)
    fig, ax = plt.subplots(figsize=(1.4 * len(classes) + 3, 3))
    x = np.arange(len(classes))
    for i, (key, label) in enumerate(keys):
        vals = [(per_class[c]["copies"].get(key) or {}).get("median") or 0.0 for c in classes]
        ax.bar(x + (i - 1) * 0.27, vals, 0.27, label=label)
    ax.set_xticks(x, classes)
    ax.set_ylabel("median nearest-neighbour distance")
    ax.legend(frameon=False, fontsize=8)
    ax.set_title("Distance to the nearest training beat")
    return plots._png(fig)


def write_generator_report(run_dir: Path, samples: dict[str, tuple[np.ndarray, np.ndarray]] | None = None, *,
                           report: bool = True) -> Path | None:
    """``plots/generated_grid.png`` (drawn from ``samples``, else the one drawn after
    training is kept) and, when ``report``, ``report.html``."""
    run_dir = Path(run_dir)
    grid = run_dir / "plots" / "generated_grid.png"
    figs = {}
    if samples is not None:
        figs["generated_grid"] = beat_grid(samples)
        atomic.write_bytes(grid, figs["generated_grid"])
    elif grid.is_file():
        figs["generated_grid"] = grid.read_bytes()
    if not report:
        return None
    run = read_run(run_dir)
    dist = distance_histograms(run["metrics"].get("per_class", {}))
    if dist:
        figs["distances"] = dist
    monitor = ("loss", "recon", "kl") if run["config"].get("model", {}).get("name") == "beat_cvae" \
        else ("loss", "w_dist", "gen_loss")
    learning = _learning_curves(run["curves"], monitor)
    if learning:
        figs["learning_curves"] = learning
    for name, png in figs.items():
        atomic.write_bytes(run_dir / "plots" / f"{name}.png", png)
    html = _env.get_template("generator.html.j2").render(
        run=run, m=run["metrics"], summary=run["summary"], timing=run["timing"], references=REFERENCES,
        config_yaml=(run_dir / "config.yaml").read_text(encoding="utf-8"),
        images={k: base64.b64encode(v).decode("ascii") for k, v in figs.items()})
    out = run_dir / "report.html"
    atomic.write_text(out, html)
    return out
