"""``seqlab plot RECORD``: a stretch of a record with its R peaks and labels, and with ``--run``
the run's predicted labels below the reference ones (mismatches marked). The signal is the
record's lead after the run's filters (or seqlab's default filter chain without a run)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from seqlab import atomic
from seqlab.data.ecg.config import BeatOptions
from seqlab.data.ecg.segment import clean_record, read_record_for, record_peaks
from seqlab.errors import ConfigError
from seqlab.inference.explain_record import reference_labels
from seqlab.inference.prefetch import beat_options, prepare_record
from seqlab.report import inside_plots


def plot_record(record: str | Path, out: str | Path, *, start_s: float = 0.0, end_s: float | None = None,
                run: str | Path | None = None, predictor=None) -> dict[str, Any]:
    """Write the PNG; returns what it shows (window, beats, mismatches). ``predictor``: an
    already loaded ``Predictor`` (``seqlab predict --plot``) instead of loading ``run``."""
    record, out = Path(record), Path(out)
    predicted, classes, scheme = None, None, "aami5"
    if run is not None or predictor is not None:
        if predictor is None:
            from seqlab.inference.predict import Predictor

            predictor = Predictor(run)
        opts, classes = BeatOptions.model_validate({k: v for k, v in predictor.data.items()
                                                     if k in BeatOptions.model_fields}), predictor.classes
        scheme = predictor.data.get("labels", "aami5")
    else:
        opts = BeatOptions(peaks="seqlab")
    rec = read_record_for(record, opts)
    end_s = len(rec.signal) / rec.fs if end_s is None else end_s
    if not 0 <= start_s < end_s:
        raise ConfigError(f"--from {start_s} --to {end_s}: need 0 <= from < to (the record lasts "
                          f"{len(rec.signal) / rec.fs:.1f} s)")
    a, b = int(start_s * rec.fs), min(len(rec.signal), int(end_s * rec.fs))
    signal = clean_record(rec, opts)[a:b]
    if predictor is not None:
        probs, peaks = predictor.probabilities(prepare_record(record, beat_options(predictor.data)))
        predicted_all = [classes[k] for k in probs.argmax(axis=1)]
    else:
        peaks, _ = record_peaks(rec, opts)
    inside = (peaks >= a) & (peaks < b)
    peaks = peaks[inside]
    refs = reference_labels(record, peaks, rec.fs, scheme, classes or ["N", "S", "V", "F", "Q"])
    if predictor is not None:
        predicted = [p for p, ok in zip(predicted_all, inside) if ok]
    t = np.arange(a, b) / rec.fs
    png = inside_plots.record_strip(t, signal, peaks / rec.fs, refs, predicted,
                                    f"{record.name}, {start_s:.0f}-{end_s:.0f} s")
    atomic.write_bytes(out, png)
    mismatches = sum(bool(r) and r != p for r, p in zip(refs, predicted or [])) if predicted else None
    return {"record": str(record), "png": str(out), "from_s": start_s, "to_s": end_s, "beats": int(len(peaks)),
            "mismatches": mismatches}
