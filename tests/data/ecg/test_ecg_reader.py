"""Reader: header checks and the documented handling of bad input (fixtures in tmp_path)."""

import shutil
from pathlib import Path

import numpy as np
import pytest
import wfdb

from seqlab.data.ecg.reader import choose_lead, read_header, read_record
from seqlab.errors import DataError

FIX = Path(__file__).resolve().parents[2] / "fixtures" / "ecg" / "mitdb"


def copy_record(tmp_path: Path, name: str = "101") -> Path:
    for f in FIX.glob(f"{name}.*"):
        shutil.copy(f, tmp_path / f.name)
    return tmp_path / name


def test_reads_lead_by_name_and_annotations():
    rec = read_record(FIX / "101")
    assert rec.lead == "MLII" and rec.fs == 360.0
    assert rec.signal.dtype == np.float32 and rec.signal.shape == (14400,)
    assert rec.ann_samples.size == rec.ann_symbols.size > 40
    assert np.all(np.diff(rec.ann_samples) >= 0)


def test_missing_lead_is_an_error_unless_fallback():
    with pytest.raises(DataError, match="record 101 has no lead 'II'.*lead_fallback"):
        read_record(FIX / "101", lead="II")
    assert choose_lead(["V5", "V2"], "MLII", "any") == 0
    assert choose_lead(["V1", "II"], "MLII", "limb") == 1
    rec = read_record(FIX / "101", lead="II", lead_fallback="limb")
    assert rec.lead == "MLII" and "lead_fallback" in rec.notes[0]


def test_truncated_dat(tmp_path):
    path = copy_record(tmp_path)
    data = (tmp_path / "101.dat").read_bytes()
    (tmp_path / "101.dat").write_bytes(data[: len(data) // 2])
    with pytest.raises(DataError, match=r"record 101: 101\.dat is truncated"):
        read_record(path)


def test_header_pointing_at_missing_file(tmp_path):
    path = copy_record(tmp_path)
    hea = tmp_path / "101.hea"
    hea.write_text(hea.read_text().replace("101.dat", "gone.dat"))
    with pytest.raises(DataError, match="header names signal file gone.dat, which does not exist"):
        read_record(path)


def test_bogus_header_length_is_refused_before_reading(tmp_path):
    path = copy_record(tmp_path)
    hea = tmp_path / "101.hea"
    lines = hea.read_text().splitlines()
    lines[0] = "101 2 360 99999999999"  # would be ~1.5 TB of samples
    hea.write_text("\n".join(lines) + "\n")
    with pytest.raises(DataError, match="truncated or the header is wrong"):
        read_header(path)


@pytest.mark.parametrize("fs", ["0", "1e9", "-360"])
def test_insane_sampling_rate(tmp_path, fs):
    path = copy_record(tmp_path)
    hea = tmp_path / "101.hea"
    lines = hea.read_text().splitlines()
    lines[0] = f"101 2 {fs} 14400"
    hea.write_text("\n".join(lines) + "\n")
    with pytest.raises(DataError, match=f"record 101: sampling rate '{fs}' in .*101.hea"):
        read_record(path)


def test_garbage_header_becomes_data_error(tmp_path):
    (tmp_path / "x.hea").write_text("this is not a header\n")
    with pytest.raises(DataError, match="record x"):
        read_record(tmp_path / "x")


def test_annotations_beyond_the_signal(tmp_path):
    """An annotation file from a longer record (here: the full-length one cut shorter)."""
    rec = wfdb.rdrecord(str(FIX / "101"), physical=False)
    wfdb.wrsamp("101", fs=360, units=rec.units, sig_name=rec.sig_name, d_signal=rec.d_signal[:3600],
                fmt=rec.fmt, adc_gain=rec.adc_gain, baseline=rec.baseline, write_dir=str(tmp_path))
    shutil.copy(FIX / "101.atr", tmp_path / "101.atr")
    with pytest.raises(DataError, match="belongs to another record"):
        read_record(tmp_path / "101")


def _write(tmp_path, name, signal, fs, ann=None):
    wfdb.wrsamp(name, fs=fs, units=["mV"], sig_name=["MLII"], p_signal=signal[:, None],
                fmt=["16"], adc_gain=[200.0], baseline=[0], write_dir=str(tmp_path))
    if ann is not None:
        wfdb.wrann(name, "atr", ann[0], symbol=list(ann[1]), write_dir=str(tmp_path))
    return tmp_path / name


def test_nan_short_gap_interpolated_long_gap_error(tmp_path):
    base = read_record(FIX / "101")
    x = base.signal.astype(np.float64)
    short = x.copy()
    short[1000:1036] = np.nan  # 0.1 s: under 1% of the record
    rec = read_record(_write(tmp_path, "short", short, 360, (base.ann_samples, base.ann_symbols)))
    assert not np.isnan(rec.signal).any() and "NaN samples linearly interpolated" in rec.notes[0]
    long = x.copy()
    long[1000:3000] = np.nan
    with pytest.raises(DataError, match="record long: 2000 of 14400 samples are NaN"):
        read_record(_write(tmp_path, "long", long, 360))


def test_250_hz_record_resampled_to_target(tmp_path):
    from seqlab.data.ecg.reader import resample_signal

    base = read_record(FIX / "101")
    x250 = resample_signal(base.signal, 360.0, 250.0).astype(np.float64)
    ann = np.round(base.ann_samples * 250 / 360).astype(np.int64)
    path = _write(tmp_path, "r250", x250, 250, (ann, base.ann_symbols))
    rec = read_record(path, fs=360.0)
    assert rec.fs == 360.0 and abs(rec.signal.size - base.signal.size) <= 2
    assert np.abs(rec.ann_samples - base.ann_samples).max() <= 2
    assert "resampled from 250 Hz to 360 Hz" in rec.notes[0]
    native = read_record(path, fs=None)
    assert native.fs == 250.0


def test_extra_lead_reads_the_other_channel(tmp_path):
    rec = read_record(FIX / "208", extra_lead=True)
    assert rec.extra_lead == "V1" and rec.extra.shape == rec.signal.shape
    x = read_record(FIX / "101").signal.astype(np.float64)
    with pytest.raises(DataError, match="single lead; extra_lead needs two"):
        read_record(_write(tmp_path, "one", x, 360), annotator=None, extra_lead=True)
