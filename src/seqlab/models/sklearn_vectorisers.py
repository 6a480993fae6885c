"""scikit-learn's count and TF-IDF vectorisers, counting with a fitted vocabulary in numpy and
saving that vocabulary as two arrays. The features are scikit-learn's, value for value.

Why: in the best NSMC model, scikit-learn's counting loop (``_count_vocab``: one Python dict
lookup per n-gram) cost ~12 of the ~18 CPU-seconds of predicting 50,000 reviews, and skops
writes a vocabulary dict as one JSON node per term: 805,000 terms made a 710 MB ``model.skops``
that took ~100 CPU-seconds to load.

Counting (``transform``, i.e. with a fitted vocabulary), for ``char_wb`` and ``word`` analysers:
each character (``char_wb``) or token (``word``) of the vocabulary gets a number 1..A, an n-gram
the integer ``sum(id_i * (A + 1) ** i)``, and the vocabulary's n-gram codes go into a hash
table once, so a whole batch is looked up with a few numpy gathers (``NgramIndex``). ``char_wb`` n-grams never cross a word
(scikit-learn pads each word with one space and stops at its length), so each distinct word is
analysed once and a document's counts are the sum of its words' counts (a sparse product).
Anything else (``char``, a callable analyser, ``char_wb`` from 4-grams up, codes that would not
fit in 64 bits, a token with a space in it, which would make ``"a b"`` ambiguous) goes through
scikit-learn's own loop.
Fitting is always scikit-learn's: vocabulary, order, pruning and idf are unchanged.

Saved state: ``vocabulary_`` becomes the terms' UTF-8 bytes in feature order plus each term's
length (uint8 and int32 arrays, which skops stores as ``.npy`` members); loading rebuilds the dict.
"""

from __future__ import annotations

from itertools import chain, repeat

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer

_MAX_CODE = int(np.iinfo(np.int64).max)


class NgramIndex:
    """A fitted vocabulary's n-grams as int64 codes → feature index, in an open-addressing hash
    table (linear probing, at most half full) probed for a whole batch at once: about twice as
    fast as ``np.searchsorted`` over the sorted codes, which took a fifth of a prediction."""

    _GOLDEN = np.uint64(0x9E3779B97F4A7C15)  # Fibonacci hashing: the top bits of code × 2⁶⁴/φ

    def __init__(self, base: int, codes: np.ndarray, features: np.ndarray):
        self.base = base
        self.bits = max(int(2 * len(codes) - 1).bit_length(), 4)
        self.keys = np.full(1 << self.bits, -1, dtype=np.int64)  # codes are >= 1: -1 marks a free slot
        self.values = np.full(1 << self.bits, -1, dtype=np.int64)
        slot, pending = self._slot(codes), np.arange(len(codes))
        while len(pending):  # each round, one pending code per free slot takes it; the rest probe on
            free = self.keys[slot[pending]] == -1
            taken, first = np.unique(slot[pending[free]], return_index=True)
            placed = pending[free][first]
            self.keys[taken], self.values[taken] = codes[placed], features[placed]
            pending = np.setdiff1d(pending, placed, assume_unique=True)
            slot[pending] = (slot[pending] + 1) & ((1 << self.bits) - 1)

    def _slot(self, codes: np.ndarray) -> np.ndarray:
        return ((codes.astype(np.uint64) * self._GOLDEN) >> np.uint64(64 - self.bits)).astype(np.int64)

    def lookup(self, codes: np.ndarray) -> np.ndarray:
        """Feature index of each code, -1 where the vocabulary has no such n-gram."""
        out = np.full(len(codes), -1, dtype=np.int64)
        slot, pending = self._slot(codes), np.arange(len(codes))
        while len(pending):
            at = slot[pending]
            key = self.keys[at]
            hit = key == codes[pending]
            out[pending[hit]] = self.values[at[hit]]
            probe = ~hit & (key != -1)  # another code sits there: try the next slot
            pending = pending[probe]
            slot[pending] = (at[probe] + 1) & ((1 << self.bits) - 1)
        return out


def _window_hits(index: NgramIndex, ids: np.ndarray, ngram_range, unit: np.ndarray | None):
    """(start, feature) of every window of ``ids`` (symbol numbers; 0 = not in the vocabulary,
    or a separator) whose n-gram is in the vocabulary, for n in ``ngram_range``. ``unit``: the
    document of each position, when windows must not cross documents."""
    min_n, max_n = ngram_range
    zeros = np.concatenate([[0], np.cumsum(ids == 0)])
    code = np.zeros(len(ids), dtype=np.int64)
    power, starts_all, feats_all = 1, [], []
    for n in range(1, min(max_n, len(ids)) + 1):
        code[:len(ids) - n + 1] += ids[n - 1:] * power  # code[p]: the window ids[p:p+n]
        power *= index.base
        if n < min_n:
            continue
        ok = zeros[n:] == zeros[:-n]  # no unknown symbol and no separator inside
        if unit is not None:
            ok &= unit[:len(ids) - n + 1] == unit[n - 1:]
        starts = np.flatnonzero(ok)
        feats = index.lookup(code[starts])
        hit = feats >= 0
        starts_all.append(starts[hit])
        feats_all.append(feats[hit])
    if not starts_all:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    return np.concatenate(starts_all), np.concatenate(feats_all)


def _terms_by_index(vocabulary) -> list[str] | None:
    """The terms in feature order, or None unless the indices are exactly 0..n-1."""
    if not isinstance(vocabulary, dict):
        return None
    terms: list = [None] * len(vocabulary)
    for term, j in vocabulary.items():
        if not isinstance(term, str) or not isinstance(j, (int, np.integer)) or not 0 <= j < len(terms) \
                or terms[j] is not None:
            return None
        terms[j] = term
    return terms


def char_index(vocabulary: dict, max_n: int) -> tuple[np.ndarray, NgramIndex] | None:
    """(alphabet: sorted code points, index) of a character n-gram vocabulary; None when the
    codes would not fit in 64 bits."""
    terms = _terms_by_index(vocabulary)
    if not terms:
        return None
    cps = np.frombuffer("".join(terms).encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    alphabet = np.unique(cps)
    base = len(alphabet) + 1
    if not len(alphabet) or base ** max_n > _MAX_CODE:
        return None
    lengths = np.fromiter(map(len, terms), dtype=np.int64, count=len(terms))
    term_of = np.repeat(np.arange(len(terms)), lengths)
    place = np.arange(len(cps)) - np.repeat(np.cumsum(lengths) - lengths, lengths)  # index in its term
    ids = np.zeros((len(terms), max_n), dtype=np.int64)  # (V, max_n), 0 past a term's end
    short = place < max_n
    ids[term_of[short], place[short]] = np.searchsorted(alphabet, cps[short]) + 1
    codes = (ids * base ** np.arange(max_n, dtype=np.int64)).sum(axis=1)
    fits = (lengths >= 1) & (lengths <= max_n)  # longer terms can never be counted
    return alphabet, NgramIndex(base, codes[fits], np.flatnonzero(fits))


def word_index(vocabulary: dict, ngram_range) -> tuple[dict[str, int], NgramIndex] | None:
    """(token → number, index) of a word n-gram vocabulary (terms are tokens joined by one space)."""
    min_n, max_n = ngram_range
    tokens: dict[str, int] = {}
    rows, feats = [], []
    for term, j in vocabulary.items():
        parts = term.split(" ")
        if min_n <= len(parts) <= max_n:
            rows.append([tokens.setdefault(p, len(tokens) + 1) for p in parts] + [0] * (max_n - len(parts)))
            feats.append(j)
    base = len(tokens) + 1
    if not rows or base ** max_n > _MAX_CODE:
        return None
    ids = np.array(rows, dtype=np.int64)  # (V, max_n), 0-padded
    codes = (ids * base ** np.arange(max_n, dtype=np.int64)).sum(axis=1)
    return tokens, NgramIndex(base, codes, np.array(feats, dtype=np.int64))


def char_wb_counts(vec, alphabet: np.ndarray, index: NgramIndex, docs: list) -> sparse.csr_matrix:
    """Counts (n_docs, n_features) of ``char_wb`` n-grams, as ``vec``'s own analyser makes them."""
    preprocess = vec.build_preprocessor()
    words_per_doc = [preprocess(vec.decode(d)).split() for d in docs]
    flat = list(chain.from_iterable(words_per_doc))
    distinct = list(dict.fromkeys(flat))
    position = {w: i for i, w in enumerate(distinct)}
    n_feat = len(vec.vocabulary_)
    per_word = sparse.csr_matrix((len(distinct), n_feat), dtype=np.int64)
    if distinct:
        # " w1 \0 w2 \0 …": every word padded with one space each side, then a separator slot
        cps = np.frombuffer((" " + " \0 ".join(distinct) + " \0").encode("utf-32-le", "surrogatepass"),
                            dtype=np.uint32)
        pos = np.minimum(np.searchsorted(alphabet, cps), len(alphabet) - 1)
        ids = np.where(alphabet[pos] == cps, pos + 1, 0).astype(np.int64)
        slots = np.fromiter(map(len, distinct), dtype=np.int64, count=len(distinct)) + 3
        ids[np.cumsum(slots) - 1] = 0  # the separators, whatever their character
        starts, feats = _window_hits(index, ids, vec.ngram_range, None)
        word_of = np.repeat(np.arange(len(distinct)), slots)
        per_word = sparse.csr_matrix((np.ones(len(starts), np.int64), (word_of[starts], feats)),
                                     shape=(len(distinct), n_feat))
    indptr = np.concatenate([[0], np.cumsum([len(w) for w in words_per_doc])])
    word_ids = np.fromiter(map(position.__getitem__, flat), dtype=np.int64, count=len(flat))
    doc_words = sparse.csr_matrix((np.ones(len(flat), np.int64), word_ids, indptr),
                                  shape=(len(docs), len(distinct)))
    doc_words.sum_duplicates()
    return doc_words @ per_word


def word_counts(vec, tokens: dict[str, int], index: NgramIndex, docs: list) -> sparse.csr_matrix | None:
    """Counts of ``word`` n-grams as ``vec``'s analyser makes them; None when a token holds a
    space (its n-grams would be ambiguous)."""
    preprocess, tokenize, stop = vec.build_preprocessor(), vec.build_tokenizer(), vec.get_stop_words()
    per_doc = [tokenize(preprocess(vec.decode(d))) for d in docs]
    if stop is not None:
        per_doc = [[t for t in toks if t not in stop] for toks in per_doc]
    flat = list(chain.from_iterable(per_doc))
    if any(" " in t for t in set(flat)):
        return None
    ids = np.fromiter(map(tokens.get, flat, repeat(0)), dtype=np.int64, count=len(flat))
    lengths = np.fromiter(map(len, per_doc), dtype=np.int64, count=len(per_doc))
    doc_of = np.repeat(np.arange(len(per_doc)), lengths)
    starts, feats = _window_hits(index, ids, vec.ngram_range, doc_of)
    return sparse.csr_matrix((np.ones(len(starts), np.int64), (doc_of[starts], feats)),
                             shape=(len(per_doc), len(vec.vocabulary_)))


class _FastCounting:
    """The mixin: numpy counting with a fitted vocabulary, and the compact saved vocabulary."""

    def _count_vocab(self, raw_documents, fixed_vocab):
        if fixed_vocab and not callable(self.analyzer) and self.analyzer in ("char_wb", "word"):
            docs = list(raw_documents)
            counts = self._fast_counts(docs)
            if counts is not None:
                counts.sum_duplicates()  # canonical: sorted indices, as scikit-learn's
                return self.vocabulary_, counts.astype(self.dtype)
            raw_documents = docs
        return super()._count_vocab(raw_documents, fixed_vocab)

    def _fast_counts(self, docs: list):
        cached = self.__dict__.get("_ngram_index")
        if cached is None or cached[0] is not self.vocabulary_:
            if self.analyzer == "char_wb":
                built = char_index(self.vocabulary_, self.ngram_range[1]) if self.ngram_range[0] <= 3 else None
            else:
                built = word_index(self.vocabulary_, self.ngram_range)
            cached = self._ngram_index = (self.vocabulary_, built)
        if cached[1] is None:
            return None
        symbols, index = cached[1]
        if self.analyzer == "char_wb":
            return char_wb_counts(self, symbols, index, docs)
        return word_counts(self, symbols, index, docs)

    def __getstate__(self):
        state = dict(super().__getstate__())
        state.pop("_ngram_index", None)
        terms = _terms_by_index(state.get("vocabulary_"))
        if terms is not None:
            del state["vocabulary_"]
            state["_vocabulary_utf8"] = np.frombuffer("".join(terms).encode("utf-8", "surrogatepass"),
                                                      dtype=np.uint8)
            state["_vocabulary_lengths"] = np.fromiter(map(len, terms), dtype=np.int32, count=len(terms))
        return state

    def __setstate__(self, state):
        state = dict(state)
        state.pop("_ngram_index", None)  # built from the vocabulary when first needed, never read from a file
        blob, lengths = state.pop("_vocabulary_utf8", None), state.pop("_vocabulary_lengths", None)
        if blob is not None or lengths is not None:
            state["vocabulary_"] = _vocabulary_from_arrays(blob, lengths)
        super().__setstate__(state)


def _vocabulary_from_arrays(blob, lengths) -> dict[str, int]:
    if not isinstance(blob, np.ndarray) or not isinstance(lengths, np.ndarray) or blob.dtype != np.uint8 \
            or lengths.dtype.kind not in "iu" or blob.ndim != 1 or lengths.ndim != 1:
        raise ValueError("vocabulary arrays of the wrong type")
    text = blob.tobytes().decode("utf-8", "surrogatepass")
    ends = np.cumsum(lengths, dtype=np.int64)
    if (lengths < 0).any() or (len(ends) and ends[-1] != len(text)):
        raise ValueError("vocabulary lengths do not add up to its text")
    starts = ends - lengths
    vocabulary = {text[a:b]: j for j, (a, b) in enumerate(zip(starts.tolist(), ends.tolist()))}
    if len(vocabulary) != len(lengths):
        raise ValueError("vocabulary holds a term twice")
    return vocabulary


class FastCountVectorizer(_FastCounting, CountVectorizer):
    """``CountVectorizer`` with numpy counting for a fitted vocabulary and a compact saved state."""


class FastTfidfVectorizer(_FastCounting, TfidfVectorizer):
    """``TfidfVectorizer`` with numpy counting for a fitted vocabulary and a compact saved state."""
