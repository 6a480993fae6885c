"""scikit-learn text baselines: count / TF-IDF features × Naive Bayes / logistic regression.

Every factory registers with ``kind="sklearn"`` and returns a picklable ``Pipeline`` that takes
an array of raw strings: ``fit(texts, y)``, ``predict_proba(texts)``. Features, by ``analyzer``:

- ``word``: word n-grams (optional English stopwords, see ``seqlab.text.preprocess``);
- ``char`` / ``char_wb``: character n-grams (``char_wb`` stays inside word boundaries): the
  strongest single feature set for Korean, whose words carry particles and endings;
- ``kiwi``: Korean morphemes from kiwipiepy (``kiwi_mode`` morphs | nouns | pos,
  ``kiwi_userdic`` a Komoran-style user dictionary), tokenised in batch by ``KiwiMorphs``.

``nblr`` is NB-weighted logistic regression (the NBSVM of Wang & Manning 2012 with a logistic
loss): binary features scaled by the Naive Bayes log-count ratio before a linear model.
``tfidf_union_lr`` stacks character and word/morpheme features, the best classical model here.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from scipy import sparse
from sklearn.base import BaseEstimator, ClassifierMixin, TransformerMixin
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.naive_bayes import ComplementNB, MultinomialNB
from sklearn.pipeline import FeatureUnion, Pipeline

from seqlab.text.korean import KiwiTokenizer, split_space
from seqlab.text.preprocess import english_stopwords
from seqlab.errors import ConfigError
from seqlab.models.registry import register_model
from seqlab.registry import suggest

Analyzer = Literal["word", "char", "char_wb", "kiwi"]
_ANALYZERS = ("word", "char", "char_wb", "kiwi")


class KiwiMorphs(TransformerMixin, BaseEstimator):
    """Texts → the same texts as space-joined kiwi morphemes (batch analysis, multi-threaded).

    Stateless; the analyser is rebuilt after unpickling."""

    def __init__(self, mode: str = "morphs", userdic: str | None = None, num_workers: int = 2):
        self.mode = mode
        self.userdic = userdic
        self.num_workers = num_workers

    def fit(self, X, y=None):
        return self

    def transform(self, X):
        tok = KiwiTokenizer(self.mode, userdic=self.userdic, num_workers=self.num_workers)
        out = np.empty(len(X), dtype=object)
        out[:] = [" ".join(t) for t in tok.tokenize_many(list(X))]
        return out


def make_features(*, weighting: Literal["count", "tfidf"] = "tfidf", analyzer: Analyzer = "word",
                  ngram_range: list[int] | tuple[int, int] = (1, 1), min_df: int = 1,
                  max_features: int | None = None, binary: bool = False, sublinear_tf: bool = True,
                  stop_words: Literal["english"] | None = None, lowercase: bool = True,
                  kiwi_mode: str = "morphs", kiwi_userdic: str | None = None):
    """One vectoriser (or kiwi → vectoriser pipeline) from plain config values."""
    common = dict(ngram_range=tuple(ngram_range), min_df=min_df, max_features=max_features,
                  binary=binary, dtype=np.float32)
    if weighting == "tfidf":
        vec_cls, common = TfidfVectorizer, {**common, "sublinear_tf": sublinear_tf}
    elif weighting == "count":
        vec_cls = CountVectorizer
    else:
        raise ConfigError(f"model.weighting {weighting!r}; valid: count, tfidf")
    if analyzer == "kiwi":
        vec = vec_cls(tokenizer=split_space, token_pattern=None, lowercase=lowercase, **common)
        return Pipeline([("morphs", KiwiMorphs(kiwi_mode, kiwi_userdic)), ("vec", vec)])
    if analyzer == "word":
        stop = sorted(english_stopwords()) if stop_words == "english" else None
        return vec_cls(analyzer="word", lowercase=lowercase, stop_words=stop,
                       token_pattern=r"(?u)\b\w[\w']*\b", **common)
    if analyzer in ("char", "char_wb"):
        return vec_cls(analyzer=analyzer, lowercase=lowercase, **common)
    raise ConfigError(f"model.analyzer {analyzer!r}{suggest(analyzer, list(_ANALYZERS))}; "
                      f"valid: {', '.join(_ANALYZERS)}")


class NBLogisticRegression(ClassifierMixin, BaseEstimator):
    """Binary logistic regression on features scaled by the NB log-count ratio ``r_``.

    ``r = log((p / |p|₁) / (q / |q|₁))`` with ``p = alpha + Σ x`` over positives, ``q`` over
    negatives (Wang & Manning 2012). ``binarize`` uses presence/absence as in the paper."""

    def __init__(self, C: float = 1.0, alpha: float = 1.0, binarize: bool = True,
                 max_iter: int = 1000):
        self.C = C
        self.alpha = alpha
        self.binarize = binarize
        self.max_iter = max_iter

    def _scale(self, X):
        X = sparse.csr_matrix(X, dtype=np.float32)
        if self.binarize:
            X = X.copy()
            X.data = (X.data > 0).astype(np.float32)
        return X.multiply(self.r_).tocsr()

    def fit(self, X, y):
        y = np.asarray(y)
        self.classes_ = np.unique(y)
        if len(self.classes_) != 2:
            raise ConfigError(f"nblr is a binary classifier; the data has {len(self.classes_)} classes")
        Xb = sparse.csr_matrix(X, dtype=np.float32)
        if self.binarize:
            Xb = Xb.copy()
            Xb.data = (Xb.data > 0).astype(np.float32)
        p = self.alpha + np.asarray(Xb[y == self.classes_[1]].sum(axis=0)).ravel()
        q = self.alpha + np.asarray(Xb[y == self.classes_[0]].sum(axis=0)).ravel()
        self.r_ = np.log((p / p.sum()) / (q / q.sum())).astype(np.float32)
        self.lr_ = LogisticRegression(C=self.C, max_iter=self.max_iter, solver="liblinear")
        self.lr_.fit(self._scale(X), y)
        return self

    def predict_proba(self, X):
        return self.lr_.predict_proba(self._scale(X))

    def predict(self, X):
        return self.classes_[self.predict_proba(X).argmax(axis=1)]


FEATURE_KEYS = ("analyzer", "ngram_range", "min_df", "max_features", "binary", "sublinear_tf",
                "stop_words", "lowercase", "kiwi_mode", "kiwi_userdic")


def _features(weighting: str, settings: dict):
    """The vectoriser for a factory's own feature arguments (its ``locals()``)."""
    return make_features(weighting=weighting, **{k: settings[k] for k in FEATURE_KEYS})


def _branch(spec: dict):
    """One ``tfidf_union_lr`` branch: a dict of feature arguments, checked by name."""
    unknown = [k for k in spec if k not in FEATURE_KEYS]
    if unknown:
        raise ConfigError(f"model.branches: unknown key {unknown[0]!r}"
                          f"{suggest(unknown[0], list(FEATURE_KEYS))}; valid: {', '.join(FEATURE_KEYS)}")
    return make_features(weighting="tfidf", **spec)


def _lr(C: float, max_iter: int):
    return LogisticRegression(C=C, max_iter=max_iter, solver="liblinear")


# Every factory takes the same feature arguments (see make_features), spelled out so the
# config loader can check YAML keys and types against the signature.
@register_model(kind="sklearn")
def count_nb(*, alpha: float = 1.0, analyzer: Analyzer = "word", ngram_range: list[int] = (1, 1),
             min_df: int = 1, max_features: int | None = None, binary: bool = True,
             sublinear_tf: bool = False, stop_words: Literal["english"] | None = None,
             lowercase: bool = True, kiwi_mode: str = "morphs", kiwi_userdic: str | None = None):
    """Count vectors (binary by default) + multinomial Naive Bayes."""
    return Pipeline([("features", _features("count", locals())), ("clf", MultinomialNB(alpha=alpha))])


@register_model(kind="sklearn")
def tfidf_nb(*, alpha: float = 0.1, analyzer: Analyzer = "word", ngram_range: list[int] = (1, 1),
             min_df: int = 1, max_features: int | None = None, binary: bool = False,
             sublinear_tf: bool = True, stop_words: Literal["english"] | None = None,
             lowercase: bool = True, kiwi_mode: str = "morphs", kiwi_userdic: str | None = None):
    """TF-IDF + multinomial Naive Bayes."""
    return Pipeline([("features", _features("tfidf", locals())), ("clf", MultinomialNB(alpha=alpha))])


@register_model(kind="sklearn")
def tfidf_cnb(*, alpha: float = 0.3, analyzer: Analyzer = "word", ngram_range: list[int] = (1, 1),
              min_df: int = 1, max_features: int | None = None, binary: bool = False,
              sublinear_tf: bool = True, stop_words: Literal["english"] | None = None,
              lowercase: bool = True, kiwi_mode: str = "morphs", kiwi_userdic: str | None = None):
    """TF-IDF + complement Naive Bayes (Rennie et al. 2003; steadier on skewed classes)."""
    return Pipeline([("features", _features("tfidf", locals())), ("clf", ComplementNB(alpha=alpha))])


@register_model(kind="sklearn")
def count_lr(*, C: float = 0.5, max_iter: int = 1000, analyzer: Analyzer = "word",
             ngram_range: list[int] = (1, 1), min_df: int = 1, max_features: int | None = None,
             binary: bool = True, sublinear_tf: bool = False,
             stop_words: Literal["english"] | None = None, lowercase: bool = True,
             kiwi_mode: str = "morphs", kiwi_userdic: str | None = None):
    """Count vectors + logistic regression."""
    return Pipeline([("features", _features("count", locals())), ("clf", _lr(C, max_iter))])


@register_model(kind="sklearn")
def tfidf_lr(*, C: float = 4.0, max_iter: int = 1000, analyzer: Analyzer = "word",
             ngram_range: list[int] = (1, 1), min_df: int = 1, max_features: int | None = None,
             binary: bool = False, sublinear_tf: bool = True,
             stop_words: Literal["english"] | None = None, lowercase: bool = True,
             kiwi_mode: str = "morphs", kiwi_userdic: str | None = None):
    """TF-IDF + logistic regression."""
    return Pipeline([("features", _features("tfidf", locals())), ("clf", _lr(C, max_iter))])


@register_model(kind="sklearn")
def nblr(*, C: float = 1.0, alpha: float = 1.0, binarize: bool = True, analyzer: Analyzer = "word",
         ngram_range: list[int] = (1, 3), min_df: int = 1, max_features: int | None = None,
         binary: bool = True, sublinear_tf: bool = False,
         stop_words: Literal["english"] | None = None, lowercase: bool = True,
         kiwi_mode: str = "morphs", kiwi_userdic: str | None = None):
    """NB-weighted logistic regression over n-gram presence (NBSVM-style, binary tasks)."""
    return Pipeline([("features", _features("count", locals())),
                     ("clf", NBLogisticRegression(C=C, alpha=alpha, binarize=binarize))])


DEFAULT_BRANCHES = [{"analyzer": "char_wb", "ngram_range": [1, 5], "min_df": 2},
                    {"analyzer": "word", "ngram_range": [1, 2], "min_df": 1}]


@register_model(kind="sklearn")
def tfidf_union_lr(*, C: float = 4.0, max_iter: int = 1000, branches: list[dict] | None = None,
                   nb_weight: bool = False):
    """Stacked TF-IDF feature sets (default char_wb 1-5 + word 1-2) → (NB-weighted) LR."""
    union = FeatureUnion([(f"f{i}", _branch(b)) for i, b in enumerate(branches or DEFAULT_BRANCHES)])
    clf = NBLogisticRegression(C=C, binarize=False) if nb_weight else _lr(C, max_iter)
    return Pipeline([("features", union), ("clf", clf)])


@register_model(kind="sklearn")
def soft_vote(*, members: list[dict], weights: list[float] | None = None):
    """Average the probabilities of several registered classical models (different views of
    the text, e.g. word n-gram NB-LR + character n-gram LR, err on different reviews).

    Each member is ``{"model": registry name, ...its arguments}``."""
    from sklearn.ensemble import VotingClassifier

    from seqlab.models.registry import MODELS

    estimators = []
    for i, spec in enumerate(members):
        spec = dict(spec)
        name = spec.pop("model", None)
        if name is None or MODELS.get(name).meta.get("kind") != "sklearn" or name == "soft_vote":
            raise ConfigError(f"model.members[{i}]: 'model' must name a classical model")
        estimators.append((f"m{i}_{name}", MODELS.get(name).fn(**spec)))
    return VotingClassifier(estimators, voting="soft", weights=weights)
