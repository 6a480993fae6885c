"""TF-IDF cosine similarity search over a corpus of reviews.

Character n-grams inside word boundaries (``char_wb`` 2–4) work for Korean and English alike
without a morphological analyser; rows are L2-normalised, so the cosine is one sparse
matrix-vector product.

>>> index = SimilarityIndex().fit(["great acting", "boring plot", "great plot twist"])
>>> [text for text, _ in index.search("great twist", top=1)]
['great plot twist']
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np

from seqlab.data.text.preprocess import text_clean, text_is_empty
from seqlab.errors import DataError


class SimilarityIndex:
    def __init__(self, *, analyzer: str = "char_wb", ngram_range: tuple[int, int] = (2, 4),
                 min_df: int = 1):
        self.analyzer = analyzer
        self.ngram_range = ngram_range
        self.min_df = min_df

    def fit(self, texts: Sequence[str]) -> "SimilarityIndex":
        from sklearn.feature_extraction.text import TfidfVectorizer

        self.texts_ = [t for t in texts if not text_is_empty(t)]
        if not self.texts_:
            raise DataError("similarity search needs at least one non-empty document")
        self.vectorizer_ = TfidfVectorizer(analyzer=self.analyzer, ngram_range=self.ngram_range,
                                           min_df=self.min_df, sublinear_tf=True, dtype=np.float32)
        self.matrix_ = self.vectorizer_.fit_transform(self.texts_)  # (N, F), rows L2-normalised
        return self

    def search(self, query: str, *, top: int = 5) -> list[tuple[str, float]]:
        """The ``top`` most similar documents with their cosine similarity, best first."""
        q = self.vectorizer_.transform([text_clean(query)])  # (1, F)
        scores = (self.matrix_ @ q.T).toarray().ravel()  # (N,)
        top = min(top, len(scores))
        best = np.argpartition(-scores, top - 1)[:top]
        best = best[np.argsort(-scores[best], kind="stable")]
        return [(self.texts_[i], float(scores[i])) for i in best]


def corpus_texts(path: str | Path, limit: int | None = None) -> list[str]:
    """Documents for the index: an NSMC ``ratings_*.txt``, an IMDB source, or a plain text file
    with one document a line."""
    from seqlab.data.text.nsmc import read_ratings

    path = Path(path)
    if not path.exists():
        raise DataError(f"corpus {path} not found")
    if path.is_file() and path.name.startswith("ratings_"):
        texts = read_ratings(path)[0]
    elif path.is_dir() or ".jsonl" in path.name or ".csv" in path.name:
        from seqlab.data.text.imdb import read_imdb

        texts = [text_clean(t, strip_html=True) for t in read_imdb(path).text]
    else:
        with open(path, encoding="utf-8", errors="replace") as fh:
            texts = [line.rstrip("\n") for line in fh]
    texts = [t for t in texts if not text_is_empty(t)]
    return texts[:limit] if limit else texts
