"""What a linear text model has learned, in its own terms: the n-grams (or morphemes) with the
largest weights for each class, and which of them decided one review.

For a binary model the weight of a term is its coefficient towards the second class (log-odds
per unit of the feature); NB-weighted logistic regression multiplies it by the term's NB
log-count ratio, as its features are scaled by it; multinomial / complement Naive Bayes use
the difference of the class log-probabilities. A term's contribution to one review is its
feature value in that review times its weight, so the contributions plus the intercept are
the review's log-odds (for the logistic models).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from seqlab.errors import ConfigError


def _split(estimator: Any) -> tuple[Any, Any]:
    steps = getattr(estimator, "named_steps", None)
    if not steps or "features" not in steps or "clf" not in steps:
        raise ConfigError(f"{type(estimator).__name__} is not a features -> linear classifier pipeline; "
                          "term weights exist for the linear text models (tfidf_lr, nblr, count_nb, ...)")
    return steps["features"], steps["clf"]


def feature_names(features: Any) -> np.ndarray:
    if hasattr(features, "transformer_list"):  # FeatureUnion: the branch's name keeps the views apart
        return np.concatenate([[f"{name}:{t}" for t in feature_names(f)] for name, f in features.transformer_list])
    if hasattr(features, "steps"):  # kiwi morphemes -> vectoriser
        return feature_names(features.steps[-1][1])
    return np.asarray(features.get_feature_names_out(), dtype=object)


def term_weights(estimator: Any) -> tuple[np.ndarray, np.ndarray, list]:
    """``(names, weights (K_or_1, F), classes)``; one row for a binary model."""
    features, clf = _split(estimator)
    names = feature_names(features)
    if hasattr(clf, "r_") and hasattr(clf, "lr_"):  # NB-weighted LR
        weights = clf.lr_.coef_ * clf.r_[None, :]
    elif hasattr(clf, "coef_"):
        weights = clf.coef_
    elif hasattr(clf, "feature_log_prob_"):
        logp = clf.feature_log_prob_
        weights = logp[1:] - logp[:1] if len(logp) == 2 else logp - logp.mean(axis=0, keepdims=True)
    else:
        raise ConfigError(f"{type(clf).__name__} has no per-term weights")
    return names, np.asarray(weights, dtype=np.float64), list(clf.classes_)


def top_terms(estimator: Any, class_names: list[str], k: int = 20) -> dict[str, list[tuple[str, float]]]:
    """The ``k`` terms pushing hardest towards each class (binary: the two ends of one scale)."""
    names, weights, _ = term_weights(estimator)
    if len(weights) == 1:
        order = np.argsort(weights[0])
        return {class_names[1]: [(names[i], float(weights[0, i])) for i in order[::-1][:k]],
                class_names[0]: [(names[i], float(weights[0, i])) for i in order[:k]]}
    return {c: [(names[i], float(weights[r, i])) for i in np.argsort(-weights[r])[:k]]
            for r, c in enumerate(class_names)}


def text_contributions(estimator: Any, text: str, k: int = 15) -> list[tuple[str, float]]:
    """The terms of one text with the largest |value x weight| towards the predicted class
    (binary: positive = towards the second class)."""
    features, _ = _split(estimator)
    names, weights, _ = term_weights(estimator)
    row = features.transform(np.asarray([text], dtype=object)).tocsr()
    pred = int(np.argmax(estimator.predict_proba(np.asarray([text], dtype=object))[0]))
    w = weights[0] if len(weights) == 1 else weights[pred]
    cols, vals = row.indices, row.data * w[row.indices]
    order = np.argsort(-np.abs(vals))[:k]
    return [(names[cols[i]], float(vals[i])) for i in order]
