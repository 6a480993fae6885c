"""Beat annotation symbols and the label schemes that map them to classes.

The ``.atr`` files mix beat labels (``N``, ``V``...) with rhythm, noise and signal-quality
marks (``+``, ``~``, ``|``, ``[``...). Only beat symbols become samples; everything else is
counted as skipped, and a symbol that is in neither table is counted as unknown, so a new
annotation convention shows up in the data summary instead of vanishing.

>>> label_beats(np.array(["N", "A", "V", "/"]), "aami5")
(array([0, 1, 2, 4]), ['N', 'S', 'V', 'F', 'Q'])
"""

from __future__ import annotations

import numpy as np

from seqlab.errors import ConfigError

# Beat symbols of the MIT-BIH reference annotations (the set bxb / EC57 score against).
BEAT_SYMBOLS = frozenset("N L R B A a J S V r F e j n E / f Q ?".split())
# Non-beat annotation codes of the WFDB annotation table (rhythm, noise, artefacts...).
NON_BEAT_SYMBOLS = frozenset('+ ~ | ! [ ] " x ( ) p t u ` \' ^ = s T * D @'.split())

# ANSI/AAMI EC57 classes: N (normal and bundle-branch), S (supraventricular ectopic),
# V (ventricular ectopic), F (fusion), Q (paced, paced fusion, unclassifiable).
AAMI5 = {
    "N": "N", "L": "N", "R": "N", "e": "N", "j": "N", "B": "N",
    "A": "S", "a": "S", "J": "S", "S": "S", "n": "S",
    "V": "V", "E": "V", "r": "V",
    "F": "F",
    "/": "Q", "f": "Q", "Q": "Q", "?": "Q",
}
# The seed's five beat types; other beat symbols are dropped (and counted).
NLRAV = {s: s for s in "NLRAV"}
# Normal sinus beat vs everything else that is a beat.
BINARY = {s: ("normal" if s == "N" else "abnormal") for s in BEAT_SYMBOLS}

SCHEMES: dict[str, tuple[dict[str, str], list[str]]] = {
    "aami5": (AAMI5, ["N", "S", "V", "F", "Q"]),
    "nlrav": (NLRAV, ["N", "L", "R", "A", "V"]),
    "binary": (BINARY, ["normal", "abnormal"]),
}


def scheme_classes(scheme: str, keep: list[str] | None = None) -> list[str]:
    """Class names of ``scheme`` in their canonical order, restricted to ``keep``."""
    try:
        _, classes = SCHEMES[scheme]
    except KeyError:
        raise ConfigError(f"unknown label scheme {scheme!r}; valid: {', '.join(SCHEMES)}") from None
    if keep is None:
        return list(classes)
    bad = [c for c in keep if c not in classes]
    if bad:
        raise ConfigError(f"classes {bad} are not in label scheme {scheme!r} ({', '.join(classes)})")
    return [c for c in classes if c in keep]


def label_beats(symbols: np.ndarray, scheme: str, keep: list[str] | None = None):
    """Class index per beat symbol (-1 = not in the scheme or not kept) and the class names."""
    mapping, _ = SCHEMES[scheme]
    classes = scheme_classes(scheme, keep)
    index = {c: i for i, c in enumerate(classes)}
    names, inverse = np.unique(np.asarray(symbols, dtype=str), return_inverse=True)
    table = np.array([index.get(mapping.get(s, ""), -1) for s in names.tolist()], dtype=np.int64)
    return table[inverse.reshape(-1)] if len(names) else np.zeros(0, np.int64), classes


def split_symbols(symbols: np.ndarray) -> tuple[np.ndarray, int, dict[str, int]]:
    """Mask of beat symbols, the number of known non-beat marks, and unknown symbol counts."""
    is_beat = np.isin(symbols, list(BEAT_SYMBOLS))
    rest = symbols[~is_beat]
    known = np.isin(rest, list(NON_BEAT_SYMBOLS))
    names, counts = np.unique(rest[~known], return_counts=True)
    return is_beat, int(known.sum()), {str(s): int(c) for s, c in zip(names, counts)}


def nearest_within(reference: np.ndarray, samples: np.ndarray, tolerance: float) -> tuple[np.ndarray, np.ndarray]:
    """For each of ``samples``, the index of the nearest ``reference`` sample (both sorted) and
    whether it lies within ``tolerance`` samples: the one place a detected beat meets its label.

    >>> nearest_within(np.array([10, 50, 90]), np.array([12, 70, 88]), 5)
    (array([0, 1, 2]), array([ True, False,  True]))
    """
    if len(reference) == 0:
        return np.zeros(len(samples), dtype=np.int64), np.zeros(len(samples), dtype=bool)
    pos = np.clip(np.searchsorted(reference, samples), 1, max(len(reference) - 1, 1))
    left = pos - 1
    right = np.minimum(pos, len(reference) - 1)
    nearest = np.where(np.abs(samples - reference[left]) <= np.abs(reference[right] - samples), left, right)
    return nearest, np.abs(reference[nearest] - samples) <= tolerance
