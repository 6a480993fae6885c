"""seqlab's vectorisers give scikit-learn's features value for value (their own counting for a
fitted vocabulary, checked against scikit-learn's loop on awkward text), and save their
vocabulary as two arrays that load back to the same dict."""

import pickle
import zipfile

import numpy as np
import pytest
from scipy import sparse
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer

from seqlab.models.sklearn_text import split_space
from seqlab.models.sklearn_vectorisers import FastCountVectorizer, FastTfidfVectorizer

TRAIN = ["배우들 연기가 너무 좋았다", "지루하고 뻔한 스토리...  최악", "최고의 영화 ㅋㅋㅋ 👍👍", "Great FILM, loved it",
         "a  b\tc\nd", "", "   ", "정말 재밌다 재밌다 재밌다", "don't watch it, it's bad", "x", "Ünïcödé café",
         "영화가 영화를 영화는", "nul\0inside", "a b c d e f g", "longwordwithoutanyspaces" * 3] * 2
TEST = TRAIN + ["처음 보는 글자 龍 🐉", "GREAT film", "unseen words only qqq", "", "a b", "연기 연기가",
                "ㅋ", "\ud800 lone surrogate"]

CASES = [{"analyzer": "char_wb", "ngram_range": (1, 5)},
         {"analyzer": "char_wb", "ngram_range": (2, 4), "lowercase": False},
         {"analyzer": "char_wb", "ngram_range": (3, 5), "binary": True},
         {"analyzer": "char_wb", "ngram_range": (1, 5), "min_df": 2},
         {"analyzer": "char_wb", "ngram_range": (1, 3), "max_features": 40},
         {"analyzer": "word", "ngram_range": (1, 2)},
         {"analyzer": "word", "ngram_range": (1, 3), "stop_words": ["it", "a"], "token_pattern": r"(?u)\b\w[\w']*\b"},
         {"analyzer": "word", "ngram_range": (2, 2), "tokenizer": split_space, "token_pattern": None},
         {"analyzer": "word", "ngram_range": (1, 2), "tokenizer": split_space, "token_pattern": None, "min_df": 2}]


def _same(a, b):
    a, b = sparse.csr_matrix(a), sparse.csr_matrix(b)
    assert a.shape == b.shape and a.dtype == b.dtype
    assert np.array_equal(a.indptr, b.indptr) and np.array_equal(a.indices, b.indices)
    assert np.array_equal(a.data, b.data)


@pytest.mark.parametrize("fast_cls,sk_cls", [(FastTfidfVectorizer, TfidfVectorizer),
                                             (FastCountVectorizer, CountVectorizer)])
@pytest.mark.parametrize("params", CASES, ids=lambda p: f"{p['analyzer']}{p['ngram_range']}")
def test_counts_are_scikit_learns(fast_cls, sk_cls, params):
    fast = fast_cls(dtype=np.float32, **params).fit(TRAIN)
    ref = sk_cls(dtype=np.float32, **params).fit(TRAIN)
    assert fast.vocabulary_ == ref.vocabulary_
    _same(fast.transform(TEST), ref.transform(TEST))
    assert fast._ngram_index[1] is not None  # numpy counting, not scikit-learn's loop


def test_random_text_against_scikit_learn():
    rng = np.random.default_rng(0)
    alphabet = list("ab가나 \t") + ["c"]
    docs = ["".join(rng.choice(alphabet, size=rng.integers(0, 30))) for _ in range(300)]
    for lo, hi in [(1, 1), (1, 4), (2, 6), (3, 3)]:
        fast = FastTfidfVectorizer(analyzer="char_wb", ngram_range=(lo, hi)).fit(docs[:200])
        ref = TfidfVectorizer(analyzer="char_wb", ngram_range=(lo, hi)).fit(docs[:200])
        _same(fast.transform(docs[100:]), ref.transform(docs[100:]))
        fast = FastCountVectorizer(ngram_range=(lo, hi), token_pattern=r"\S").fit(docs[:200])
        ref = CountVectorizer(ngram_range=(lo, hi), token_pattern=r"\S").fit(docs[:200])
        _same(fast.transform(docs[100:]), ref.transform(docs[100:]))


def _pairs(text):
    return ["a b", text]  # a token holding a space: its n-grams would be ambiguous


def test_what_numpy_cannot_count_goes_through_scikit_learn():
    for params in [{"analyzer": "char_wb", "ngram_range": (4, 5)}, {"analyzer": "char", "ngram_range": (1, 3)},
                   {"tokenizer": _pairs, "token_pattern": None, "ngram_range": (1, 2)}]:
        fast = FastCountVectorizer(**params).fit(TRAIN)
        ref = CountVectorizer(**params).fit(TRAIN)
        _same(fast.transform(TEST), ref.transform(TEST))


def test_vocabulary_is_saved_as_two_arrays():
    fast = FastTfidfVectorizer(analyzer="char_wb", ngram_range=(1, 4)).fit(TRAIN)
    state = fast.__getstate__()
    assert "vocabulary_" not in state and state["_vocabulary_utf8"].dtype == np.uint8
    clone = pickle.loads(pickle.dumps(fast))
    assert clone.vocabulary_ == fast.vocabulary_
    _same(clone.transform(TEST), fast.transform(TEST))
    assert "vocabulary_" in fast.__dict__  # saving leaves the live object as it was


def test_skops_file_holds_no_node_per_term(tmp_path):
    from seqlab.inference import sklearn_model

    nodes = []
    for corpus in (TRAIN, TRAIN + [f"word{i} 단어{i}" for i in range(500)]):
        fast = FastTfidfVectorizer(analyzer="char_wb", ngram_range=(1, 5)).fit(corpus)
        path = tmp_path / "model.skops"
        sklearn_model.save(fast, path)
        with zipfile.ZipFile(path) as zf:
            nodes.append(zf.read("schema.json").decode().count('"__loader__"'))
        loaded = sklearn_model.load(path)
        assert type(loaded) is FastTfidfVectorizer and loaded.vocabulary_ == fast.vocabulary_
        _same(loaded.transform(TEST), fast.transform(TEST))
    assert nodes[0] == nodes[1] < 100  # the same nodes for a vocabulary of any size


@pytest.mark.parametrize("blob,lengths,message", [
    (np.frombuffer(b"abc", np.uint8), np.array([1, 1], np.int32), "do not add up"),
    (np.frombuffer(b"aa", np.uint8), np.array([1, 1], np.int32), "twice"),
    (np.array([97.0]), np.array([1], np.int32), "wrong type")])
def test_broken_vocabulary_arrays_are_refused(blob, lengths, message):
    state = {**FastCountVectorizer().fit(["ab cd"]).__getstate__(), "_vocabulary_utf8": blob,
             "_vocabulary_lengths": lengths}
    with pytest.raises(ValueError, match=message):
        FastCountVectorizer().__setstate__(state)
