"""The report's figures as PNG bytes (matplotlib, Agg backend, no screen needed)."""

from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402


def _png(fig) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    plt.close(fig)
    return buf.getvalue()


def class_distribution(counts: dict[str, dict[str, int]]) -> bytes:
    """Grouped bars: samples per class for each split (log scale: ECG classes span 1000x)."""
    splits = list(counts)
    classes = list(next(iter(counts.values())))
    fig, ax = plt.subplots(figsize=(6.5, 3.2))
    width = 0.8 / max(1, len(splits))
    x = np.arange(len(classes))
    for i, split in enumerate(splits):
        vals = [max(counts[split][c], 0) for c in classes]
        ax.bar(x + i * width, vals, width, label=f"{split} ({sum(vals):,})")
    ax.set_xticks(x + width * (len(splits) - 1) / 2, classes)
    ax.set_yscale("symlog")
    top = max(max(counts[s].values()) for s in splits)
    ax.set_ylim(0, max(10, top) * 4)  # headroom: the log scale would clip the tallest bar
    ax.set_ylabel("samples")
    ax.legend(frameon=False, fontsize=8, ncol=len(splits), loc="upper center", bbox_to_anchor=(0.5, -0.1))
    ax.set_title("Class distribution per split")
    return _png(fig)


def learning_curves(curves: dict[str, dict[str, list[tuple[int, float]]]]) -> bytes:
    """One panel per quantity (loss, monitored metric), train and val lines per epoch."""
    names = list(curves)
    fig, axes = plt.subplots(1, len(names), figsize=(5 * len(names), 3.2), squeeze=False)
    for ax, name in zip(axes[0], names):
        for stage, pts in curves[name].items():
            if pts:
                e, v = zip(*pts)
                ax.plot(e, v, marker="o", ms=3, label=stage)
        ax.set_xlabel("epoch")
        ax.set_title(name)
        ax.legend(frameon=False)
        ax.grid(alpha=0.3)
    return _png(fig)


def confusion(cm: np.ndarray, classes: list[str], normalised: bool) -> bytes:
    cm = np.asarray(cm, dtype=float)
    shown = cm / np.maximum(cm.sum(axis=1, keepdims=True), 1) if normalised else cm
    fig, ax = plt.subplots(figsize=(0.6 * len(classes) + 2.5, 0.6 * len(classes) + 2))
    ax.imshow(shown, cmap="Blues", vmin=0, vmax=1 if normalised else None)
    for (i, j), v in np.ndenumerate(shown):
        text = f"{v:.2f}" if normalised else f"{int(v):,}"
        ax.text(j, i, text, ha="center", va="center", fontsize=8,
                color="white" if v > (0.5 if normalised else shown.max() / 2) else "black")
    ax.set_xticks(range(len(classes)), classes)
    ax.set_yticks(range(len(classes)), classes)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title("Confusion matrix" + (" (row-normalised)" if normalised else " (counts)"))
    return _png(fig)


def roc(curves: dict[str, tuple[np.ndarray, np.ndarray]], aucs: dict[str, float | None]) -> bytes:
    fig, ax = plt.subplots(figsize=(4.5, 4))
    for name, (fpr, tpr) in curves.items():
        auc = aucs.get(name)
        ax.plot(fpr, tpr, label=f"{name} (AUC {auc:.3f})" if auc is not None else name)
    ax.plot([0, 1], [0, 1], ls="--", c="grey", lw=0.8)
    ax.set_xlabel("false positive rate")
    ax.set_ylabel("true positive rate (sensitivity)")
    ax.set_title("ROC, one-vs-rest")
    ax.legend(frameon=False, fontsize=8)
    return _png(fig)


def predicted_vs_true(y_true: np.ndarray, y_pred: np.ndarray, target: str) -> bytes:
    """Regression: each sample's prediction against its true value; the diagonal is perfect."""
    fig, ax = plt.subplots(figsize=(4.5, 4))
    ax.scatter(y_true, y_pred, s=8, alpha=0.6)
    lo, hi = float(min(y_true.min(), y_pred.min())), float(max(y_true.max(), y_pred.max()))
    ax.plot([lo, hi], [lo, hi], ls="--", c="grey", lw=0.8, label="y = x")
    ax.set_xlabel(f"true {target}")
    ax.set_ylabel(f"predicted {target}")
    ax.set_title("Predicted vs true")
    ax.legend(frameon=False, fontsize=8)
    return _png(fig)


def residuals(y_true: np.ndarray, y_pred: np.ndarray, target: str) -> bytes:
    """Regression: residual (true − predicted) against the prediction; a pattern means the model
    misses structure, a funnel means the noise grows with the value."""
    fig, ax = plt.subplots(figsize=(4.5, 4))
    ax.scatter(y_pred, y_true - y_pred, s=8, alpha=0.6)
    ax.axhline(0, ls="--", c="grey", lw=0.8)
    ax.set_xlabel(f"predicted {target}")
    ax.set_ylabel("residual (true − predicted)")
    ax.set_title("Residuals")
    return _png(fig)
