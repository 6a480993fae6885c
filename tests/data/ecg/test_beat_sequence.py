"""``data.beat_sequence``: beats stay in record order, the intra split moves whole blocks of
consecutive beats, and options that would reorder beats are refused."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from seqlab.data.ecg.beat_sequence import BeatSequence, block_split, group_runs, record_blocks
from seqlab.data.ecg.mitbih import MitbihConfig, mitbih

FIX = Path(__file__).resolve().parents[2] / "fixtures" / "ecg" / "mitdb"


@pytest.fixture(autouse=True)
def data_root(tmp_path, monkeypatch):
    monkeypatch.setenv("SEQLAB_DATA", str(tmp_path / "data"))


def test_runs_and_blocks_stay_inside_a_record():
    groups = np.array(["a"] * 7 + ["b"] * 2 + ["a"] * 3)  # a record may come back after another
    assert group_runs(groups, 12) == [(0, 7), (7, 9), (9, 12)]
    assert group_runs(None, 4) == [(0, 4)] and group_runs(groups[:0], 0) == []
    blocks = record_blocks(groups, 12, 3)
    assert [b.tolist() for b in blocks] == [[0, 1, 2], [3, 4, 5], [6], [7, 8], [9, 10, 11]]


def test_block_split_moves_whole_blocks_and_reaches_the_rare_class():
    rng = np.random.default_rng(0)
    y = np.zeros(2000, dtype=np.int64)
    y[rng.choice(2000, 60, replace=False)] = 1  # a rare class scattered over the record
    groups = np.repeat(["r1", "r2"], 1000)
    parts = block_split(y, groups, 10, 0.1, 0.2, seed=0)
    joined = np.concatenate(parts)
    assert np.array_equal(np.sort(joined), np.arange(2000))  # disjoint and complete
    for part in parts:
        starts = part[::10]
        assert np.all(starts % 10 == 0)  # whole blocks only, aligned to the record's beats
        assert np.array_equal(part, (starts[:, None] + np.arange(10)).reshape(-1))
        assert (y[part] == 1).any()  # stratified by the block's rarest class
    assert abs(len(parts[2]) / 2000 - 0.2) < 0.02


def test_options_that_reorder_beats_are_refused():
    with pytest.raises(ValueError, match="balance must be none"):
        MitbihConfig(beat_sequence={"length": 10}, balance="oversample")
    with pytest.raises(ValueError, match="sampler must be none"):
        MitbihConfig(beat_sequence={"length": 10}, sampler="weighted_sampler")
    with pytest.raises(ValueError, match="length"):
        MitbihConfig(beat_sequence={"length": 1})
    assert BeatSequence(length=8).model_kwargs() == {"beats_per_window": 8, "window_stride": 8}


def test_mitbih_intra_split_is_made_of_blocks_of_consecutive_beats():
    from seqlab.data.ecg.labels import label_beats
    from seqlab.data.ecg.mitbih import load_records

    cfg = MitbihConfig(source=str(FIX), split="intra", classes=["N", "S", "V", "F"], check_annotations=False,
                       cache=False, rr_features=False, beat_sequence={"length": 4, "stride": 2})
    data = mitbih(cfg, seed=0)
    assert data.model_kwargs["beats_per_window"] == 4 and data.model_kwargs["window_stride"] == 2
    assert "beats_per_window" not in mitbih(cfg.model_copy(update={"beat_sequence": None}), seed=0).model_kwargs
    per, _ = load_records(cfg, FIX, ["101", "208"])
    seen = 0
    for split in (data.train, data.val, data.test):
        seen += len(split)
        for start, stop in group_runs(split.groups, len(split)):
            record = per[str(split.groups[start])]
            beats = record["x"][label_beats(record["symbols"].astype(str), "aami5", cfg.classes)[0] >= 0]
            for s in range(start, stop, 4):  # the record's blocks in this split, in order
                first = int(np.flatnonzero((beats == split.x[s]).all(axis=(1, 2)))[0])
                assert first % 4 == 0  # a block starts every 4 kept beats of the record
                block = split.x[s:min(s + 4, stop)]
                assert np.array_equal(block, beats[first:first + len(block)])  # consecutive beats
                assert len(block) == 4 or first + len(block) == len(beats)  # only the record's last is short
    assert seen == sum(int((label_beats(per[n]["symbols"].astype(str), "aami5", cfg.classes)[0] >= 0).sum())
                       for n in per)
