"""scikit-learn building blocks of the classical text models (``seqlab.models.sklearn_factories``):
vectorisers and NB-weighted logistic regression.

Language analysis is data code (``seqlab.data.text``), so it arrives as a parameter: every
factory takes ``analysers`` (a ``TextAnalysers``, filled by the trainer, never by a YAML file)
with the Kiwi morpheme transformer and the English stopword list.

Kept apart from the registered factories so that importing the model registry does not import
scikit-learn (0.85 s of start-up that `seqlab predict` on an ECG record does not need).
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from scipy import sparse
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import LogisticRegression
# re-exported for the factories in seqlab.models.sklearn_factories, which import this module lazily
from sklearn.naive_bayes import ComplementNB, MultinomialNB  # noqa: F401
from sklearn.pipeline import FeatureUnion, Pipeline  # noqa: F401

from seqlab.errors import ConfigError
from seqlab.models.sklearn_vectorisers import FastCountVectorizer, FastTfidfVectorizer
from seqlab.registry import suggest

Analyzer = Literal["word", "char", "char_wb", "kiwi"]


def split_space(text: str) -> list[str]:
    """``str.split`` as a module-level function (picklable ``tokenizer=`` for pre-tokenised text)."""
    return text.split()
_ANALYZERS = ("word", "char", "char_wb", "kiwi")


def make_features(*, weighting: Literal["count", "tfidf"] = "tfidf", analyzer: Analyzer = "word",
                  ngram_range: list[int] | tuple[int, int] = (1, 1), min_df: int = 1,
                  max_features: int | None = None, binary: bool = False, sublinear_tf: bool = True,
                  stop_words: Literal["english"] | None = None, lowercase: bool = True,
                  kiwi_mode: str = "morphs", kiwi_userdic: str | None = None, analysers=None):
    """One vectoriser (or kiwi → vectoriser pipeline) from plain config values: scikit-learn's
    count / TF-IDF vectorisers, counting in numpy and saved compactly (``sklearn_vectorisers``)."""
    common = dict(ngram_range=tuple(ngram_range), min_df=min_df, max_features=max_features,
                  binary=binary, dtype=np.float32)
    if weighting == "tfidf":
        vec_cls, common = FastTfidfVectorizer, {**common, "sublinear_tf": sublinear_tf}
    elif weighting == "count":
        vec_cls = FastCountVectorizer
    else:
        raise ConfigError(f"model.weighting {weighting!r}; valid: count, tfidf")
    if analyzer in ("kiwi", "word") and (analysers is None and (analyzer == "kiwi" or stop_words)):
        raise ConfigError(f"model.analyzer {analyzer!r} needs the text analysers (build the model "
                          "through `seqlab train`)")
    if analyzer == "kiwi":
        vec = vec_cls(tokenizer=split_space, token_pattern=None, lowercase=lowercase, **common)
        return Pipeline([("morphs", analysers.kiwi(kiwi_mode, kiwi_userdic)), ("vec", vec)])
    if analyzer == "word":
        stop = sorted(analysers.stopwords(stop_words)) if stop_words else None
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
BRANCH_KEYS = FEATURE_KEYS


def _features(weighting: str, settings: dict):
    """The vectoriser for a factory's own feature arguments (its ``locals()``)."""
    return make_features(weighting=weighting, analysers=settings.get("analysers"),
                         **{k: settings[k] for k in FEATURE_KEYS})


def _branch(spec: dict, analysers=None):
    """One ``tfidf_union_lr`` branch: a dict of feature arguments, checked by name."""
    unknown = [k for k in spec if k not in FEATURE_KEYS]
    if unknown:
        raise ConfigError(f"model.branches: unknown key {unknown[0]!r}"
                          f"{suggest(unknown[0], list(FEATURE_KEYS))}; valid: {', '.join(FEATURE_KEYS)}")
    return make_features(weighting="tfidf", analysers=analysers, **spec)


def _lr(C: float, max_iter: int):
    return LogisticRegression(C=C, max_iter=max_iter, solver="liblinear")
