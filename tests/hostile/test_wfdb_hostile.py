"""Hostile or broken WFDB records (issue 20): each is built here, in tmp_path, and must be
refused with a one-line seqlab error naming the record and the fix, in under 2 s, without
allocating more than a few MB; garbage that reads fine must be flagged by the quality check.
"""

from __future__ import annotations

import tracemalloc
from pathlib import Path

import numpy as np
import pytest
import wfdb  # noqa: F401  (imported here so the timed calls below do not pay for the import)

from testpaths import SHARED_DATA
from limits import MB, refused
from seqlab.data.ecg.qrs import ecg_peaks
from seqlab.data.ecg.quality import ecg_quality
from seqlab.data.ecg.reader import read_header, read_record
from seqlab.errors import ConfigError

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "ecg" / "mitdb"
MITDB_RECORDS = ("101 102 104 106 107 108 109 112 114 115 116 118 119 122 124 201 203 205 "
                 "207 208 209 215 217 220 223 230").split()


@pytest.fixture(autouse=True)
def isolated(tmp_path, monkeypatch):
    """Run in tmp_path with an empty data root and the default limit, and check afterwards
    that nothing appeared beside the test's own folders."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SEQLAB_DATA", str(tmp_path / "data"))
    monkeypatch.delenv("SEQLAB_MAX_RECORD_MB", raising=False)
    (tmp_path / "rec").mkdir()
    yield
    assert sorted(p.name for p in tmp_path.iterdir()) in (["rec"], ["data", "rec"])


def write_record(folder: Path, name: str, header: str, dat_bytes: int = 0) -> Path:
    (folder / f"{name}.hea").write_text(header)
    with open(folder / f"{name}.dat", "wb") as fh:
        fh.truncate(dat_bytes)  # sparse: no disk space used
    return folder / name


def test_sparse_2gb_record_claiming_a_billion_samples_is_refused_before_reading(tmp_path):
    path = write_record(tmp_path / "rec", "huge", "huge 1 360 1000000000\n"
                        "huge.dat 16 200 16 0 0 0 0 MLII\n", dat_bytes=2 * 10**9)
    msg = refused(lambda: read_record(path, annotator=None), "record huge", "1024 MB limit",
                  "SEQLAB_MAX_RECORD_MB")
    assert "3,815 MB" in msg  # 10^9 samples x 4 bytes, the figure a user can check


def test_record_limit_is_configurable(tmp_path, monkeypatch):
    samples = (np.sin(np.arange(200_000) / 20) * 1000).astype("<i2")
    (tmp_path / "rec" / "mid.dat").write_bytes(samples.tobytes())
    (tmp_path / "rec" / "mid.hea").write_text("mid 1 360 200000\nmid.dat 16 200 16 0 0 0 0 MLII\n")
    path = tmp_path / "rec" / "mid"
    assert read_record(path, annotator=None).signal.size == 200_000  # 0.8 MB: under 1024 MB
    monkeypatch.setenv("SEQLAB_MAX_RECORD_MB", "0.5")
    refused(lambda: read_record(path, annotator=None), "record mid", "over the 0.5 MB limit")
    assert read_record(path, annotator=None, max_mb=2).signal.size == 200_000  # keyword wins
    monkeypatch.setenv("SEQLAB_MAX_RECORD_MB", "lots")
    with pytest.raises(ConfigError, match="SEQLAB_MAX_RECORD_MB.*'lots'"):
        read_record(path, annotator=None)


def test_twenty_thousand_signals_refused_in_milliseconds(tmp_path):
    lines = "".join(f"many.dat 16 200 16 0 0 0 0 s{i}\n" for i in range(20_000))
    path = write_record(tmp_path / "rec", "many", f"many 20000 360 1000\n{lines}", 20_000 * 2000)
    refused(lambda: read_record(path, annotator=None), "record many", "declares 20000 signals",
            "1 to 64", "fix the header", seconds=0.5)


def test_oversized_header_refused(tmp_path):
    path = write_record(tmp_path / "rec", "fat", "fat 1 360 1000\nfat.dat 16 200 16 0 0 0 0 MLII\n"
                        + "# filler comment line\n" * 100_000, 2000)
    refused(lambda: read_header(path), "record fat", "too big for a WFDB header", "fat.hea")


HEADER = "bad 1 {fs} {n}\nbad.dat 16 {gain} 16 0 0 0 0 MLII\n"


@pytest.mark.parametrize(("fs", "gain", "n", "expected"), [
    ("-360", "200", "1000", "sampling rate '-360' in"),  # wfdb reads 250 Hz
    ("0", "200", "1000", "sampling rate '0' in"),
    ("1e9", "200", "1000", "sampling rate '1e9' in"),  # once reported as "1 Hz"
    ("1e6", "200", "1000", "sampling rate '1e6' in"),
    ("abc", "200", "1000", "sampling rate 'abc' in"),  # wfdb reads 250 Hz
    ("nan", "200", "1000", "sampling rate 'nan' in"),
    ("360", "-5(0)/mV", "1000", "gain '-5(0)/mV' is not a positive number"),
    ("360", "abc", "1000", "gain 'abc'"),  # wfdb reads 200 and takes 'abc' for the units
    ("360", "200(x)/mV", "1000", "gain '200(x)/mV'"),  # wfdb reads baseline 0
    ("360", "200(+5)/mV", "1000", "gain '200(+5)/mV'"),  # wfdb reads baseline 0
    ("360", "1E5/mV", "1000", "gain '1E5/mV'"),  # wfdb reads gain 1, units 'E5'
    ("1e3", "200", "1000", "sampling rate '1e3'"),  # wfdb reads 1 Hz
    ("360", "200", "-1000", "sample count '-1000' in"),
    ("360", "200", "1e3", "sample count '1e3'"),
])
def test_impossible_header_values_are_refused_with_the_value(tmp_path, fs, gain, n, expected):
    path = write_record(tmp_path / "rec", "bad", HEADER.format(fs=fs, gain=gain, n=n), 2000)
    msg = refused(lambda: read_record(path, annotator=None), "record bad", expected)
    assert str(path) + ".hea" in msg and "fix the header" in msg


@pytest.mark.parametrize("gain", ["0", "0(0)/mV"])
def test_uncalibrated_gain_refused_on_the_leads_read_only(tmp_path, gain):
    """Gain 0 is WFDB's 'uncalibrated' (wfdb silently uses 200): no mV scale for that lead."""
    header = f"two 2 360 1000\ntwo.dat 16 200 16 0 0 0 0 MLII\ntwo.dat 16 {gain} 16 0 0 0 0 Resp\n"
    path = write_record(tmp_path / "rec", "two", header, 4000)
    assert read_record(path, annotator=None).signal.size == 1000  # MLII is calibrated
    refused(lambda: read_record(path, annotator=None, extra_lead=True), "record two",
            "lead Resp has gain 0", "two.hea", "choose another lead")
    refused(lambda: read_record(path, lead="Resp", annotator=None), "lead Resp has gain 0")


def test_signal_file_outside_the_record_folder_refused(tmp_path):
    path = write_record(tmp_path / "rec", "esc", "esc 1 360 1000\n../esc.dat 16 200 16 0 0 0 0 MLII\n")
    refused(lambda: read_record(path, annotator=None), "record esc", "'../esc.dat'",
            "not a file beside the header")


def test_huge_annotation_file_refused(tmp_path, monkeypatch):
    path = write_record(tmp_path / "rec", "ann", "ann 1 360 1000\nann.dat 16 200 16 0 0 0 0 MLII\n", 2000)
    with open(tmp_path / "rec" / "ann.atr", "wb") as fh:
        fh.truncate(100 * MB)  # sparse: 100 MB of zeros would cost rdann ~5 GB of Python objects
    refused(lambda: read_record(path), "record ann", "ann.atr", "SEQLAB_MAX_RECORD_MB")


def test_long_record_is_read_in_chunks_with_the_same_samples(tmp_path):
    """3 M samples x 2 signals: three wfdb reads of 1 M, identical to one whole read."""
    rng = np.random.default_rng(0)
    n = 3_000_000
    d = rng.integers(-2000, 2000, size=(n, 2), dtype=np.int16)
    (tmp_path / "rec" / "long.dat").write_bytes(d.astype("<i2").tobytes())
    (tmp_path / "rec" / "long.hea").write_text(
        f"long 2 360 {n}\nlong.dat 16 200 16 0 0 0 0 MLII\nlong.dat 16 100(5)/mV 16 0 0 0 0 V1\n")
    tracemalloc.start()
    rec = read_record(tmp_path / "rec" / "long", annotator=None, extra_lead=True)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    np.testing.assert_allclose(rec.signal, d[:, 0] / 200.0, rtol=1e-6)
    np.testing.assert_allclose(rec.extra, (d[:, 1] - 5) / 100.0, rtol=1e-6)
    # output 2 x 12 MB; wfdb alone on the whole record peaks near 17 bytes x 6 M values
    assert peak < 2 * rec.signal.nbytes + 64 * MB, f"peak {peak / MB:.0f} MB"


def _random_bytes_record(folder: Path) -> Path:
    n = 360 * 300  # 5 minutes, two signals in format 212 (3 bytes a frame)
    (folder / "rnd.dat").write_bytes(np.random.default_rng(1).integers(0, 256, 3 * n, np.uint8).tobytes())
    (folder / "rnd.hea").write_text(f"rnd 2 360 {n}\nrnd.dat 212 200 11 1024 0 0 0 MLII\n"
                                    "rnd.dat 212 200 11 1024 0 0 0 V1\n")
    return folder / "rnd"


def test_random_bytes_white_noise_and_flat_line_are_not_acceptable_ecg(tmp_path):
    rec = read_record(_random_bytes_record(tmp_path / "rec"), annotator=None)
    fs = 360.0
    rng = np.random.default_rng(2)
    signals = {"random bytes": rec.signal, "white noise": rng.normal(size=rec.signal.size),
               "flat line": np.full(rec.signal.size, 0.3)}
    for what, x in signals.items():
        peaks, _ = ecg_peaks(x, fs)
        report = ecg_quality(x, fs, peaks)
        assert not report.acceptable and report.score < 0.5 and report.reasons, (what, report)
        assert 0.0 <= report.score <= 1.0
    assert ecg_quality(rec.signal, fs, ecg_peaks(rec.signal, fs)[0]).n_beats > 100  # detector fooled


def test_all_mitdb_records_are_acceptable_ecg():
    src = SHARED_DATA / "mitdb"
    if not (src / "101.hea").is_file():
        pytest.skip(f"real MIT-BIH records not found in {src}")
    low = {}
    for name in MITDB_RECORDS:
        rec = read_record(src / name, lead_fallback="any", annotator=None)
        report = ecg_quality(rec.signal, rec.fs, ecg_peaks(rec.signal, rec.fs)[0])
        if not report.acceptable:
            low[name] = report
        assert 0.0 <= report.score <= 1.0
    assert not low, low


def test_quality_report_on_the_fixture_record():
    rec = read_record(FIX / "208")
    report = ecg_quality(rec.signal, rec.fs, ecg_peaks(rec.signal, rec.fs)[0])
    assert report.acceptable and report.template_corr > 0.8 and 40 < report.heart_rate_bpm < 140
    row = report.as_dict()
    assert set(row) >= {"score", "acceptable", "reasons"} and isinstance(row["reasons"], str)
    with pytest.raises(ConfigError, match="sampling rate"):
        ecg_quality(rec.signal, -1.0, np.array([1, 2, 3]))
