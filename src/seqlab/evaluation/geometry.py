"""How contextual are contextual word representations? The four measures of Ethayarajh (EMNLP
2019), per layer, on token vectors taken from an encoder.

Input: for one layer, ``vectors (M, H)`` (every token occurrence), ``words (M,)`` (the token id
of each occurrence) and ``sentences (M,)`` (which sentence it came from).

- **anisotropy**: the mean cosine similarity of uniformly random pairs of occurrences (of
  different words). 0 for an isotropic space; near 1 when every vector points one way.
- **self-similarity** of a word: the mean cosine between its occurrences in different
  sentences, averaged over words seen in >= 2 sentences. 1 = static (same vector everywhere).
- **intra-sentence similarity**: the mean cosine between each occurrence and its sentence's
  mean vector, averaged over sentences.
- **maximum explainable variance** (MEV) of a word: the share of the variance of its
  occurrences explained by their first principal component (σ₁² / Σσᵢ²): how well one static
  vector could stand in for all of them.

The paper reports self-similarity and intra-sentence similarity *adjusted for anisotropy*
(minus the layer's anisotropy) and MEV adjusted by the MEV of random occurrence sets of the
same size; ``layer_measures`` returns both raw and adjusted values.

>>> rng = np.random.default_rng(0)
>>> iso = rng.normal(size=(400, 16))
>>> abs(anisotropy(iso, np.arange(400), rng)) < 0.05
True
"""

from __future__ import annotations

import numpy as np

MIN_OCCURRENCES = 2  # a word's self-similarity and MEV need it in at least this many sentences


def _unit(v: np.ndarray) -> np.ndarray:
    return v / np.maximum(np.linalg.norm(v, axis=-1, keepdims=True), 1e-12)


def anisotropy(vectors: np.ndarray, words: np.ndarray, rng: np.random.Generator, pairs: int = 2000) -> float:
    """Mean cosine of random pairs of occurrences of different words."""
    i, j = rng.integers(0, len(vectors), pairs), rng.integers(0, len(vectors), pairs)
    keep = words[i] != words[j]
    u = _unit(vectors)
    return float(np.mean(np.sum(u[i[keep]] * u[j[keep]], axis=1))) if keep.any() else float("nan")


def _word_groups(words: np.ndarray, sentences: np.ndarray, max_words: int, rng) -> list[np.ndarray]:
    """Per word seen in >= MIN_OCCURRENCES sentences: one occurrence per sentence (row indices)."""
    groups = []
    for w in np.unique(words):
        rows = np.flatnonzero(words == w)
        _, first = np.unique(sentences[rows], return_index=True)
        if len(first) >= MIN_OCCURRENCES:
            groups.append(rows[first])
    if len(groups) > max_words:
        groups = [groups[k] for k in rng.choice(len(groups), size=max_words, replace=False)]
    return groups


def self_similarity(vectors: np.ndarray, groups: list[np.ndarray]) -> float:
    u = _unit(vectors)
    sims = []
    for rows in groups:
        g = u[rows]
        n = len(g)
        total = g.sum(axis=0)
        sims.append((total @ total - n) / (n * (n - 1)))  # mean off-diagonal cosine
    return float(np.mean(sims)) if sims else float("nan")


def intra_sentence_similarity(vectors: np.ndarray, sentences: np.ndarray) -> float:
    u = _unit(vectors)
    sims = []
    for s in np.unique(sentences):
        rows = np.flatnonzero(sentences == s)
        if len(rows) >= 2:
            centre = _unit(vectors[rows].mean(axis=0))
            sims.append(float(np.mean(u[rows] @ centre)))
    return float(np.mean(sims)) if sims else float("nan")


def mev(vectors: np.ndarray, groups: list[np.ndarray]) -> float:
    out = []
    for rows in groups:
        s = np.linalg.svd(vectors[rows], compute_uv=False)
        out.append(s[0] ** 2 / max(float(np.sum(s ** 2)), 1e-12))
    return float(np.mean(out)) if out else float("nan")


def layer_measures(vectors: np.ndarray, words: np.ndarray, sentences: np.ndarray, *, seed: int = 0,
                   max_words: int = 500) -> dict[str, float]:
    """The four measures of one layer, raw and anisotropy-adjusted."""
    rng = np.random.default_rng(seed)
    base = anisotropy(vectors, words, rng)
    groups = _word_groups(words, sentences, max_words, rng)
    random_groups = [rng.choice(len(vectors), size=len(g), replace=False) for g in groups]
    out = {"anisotropy": base, "self_similarity": self_similarity(vectors, groups),
           "intra_sentence_similarity": intra_sentence_similarity(vectors, sentences),
           "mev": mev(vectors, groups), "words": len(groups)}
    out["self_similarity_adjusted"] = out["self_similarity"] - base
    out["intra_sentence_similarity_adjusted"] = out["intra_sentence_similarity"] - base
    out["mev_adjusted"] = out["mev"] - mev(vectors, random_groups)
    return out
