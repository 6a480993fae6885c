"""The report of an autoencoder run: learning curves, example traces (clean beside its
reconstruction; for a denoising run noisy, autoencoder and filter chain per noise kind and
SNR), the reconstruction error per class and the anomaly score's ROC curve.

Everything is drawn from ``metrics.json`` and ``predictions_<split>.npz`` as
``inference.reconstruction`` wrote them; ``report.html`` includes ``reconstruction.html.j2``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from seqlab.report import plots
from seqlab.report.plots import plt

COLOURS = {"clean": "black", "recon": "tab:blue", "noisy": "0.65", "ae": "tab:blue", "filter": "tab:orange"}


def _curves(curves: dict[str, dict[int, float]], names: tuple[str, ...]) -> bytes | None:
    panels = {n: {s: sorted(curves.get(f"{s}/{n}", {}).items()) for s in ("train", "val")} for n in names}
    panels = {n: p for n, p in panels.items() if any(p.values())}
    return plots.learning_curves(panels) if panels else None


def examples(z: Any, classes: list[str]) -> bytes:
    """One panel per example beat: the clean beat and its reconstruction (channel 0)."""
    idx, clean, recon, y = z["example_index"], z["example_clean"], z["example_recon"], z["y_true"]
    n = len(idx)
    cols = min(4, max(1, n))
    rows = -(-n // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(3.2 * cols, 2.2 * rows), squeeze=False)
    for k, ax in enumerate(axes.flat):
        if k >= n:
            ax.axis("off")
            continue
        err = float(np.mean((clean[k] - recon[k]) ** 2))
        ax.plot(clean[k, 0], c=COLOURS["clean"], lw=1, label="clean")
        ax.plot(recon[k, 0], c=COLOURS["recon"], lw=1, label="reconstruction")
        ax.set_title(f"{classes[int(y[idx[k]])]} beat, MSE {err:.3f}", fontsize=9)
        ax.tick_params(labelsize=7)
    axes.flat[0].legend(frameon=False, fontsize=7)
    fig.suptitle("Example beats of the evaluated split (x: samples)", fontsize=10)
    fig.tight_layout()
    return plots._png(fig)


def denoising_examples(z: Any, kinds: list[str], levels: list[float]) -> bytes:
    """Rows = noise kinds, columns = input SNRs: the noisy beat, the clean one, the
    autoencoder's output and the filter chain's (the first beat of the sample)."""
    fig, axes = plt.subplots(len(kinds), len(levels), figsize=(3.2 * len(levels), 2.3 * len(kinds)), squeeze=False)
    clean = z["denoise_clean"][0, 0]
    for i, kind in enumerate(kinds):
        for j, level in enumerate(levels):
            ax, key = axes[i, j], f"denoise_{kind}_{j}"
            ax.plot(z[f"{key}_noisy"][0, 0], c=COLOURS["noisy"], lw=0.8, label="noisy")
            ax.plot(clean, c=COLOURS["clean"], lw=1, label="clean")
            ax.plot(z[f"{key}_ae"][0, 0], c=COLOURS["ae"], lw=1, label="autoencoder")
            if f"{key}_filter" in z:
                ax.plot(z[f"{key}_filter"][0, 0], c=COLOURS["filter"], lw=1, ls="--", label="filter chain")
            ax.set_title(f"{kind}, {level:g} dB in", fontsize=9)
            ax.tick_params(labelsize=7)
    axes[0, 0].legend(frameon=False, fontsize=7)
    fig.tight_layout()
    return plots._png(fig)


def error_by_class(error: np.ndarray, y: np.ndarray, classes: list[str]) -> bytes:
    """Per-beat reconstruction MSE per class (log scale): the anomaly score's spread."""
    present = [i for i in range(len(classes)) if (y == i).any()]
    fig, ax = plt.subplots(figsize=(1.1 * len(present) + 2.5, 3.2))
    ax.boxplot([np.maximum(error[y == i], 1e-6) for i in present], showfliers=False)
    ax.set_xticks(range(1, len(present) + 1), [f"{classes[i]}\n({int((y == i).sum()):,})" for i in present])
    ax.set_yscale("log")
    ax.set_ylabel("reconstruction MSE per beat")
    ax.set_title("Reconstruction error by class")
    return plots._png(fig)


def anomaly_roc(error: np.ndarray, y: np.ndarray, classes: list[str], anomaly: dict[str, Any]) -> bytes:
    from sklearn.metrics import roc_curve

    k = classes.index(anomaly["normal"])
    curves = {f"not {anomaly['normal']}": roc_curve(y != k, error)[:2]}
    aucs = {f"not {anomaly['normal']}": anomaly["auroc"], **anomaly["per_class"]}
    for c in anomaly["per_class"]:
        rows = (y == classes.index(c)) | (y == k)
        curves[c] = roc_curve(y[rows] != k, error[rows])[:2]
    return plots.roc(curves, aucs)


def reconstruction_figures(run: dict[str, Any]) -> dict[str, bytes]:
    """The figures ``report.html`` embeds for an autoencoder run."""
    m, figs = run["metrics"], {}
    learning = _curves(run["curves"], ("loss", "snr_db"))
    if learning:
        figs["learning_curves"] = learning
    path = run["dir"] / f"predictions_{m.get('split', 'test')}.npz"
    if not path.exists():
        return figs
    classes = m.get("classes") or []
    with np.load(path) as z:
        if len(z["example_index"]) and classes:
            figs["reconstruction_examples"] = examples(z, classes)
        if m.get("denoising") and "denoise_clean" in z and len(z["denoise_clean"]):
            kinds = list(dict.fromkeys(r["noise"] for r in m["denoising"]))
            levels = list(dict.fromkeys(r["snr_in_db"] for r in m["denoising"]))
            figs["denoising_examples"] = denoising_examples(z, kinds, levels)
        if classes and len(z["error"]):
            figs["error_by_class"] = error_by_class(z["error"], z["y_true"], classes)
            if m.get("anomaly"):
                figs["anomaly_roc"] = anomaly_roc(z["error"], z["y_true"], classes, m["anomaly"])
    return figs


def methods_text(text: str, config: dict[str, Any]) -> str:
    """The Methods paragraph of an autoencoder run: what it was trained to reconstruct."""
    rec = config.get("reconstruct") or {}
    noise = rec.get("noise") or []
    what = (f"Trained to reconstruct the clean beat from the beat plus synthetic {', '.join(noise)} noise "
            f"(seqlab.data.ecg.noise) at an input SNR drawn uniformly from {rec.get('snr_db')} dB. " if noise
            else "Trained to reconstruct its input beat. ")
    if rec.get("fit_classes"):
        what += f"Fitted on class {', '.join(rec['fit_classes'])} beats only; the test split keeps every class. "
    what += ("Loss: MSE (Gaussian NLL with a KL term for a VAE, plus any sparsity penalty); SNR = 10 log10(sum s^2 / "
             "sum (s - s_hat)^2) and PRD = 100 sqrt(sum (s - s_hat)^2 / sum s^2) per beat, averaged over beats. ")
    return text.replace("Macro averages are over the classes present in the evaluated split. ", what)
