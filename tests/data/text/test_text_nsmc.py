"""NSMC: the builder's published method on a small raw file, the original-format reader, the
registered dataset in both representations, and the real build when the shared data exists."""

import gzip
import json

import numpy as np
import pytest

from seqlab.data.registry import DATASETS
from seqlab.data.text.nsmc import NsmcConfig, nsmc_build, read_ratings, read_unlabelled
from seqlab.errors import DataError


def _raw(path, rows):
    lines = ["review_id\tmovie_id\trating\tdate\treview"]
    lines += [f"{i}\t77\t{r}\t20.01.01\t{t}" for i, (r, t) in enumerate(rows)]
    with gzip.open(path, "wt", encoding="utf-8") as fh:
        fh.write("\n".join(lines) + "\n")


@pytest.fixture
def raw(tmp_path):
    rows = [(1, f"별로 {i}") for i in range(6)] + [(10, f"최고 {i}") for i in range(6)]
    rows += [(4, "별로 0"), (9, "최고 1")]              # exact duplicates: kept once
    rows += [(2, "애매한 영화"), (10, "애매한 영화")]      # conflicting labels: dropped
    rows += [(6, "그냥 보통"), (7, "그냥 그럼"), (3, "   "), (10, "")]  # 5-8 unlabelled; empties
    path = tmp_path / "reviews.tsv.gz"
    _raw(path, rows)
    return path


def test_builder_follows_the_published_method(raw, tmp_path):
    out = tmp_path / "nsmc"
    s = nsmc_build(raw, out, seed=0, per_class=5, n_train=6)
    assert (s["train"], s["test"]) == (6, 4)
    assert s["empty_dropped"] == 2 and s["conflicting_texts_dropped"] == 1
    assert s["duplicate_texts_dropped"] == 3  # two exact repeats + the conflicting pair's second
    tr_x, tr_y, _ = read_ratings(out / "ratings_train.txt")
    te_x, te_y, _ = read_ratings(out / "ratings_test.txt")
    texts, labels = tr_x + te_x, np.concatenate([tr_y, te_y])
    assert len(set(texts)) == 10 and "애매한 영화" not in texts
    assert np.bincount(labels).tolist() == [5, 5]
    assert all((t.startswith("최고") and y == 1) or (t.startswith("별로") and y == 0)
               for t, y in zip(texts, labels))
    unlabelled = read_unlabelled(out / "unlabelled.txt")
    assert {"그냥 보통", "그냥 그럼"} <= set(unlabelled)
    assert not set(unlabelled) & set(te_x)  # test texts never reach pre-training
    assert json.loads((out / "build.json").read_text())["seed"] == 0


def test_builder_is_deterministic_and_seeded(raw, tmp_path):
    a = nsmc_build(raw, tmp_path / "a", seed=0, per_class=5, n_train=6)
    b = nsmc_build(raw, tmp_path / "b", seed=0, per_class=5, n_train=6)
    assert (tmp_path / "a" / "ratings_test.txt").read_bytes() == (tmp_path / "b" / "ratings_test.txt").read_bytes()
    assert a == {**b, "source": a["source"]}
    nsmc_build(raw, tmp_path / "c", seed=1, per_class=5, n_train=6)
    assert (tmp_path / "a" / "ratings_train.txt").read_bytes() != (tmp_path / "c" / "ratings_train.txt").read_bytes()


def test_builder_refuses_too_few_reviews(raw, tmp_path):
    with pytest.raises(DataError, match="the method needs 100"):
        nsmc_build(raw, tmp_path / "x", per_class=100, n_train=150)


def test_reader_takes_the_original_format(fixtures):
    x, y, stats = read_ratings(fixtures / "nsmc" / "ratings_train.txt")
    assert len(x) == len(y) == 17 and stats == {"replaced_bytes": 1, "malformed": 1}
    assert x[0] == "아 더빙.. 진짜 짜증나네요 목소리" and y[0] == 0
    assert "" in x  # empty documents are dropped (and counted) by the dataset, not the reader


def test_dataset_raw(fixtures, data_root):
    cfg = NsmcConfig(root=str(fixtures / "nsmc"), val_fraction=0.25)
    data = DATASETS.get("nsmc").fn(cfg, seed=0)
    assert data.classes == ["negative", "positive"]
    assert data.train.x.dtype == object and isinstance(data.train.x[0], str)
    assert len(data.train) + len(data.val) == 16 and len(data.test) == 9  # one empty doc each
    assert any("empty after cleaning: 1 train, 1 test" in n for n in data.summary["notes"])
    assert data.artifacts == {} and data.model_kwargs == {}


def test_dataset_tokens_cached_with_tokenizer_artifact(fixtures, data_root):
    cfg = NsmcConfig(root=str(fixtures / "nsmc"), representation="tokens", vocab_size=300,
                     min_frequency=1, max_length=16, val_fraction=0.25)
    data = DATASETS.get("nsmc").fn(cfg, seed=0)
    ids, mask = data.train.x["input_ids"], data.train.x["attention_mask"]
    assert ids.shape == mask.shape == (len(data.train), 16) and ids.dtype == np.int64
    assert (ids[:, 0] == 2).all() and ((ids == 0) == (mask == 0)).all()  # [CLS] first; pads masked
    assert data.model_kwargs == {"vocab_size": data.model_kwargs["vocab_size"], "max_length": 16, "pad_id": 0}
    tok = data.artifacts["tokenizer.json"]
    assert tok.startswith(str(data_root / "cache" / "text"))
    again = DATASETS.get("nsmc").fn(cfg, seed=0)  # from the cache: same arrays
    assert np.array_equal(again.test.x["input_ids"], data.test.x["input_ids"])
    # a given tokenizer (e.g. the pre-training run's) is used as is
    given = DATASETS.get("nsmc").fn(cfg.model_copy(update={"tokenizer_path": tok, "vocab_size": 50}), seed=0)
    assert np.array_equal(given.test.x["input_ids"], data.test.x["input_ids"])
    assert given.artifacts["tokenizer.json"] == tok


def test_missing_data_is_a_clear_error(tmp_path, data_root):
    cfg = NsmcConfig(root=str(tmp_path / "none"), raw_source=str(tmp_path / "none.tsv.gz"))
    with pytest.raises(DataError, match="seqlab data build nsmc"):
        DATASETS.get("nsmc").fn(cfg, seed=0)


def test_real_build_counts(shared, tmp_path):
    s = nsmc_build(shared / "nsmc" / "reviews.tsv.gz", tmp_path / "nsmc", seed=0)
    assert (s["train"], s["test"]) == (150_000, 50_000)
    assert s["train_counts"]["negative"] + s["test_counts"]["negative"] == 100_000
    assert s["raw_lines"] == 639_236 and s["unlabelled"] > 400_000
    cfg = NsmcConfig(root=str(tmp_path / "nsmc"), max_train=2000, max_test=1000)
    data = DATASETS.get("nsmc").fn(cfg, seed=0)
    assert len(data.train) + len(data.val) == 2000 and len(data.test) == 1000
