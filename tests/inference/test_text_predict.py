"""Predicting on new text with a trained text run: the probabilities `seqlab evaluate` computes,
one output row per input row, one-line refusals."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

from seqlab import config
from seqlab.data.text.imdb import read_imdb
from seqlab.data.text.nsmc import read_ratings
from seqlab.errors import ConfigError, DataError
from seqlab.inference.evaluate import evaluate
from seqlab.inference.text_predict import (TextPredictor, is_text_run, predict_text_command, predict_texts,
                                           summary_lines)

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "text"
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    """An isolated data root (caches, the Kiwi cache) for the whole module."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SEQLAB_DATA", str(tmp_path_factory.mktemp("data")))
        yield


def _train(name: str, overrides: list[str], out: Path) -> Path:
    from seqlab.training import run

    cfg = config.load(REPO / "configs" / "text" / name, overrides)
    return run.train(cfg, out, report=False)


@pytest.fixture(scope="module")
def nsmc_run(env, tmp_path_factory) -> Path:
    """A scikit-learn run (TF-IDF + NB) on the NSMC fixture."""
    return _train("nsmc_tfidf_nb.yaml", [f"data.root={FIX / 'nsmc'}", "data.val_fraction=0.25"],
                  tmp_path_factory.mktemp("nsmc") / "run")


@pytest.fixture(scope="module")
def imdb_run(env, tmp_path_factory) -> Path:
    """A small TextCNN on subword ids, trained on the IMDB fixture (HTML in its reviews)."""
    overrides = [f"data.source={FIX / 'imdb_small.csv'}", "data.val_fraction=0.25", "data.vocab_size=200",
                 "data.min_frequency=1", "data.max_length=16", "data.batch_size=4", "model.num_filters=4",
                 "model.embed_dim=8", "trainer.max_epochs=1", "trainer.threads=1"]
    return _train("imdb_textcnn.yaml", overrides, tmp_path_factory.mktemp("imdb") / "run")


def test_classical_run_gives_the_probabilities_evaluate_computes(nsmc_run):
    texts, _, _ = read_ratings(FIX / "nsmc" / "ratings_test.txt")
    evaluate(nsmc_run, "test")
    with np.load(nsmc_run / "predictions_test.npz") as z:
        expected = z["probs"]
    labels, probs, classes = predict_texts(nsmc_run, texts)
    kept = np.array([lab is not None for lab in labels])
    assert classes == ["negative", "positive"]
    assert kept.sum() == len(expected) == len(texts) - 1  # the fixture's empty review has no prediction
    np.testing.assert_allclose(probs[kept], expected, rtol=0, atol=1e-6)
    assert [labels[i] for i in np.flatnonzero(kept)] == [classes[k] for k in expected.argmax(1)]


def test_network_run_gives_the_probabilities_evaluate_computes(imdb_run):
    texts, _ = read_imdb(FIX / "imdb_small.csv").part("test")
    assert any("<br />" in t for t in read_imdb(FIX / "imdb_small.csv").text)  # the run strips HTML
    evaluate(imdb_run, "test")
    with np.load(imdb_run / "predictions_test.npz") as z:
        expected = z["probs"]
    for engine in ("auto", "torch"):
        labels, probs, classes = predict_texts(imdb_run, texts, engine=engine)
        assert classes == ["neg", "pos"] and None not in labels
        np.testing.assert_allclose(probs, expected, rtol=0, atol=1e-5)


def test_a_file_of_n_rows_gives_n_rows(nsmc_run, tmp_path):
    out = tmp_path / "preds.csv"
    summary = predict_text_command(nsmc_run, file=FIX / "nsmc" / "ratings_test.txt", column="document", out=out)
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert len(rows) == summary["n_rows"] == 10 and summary["n_empty"] == 1
    assert list(rows[0]) == ["row", "id", "label", "p_negative", "p_positive", "text"]
    assert [r["row"] for r in rows] == [str(i) for i in range(1, 11)] and rows[0]["id"] == "6270596"
    empty = rows[1]
    assert empty["label"] == "" and empty["p_negative"] == "" and empty["text"] == ""
    full = [r for r in rows if r["label"]]
    assert all(abs(float(r["p_negative"]) + float(r["p_positive"]) - 1) < 1e-5 for r in full)
    assert sum(summary["counts"].values()) == 9 and "1 empty after cleaning" in summary_lines(summary)[0]


def test_plain_text_file_is_one_text_a_line(nsmc_run, tmp_path):
    src = tmp_path / "reviews.txt"
    src.write_bytes("정말 최고의 영화\n\n지루하고 별로".encode() + b"\xff\n")  # one byte that is not UTF-8
    out = tmp_path / "out.csv"
    summary = predict_text_command(nsmc_run, file=src, out=out)
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert len(rows) == 3 and rows[1]["label"] == "" and rows[0]["label"] in ("negative", "positive")
    assert "id" not in rows[0] and summary["replaced_bytes"] == 1


def test_csv_column_default_and_a_missing_column(nsmc_run, tmp_path):
    src = tmp_path / "reviews.csv"
    src.write_text('id,review,stars\n1,"최고, 정말 재밌다",10\n2,"별로, 지루함",1\n', encoding="utf-8")
    summary = predict_text_command(nsmc_run, file=src, out=tmp_path / "a.csv")
    assert summary["n_rows"] == 2 and summary["n_empty"] == 0
    with pytest.raises(DataError) as err:
        predict_text_command(nsmc_run, file=src, column="document", out=tmp_path / "b.csv")
    assert "no column 'document'; its columns: id, review, stars" in str(err.value)
    assert "\n" not in str(err.value) and not (tmp_path / "b.csv").exists()


def test_one_text_and_an_empty_text(nsmc_run):
    summary = predict_text_command(nsmc_run, text="이 영화 정말 최고 감동")
    (row,) = summary["rows"]
    assert row["label"] in ("negative", "positive") and abs(row["p_negative"] + row["p_positive"] - 1) < 1e-6
    assert summary_lines(summary)[0].startswith(row["label"])
    with pytest.raises(DataError, match="empty after the run's cleaning"):
        predict_text_command(nsmc_run, text="   ")
    with pytest.raises(ConfigError, match="not both"):
        predict_text_command(nsmc_run, text="a", file="b.txt")


def test_an_ecg_run_is_refused_in_one_line(tmp_path):
    run_dir = tmp_path / "ecg-run"
    run_dir.mkdir()
    cfg = config.from_dict({"name": "ecg", "data": {"name": "mitbih", "source": str(tmp_path)},
                            "model": {"name": "rr_resnet"}})
    config.save(cfg, run_dir / "config.yaml")
    assert not is_text_run(run_dir)
    with pytest.raises(ConfigError) as err:
        TextPredictor(run_dir)
    assert "was trained on 'mitbih', not on text" in str(err.value) and "\n" not in str(err.value)


@pytest.mark.slow
def test_kiwi_run_gives_evaluates_probabilities_from_a_cold_and_a_warm_cache(env, tmp_path, monkeypatch):
    """The morpheme cache changes the speed, never the probabilities (Kiwi loads in ~5 s: slow)."""
    cache = tmp_path / "kiwi.sqlite"
    monkeypatch.setenv("SEQLAB_KIWI_CACHE", str(cache))
    run_dir = _train("nsmc_kiwi_tfidf_lr.yaml", [f"data.root={FIX / 'nsmc'}", "data.val_fraction=0.25",
                                                 "model.min_df=1"], tmp_path / "run")
    texts, _, _ = read_ratings(FIX / "nsmc" / "ratings_test.txt")
    with np.load(run_dir / "predictions_test.npz") as z:  # written by the training's own evaluation
        expected = z["probs"]
    cache = tmp_path / "fresh.sqlite"  # a cold cache for the first prediction, warm for the second
    monkeypatch.setenv("SEQLAB_KIWI_CACHE", str(cache))
    for _ in ("cold", "warm"):
        labels, probs, _ = predict_texts(run_dir, texts)
        kept = np.array([lab is not None for lab in labels])
        np.testing.assert_allclose(probs[kept], expected, rtol=0, atol=1e-6)
        assert cache.is_file()

