"""Linear heads for beat feature matrices: de Chazal et al. (2004)'s weighted discriminant
and a class-balanced logistic regression.

de Chazal, O'Dwyer & Reilly (IEEE TBME 51(7), 2004) classify heartbeats with a linear
discriminant whose training weights each class inversely to its frequency, so the rare S and
V classes count as much as N. Under that weighting the maximum-likelihood discriminant has the
class means, a pooled covariance that averages the classes' covariances with equal weights,
and equal priors: scikit-learn's ``LinearDiscriminantAnalysis(solver="lsqr")`` with uniform
``priors`` computes exactly that (its pooled covariance is weighted by the priors).

Their final classifier averages the posterior probabilities of two discriminants, one per ECG
lead, each fed the shared RR and interval features and its lead's morphology. Here the
feature matrix has ``shared_columns`` shared columns first, then ``blocks`` equal blocks (one
per lead, the layout of ``data.features: dechazal``); ``combine: leads`` fits one
discriminant per block, ``combine: single`` one on all columns.

>>> import numpy as np
>>> rng = np.random.default_rng(0)
>>> x = np.r_[rng.normal(0, 1, (300, 9)), rng.normal(1.5, 1, (20, 9))]
>>> y = np.r_[np.zeros(300, int), np.ones(20, int)]
>>> clf = dechazal_lda(shared_columns=3, blocks=2).fit(x, y)
>>> clf.predict_proba(x).shape, bool(clf.predict(x)[300:].mean() > 0.8)
((320, 2), True)
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin

from seqlab.errors import ConfigError
from seqlab.models.registry import register_model


class WeightedLDA(ClassifierMixin, BaseEstimator):
    """Linear discriminant trained with every class weighted equally (de Chazal 2004).

    ``shrinkage`` (None, "auto" or 0..1) regularises the pooled covariance (Ledoit-Wolf with
    "auto"); de Chazal used none."""

    def __init__(self, shrinkage: float | str | None = None):
        self.shrinkage = shrinkage

    def fit(self, x, y):
        from sklearn.discriminant_analysis import LinearDiscriminantAnalysis

        self.classes_ = np.unique(y)
        k = len(self.classes_)
        self.lda_ = LinearDiscriminantAnalysis(solver="lsqr", shrinkage=self.shrinkage,
                                               priors=np.full(k, 1.0 / k))
        self.lda_.fit(np.asarray(x, dtype=np.float64), y)
        return self

    def predict_proba(self, x) -> np.ndarray:
        return self.lda_.predict_proba(np.asarray(x, dtype=np.float64))

    def predict(self, x) -> np.ndarray:
        return self.classes_[self.predict_proba(x).argmax(axis=1)]


class BlockDiscriminants(ClassifierMixin, BaseEstimator):
    """One ``WeightedLDA`` per column block (shared columns + block ``b``); the posterior
    probabilities are averaged (de Chazal's combination of the two leads' classifiers)."""

    def __init__(self, shared_columns: int = 7, blocks: int = 2, shrinkage: float | str | None = None):
        self.shared_columns = shared_columns
        self.blocks = blocks
        self.shrinkage = shrinkage

    def _columns(self, n_features: int) -> list[np.ndarray]:
        width, rest = divmod(n_features - self.shared_columns, self.blocks)
        if width <= 0 or rest:
            raise ConfigError(f"dechazal_lda: {n_features} feature columns do not split into "
                              f"{self.shared_columns} shared + {self.blocks} equal blocks; set "
                              "model.shared_columns / model.blocks to the feature layout")
        shared = np.arange(self.shared_columns)
        start = self.shared_columns
        return [np.r_[shared, start + b * width + np.arange(width)] for b in range(self.blocks)]

    def fit(self, x, y):
        x = np.asarray(x)
        self.columns_ = self._columns(x.shape[1])
        self.members_ = [WeightedLDA(self.shrinkage).fit(x[:, c], y) for c in self.columns_]
        self.classes_ = self.members_[0].classes_
        return self

    def predict_proba(self, x) -> np.ndarray:
        x = np.asarray(x)
        return np.mean([m.predict_proba(x[:, c]) for m, c in zip(self.members_, self.columns_)], axis=0)

    def predict(self, x) -> np.ndarray:
        return self.classes_[self.predict_proba(x).argmax(axis=1)]


@register_model(kind="sklearn")
def dechazal_lda(*, combine: Literal["leads", "single"] = "leads", shared_columns: int = 7,
                 blocks: int = 2, shrinkage: float | Literal["auto"] | None = None):
    """de Chazal 2004 class-weighted linear discriminant(s) over ``data.features: dechazal``."""
    if combine == "single":
        return WeightedLDA(shrinkage)
    return BlockDiscriminants(shared_columns, blocks, shrinkage)


@register_model(kind="sklearn")
def beat_lr(*, C: float = 0.1, max_iter: int = 2000):
    """Class-balanced logistic regression on standardised beat features (a strongly
    regularised linear head: small ``C``), e.g. over ``data.features: patient_relative``.

    Why linear: each minority class sits in a handful of DS1 patients, and a flexible model
    learns those patients (issue 14); a linear head over patient-relative features can only
    learn directions that hold across them."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    return Pipeline([("scale", StandardScaler()),
                     ("clf", LogisticRegression(C=C, class_weight="balanced", max_iter=max_iter))])
