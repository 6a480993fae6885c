"""Every scikit-learn text baseline: fit on raw strings, predict_proba, pickle round trip;
NB-weighted LR's log-count ratio; config keys checked by name."""

import pickle

import numpy as np
import pytest

import seqlab.models.sklearn_factories as classical  # noqa: F401  (registers the models)
import seqlab.models.sklearn_text as sklearn_text
from seqlab.data.text.analysers import TEXT_ANALYSERS
from seqlab.errors import ConfigError
from seqlab.models.registry import MODELS

POS = ["great film, loved it", "brilliant acting and a great story", "loved the cast", "a great ending"]
NEG = ["boring film, hated it", "terrible acting and a dull story", "a waste of time", "awful ending"]
X = np.array(POS * 3 + NEG * 3, dtype=object)
Y = np.array([1] * 12 + [0] * 12)
KO = np.array(["정말 재밌는 영화", "배우 연기 최고", "감동적인 영화", "지루한 영화", "연기 최악", "시간 낭비"] * 3,
              dtype=object)
KO_Y = np.array([1, 1, 1, 0, 0, 0] * 3)

SKLEARN = [e.name for e in MODELS.entries() if e.meta.get("kind") == "sklearn"
           and e.fn.__module__ == classical.__name__]


REQUIRED = {"soft_vote": {"members": [{"model": "nblr", "ngram_range": [1, 2]},
                                      {"model": "tfidf_lr", "analyzer": "char_wb"}]}}


def test_registered():
    assert {"count_nb", "tfidf_nb", "tfidf_cnb", "count_lr", "tfidf_lr", "nblr",
            "tfidf_union_lr", "soft_vote"} <= set(SKLEARN)


@pytest.mark.parametrize("name", SKLEARN)
def test_fit_predict_pickle(name):
    model = MODELS.get(name).fn(**REQUIRED.get(name, {})).fit(X, Y)
    proba = model.predict_proba(np.array(["loved it, great", "boring and dull"], dtype=object))
    assert proba.shape == (2, 2) and np.allclose(proba.sum(1), 1)
    assert proba[0, 1] > 0.5 > proba[1, 1]
    clone = pickle.loads(pickle.dumps(model))
    assert np.allclose(clone.predict_proba(X), model.predict_proba(X))


@pytest.mark.parametrize("analyzer,extra", [("char_wb", {"ngram_range": [1, 3]}),
                                            ("kiwi", {"kiwi_mode": "morphs", "ngram_range": [1, 2]}),
                                            ("kiwi", {"kiwi_mode": "pos"})])
def test_korean_features_pickle(analyzer, extra):
    model = MODELS.get("tfidf_lr").fn(analyzer=analyzer, analysers=TEXT_ANALYSERS, **extra).fit(KO, KO_Y)
    clone = pickle.loads(pickle.dumps(model))
    assert (clone.predict(KO) == KO_Y).mean() == 1.0


def test_stopwords_option_drops_words():
    vec = sklearn_text.make_features(analyzer="word", stop_words="english", analysers=TEXT_ANALYSERS).fit(X)
    assert "the" not in vec.vocabulary_ and "great" in vec.vocabulary_


def test_nb_ratio_sign():
    m = classical.nblr(ngram_range=[1, 1]).fit(X, Y)
    vocab = m.named_steps["features"].vocabulary_
    r = m.named_steps["clf"].r_
    assert r[vocab["great"]] > 0 > r[vocab["boring"]]
    with pytest.raises(ConfigError, match="binary"):
        sklearn_text.NBLogisticRegression().fit(X[:3], np.array([0, 1, 2]))


def test_union_branch_keys_checked():
    with pytest.raises(ConfigError, match="did you mean 'analyzer'"):
        MODELS.get("tfidf_union_lr").fn(branches=[{"analyser": "char"}])
    with pytest.raises(ConfigError, match="valid: word, char, char_wb, kiwi"):
        sklearn_text.make_features(analyzer="morph")


def test_soft_vote_members_checked():
    with pytest.raises(ConfigError, match="members\\[0\\]"):
        MODELS.get("soft_vote").fn(members=[{"analyzer": "word"}])
    with pytest.raises(ConfigError, match="did you mean 'nblr'"):
        MODELS.get("soft_vote").fn(members=[{"model": "nblrr"}])
