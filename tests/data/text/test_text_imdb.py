"""IMDB readers: the aclImdb folder and CSV fixtures, JSON Lines, the builder, the dataset."""


import numpy as np
import pytest

from seqlab.data.registry import DATASETS
from seqlab.data.text.imdb import (ImdbConfig, imdb_build, read_imdb, read_imdb_csv,
                                   read_imdb_folder, read_imdb_jsonl)
from seqlab.errors import DataError


def test_folder_reader(fixtures):
    c = read_imdb_folder(fixtures / "aclImdb")
    assert c.split.count("train") == 7 and c.split.count("test") == 4  # unsup/ ignored
    x, y = c.part("train")
    assert y.tolist() == [0, 0, 0, 1, 1, 1, 1]
    assert "Caf\ufffd scene" in x[-1] and any("undecodable" in n for n in c.notes)


def test_csv_reader_without_split_is_stratified_half(fixtures):
    c = read_imdb_csv(fixtures / "imdb_small.csv")
    assert c.split.count("test") == 4 and sorted(c.part("test")[1].tolist()) == [0, 0, 1, 1]
    assert any("not the official" in n for n in c.notes)


def test_csv_reader_with_split_and_label_column(fixtures):
    c = read_imdb(fixtures / "imdb_split.csv")
    x, y = c.part("train")
    assert y.tolist() == [1, 0, 1, 0] and "multi\nline" in x[0]


def test_bad_label_and_unknown_form(tmp_path, fixtures):
    bad = tmp_path / "bad.csv"
    bad.write_text("review,sentiment\nok,maybe\n")
    with pytest.raises(DataError, match="label 'maybe'"):
        read_imdb(bad)
    with pytest.raises(DataError, match="unknown IMDB form"):
        read_imdb(fixtures / "userdic.txt")


def test_build_round_trip(fixtures, tmp_path):
    out = imdb_build(fixtures / "aclImdb", tmp_path / "imdb")
    assert (out["train"], out["test"]) == (7, 4)
    back = read_imdb_jsonl(tmp_path / "imdb" / "imdb_labelled.jsonl.gz")
    assert back.text == read_imdb_folder(fixtures / "aclImdb").text


def test_dataset_strips_html(fixtures, data_root):
    cfg = ImdbConfig(source=str(fixtures / "aclImdb"), val_fraction=0.3)
    data = DATASETS.get("imdb").fn(cfg, seed=0)
    assert data.classes == ["neg", "pos"] and len(data.test) == 4
    texts = list(data.train.x) + list(data.val.x)
    assert not any("<br" in t for t in texts) and any("great & the story" in t for t in texts)


def test_dataset_tokens(fixtures, data_root):
    cfg = ImdbConfig(source=str(fixtures / "imdb_small.csv"), representation="tokens",
                     vocab_size=200, min_frequency=1, max_length=12, val_fraction=0.25)
    data = DATASETS.get("imdb").fn(cfg, seed=0)
    assert data.test.x["input_ids"].shape == (4, 12) and data.model_kwargs["max_length"] == 12


def test_real_jsonl(shared):
    c = read_imdb_jsonl(shared / "imdb" / "imdb_labelled.jsonl.gz")
    for split in ("train", "test"):
        x, y = c.part(split)
        assert len(x) == 25_000 and np.bincount(y).tolist() == [12_500, 12_500]
