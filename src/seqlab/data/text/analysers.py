"""Language analysis that the classical text models take as a parameter (``models`` imports no
data code): Kiwi morphemes as a scikit-learn transformer, and the stopword lists."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin

from seqlab.data.text.korean import KiwiTokenizer, default_morph_cache
from seqlab.data.text.preprocess import english_stopwords
from seqlab.errors import ConfigError


class KiwiMorphs(TransformerMixin, BaseEstimator):
    """Texts → the same texts as space-joined kiwi morphemes (batch analysis, multi-threaded).

    Stateless. The analyser is shared by every transformer of the process with the same
    settings (loading Kiwi takes seconds, and a saved model is asked for probabilities chunk by
    chunk), and reads the morpheme cache (``$SEQLAB_KIWI_CACHE``, see ``korean.MorphCache``)."""

    def __init__(self, mode: str = "morphs", userdic: str | None = None, num_workers: int = 2):
        self.mode = mode
        self.userdic = userdic
        self.num_workers = num_workers

    def fit(self, X, y=None):
        return self

    def transform(self, X):
        tok = shared_tokenizer(self.mode, self.userdic, self.num_workers)
        tok.cache = default_morph_cache()  # the environment of this call, not of the first one
        out = np.empty(len(X), dtype=object)
        out[:] = tok.joined_many(X)
        return out


@lru_cache(maxsize=8)
def shared_tokenizer(mode: str, userdic: str | None, num_workers: int) -> KiwiTokenizer:
    """One ``KiwiTokenizer`` (and so one loaded Kiwi) per settings, for the whole process."""
    return KiwiTokenizer(mode, userdic=userdic, num_workers=num_workers)


def stopwords(name: str) -> frozenset[str]:
    if name != "english":
        raise ConfigError(f"model.stop_words {name!r}; valid: english")
    return english_stopwords()


@dataclass(frozen=True)
class TextAnalysers:
    kiwi: type = KiwiMorphs  # (mode, userdic) -> transformer
    stopwords: object = stopwords  # (name) -> frozenset


TEXT_ANALYSERS = TextAnalysers()
