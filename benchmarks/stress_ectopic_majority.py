"""Stress check of the S decision: held-out records where ectopic beats outnumber sinus beats.

    OMP_NUM_THREADS=1 python benchmarks/stress_ectopic_majority.py [--data-dir ../shared/data/mitdb]
        [--share 0.6] [--seed 0] [--extra none mean q80 local_q80] [--timing shape_first|all]

Why: every RR reference of the ``relative`` features (the record's median RR, a running median
over 41 beats) assumes sinus beats are the majority. DS2 holds a record where they are not
(MIT-BIH 232: sick sinus with about 1,380 atrial premature beats among 1,780, most of DS2's S
beats), and DS1 holds none, so DS1 cross-validation cannot see the failure. This check makes
DS1 records like that: in each held-out DS1 record with >= 50 S beats, N beats are deleted at
random (never the beat right before an S beat, so each S beat keeps its true coupling
interval; a deleted beat leaves a pause, as a sinus arrest does) until S beats are about
``--share`` of what is left (as far as the protected beats allow). The linear S model of the
default (``beat_lr``: balanced logistic regression, C = 0.1, over the 25 patient-relative
features of lead MLII, the features of ``data.rr_set: relative``) is trained leave-one-record-out
on the other 21 intact records and scored on the held-out record intact and thinned. With
``--timing shape_first`` (the default's ``model.morphology_first: [V]``) it is fitted on the
non-V beats, S against the rest, and false S are counted among non-V beats (the beat path
takes V first); ``--timing all`` is the multinomial fit over every beat (timing first).

``--extra`` adds RR-reference columns to the features, to test whether a different reference
survives the shift: ``mean`` (de Chazal's: pre / post RR and the 10-beat local mean against the
record's mean RR, pre RR against the local mean), ``q80`` (pre / post RR against the record's
80th percentile RR), ``local_q80`` (``q80`` plus a running 80th percentile over 41 beats).
This is a stress check, not a DS2 estimate: deleting beats is not a sick sinus node.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from scipy.ndimage import percentile_filter, uniform_filter1d

from seqlab.data.ecg.labels import label_beats
from seqlab.data.ecg.mitbih import MitbihConfig, load_records, read_record_for
from seqlab.data.ecg.segment import feature_matrix
from seqlab.data.ecg.splits import record_groups
from seqlab.models.dechazal import beat_lr

DEFAULT_SOURCE = Path(__file__).resolve().parents[1] / "../shared/data/mitdb"
S, V = 1, 2  # class indices of S and V in N, S, V, F (the binary fit's positive class is 1 too)


def _pre_post(peaks: np.ndarray, fs: float) -> tuple[np.ndarray, np.ndarray]:
    rr = np.maximum(np.diff(peaks), 1) / fs
    return np.r_[rr[:1], rr], np.r_[rr, rr[-1:]]


def extra_columns(kind: str, peaks: np.ndarray, fs: float) -> np.ndarray:
    """(N, k) log-ratio RR columns against another rhythm reference (see the module doc)."""
    pre, post = _pre_post(peaks, fs)
    if kind == "mean":
        m, local = pre.mean(), uniform_filter1d(pre, 10, mode="nearest")
        return np.column_stack([np.log(pre / m), np.log(post / m), np.log(local / m), np.log(pre / local)])
    q = np.quantile(pre, 0.8)
    cols = [np.log(pre / q), np.log(post / q)]
    if kind == "local_q80":
        local = percentile_filter(pre, 80, size=min(41, pre.size), mode="nearest")
        cols += [np.log(pre / local), np.log(post / local), np.log(local / q)]
    return np.column_stack(cols)


def thin(y: np.ndarray, share: float, rng: np.random.Generator) -> np.ndarray:
    """Mask of the beats kept: random N beats deleted, never one right before an S beat."""
    protected = np.r_[y[1:] == S, False] | (y != 0)
    candidates = np.flatnonzero(~protected)
    keep_n = max(0, int(round((1 - share) / share * (y == S).sum())) - int((protected & (y == 0)).sum()))
    keep = np.ones(y.size, bool)
    keep[rng.choice(candidates, size=max(0, candidates.size - keep_n), replace=False)] = False
    return keep


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data-dir", type=Path, default=DEFAULT_SOURCE)
    ap.add_argument("--share", type=float, default=0.6, help="target share of S beats after thinning")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--extra", nargs="+", default=["none", "mean", "q80", "local_q80"])
    ap.add_argument("--timing", choices=["shape_first", "all"], default="shape_first")
    args = ap.parse_args()
    cfg = MitbihConfig(source=str(args.data_dir), labels="aami5", classes=["N", "S", "V", "F"],
                       filters=["baseline", "bandpass"], bandpass_hz=(0.5, 35.0),
                       features="patient_relative", window_s=(0.25, 0.4), seq_len=None, rr_features=False)
    names = list(record_groups()["DS1"])
    per, _ = load_records(cfg, args.data_dir, names)
    fs = 360.0
    x = {n: per[n]["features"].astype(np.float64) for n in names}
    y = {n: label_beats(per[n]["symbols"], cfg.labels, cfg.classes)[0] for n in names}
    held = [n for n in names if (y[n] == S).sum() >= 50]
    rng = np.random.default_rng(args.seed)
    thinned = {}
    for n in held:
        keep = thin(y[n], args.share, rng)
        peaks = per[n]["peaks"][keep]
        rec = read_record_for(args.data_dir / n, cfg, annotator="atr")
        thinned[n] = (feature_matrix(rec, cfg, peaks).astype(np.float64), y[n][keep], peaks)
        print(f"{n}: {keep.sum()} of {keep.size} beats kept, S share {np.mean(y[n][keep] == S):.2f}")
    # the beats the S model is fitted and scored on: every beat, or (shape first) the non-V ones
    rows_of = (lambda yy: yy >= 0) if args.timing == "all" else (lambda yy: (yy >= 0) & (yy != V))
    for kind in args.extra:
        add = (lambda f, p: f) if kind == "none" else (lambda f, p: np.c_[f, extra_columns(kind, p, fs)])
        rows, hit, total, false = [], 0, 0, 0
        for n in held:
            train = [m for m in names if m != n]
            xt = np.concatenate([add(x[m], per[m]["peaks"])[rows_of(y[m])] for m in train])
            yt = np.concatenate([y[m][rows_of(y[m])] for m in train])
            clf = beat_lr().fit(xt, yt if args.timing == "all" else (yt == S).astype(int))
            k = rows_of(y[n])
            se_intact = np.mean(clf.predict(add(x[n], per[n]["peaks"])[k])[y[n][k] == S] == S)
            f, yy, p = thinned[n]
            k = rows_of(yy)
            pred, yy = clf.predict(add(f, p)[k]), yy[k]
            hit, total, false = hit + int(np.sum((pred == S) & (yy == S))), total + int(np.sum(yy == S)), \
                false + int(np.sum((pred == S) & (yy != S)))
            rows.append(f"{n} {100 * se_intact:.0f}->{100 * np.mean(pred[yy == S] == S):.0f}")
        print(f"{args.timing} {kind:>10}: thinned S Se {100 * hit / total:.1f} (false S {false}) | intact->thinned S Se: "
              + ", ".join(rows))


if __name__ == "__main__":
    main()
