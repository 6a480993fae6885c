"""Reconstruction error of an autoencoder fitted on N beats only, as an abnormal-beat detector (issue 17).

    python benchmarks/bench_ae_anomaly.py [--source ../shared/data/mitdb] [--out runs/bench-ae-anomaly]
                                          [--run RUN_DIR] [key=value ...]

``configs/ae/anomaly.yaml``: ``conv_ae`` (16-dimensional code) fitted on the N beats of the
training records of DS1 fold 0 of 5 (patient-wise; validation on the N beats of 5 other
records); each beat of the 5 test records is scored by its reconstruction MSE. Reported: ROC-AUC
of N vs not-N (AAMI S, V, F, Q) and of each class vs N, beside a linear baseline: PCA with as
many components as the code, fitted on the same N training beats (scikit-learn), scored by its
reconstruction error in the same way; and both scores divided by the median score of the
beat's own record (``per record``: a patient's own beats set the scale, no label read). The fit
time (wall, and process CPU on one thread) is printed.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from aekit import parse_args, train_or_reuse


def per_record(errors: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """Each beat's error over its record's median error: the record's own beats set its scale
    (most are normal), so a noisy patient's normal beats stop outscoring a clean patient's
    abnormal ones. Unsupervised: no label is read."""
    out = np.empty_like(errors, dtype=np.float64)
    for g in np.unique(groups):
        rows = groups == g
        out[rows] = errors[rows] / max(float(np.median(errors[rows])), 1e-12)
    return out


def pca_errors(data, cfg) -> np.ndarray:
    """Test-beat errors of a PCA reconstruction fitted on the training split's normal beats."""
    from sklearn.decomposition import PCA

    from seqlab.evaluation.reconstruction import row_errors

    normal = data.classes.index(cfg.reconstruct.normal_class)
    x_train = np.asarray(data.train.x).reshape(len(data.train), -1)[data.train.y == normal]
    x_test = np.asarray(data.test.x).reshape(len(data.test), -1)
    pca = PCA(n_components=int(cfg.model.params.get("code_size", 32)), random_state=0).fit(x_train)
    return row_errors(x_test, pca.inverse_transform(pca.transform(x_test)))


def main() -> None:
    args = parse_args(__doc__.splitlines()[0], "bench-ae-anomaly", "anomaly")
    from seqlab.data.catalog import prepare_data
    from seqlab.evaluation.reconstruction import anomaly_auroc

    out = Path(args.out)
    cfg, run_dir, timing = train_or_reuse(args, "configs/ae/anomaly.yaml", out, extra=("trainer.threads=1",))
    m = json.loads((run_dir / "metrics.json").read_text())
    data = prepare_data(cfg.data, cfg.seed)
    with np.load(run_dir / "predictions_test.npz") as z:
        ae_errors = z["error"].astype(np.float64)
    pca = pca_errors(data, cfg)
    y, groups, normal = data.test.y, data.test.groups, cfg.reconstruct.normal_class
    scores = {"autoencoder": ae_errors, "PCA": pca, "autoencoder, per record": per_record(ae_errors, groups),
              "PCA, per record": per_record(pca, groups)}
    aucs = {k: anomaly_auroc(v, y, data.classes, normal) for k, v in scores.items()}
    support = {c: int((y == i).sum()) for i, c in enumerate(data.classes)}
    result = {"run": str(run_dir), "timing": timing, "roc_auc": aucs, "support": support,
              "per_class_error": {c: p["mse"] for c, p in m["per_class"].items()}}
    (out / "bench_ae_anomaly.json").write_text(json.dumps(result, indent=1))
    print(f"run {run_dir}: fit {timing.get('train_s')} s wall, {timing.get('epochs_run')} epochs; whole call "
          f"{timing.get('train_call_wall_s')} s wall, {timing.get('train_call_cpu_s')} s CPU")
    print("\n| ROC-AUC | " + " | ".join(aucs) + " | test beats |")
    print("|---|" + "---|" * (len(aucs) + 1))
    n_abnormal = sum(n for c, n in support.items() if c != normal)
    print(f"| {normal} vs not-{normal} | " + " | ".join(f"{a['auroc']:.3f}" for a in aucs.values())
          + f" | {support[normal]} {normal} / {n_abnormal} other |")
    for c in aucs["autoencoder"]["per_class"]:
        print(f"| {c} vs {normal} | " + " | ".join(f"{a['per_class'][c]:.3f}" for a in aucs.values())
              + f" | {support[c]} |")


if __name__ == "__main__":
    main()
