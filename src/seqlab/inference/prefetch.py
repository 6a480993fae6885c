"""Prepare records' beats for ``seqlab predict`` in a second process while this one starts torch.

Why: a one-record prediction is mostly library start-up, in two independent halves: torch and
the model (~1.0 s here) on one side, scipy and wfdb plus reading, filtering, detecting and
segmenting the record (~1.0 s) on the other. On two cores they overlap, so the command takes
about the longer half plus the classification instead of their sum; with several records the
child prepares record i+1 while the parent classifies record i.

The child is forked before this process imports torch (a fork keeps no thread pools, and torch
starts some), and it imports neither torch nor the model: it reads the run's ``data`` options
with ``config.load_run``, which imports no model. Where fork is unavailable, or torch is already imported (tests,
notebooks), records are prepared in-process, in the same order, with the same code.
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
    seconds: float  # spent reading, filtering, detecting and segmenting

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
    from seqlab.data.ecg.segment import beats_from_record, read_record_for
    from seqlab.errors import SeqlabError

    record = Path(record)
    t0 = time.perf_counter()
    rec = read_record_for(record, opts, annotator=annotations)
    inputs, peaks = beats_from_record(rec, opts)
    if len(peaks) == 0:
        raise SeqlabError(f"no beats found in {record} (is it an ECG record at a sane gain?)")
    return PreparedRecord(record, float(rec.fs), len(rec.signal), inputs, peaks,
                          time.perf_counter() - t0)


def prepared_records(run_dir: str | Path, records: list, annotations: str | None = None
                     ) -> Iterator[PreparedRecord]:
    """``records`` prepared in order with the run's beat options (in whichever process calls it)."""
    opts = run_beat_options(run_dir, annotations)
    for record in records:
        yield prepare_record(record, opts, annotations)


class BeatPrefetcher:
    """Iterate over ``records`` as ``PreparedRecord``s, prepared ahead in a forked process.

    Use as a context manager and start it before importing torch; an error in the child
    (missing record, bad gain) is raised here, at that record, as it would be in-process."""

    def __init__(self, run_dir: str | Path, records: list[str | Path], annotations: str | None = None,
                 *, background: bool | None = None):
        self.run_dir, self.records, self.annotations = Path(run_dir), list(records), annotations
        if background is None:
            background = "torch" not in sys.modules
        self._proc = self._conn = None
        if background and self.records:
            self._start()

    def _start(self) -> None:
        import multiprocessing as mp

        if "fork" not in mp.get_all_start_methods():
            return
        ctx = mp.get_context("fork")
        self._conn, child_end = ctx.Pipe(duplex=False)
        self._proc = ctx.Process(target=_produce, name="seqlab-beats", daemon=True,
                                 args=(child_end, self.run_dir, self.records, self.annotations))
        self._proc.start()
        child_end.close()

    def __iter__(self) -> Iterator[PreparedRecord]:
        if self._proc is None:
            yield from prepared_records(self.run_dir, self.records, self.annotations)
            return
        for _ in self.records:
            try:
                kind, payload = self._conn.recv()
            except EOFError:
                from seqlab.errors import SeqlabError

                self._proc.join(5)
                raise SeqlabError(f"the process preparing beats died (exit code {self._proc.exitcode}); "
                                  "run again, or report it with the record") from None
            if kind == "error":
                raise payload
            yield payload

    def close(self) -> None:
        if self._proc is not None:
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


def _picklable(exc: BaseException) -> BaseException:
    import pickle

    try:
        pickle.loads(pickle.dumps(exc))
        return exc
    except Exception:  # noqa: BLE001
        return RuntimeError(f"{type(exc).__name__}: {exc}")
