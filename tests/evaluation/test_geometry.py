"""Ethayarajh (2019)'s measures on spaces whose answer is known."""

import numpy as np

from seqlab.evaluation.geometry import layer_measures


def _occurrences(n_words=30, per_word=6, dim=32, context=0.0, offset=0.0, seed=0):
    """Each word has a static vector; each occurrence adds context noise of scale ``context``;
    ``offset`` shifts every vector one way (an anisotropic space)."""
    rng = np.random.default_rng(seed)
    static = rng.normal(size=(n_words, dim))
    words = np.repeat(np.arange(n_words), per_word)
    sentences = np.tile(np.arange(per_word), n_words) * 1000 + rng.integers(0, 3, len(words))
    vectors = static[words] + context * rng.normal(size=(len(words), dim)) + offset
    return vectors, words, sentences


def test_static_vectors_are_self_similar_and_one_component_explains_them():
    m = layer_measures(*_occurrences(context=0.0))
    assert m["self_similarity"] > 0.999 and m["mev"] > 0.999
    assert abs(m["anisotropy"]) < 0.1  # random static vectors point every way


def test_context_lowers_self_similarity_and_mev():
    static, contextual = layer_measures(*_occurrences(context=0.2)), layer_measures(*_occurrences(context=3.0))
    assert contextual["self_similarity"] < static["self_similarity"] - 0.3
    assert contextual["mev"] < static["mev"] - 0.3


def test_a_common_direction_shows_as_anisotropy_and_the_adjustment_removes_it():
    m = layer_measures(*_occurrences(context=3.0, offset=6.0))
    assert m["anisotropy"] > 0.5
    assert m["self_similarity_adjusted"] < m["self_similarity"] - 0.5
    assert m["intra_sentence_similarity_adjusted"] < m["intra_sentence_similarity"]
