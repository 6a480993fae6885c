"""Refit a network's timing head (``rr_resnet(timing_classes=...)``) with scikit-learn.

Why: on unseen patients (MIT-BIH DS2) the S class held only for a class-balanced, strongly
regularised logistic regression over RR features (ANCHORS.md: S sensitivity 77% against the
network's 7%). The timing head is that model's exact form (a multinomial linear layer over
the network's normalised RR input), but trained by SGD inside the network with a class-
balanced sampler it is neither balanced the same way nor as regularised. So once the network
is trained, each checkpoint's timing layer is replaced by scikit-learn's
``LogisticRegression(class_weight="balanced", C)`` fitted on the training split's RR input,
as the checkpoint's own ``rr_norm`` normalises it. The rest of the network is untouched (the
factorised likelihood gives its other classes gradients that do not depend on the timing
layer), and the checkpoint stays an ordinary one: ONNX export, ``seqlab predict`` and resume
see a linear layer like any other.

With ``morphology_first`` (e.g. V) the beat path has already taken those beats, and timing
only judges the rest: the regression is fitted on the beats of the other classes, timing
classes against all the remaining ones pooled (S against N and F), which is the decision it
makes there. Fitting on N and S beats alone scored the same (DS1 leave-one-record-out,
recomposed from stored outputs: macro-F1 0.554 vs 0.555).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from seqlab.atomic import atomic_open
from seqlab.data.base import Split
from seqlab.inference.loading import build_model, load_checkpoint

TIMING_C = 0.1  # inverse L2 strength of the refit (the beat_lr default; not tuned on DS1)


def has_timing_head(model: torch.nn.Module) -> bool:
    return getattr(model, "timing", None) is not None


def fit_timing_layer(model: torch.nn.Module, train: Split, *, C: float = TIMING_C) -> dict[str, float]:
    """Replace ``model.timing`` by a balanced logistic regression of the training RR input."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    model.eval()
    with torch.no_grad():
        z = model.rr_norm(torch.as_tensor(np.asarray(train.x["rr"]), dtype=torch.float32)).double().numpy()
    z, y = _timing_rows(model, z, np.asarray(train.y))
    scaler = StandardScaler().fit(z)
    clf = LogisticRegression(C=C, class_weight="balanced", max_iter=2000).fit(scaler.transform(z), y)
    k = model.timing.out_features
    weight, bias = np.zeros((k, z.shape[1])), np.full(k, -30.0)  # a class absent from training: never called
    coef, intercept = (clf.coef_, clf.intercept_) if len(clf.classes_) > 2 else (
        np.vstack([-clf.coef_, clf.coef_]) / 2, np.r_[-clf.intercept_, clf.intercept_] / 2)
    scale = np.where(scaler.scale_ > 0, scaler.scale_, 1.0)
    weight[clf.classes_] = coef / scale  # folds the standardisation into the layer
    bias[clf.classes_] = intercept - (coef / scale) @ scaler.mean_
    with torch.no_grad():
        model.timing.weight.copy_(torch.from_numpy(weight))
        model.timing.bias.copy_(torch.from_numpy(bias))
    return {"C": C, "train_accuracy": float(clf.score(scaler.transform(z), y))}


def _timing_rows(model: torch.nn.Module, z: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The beats and labels the timing layer decides: all of them, or with ``morphology_first``
    those the beat path leaves, every non-timing class folded into the first of them."""
    first = getattr(model, "morphology_first_classes", [])
    if not first:
        return z, y
    timing = set(model.timing_index.tolist())
    base = next(int(k) for k in model.other_index.tolist() if k not in first)
    keep = ~np.isin(y, first)
    return z[keep], np.where(np.isin(y[keep], list(timing)), y[keep], base)


def fit_split(train: Split, val: Split) -> Split:
    """Training and validation beats together: the validation patients chose the network's
    checkpoint, and the linear model, which needs no checkpoint choice, learns from them too
    (with 22 patients, one more patient holding S beats matters more than anything else)."""
    if len(val.y) == 0 or not all(isinstance(x, dict) and "rr" in x for x in (train.x, val.x)):
        return train  # nothing to add, or inputs without RR features (no timing head can use them)
    return Split({"rr": np.concatenate([train.x["rr"], val.x["rr"]])}, np.concatenate([train.y, val.y]))


def refit_checkpoints(run_dir: Path, train: Split) -> dict[str, dict[str, float]]:
    """Refit the timing layer of every checkpoint of the run (each with its own ``rr_norm``
    statistics) on ``train``, rewritten atomically; ``{}`` when the network has no timing head."""
    done = {}
    for path in sorted((Path(run_dir) / "checkpoints").glob("*.ckpt")):
        ckpt = load_checkpoint(path)
        hp = ckpt["hyper_parameters"]
        model = build_model(hp["model_name"], hp["model_kwargs"])
        if not has_timing_head(model):
            return {}
        state = {k[len("model."):]: v for k, v in ckpt["state_dict"].items() if k.startswith("model.")}
        model.load_state_dict(state)
        done[path.name] = fit_timing_layer(model, train)
        ckpt = dict(ckpt)  # the memory-mapped original stays as loaded until the new file replaces it
        ckpt["state_dict"] = {**ckpt["state_dict"], **{f"model.timing.{n}": p.detach().clone()
                                                       for n, p in model.timing.named_parameters()}}
        with atomic_open(path, "wb") as fh:
            torch.save(ckpt, fh)
    return done
