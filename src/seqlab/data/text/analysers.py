"""Language analysis that the classical text models take as a parameter (``models`` imports no
data code): Kiwi morphemes as a scikit-learn transformer, and the stopword lists."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin

from seqlab.data.text.korean import KiwiTokenizer
from seqlab.data.text.preprocess import english_stopwords
from seqlab.errors import ConfigError


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


def stopwords(name: str) -> frozenset[str]:
    if name != "english":
        raise ConfigError(f"model.stop_words {name!r}; valid: english")
    return english_stopwords()


@dataclass(frozen=True)
class TextAnalysers:
    kiwi: type = KiwiMorphs  # (mode, userdic) -> transformer
    stopwords: object = stopwords  # (name) -> frozenset


TEXT_ANALYSERS = TextAnalysers()
