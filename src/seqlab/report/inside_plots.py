"""Figures that open the model and the data: beats with their attributions, the most
confident mistakes, and 2-D projections of beats coloured by class and by record."""

from __future__ import annotations

import numpy as np

from seqlab.report.plots import _png, plt

CLASS_COLOURS = plt.get_cmap("tab10")


def _attr_under(ax_sig, ax_att, beat: np.ndarray, attr: np.ndarray, fs: float | None) -> None:
    """The beat's channels on top, its attribution (same time axis) below."""
    t = np.arange(beat.shape[-1]) / fs if fs else np.arange(beat.shape[-1])
    for c in range(beat.shape[0]):
        ax_sig.plot(t, beat[c], lw=1, label=f"channel {c}" if beat.shape[0] > 1 else None)
        ax_att.plot(t, attr[c], lw=1)
    ax_att.axhline(0, color="grey", lw=0.5)
    ax_att.set_xlabel("s" if fs else "sample")
    ax_att.set_ylabel("attribution")


def beat_explanation(beat: np.ndarray, attr: np.ndarray, *, title: str, fs: float | None = None,
                     rr_names: list[str] | None = None, rr_attr: np.ndarray | None = None) -> bytes:
    """One beat: waveform, attribution under it, and the RR features' attributions as bars."""
    cols = 2 if rr_attr is not None else 1
    fig = plt.figure(figsize=(7.5 if cols == 2 else 5, 3.6))
    grid = fig.add_gridspec(2, cols, height_ratios=(3, 2), width_ratios=(3, 2) if cols == 2 else None)
    ax_sig, ax_att = fig.add_subplot(grid[0, 0]), fig.add_subplot(grid[1, 0])
    _attr_under(ax_sig, ax_att, beat, attr, fs)
    ax_sig.set_title(title, fontsize=9)
    if rr_attr is not None:
        ax_rr = fig.add_subplot(grid[:, 1])
        names = rr_names or [f"rr{i}" for i in range(len(rr_attr))]
        ax_rr.barh(np.arange(len(rr_attr)), rr_attr, color=np.where(rr_attr >= 0, "tab:red", "tab:blue"))
        ax_rr.set_yticks(np.arange(len(rr_attr)), names, fontsize=7)
        ax_rr.invert_yaxis()
        ax_rr.set_title("RR features", fontsize=9)
    fig.tight_layout()
    return _png(fig)


def class_attributions(means: dict[str, tuple[np.ndarray, np.ndarray, int]], method: str) -> bytes:
    """Per class: the mean beat (first channel) and its mean attribution, side by side."""
    names = list(means)
    fig, axes = plt.subplots(2, len(names), figsize=(2.4 * len(names), 3.6), squeeze=False, sharex=True)
    for i, c in enumerate(names):
        beat, attr, n = means[c]
        axes[0, i].plot(beat[0], color=CLASS_COLOURS(i), lw=1.2)
        axes[0, i].set_title(f"{c} (n={n})", fontsize=9)
        axes[1, i].fill_between(np.arange(attr.shape[-1]), attr[0], color=CLASS_COLOURS(i), alpha=0.6)
        axes[1, i].axhline(0, color="grey", lw=0.5)
    axes[0, 0].set_ylabel("mean beat")
    axes[1, 0].set_ylabel(f"mean {method}")
    fig.tight_layout()
    return _png(fig)


def confident_mistakes(beats: np.ndarray, true: list[str], pred: list[str], conf: np.ndarray) -> bytes:
    """The most confident wrong calls, drawn: what the model was sure of and should not be."""
    n = len(beats)
    fig, axes = plt.subplots(1, max(n, 1), figsize=(1.9 * max(n, 1), 2.0), squeeze=False)
    for i in range(n):
        ax = axes[0, i]
        ax.plot(beats[i, 0], lw=1, color="black")
        ax.set_title(f"{true[i]}→{pred[i]} ({conf[i]:.2f})", fontsize=8)
        ax.set_xticks([])
        ax.set_yticks([])
    if n == 0:
        axes[0, 0].text(0.5, 0.5, "no mistakes in the sample", ha="center", va="center")
        axes[0, 0].axis("off")
    fig.tight_layout()
    return _png(fig)


def projection(points: np.ndarray, labels: np.ndarray, groups: np.ndarray | None, title: str) -> bytes:
    """2-D points coloured by class (left) and by record (right, when there are records)."""
    panels = [("class", labels)] + ([("record", groups)] if groups is not None else [])
    fig, axes = plt.subplots(1, len(panels), figsize=(4.2 * len(panels), 3.6), squeeze=False)
    for ax, (what, values) in zip(axes[0], panels):
        kinds = sorted(np.unique(values).tolist(), key=str)
        cmap = plt.get_cmap("tab10" if len(kinds) <= 10 else "tab20")
        for i, k in enumerate(kinds):
            m = values == k
            ax.scatter(points[m, 0], points[m, 1], s=4, alpha=0.6, color=cmap(i % cmap.N),
                       label=str(k) if len(kinds) <= 12 else None)
        ax.set_title(f"{title}: by {what}", fontsize=9)
        ax.set_xticks([])
        ax.set_yticks([])
        if len(kinds) <= 12:
            ax.legend(fontsize=6, markerscale=2, frameon=False, loc="best")
    fig.tight_layout()
    return _png(fig)


def record_strip(t: np.ndarray, signal: np.ndarray, peaks_t: np.ndarray, reference: list[str],
                 predicted: list[str] | None, title: str) -> bytes:
    """A stretch of a record as PhysioNet's viewers show it: the filtered signal, R peaks,
    reference labels above and predicted labels below (a mismatch in red)."""
    fig, ax = plt.subplots(figsize=(max(6.0, 1.1 * (t[-1] - t[0]) if len(t) else 6.0), 2.8))
    ax.plot(t, signal, lw=0.8, color="black")
    top, bottom = (float(signal.max()), float(signal.min())) if len(signal) else (1.0, 0.0)
    pad = 0.15 * (top - bottom or 1.0)
    peak_y = np.interp(peaks_t, t, signal) if len(t) else peaks_t
    ax.plot(peaks_t, peak_y, "v", ms=4, color="tab:blue")
    for i, pt in enumerate(peaks_t):
        if reference[i]:
            ax.text(pt, top + pad, reference[i], ha="center", fontsize=8, color="tab:blue")
        if predicted is not None:
            wrong = bool(reference[i]) and reference[i] != predicted[i]
            ax.text(pt, bottom - 2 * pad, predicted[i], ha="center", fontsize=8,
                    color="tab:red" if wrong else "tab:green", fontweight="bold" if wrong else "normal")
    ax.set_ylim(bottom - 3 * pad, top + 3 * pad)
    ax.set_xlabel("time (s)")
    ax.set_ylabel("mV")
    ax.set_title(title + ("   (above: reference; below: predicted, mismatches in red)" if predicted else ""),
                 fontsize=9)
    fig.tight_layout()
    return _png(fig)


def geometry_lines(rows: list[dict]) -> bytes:
    """Ethayarajh (2019)'s figure shapes: one line per measure over layers (adjusted for
    anisotropy where the paper does), plus the anisotropy itself."""
    layers = [r["layer"] for r in rows]
    panels = [("anisotropy", "anisotropy (random pairs)"),
              ("self_similarity_adjusted", "self-similarity (adjusted)"),
              ("intra_sentence_similarity_adjusted", "intra-sentence similarity (adjusted)"),
              ("mev_adjusted", "max. explainable variance (adjusted)")]
    fig, axes = plt.subplots(1, 4, figsize=(12, 2.8))
    for ax, (key, title) in zip(axes, panels):
        ax.plot(layers, [r[key] for r in rows], "o-")
        ax.set_title(title, fontsize=9)
        ax.set_xlabel("layer (0 = embeddings)")
        ax.set_xticks(layers)
    fig.tight_layout()
    return _png(fig)
