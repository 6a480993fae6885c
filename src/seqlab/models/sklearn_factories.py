"""scikit-learn text baselines: count / TF-IDF features × Naive Bayes / logistic regression.

Every factory registers with ``kind="sklearn"`` and returns a picklable ``Pipeline`` that takes
an array of raw strings: ``fit(texts, y)``, ``predict_proba(texts)``. Features, by ``analyzer``:

- ``word``: word n-grams (optional English stopwords, see ``seqlab.data.text.preprocess``);
- ``char`` / ``char_wb``: character n-grams (``char_wb`` stays inside word boundaries): the
  strongest single feature set for Korean, whose words carry particles and endings;
- ``kiwi``: Korean morphemes from kiwipiepy (``kiwi_mode`` morphs | nouns | pos,
  ``kiwi_userdic`` a Komoran-style user dictionary), tokenised in batch by the ``KiwiMorphs``
  transformer that arrives in ``analysers`` (``seqlab.data.text.analysers``, passed by the trainer).

``nblr`` is NB-weighted logistic regression (the NBSVM of Wang & Manning 2012 with a logistic
loss): binary features scaled by the Naive Bayes log-count ratio before a linear model.
``tfidf_union_lr`` stacks character and word/morpheme features, the best classical model here.
"""

from __future__ import annotations

from typing import Literal

from seqlab.errors import ConfigError
from seqlab.models.registry import register_model

Analyzer = Literal["word", "char", "char_wb", "kiwi"]


def _sk():
    """The scikit-learn side, imported when a classical model is built, not at registry import."""
    from seqlab.models import sklearn_text

    return sklearn_text


# Every factory takes the same feature arguments (see make_features), spelled out so the
# config loader can check YAML keys and types against the signature.
@register_model(kind="sklearn")
def count_nb(*, alpha: float = 1.0, analyzer: Analyzer = "word", ngram_range: list[int] = (1, 1),
             min_df: int = 1, max_features: int | None = None, binary: bool = True,
             sublinear_tf: bool = False, stop_words: Literal["english"] | None = None,
             lowercase: bool = True, kiwi_mode: str = "morphs", kiwi_userdic: str | None = None, analysers: object = None):
    """Count vectors (binary by default) + multinomial Naive Bayes."""
    sk = _sk()
    return sk.Pipeline([("features", sk._features("count", locals())), ("clf", sk.MultinomialNB(alpha=alpha))])


@register_model(kind="sklearn")
def tfidf_nb(*, alpha: float = 0.1, analyzer: Analyzer = "word", ngram_range: list[int] = (1, 1),
             min_df: int = 1, max_features: int | None = None, binary: bool = False,
             sublinear_tf: bool = True, stop_words: Literal["english"] | None = None,
             lowercase: bool = True, kiwi_mode: str = "morphs", kiwi_userdic: str | None = None, analysers: object = None):
    """TF-IDF + multinomial Naive Bayes."""
    sk = _sk()
    return sk.Pipeline([("features", sk._features("tfidf", locals())), ("clf", sk.MultinomialNB(alpha=alpha))])


@register_model(kind="sklearn")
def tfidf_cnb(*, alpha: float = 0.3, analyzer: Analyzer = "word", ngram_range: list[int] = (1, 1),
              min_df: int = 1, max_features: int | None = None, binary: bool = False,
              sublinear_tf: bool = True, stop_words: Literal["english"] | None = None,
              lowercase: bool = True, kiwi_mode: str = "morphs", kiwi_userdic: str | None = None, analysers: object = None):
    """TF-IDF + complement Naive Bayes (Rennie et al. 2003; steadier on skewed classes)."""
    sk = _sk()
    return sk.Pipeline([("features", sk._features("tfidf", locals())), ("clf", sk.ComplementNB(alpha=alpha))])


@register_model(kind="sklearn")
def count_lr(*, C: float = 0.5, max_iter: int = 1000, analyzer: Analyzer = "word",
             ngram_range: list[int] = (1, 1), min_df: int = 1, max_features: int | None = None,
             binary: bool = True, sublinear_tf: bool = False,
             stop_words: Literal["english"] | None = None, lowercase: bool = True,
             kiwi_mode: str = "morphs", kiwi_userdic: str | None = None, analysers: object = None):
    """Count vectors + logistic regression."""
    sk = _sk()
    return sk.Pipeline([("features", sk._features("count", locals())), ("clf", sk._lr(C, max_iter))])


@register_model(kind="sklearn")
def tfidf_lr(*, C: float = 4.0, max_iter: int = 1000, analyzer: Analyzer = "word",
             ngram_range: list[int] = (1, 1), min_df: int = 1, max_features: int | None = None,
             binary: bool = False, sublinear_tf: bool = True,
             stop_words: Literal["english"] | None = None, lowercase: bool = True,
             kiwi_mode: str = "morphs", kiwi_userdic: str | None = None, analysers: object = None):
    """TF-IDF + logistic regression."""
    sk = _sk()
    return sk.Pipeline([("features", sk._features("tfidf", locals())), ("clf", sk._lr(C, max_iter))])


@register_model(kind="sklearn")
def nblr(*, C: float = 1.0, alpha: float = 1.0, binarize: bool = True, analyzer: Analyzer = "word",
         ngram_range: list[int] = (1, 3), min_df: int = 1, max_features: int | None = None,
         binary: bool = True, sublinear_tf: bool = False,
         stop_words: Literal["english"] | None = None, lowercase: bool = True,
         kiwi_mode: str = "morphs", kiwi_userdic: str | None = None, analysers: object = None):
    """NB-weighted logistic regression over n-gram presence (NBSVM-style, binary tasks)."""
    sk = _sk()
    return sk.Pipeline([("features", sk._features("count", locals())),
                        ("clf", sk.NBLogisticRegression(C=C, alpha=alpha, binarize=binarize))])


DEFAULT_BRANCHES = [{"analyzer": "char_wb", "ngram_range": [1, 5], "min_df": 2},
                    {"analyzer": "word", "ngram_range": [1, 2], "min_df": 1}]


@register_model(kind="sklearn")
def tfidf_union_lr(*, C: float = 4.0, max_iter: int = 1000, branches: list[dict] | None = None,
                   nb_weight: bool = False, analysers: object = None):
    """Stacked TF-IDF feature sets (default char_wb 1-5 + word 1-2) → (NB-weighted) LR."""
    sk = _sk()
    union = sk.FeatureUnion([(f"f{i}", sk._branch(b, analysers)) for i, b in enumerate(branches or DEFAULT_BRANCHES)])
    clf = sk.NBLogisticRegression(C=C, binarize=False) if nb_weight else sk._lr(C, max_iter)
    return sk.Pipeline([("features", union), ("clf", clf)])


@register_model(kind="sklearn")
def soft_vote(*, members: list[dict], weights: list[float] | None = None, analysers: object = None):
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
        estimators.append((f"m{i}_{name}", MODELS.get(name).fn(**spec, analysers=analysers)))
    return VotingClassifier(estimators, voting="soft", weights=weights)
