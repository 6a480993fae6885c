"""Classification metrics with the definitions clinicians and the ECG literature use.

Per class (one-vs-rest from the confusion matrix ``cm[true, pred]``):
sensitivity = recall = TP / (TP + FN), specificity = TN / (TN + FP),
PPV = precision = TP / (TP + FP), F1 = 2 PPV Se / (PPV + Se).

Macro averages are taken over the classes *present* in the evaluated split (support > 0).
torchmetrics' own macro average counts an absent class as 0 (torchmetrics issue #1494), which
punishes a fold that happens to hold no AAMI F or Q beat; the absent classes are listed under
``absent_classes`` and their per-class figures are ``null``. A present class that is never
predicted has PPV 0 and F1 0 (scikit-learn's ``zero_division=0``).

>>> import numpy as np
>>> m = compute(np.array([0, 0, 1, 1]), np.array([[.9, .1], [.2, .8], [.3, .7], [.6, .4]]), ["a", "b"])
>>> m["accuracy"], m["per_class"]["b"]["sensitivity"]
(0.5, 0.5)
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from torchmetrics.functional.classification import binary_auroc, binary_roc, multiclass_confusion_matrix


def confusion(y_true: np.ndarray, y_pred: np.ndarray, num_classes: int) -> np.ndarray:
    """Counts ``cm[true, pred]`` (K, K) int64."""
    cm = multiclass_confusion_matrix(torch.as_tensor(y_pred), torch.as_tensor(y_true), num_classes)
    return cm.numpy().astype(np.int64)


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    return np.divide(num, den, out=np.zeros(num.shape, dtype=float), where=den > 0)


def from_confusion(cm: np.ndarray, classes: list[str]) -> dict[str, Any]:
    """Accuracy, per-class and macro (over present classes) figures from a confusion matrix."""
    cm = np.asarray(cm, dtype=np.int64)
    tp = np.diag(cm).astype(float)
    support = cm.sum(axis=1)
    predicted = cm.sum(axis=0)
    n = int(cm.sum())
    fn, fp = support - tp, predicted - tp
    tn = n - tp - fn - fp
    sens, ppv, spec = _ratio(tp, support), _ratio(tp, predicted), _ratio(tn, tn + fp)
    f1 = _ratio(2 * ppv * sens, ppv + sens)
    present = support > 0
    per_class = {}
    for i, name in enumerate(classes):
        if present[i]:
            per_class[name] = {"sensitivity": sens[i], "specificity": spec[i], "ppv": ppv[i],
                               "f1": f1[i], "support": int(support[i])}
        else:
            per_class[name] = {"sensitivity": None, "specificity": spec[i] if n else None,
                               "ppv": None, "f1": None, "support": 0}

    def macro(values: np.ndarray) -> float | None:
        return float(values[present].mean()) if present.any() else None

    return {
        "classes": list(classes),
        "accuracy": float(tp.sum() / n) if n else None,
        "macro_f1": macro(f1),
        "macro_sensitivity": macro(sens),
        "macro_ppv": macro(ppv),
        "macro_specificity": macro(spec),
        "confusion_matrix": cm.tolist(),
        "per_class": _plain(per_class),
        "n_samples": n,
        "absent_classes": [c for c, p in zip(classes, present) if not p],
        "macro_over": "classes present in the split (support > 0)",
    }


def auroc_per_class(y_true: np.ndarray, probs: np.ndarray) -> list[float | None]:
    """One-vs-rest ROC-AUC per class; ``None`` where the class is absent or is every sample."""
    target = torch.as_tensor(y_true)
    scores = torch.as_tensor(probs, dtype=torch.float32)
    out = []
    for k in range(scores.shape[1]):
        positives = int((target == k).sum())
        if positives == 0 or positives == len(target):
            out.append(None)
        else:
            out.append(float(binary_auroc(scores[:, k], (target == k).long())))
    return out


def roc_curves(y_true: np.ndarray, probs: np.ndarray, classes: list[str]) -> dict[str, tuple]:
    """{class: (fpr, tpr)} one-vs-rest, for classes that have positives and negatives."""
    target = torch.as_tensor(y_true)
    scores = torch.as_tensor(probs, dtype=torch.float32)
    curves = {}
    for k, name in enumerate(classes):
        positives = int((target == k).sum())
        if 0 < positives < len(target):
            fpr, tpr, _ = binary_roc(scores[:, k], (target == k).long())
            curves[name] = (fpr.numpy(), tpr.numpy())
    return curves


def compute(y_true: np.ndarray, probs: np.ndarray, classes: list[str]) -> dict[str, Any]:
    """The full ``metrics.json`` dict from labels and class probabilities (N, K)."""
    y_true = np.asarray(y_true, dtype=np.int64)
    probs = np.asarray(probs, dtype=np.float32)
    if probs.ndim != 2 or probs.shape[1] != len(classes) or len(probs) != len(y_true):
        raise ValueError(f"probs {probs.shape} does not match {len(y_true)} labels and {len(classes)} classes")
    cm = confusion(y_true, probs.argmax(axis=1), len(classes))
    out = from_confusion(cm, classes)
    aucs = auroc_per_class(y_true, probs)
    for name, auc in zip(classes, aucs):
        out["per_class"][name]["auroc"] = auc
    valid = [a for a in aucs if a is not None]
    out["auroc_macro"] = float(np.mean(valid)) if valid else None
    row = cm.sum(axis=1, keepdims=True)
    out["confusion_matrix_normalized"] = _ratio(cm.astype(float), np.broadcast_to(row, cm.shape)).round(4).tolist()
    order = ["classes", "accuracy", "macro_f1", "macro_sensitivity", "macro_ppv", "macro_specificity",
             "auroc_macro", "confusion_matrix", "confusion_matrix_normalized", "per_class", "n_samples",
             "absent_classes", "macro_over"]
    return {k: out[k] for k in order}


def _plain(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {k: _plain(v) for k, v in obj.items()}
    if isinstance(obj, (np.floating, float)):
        return float(obj)
    return obj
