"""Post-processing of class probabilities, after the network and before the labels.

Both steps read the inputs a beat was classified from, never a label, and run on numpy
probabilities, so evaluation, ``seqlab predict`` and any other engine that yields probabilities
apply them identically. Order: the rhythm gate, then the morphology vote.

**Rhythm gate** (``eval.rhythm_gate = τ``): AAMI labels the beats of atrial fibrillation N,
yet half of them come early. DS1 holds AF in two records, so whichever is held out the network
has seen one AF record, and its class-balanced training (S weighted ~50x) calls hundreds of
their beats S: ~630 of ~900 false S on DS1 folds. A beat whose local RR irregularity
(``rr_set: context``) exceeds τ has its S probability moved to N. On DS1 5-fold CV (τ chosen
there, i.e. model selection inside DS1): S PPV 41.6% -> 71.4% at sensitivity 66.2% -> 61.9%;
sinus rhythm's irregularity is ~0.02-0.05, AF's 0.2-0.3. On the unseen DS2 patients it removed
most of the little S that was left (S Se 15.6 -> 6.6): see docs/inter-patient.md.

**Morphology vote** (``eval.morphology_vote = k``): ``seqlab.inference.morphology_vote``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from seqlab.errors import ConfigError
from seqlab.inference.morphology_vote import vote_from_config


def rhythm_gate(probs: np.ndarray, irregularity: np.ndarray, tau: float, classes: Sequence[str]) -> np.ndarray:
    """Move the S probability of beats with ``irregularity > tau`` to N (other classes untouched).

    >>> p = np.array([[0.2, 0.7, 0.1], [0.2, 0.7, 0.1]])
    >>> rhythm_gate(p, np.array([0.01, 0.3]), 0.15, ["N", "S", "V"]).round(2).tolist()
    [[0.2, 0.7, 0.1], [0.9, 0.0, 0.1]]
    """
    classes = list(classes)
    if not {"N", "S"} <= set(classes):
        raise ConfigError(f"eval.rhythm_gate moves S to N, but the classes are {classes}")
    s, n = classes.index("S"), classes.index("N")
    out = probs.copy()
    irregular = np.asarray(irregularity) > tau
    out[irregular, n] += out[irregular, s]
    out[irregular, s] = 0.0
    return out


def irregularity_column(x, rr_names: Sequence[str] | None) -> np.ndarray:
    """The local RR irregularity of each beat, from the model inputs ``{"x", "rr"}``."""
    names = list(rr_names or [])
    if not isinstance(x, dict) or "rr" not in x or "irregularity" not in names:
        raise ConfigError("eval.rhythm_gate reads the local RR irregularity: set data.rr_set: context")
    return np.asarray(x["rr"])[:, names.index("irregularity")]


def shape_first(cfg) -> list[str]:
    """The classes the run's network decides by shape before timing (``model.morphology_first``)."""
    return list(cfg.model.params.get("morphology_first") or [])


def postprocess(probs: np.ndarray, x, groups: np.ndarray | None, eval_cfg, classes: Sequence[str],
                rr_names: Sequence[str] | None = None, first: Sequence[str] = ()) -> np.ndarray:
    """The run's ``eval`` post-processing (unchanged when every step is off); ``first`` is
    ``shape_first(cfg)``, which the vote must know to average the beat path's own shares."""
    if eval_cfg.rhythm_gate is not None:
        probs = rhythm_gate(probs, irregularity_column(x, rr_names), eval_cfg.rhythm_gate, classes)
    return vote_from_config(probs, x, groups, eval_cfg, classes, first)
