"""``seqlab explain RUN RECORD``: chosen beats of a record, each drawn with its attribution under
it, the predicted and the reference label, and the RR features' attributions; PNG per beat and
one HTML page. The beats go through the run's own preprocessing (``prefetch.prepare_record``)
and post-processing, so the label shown is the one ``seqlab predict`` writes."""

from __future__ import annotations

import html
import time
from pathlib import Path
from typing import Any

import numpy as np

from seqlab import atomic
from seqlab import config as configlib
from seqlab.errors import ConfigError
from seqlab.inference.explain import check_method, check_network, explain_beats
from seqlab.inference.loading import load_model
from seqlab.inference.postprocess import postprocess, shape_first
from seqlab.inference.prefetch import beat_options, prepare_record
from seqlab.inference.proba import predict_proba
from seqlab.report import inside_plots
from seqlab.report.rundir import read_json

MATCH_S = 0.15  # a detected beat takes the reference label of an annotation within 150 ms


def reference_labels(record: Path, peaks: np.ndarray, fs: float, scheme: str, classes: list[str]) -> list[str]:
    """The reference class of each peak from the record's ``.atr`` ('' where none is near or
    the record has no annotations)."""
    from seqlab.data.ecg.labels import BEAT_SYMBOLS, SCHEMES, nearest_within

    if not record.with_suffix(".atr").exists():
        return [""] * len(peaks)
    import wfdb

    ann = wfdb.rdann(str(record), "atr")
    beat = np.isin(ann.symbol, list(BEAT_SYMBOLS))
    samples, symbols = ann.sample[beat], np.asarray(ann.symbol)[beat]
    if len(samples) == 0:
        return [""] * len(peaks)
    nearest, near = nearest_within(samples, peaks, MATCH_S * fs)
    mapping = SCHEMES[scheme][0]
    return [mapping.get(symbols[i], "") if ok and mapping.get(symbols[i], "") in classes else ""
            for i, ok in zip(nearest, near)]


def choose_beats(probs: np.ndarray, classes: list[str], beats: list[int] | None, cls: str | None, n: int) -> np.ndarray:
    """Row indices: the given ones, the ``n`` most confident calls of ``cls``, or by default the
    most confident beat of each predicted class, then the next, up to ``n``."""
    pred = probs.argmax(axis=1)
    if beats:
        bad = [b for b in beats if not 0 <= b < len(pred)]
        if bad:
            raise ConfigError(f"beat {bad[0]} is past the record's {len(pred)} beats (valid: 0-{len(pred) - 1})")
        return np.asarray(beats)
    conf = probs[np.arange(len(pred)), pred]
    if cls is not None:
        if cls not in classes:
            raise ConfigError(f"--class {cls!r}; valid: {', '.join(classes)}")
        rows = np.flatnonzero(pred == classes.index(cls))
        if len(rows) == 0:
            counts = ", ".join(f"{c} {int((pred == i).sum())}" for i, c in enumerate(classes))
            raise ConfigError(f"no beat of this record is called {cls} ({counts}); choose another --class")
        return np.sort(rows[np.argsort(-conf[rows])][:n])
    ranked = [np.flatnonzero(pred == k)[np.argsort(-conf[pred == k])] for k in range(len(classes))]
    order = [r[i] for i in range(max(map(len, ranked), default=0)) for r in ranked if i < len(r)]
    return np.sort(np.asarray(order[:n], dtype=np.int64))


def explain_record(run_dir: str | Path, record: str | Path, out: str | Path, *, beats: list[int] | None = None,
                   cls: str | None = None, n: int = 8, method: str = "ig", annotations: str | None = None) -> dict[str, Any]:
    """Write ``OUT/beat_<i>.png`` and ``OUT/index.html`` for the chosen beats; returns a summary."""
    check_method(method)
    run_dir, record, out = Path(run_dir), Path(record), Path(out)
    cfg = configlib.load_run(run_dir)
    data = cfg.data.model_dump(mode="json")
    opts = beat_options(data, annotations, run=str(run_dir))
    model = check_network(load_model(run_dir, cfg.eval.checkpoint), str(run_dir))
    summary = read_json(run_dir / "data_summary.json")
    classes, rr_names = summary["classes"], summary.get("model_kwargs", {}).get("rr_names")
    prepared = prepare_record(record, opts, annotations)
    probs = postprocess(predict_proba(model, prepared.inputs), prepared.inputs, None, cfg.eval, classes, rr_names,
                        shape_first(cfg))
    rows = choose_beats(probs, classes, beats, cls, n)
    t0 = time.perf_counter()
    pick = {k: v[rows] for k, v in prepared.inputs.items()} if isinstance(prepared.inputs, dict) else prepared.inputs[rows]
    att = explain_beats(model, pick, probs[rows].argmax(axis=1), method)
    seconds = time.perf_counter() - t0
    refs = reference_labels(record, prepared.peaks[rows], prepared.fs, data.get("labels", "aami5"), classes)
    x = pick["x"] if isinstance(pick, dict) else pick
    items = []
    for j, i in enumerate(rows.tolist()):
        pred = classes[int(probs[i].argmax())]
        title = (f"beat {i} at {prepared.peaks[i] / prepared.fs:.2f} s: predicted {pred} "
                 f"({probs[i].max():.2f}), reference {refs[j] or '—'}")
        png = inside_plots.beat_explanation(x[j], att.beat[j], title=title, rr_names=rr_names,
                                            rr_attr=None if att.rr is None else att.rr[j])
        atomic.write_bytes(out / f"beat_{i}.png", png)
        items.append({"beat": i, "time_s": round(float(prepared.peaks[i] / prepared.fs), 3), "predicted": pred,
                      "probability": round(float(probs[i].max()), 4), "reference": refs[j], "png": f"beat_{i}.png"})
    atomic.write_text(out / "index.html", _page(record.name, run_dir, method, items))
    return {"record": str(record), "method": method, "beats": items, "seconds": seconds,
            "html": str(out / "index.html")}


def _page(record: str, run_dir: Path, method: str, items: list[dict[str, Any]]) -> str:
    rows = "\n".join(
        f"<figure><img src='{it['png']}' alt='beat {it['beat']}'><figcaption>beat {it['beat']} "
        f"({it['time_s']} s): predicted {html.escape(it['predicted'])} ({it['probability']}), reference "
        f"{html.escape(it['reference'] or '—')}{' — mismatch' if it['reference'] and it['reference'] != it['predicted'] else ''}"
        f"</figcaption></figure>" for it in items)
    return (f"<!doctype html><html><head><meta charset='utf-8'><title>seqlab explain {html.escape(record)}</title>"
            f"</head><body><h1>Record {html.escape(record)}: {method} attributions</h1>"
            f"<p>Run {html.escape(str(run_dir))}. Under each beat, the attribution of the predicted class "
            f"(same time axis); at the right, the RR features' attributions.</p>{rows}</body></html>")
