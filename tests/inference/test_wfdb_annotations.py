"""seqlab's WFDB annotation writer gives the bytes ``wfdb.wrann`` gives, and ``rdann`` reads them."""

from __future__ import annotations

import numpy as np
import pytest

from seqlab.errors import SeqlabError
from seqlab.inference.wfdb_annotations import CODES, encode_annotations, write_annotation_file


def wfdb_bytes(tmp_path, samples, symbols, notes, fs):
    import wfdb

    wfdb.wrann("rec", "ref", samples, symbol=list(symbols), aux_note=list(notes), fs=fs, write_dir=str(tmp_path))
    return (tmp_path / "rec.ref").read_bytes()


@pytest.mark.parametrize("case", range(6))
def test_same_bytes_as_wfdb_wrann(case, tmp_path):
    from wfdb.io.annotation import ann_label_table

    table = {row.symbol: int(row.label_store) for row in ann_label_table.itertuples()}
    assert all(table[s] == code for s, code in CODES.items())
    rng = np.random.default_rng(case)
    n = int(rng.integers(1, 400))
    span = (2_000, 650_000, 5_000_000_000)[case % 3]  # short steps, SKIPs, steps beyond 2**31
    samples = np.sort(rng.integers(0, span, n))
    symbols = rng.choice(sorted(CODES), n)
    notes = rng.choice(["N", "S", "V", "F", "Q", "normal", "abnormal"], n)
    fs = (360, 250, 1000)[case % 3]
    assert encode_annotations(samples, symbols, notes, fs) == wfdb_bytes(tmp_path, samples, symbols, notes, fs)


def test_rdann_reads_the_file_back(tmp_path):
    import wfdb

    samples = np.array([0, 100, 1500, 700_000])
    write_annotation_file(tmp_path / "rec.seqlab", samples, ["N", "V", "S", "Q"], ["N", "V", "S", "abnormal"], 360)
    ann = wfdb.rdann(str(tmp_path / "rec"), "seqlab")
    assert ann.sample.tolist() == samples.tolist() and ann.symbol == ["N", "V", "S", "Q"]
    assert ann.aux_note == ["N", "V", "S", "abnormal"] and ann.fs == 360


def test_unsorted_samples_are_refused():
    with pytest.raises(SeqlabError, match="sorted"):
        encode_annotations(np.array([10, 5]), ["N", "N"], ["N", "N"], 360)
