"""Prepare records' beats for ``seqlab predict`` in a second process while this one starts its engine.

Why: a one-record prediction is mostly library start-up, in independent parts: the engine and
the model on one side, scipy and wfdb plus reading, filtering, detecting and segmenting the
record on the other. On two cores they overlap, so the command takes about the longer part
plus the classification instead of their sum; with several records the child prepares record
i+1 while the parent classifies record i.

Two ways to share the work (``read_here``):

- torch engine (``False``): ``import torch`` is the longest part, so the child does all the
  preparation (read with wfdb, then filter, detect, segment with scipy).
- ONNX Runtime (``True``): the engine starts in a fraction of that, so the preparation is the
  longest part. The child imports scipy and cuts beats; this process imports wfdb, reads each
  record and hands it over (``multiprocessing`` queue: its feeder thread sends while this
  process opens the ONNX session), then classifies. Neither process imports both. With
  several records (``onnx_threads``) the child also classifies every second record with its
  own ONNX session (opened in a fraction of a second), so both cores classify.

The child is forked before this process imports torch (a fork keeps no thread pools, and torch
starts some), and it imports neither torch nor the model: it reads the run's ``data`` options
with ``config.load_run``, which imports no model. Where fork is unavailable, or torch is already
imported (tests, notebooks), records are prepared in-process, in the same order, with the same
code.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass
class PreparedRecord:
    """A record's model inputs and the R peaks they belong to, ready to classify."""

    record: Path
    fs: float
    n_samples: int
    inputs: Any  # (N, C, T) array, or {"x": ..., "rr": ...}
    peaks: Any  # (N,) int samples
    seconds: float  # spent reading, filtering, detecting and segmenting (and classifying, with probs)
    probs: Any = None  # (N, K) ONNX Runtime probabilities, where the preparing process classified it

    @property
    def duration_s(self) -> float:
        return self.n_samples / self.fs


def beat_options(data: dict, annotations: str | None = None, *, run: str = "the run"):
    """The run's beat options from its config's ``data`` section (a dict, so no torch-importing
    config load is needed), with the R peaks taken from ``annotations`` or seqlab's detector."""
    from seqlab.data.ecg.config import BeatOptions
    from seqlab.errors import ConfigError

    if "peaks" not in data:
        raise ConfigError(f"{run} was trained on {data.get('name')!r}, not on ECG beats; "
                          "predict needs an ECG run")
    fields = {k: v for k, v in data.items() if k in BeatOptions.model_fields}
    fields["peaks"] = "reference" if annotations else "seqlab"
    return BeatOptions.model_validate(fields)


def run_beat_options(run_dir: str | Path, annotations: str | None = None):
    from seqlab.config import load_run

    data = load_run(run_dir).data.model_dump(mode="json")
    return beat_options(data, annotations, run=str(run_dir))


def prepare_record(record: str | Path, opts, annotations: str | None = None) -> PreparedRecord:
    """Read ``record`` the way the run's dataset did and cut its beats (``opts`` from
    ``beat_options``)."""
    from seqlab.data.ecg.segment import read_record_for

    t0 = time.perf_counter()
    rec = read_record_for(Path(record), opts, annotator=annotations)
    return prepare_beats(Path(record), rec, opts, time.perf_counter() - t0)


def prepare_beats(record: Path, rec, opts, read_s: float = 0.0) -> PreparedRecord:
    """Filter, detect and segment a record already read (``read_s``: the seconds that took)."""
    from seqlab.data.ecg.segment import beats_from_record
    from seqlab.errors import SeqlabError

    t0 = time.perf_counter()
    inputs, peaks = beats_from_record(rec, opts)
    if len(peaks) == 0:
        raise SeqlabError(f"no beats found in {record} (is it an ECG record at a sane gain?)")
    return PreparedRecord(record, float(rec.fs), len(rec.signal), inputs, peaks,
                          read_s + time.perf_counter() - t0)


def prepared_records(run_dir: str | Path, records: list, annotations: str | None = None
                     ) -> Iterator[PreparedRecord]:
    """``records`` prepared in order with the run's beat options (in whichever process calls it)."""
    opts = run_beat_options(run_dir, annotations)
    for record in records:
        yield prepare_record(record, opts, annotations)


class BeatPrefetcher:
    """Iterate over ``records`` as ``PreparedRecord``s, prepared ahead in a forked process.

    Use as a context manager and start it before importing torch; an error in the child
    (missing record, bad gain) is raised here, at that record, as it would be in-process.
    ``read_here``: read the records in this process and only cut beats in the child (module
    docstring)."""

    def __init__(self, run_dir: str | Path, records: list[str | Path], annotations: str | None = None,
                 *, background: bool | None = None, read_here: bool = False,
                 onnx_threads: int | None = None):
        self.run_dir, self.records, self.annotations = Path(run_dir), list(records), annotations
        if background is None:
            background = "torch" not in sys.modules
        self._proc = self._conn = self._queue = None
        self._opts = self._read_error = self._classify = None
        self._sent = 0
        if background and self.records:
            if read_here:  # loaded once, before the fork: both processes need the options
                from seqlab.config import load_run

                cfg = load_run(self.run_dir)
                self._opts = beat_options(cfg.data.model_dump(mode="json"), annotations, run=str(run_dir))
                if onnx_threads is not None and len(self.records) > 1:
                    self._classify = (self.run_dir, onnx_threads, cfg.eval.batch_size)
            self._start()
            if self._queue is not None:
                self._send_next()  # the first record goes over while this process loads its engine

    def _start(self) -> None:
        import multiprocessing as mp

        if "fork" not in mp.get_all_start_methods():
            return
        ctx = mp.get_context("fork")
        self._conn, child_end = ctx.Pipe(duplex=False)
        if self._opts is not None:
            self._queue = ctx.Queue()
            self._queue.cancel_join_thread()  # never wait at exit on records a dead child left
            target, args = _cut, (child_end, self._queue, self._opts, self._classify)
        else:
            target, args = _produce, (child_end, self.run_dir, self.records, self.annotations)
        self._proc = ctx.Process(target=target, name="seqlab-beats", daemon=True, args=args)
        self._proc.start()
        child_end.close()

    def _send_next(self) -> None:
        """Read the next record here and queue it for the child (a read error stops the feed
        and is raised when the iteration reaches that record)."""
        if self._sent >= len(self.records) or self._read_error is not None:
            return
        from seqlab.data.ecg.segment import read_record_for

        record = self.records[self._sent]
        try:
            t0 = time.perf_counter()
            rec = read_record_for(Path(record), self._opts, annotator=self.annotations)
            self._queue.put((Path(record), rec, time.perf_counter() - t0))
        except Exception as exc:  # noqa: BLE001  (raised in order, at this record)
            self._read_error = exc
            self._queue.put(None)
            return
        self._sent += 1
        if self._sent == len(self.records):
            self._queue.put(None)

    def __iter__(self) -> Iterator[PreparedRecord]:
        if self._proc is None:
            yield from prepared_records(self.run_dir, self.records, self.annotations)
            return
        for index in range(len(self.records)):
            if self._queue is not None:
                if index == self._sent and self._read_error is not None:
                    raise self._read_error
                self._send_next()  # keep one record queued ahead of the one being cut
            yield self._receive()

    def _receive(self) -> PreparedRecord:
        try:
            kind, payload = self._conn.recv()
        except EOFError:
            from seqlab.errors import SeqlabError

            self._proc.join(5)
            raise SeqlabError(f"the process preparing beats died (exit code {self._proc.exitcode}); "
                              "run again, or report it with the record") from None
        if kind == "error":
            raise payload
        return payload

    def close(self) -> None:
        if self._proc is not None:
            if self._queue is not None:
                self._queue.put(None)
                self._queue.close()
            self._conn.close()
            self._proc.join(1.0)
            if self._proc.is_alive():
                self._proc.terminate()
                self._proc.join()
            self._proc = None

    def __enter__(self) -> BeatPrefetcher:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _produce(conn, run_dir: Path, records: list, annotations: str | None) -> None:
    """The child: send ("record", PreparedRecord) per record, or ("error", exception) and stop."""
    try:
        for prepared in prepared_records(run_dir, records, annotations):
            conn.send(("record", prepared))
    except BaseException as exc:  # noqa: BLE001  (handed to the parent, which raises it)
        conn.send(("error", _picklable(exc)))
    finally:
        conn.close()


def _cut(conn, queue, opts, classify: tuple | None) -> None:
    """The child with ``read_here``: cut the beats of each record the parent read, in order;
    with ``classify`` (run, threads, batch size) also classify every second record with ONNX
    Runtime, so that both processes classify while there are several records."""
    try:
        # what cutting beats imports (filters, QRS detector, resampling), while the parent reads
        import scipy.ndimage  # noqa: F401
        import scipy.signal  # noqa: F401

        import seqlab.data.ecg.segment  # noqa: F401

        model, index = None, 0
        while (item := queue.get()) is not None:
            record, rec, read_s = item
            prepared = prepare_beats(record, rec, opts, read_s)
            if classify is not None and index % 2 == 1:
                from seqlab.inference.onnx_engine import OnnxModel

                t0 = time.perf_counter()
                model = model or OnnxModel(classify[0], threads=classify[1])
                prepared.probs = model.predict_proba(prepared.inputs, classify[2])
                prepared.seconds += time.perf_counter() - t0
            conn.send(("record", prepared))
            index += 1
    except BaseException as exc:  # noqa: BLE001
        conn.send(("error", _picklable(exc)))
    finally:
        conn.close()


def _picklable(exc: BaseException) -> BaseException:
    import pickle

    try:
        pickle.loads(pickle.dumps(exc))
        return exc
    except Exception:  # noqa: BLE001
        return RuntimeError(f"{type(exc).__name__}: {exc}")
