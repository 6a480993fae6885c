"""The mitbih / ptbdb datasets on fixtures: splits, summary, cache, fetch, CLI verbs."""

import argparse
import hashlib
import os
import shutil
from pathlib import Path

import numpy as np
import pytest

import seqlab.data.ecg  # noqa: F401  (registers the datasets)
from seqlab.data.ecg.fetch import fetch_mitdb, verify_dir
from seqlab.data.ecg.mitbih import MitbihConfig, mitbih
from seqlab.data.ecg.ptbdb import PtbdbConfig, ptbdb
from seqlab.data.ecg.segment import RR_FEATURES
from seqlab.data.registry import DATASETS
from seqlab.errors import ConfigError, DataError

FIX = Path(__file__).resolve().parents[2] / "fixtures" / "ecg"


@pytest.fixture(autouse=True)
def data_root(tmp_path, monkeypatch):
    monkeypatch.setenv("SEQLAB_DATA", str(tmp_path / "data"))
    return tmp_path / "data"


def cfg(**kw):
    return MitbihConfig(source=str(FIX / "mitdb"), **kw)


def test_registered_with_configs():
    assert {"mitbih", "ptbdb"} <= set(DATASETS.names())
    assert DATASETS.get("mitbih").meta["config"] is MitbihConfig


def test_config_rejects_bad_values_listing_choices():
    with pytest.raises(Exception, match="intra.*inter.*patient_kfold.*records"):
        MitbihConfig(split="random")
    with pytest.raises(Exception, match="extra"):
        MitbihConfig(splt="intra")
    assert MitbihConfig(exclude_records=[102, 104]).exclude_records == ["102", "104"]
    with pytest.raises(Exception, match=r"not in label scheme 'aami5'"):
        MitbihConfig(classes=["N", "X"])
    with pytest.raises(Exception, match="window_s"):
        MitbihConfig(window_s=(0.2, -1.0))


def test_intra_split_summary_and_shapes():
    data = mitbih(cfg(), seed=0)
    assert data.classes == ["N", "S", "V", "F", "Q"]
    assert data.model_kwargs == {"in_channels": 1, "seq_len": 187, "num_rr": 9, "rr_names": list(RR_FEATURES)}
    x = data.train.x
    assert x["x"].dtype == np.float32 and x["x"].shape[1:] == (1, 187) and x["rr"].shape[1] == 9
    assert data.train.y.dtype == np.int64
    s = data.summary
    assert s["intra_patient"] is True and s["notes"][0].startswith("**Intra-patient")
    for key in ("protocol", "records", "counts", "dropped_edge_beats", "unknown_symbols",
                "skipped_non_beat", "notes", "filters", "detector"):
        assert key in s
    total = sum(sum(c.values()) for c in s["counts"].values())
    assert total + s["dropped_edge_beats"] == sum(s["counts_before_edge_drop"].values())
    assert s["dropped_edge_beats"] >= 2 and s["counts"]["test"]["V"] > 0
    assert set(np.unique(data.test.groups)) <= {"101", "208"}


def test_records_split_is_by_record_and_balance_train_only():
    data = mitbih(cfg(split="records", train_records=["208"], test_records=["101"],
                      classes=["N", "S", "V", "F"], balance="oversample"), seed=0)
    assert set(data.train.groups) == {"208"} and set(data.test.groups) == {"101"}
    assert len(data.val) == 0 and data.summary["intra_patient"] is False
    counts = np.bincount(data.train.y, minlength=4)
    assert len(set(counts[counts > 0].tolist())) == 1  # balanced train
    assert data.summary["counts"]["test"]["N"] == int((data.test.y == 0).sum())
    with pytest.raises(ConfigError, match="record 101 is in both"):
        mitbih(cfg(split="records", train_records=["101"], test_records=["101"]), seed=0)


def test_inter_without_ds2_names_missing_records():
    with pytest.raises(DataError, match=r"needs records .*106.*100 103.*patient_kfold"):
        mitbih(cfg(split="inter"), seed=0)


def test_patient_kfold_needs_enough_records():
    with pytest.raises((DataError, ConfigError)):
        mitbih(cfg(split="patient_kfold", records=["101", "208"], folds=2), seed=0)


def test_missing_source_suggests_fetch(tmp_path):
    with pytest.raises(DataError, match="seqlab data fetch mitdb --source ../shared/data/mitdb"):
        mitbih(MitbihConfig(), seed=0)


def test_cache_hit_then_rebuild_on_config_or_file_change(tmp_path):
    src = tmp_path / "src"
    shutil.copytree(FIX / "mitdb", src)
    c = MitbihConfig(source=str(src))
    first = mitbih(c, seed=0)
    assert first.summary["cache"] == {"hits": 0, "misses": 2}
    again = mitbih(c, seed=0)
    assert again.summary["cache"] == {"hits": 2, "misses": 0}
    assert np.array_equal(first.train.x["x"], again.train.x["x"])
    assert mitbih(MitbihConfig(source=str(src), filters=["sym4"]), seed=0).summary["cache"]["misses"] == 2
    assert mitbih(MitbihConfig(source=str(src), split="records", train_records=["101"],
                               test_records=["208"]), seed=1).summary["cache"]["hits"] == 2
    st = (src / "208.atr").stat()
    os.utime(src / "208.atr", ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))
    assert mitbih(c, seed=0).summary["cache"] == {"hits": 1, "misses": 1}


def test_annotations_from_another_record_are_caught(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    shutil.copy(FIX / "mitdb" / "101.hea", src)
    shutil.copy(FIX / "mitdb" / "101.dat", src)
    shutil.copy(FIX / "mitdb" / "208.atr", src / "101.atr")  # same length, wrong beats
    with pytest.raises(DataError, match="record 101: only .* line up .*another"):
        mitbih(MitbihConfig(source=str(src), cache=False), seed=0)


def test_detector_peaks_labelled_from_annotations():
    data = mitbih(cfg(peaks="seqlab", rr_features=False, cache=False), seed=0)
    assert data.model_kwargs["num_rr"] == 0 and isinstance(data.train.x, np.ndarray)
    assert data.summary["detector"] == "seqlab"
    ref = mitbih(cfg(cache=False), seed=0)
    n_det = sum(sum(c.values()) for c in data.summary["counts"].values())
    n_ref = sum(sum(c.values()) for c in ref.summary["counts"].values())
    assert abs(n_det - n_ref) <= 0.03 * n_ref


def test_ptbdb_raw_layout_patient_split():
    data = ptbdb(PtbdbConfig(source=str(FIX / "ptbdb"), test_fraction=0.25, val_fraction=0.25), seed=0)
    assert data.classes == ["normal", "mi"]
    s = data.summary
    assert s["form"] == "wfdb" and s["intra_patient"] is False
    assert not set(s["records"]["train"]) & set(s["records"]["test"])
    assert all(len(s["records"][k]) >= 1 for k in ("train", "val", "test"))
    assert "patient007" not in sum(s["records"].values(), [])  # 'other' diagnosis dropped
    assert data.train.x["x"].shape[1:] == (1, 187) and data.model_kwargs["num_rr"] == 9
    assert s["dropped_edge_beats"] >= 9  # the first beat of each record sits < 0.5 s in
    with_other = ptbdb(PtbdbConfig(source=str(FIX / "ptbdb"), classes=["normal", "mi", "other"],
                                   split="intra"), seed=0)
    assert with_other.classes == ["normal", "mi", "other"] and with_other.summary["intra_patient"]


def test_ptbdb_kaggle_form():
    data = ptbdb(PtbdbConfig(source=str(FIX / "ptbdb_kaggle")), seed=0)
    assert data.summary["form"] == "kaggle" and data.summary["intra_patient"] is True
    assert data.model_kwargs == {"in_channels": 1, "seq_len": 187, "num_rr": 0}
    assert len(data.train) + len(data.val) + len(data.test) == 30


def _manifest(directory: Path) -> None:
    lines = [f"{hashlib.sha256(p.read_bytes()).hexdigest()} {p.name}"
             for p in sorted(directory.iterdir()) if p.suffix in (".hea", ".dat", ".atr")]
    (directory / "SHA256SUMS.txt").write_text("\n".join(lines) + "\n")


def test_fetch_copies_and_verifies(tmp_path):
    src = tmp_path / "src"
    shutil.copytree(FIX / "mitdb", src)
    _manifest(src)
    dest = fetch_mitdb(source=src, dest=tmp_path / "dest")
    assert (dest / "208.dat").read_bytes() == (src / "208.dat").read_bytes()
    assert "101.atr" in verify_dir(dest)
    with open(dest / "101.dat", "r+b") as fh:
        fh.write(b"\xff\xff")
    with pytest.raises(DataError, match="checksum mismatch: 101.dat"):
        verify_dir(dest)
    (src / "208.atr").unlink()
    with pytest.raises(DataError, match="208.atr"):
        fetch_mitdb(source=src, dest=tmp_path / "dest2")


def test_cli_verbs(tmp_path, capsys):
    from seqlab.cli.ecg_data import register

    parser = argparse.ArgumentParser()
    register(parser.add_subparsers())
    src = tmp_path / "src"
    shutil.copytree(FIX / "mitdb", src)
    _manifest(src)
    args = parser.parse_args(["fetch", "mitdb", "--source", str(src), "--dest", str(tmp_path / "d")])
    assert args.func(args) == 0
    args = parser.parse_args(["qrs-eval", "mitdb", "--source", str(src), "--records", "208"])
    assert args.func(args) == 0
    out = capsys.readouterr().out
    assert "pooled" in out and "excluding ventricular flutter" in out
    args = parser.parse_args(["summary", "mitdb", "--source", str(src)])
    assert args.func(args) == 0
    assert "Intra-patient" in capsys.readouterr().out


def test_inter_protocol_with_ds2_present(tmp_path, monkeypatch):
    import seqlab.data.ecg.splits as splits

    src = tmp_path / "src"
    shutil.copytree(FIX / "mitdb", src)
    (src / "106.hea").write_text((src / "101.hea").read_text().replace("101", "106"))
    shutil.copy(src / "101.dat", src / "106.dat")
    shutil.copy(src / "101.atr", src / "106.atr")
    monkeypatch.setattr(splits, "record_groups",
                        lambda: {"DS1": ("101", "106"), "DS2": ("208",), "paced": ()})
    data = mitbih(MitbihConfig(source=str(src), split="inter", classes=["N", "S", "V", "F"],
                               val_fraction=0.5), seed=0)
    rec = data.summary["records"]
    assert rec["test"] == ["208"] and sorted(rec["train"] + rec["val"]) == ["101", "106"]
    assert len(rec["val"]) == 1 and set(data.test.groups) == {"208"}
    assert data.summary["intra_patient"] is False and data.classes == ["N", "S", "V", "F"]
    assert data.summary["dropped_by_label"] == {}  # no Q beats in these excerpts


def test_serving_path_matches_training_arrays():
    """``beats_from_record`` on a record gives exactly the rows the dataset trained on."""
    from seqlab.data.ecg import beats_from_record, read_record_for

    c = cfg(split="records", train_records=["208"], test_records=["101"], classes=["N", "S", "V", "F"])
    data = mitbih(c, seed=0)
    inputs, peaks = beats_from_record(read_record_for(FIX / "mitdb" / "208", c, annotator="atr"), c)
    from seqlab.data.ecg.labels import label_beats
    from seqlab.data.ecg.reader import read_record

    rec = read_record(FIX / "mitdb" / "208")
    sym = rec.ann_symbols[np.searchsorted(rec.ann_samples, peaks)]
    y, _ = label_beats(sym, "aami5", ["N", "S", "V", "F"])
    assert np.array_equal(inputs["x"][y >= 0], data.train.x["x"])
    assert np.array_equal(inputs["rr"][y >= 0], data.train.x["rr"])
    assert np.array_equal(y[y >= 0], data.train.y)


def test_extra_lead_gives_two_channels():
    data = mitbih(cfg(extra_lead=True), seed=0)
    assert data.model_kwargs["in_channels"] == 2 and data.train.x["x"].shape[1:] == (2, 187)
    assert data.summary["leads"] == {"101": "MLII+V1", "208": "MLII+V1"}
    one = mitbih(cfg(), seed=0)
    assert np.array_equal(data.train.y, one.train.y)
    assert np.array_equal(data.train.x["x"][:, 0], one.train.x["x"][:, 0])


def test_no_records_left_is_a_data_error():
    with pytest.raises(DataError, match="no records left"):
        mitbih(cfg(exclude_records=["101", "208"]), seed=0)
