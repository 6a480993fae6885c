"""R-peak detection speed and accuracy: seqlab's detector against sleepecg and neurokit2.

    OMP_NUM_THREADS=1 python benchmarks/bench_qrs.py [--source ../shared/data/mitdb]
        [--repeat 5] [--method seqlab] [--per-record]

Protocol (as in ../shared/ANCHORS.md): the RAW first lead (channel 0, 360 Hz) of every record
at hand, detection only (no cleaning step is timed for anyone), reference beats = the ``.atr``
beat symbols, one-to-one matching within 150 ms over the whole record (``qrs_eval``), pooled
over records. The figure without the ventricular flutter episodes (``[`` ... ``]``, EC57's
exclusion) is printed beside it.

Timing: all detectors run in this one process, interleaved record by record, ``--repeat``
times each (the order rotates every repeat so none always runs first on a warm cache); the
median per record is kept and summed. Wall-clock seconds are the figure; the ratio of CPU
seconds (``time.process_time``) is printed too, as it holds up better on a busy machine.
Peers are optional (``pip install -e .[bench]``): one that is not installed is skipped with
a message.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

DEFAULT_SOURCE = Path(__file__).resolve().parents[1] / "../shared/data/mitdb"
Detector = Callable[[np.ndarray, float], np.ndarray]


def _seqlab(method: str) -> Detector:
    from seqlab.data.ecg.qrs import ecg_peaks

    return lambda x, fs: ecg_peaks(x, fs, method=method)[0]


def _sleepecg() -> Detector:
    from sleepecg import detect_heartbeats

    return lambda x, fs: detect_heartbeats(x, fs)


def _neurokit2() -> Detector:
    import neurokit2 as nk

    return lambda x, fs: nk.ecg_peaks(x, sampling_rate=int(round(fs)))[1]["ECG_R_Peaks"]


def detectors(method: str) -> dict[str, Detector]:
    """seqlab plus every peer that imports; a missing peer is reported and left out."""
    out = {f"seqlab:{method}": _seqlab(method)}
    for name, make in (("sleepecg", _sleepecg), ("neurokit2", _neurokit2)):
        try:
            out[name] = make()
        except ImportError as exc:
            print(f"skipping {name}: not installed ({exc.name}); pip install -e .[bench]")
    return out


def load_records(src: Path) -> list:
    """Every annotated record under ``src``, first lead (channel 0) whatever its name."""
    from seqlab.data.ecg.mitbih import available_records
    from seqlab.data.ecg.reader import read_header, read_record

    return [read_record(src / name, lead=read_header(src / name).sig_name[0])
            for name in available_records(src) if (src / f"{name}.atr").is_file()]


def time_all(dets: dict[str, Detector], records: list, repeat: int) -> tuple[dict, dict, dict]:
    """Median wall and CPU seconds per (detector, record) and the peaks, interleaved runs."""
    names = list(dets)
    seconds = {d: [] for d in names}
    cpu = {d: [] for d in names}
    peaks = {d: [] for d in names}
    warm = np.random.default_rng(0).standard_normal(20 * 360)
    for d in names:
        dets[d](warm, 360.0)  # imports, JIT/C-extension loading
    for rec in records:
        runs = {d: [] for d in names}
        for r in range(max(1, repeat)):
            for d in names[r % len(names):] + names[:r % len(names)]:
                t0, c0 = time.perf_counter(), time.process_time()
                out = dets[d](rec.signal, rec.fs)
                runs[d].append((time.perf_counter() - t0, time.process_time() - c0))
                if r == 0:
                    peaks[d].append(np.sort(np.asarray(out, dtype=np.int64)))
        for d in names:
            wall, used = np.median(np.array(runs[d]), axis=0)
            seconds[d].append(float(wall))
            cpu[d].append(float(used))
    return seconds, cpu, peaks


def score(records: list, peaks: list, exclude_vf: bool):
    from seqlab.data.ecg.qrs_eval import score_record

    return [score_record(rec.name, rec.ann_samples, rec.ann_symbols, p, rec.fs, rec.signal.size,
                         exclude_vf=exclude_vf) for rec, p in zip(records, peaks)]


def report(records: list, seconds: dict, cpu: dict, peaks: dict, per_record: bool) -> None:
    from seqlab.data.ecg.qrs_eval import pooled

    n30 = sum(r.signal.size / r.fs for r in records) / 1800.0  # length in 30-min records
    beats = pooled(score(records, next(iter(peaks.values())), False))
    print(f"{len(records)} records, first lead raw, {beats.tp + beats.fn} reference beats, "
          f"150 ms one-to-one matching, pooled")
    print(f"{'detector':<16} {'total s':>8} {'s/30min':>8} {'Se %':>7} {'+P %':>7} {'FN':>5} "
          f"{'FP':>5}   {'no-VF Se':>8} {'no-VF +P':>8}")
    for d in seconds:
        full = score(records, peaks[d], False)
        p, px = pooled(full), pooled(score(records, peaks[d], True))
        total = sum(seconds[d])
        print(f"{d:<16} {total:8.3f} {total / n30:8.4f} {p.se:7.2f} {p.ppv:7.2f} {p.fn:5d} "
              f"{p.fp:5d}   {px.se:8.2f} {px.ppv:8.2f}")
        if per_record:
            for rec, s, t in zip(records, full, seconds[d]):
                print(f"    {rec.name:>5} Se {s.se:6.2f} +P {s.ppv:6.2f} FN {s.fn:4d} FP {s.fp:4d}"
                      f"  {t * 1000:7.1f} ms")
    ours = next(iter(seconds))
    for d in list(seconds)[1:]:
        print(f"time ratio {ours} / {d}: {sum(seconds[ours]) / sum(seconds[d]):.2f}x wall, "
              f"{sum(cpu[ours]) / sum(cpu[d]):.2f}x CPU")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--source", default=str(DEFAULT_SOURCE))
    ap.add_argument("--method", default="seqlab", help="seqlab's ecg_peaks method")
    ap.add_argument("--repeat", type=int, default=5, help="timed runs per record and detector")
    ap.add_argument("--per-record", action="store_true", help="also print every record's row")
    args = ap.parse_args()
    if not Path(args.source).is_dir() or not any(Path(args.source).glob("*.atr")):
        ap.error(f"{args.source} holds no annotated WFDB records (*.hea + *.atr); pass --source")
    records = load_records(Path(args.source))
    dets = detectors(args.method)
    seconds, cpu, peaks = time_all(dets, records, args.repeat)
    report(records, seconds, cpu, peaks, args.per_record)


if __name__ == "__main__":
    main()
