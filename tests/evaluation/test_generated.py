"""Copy and two-sample checks of generated beats (``seqlab.evaluation.generated``)."""

import numpy as np

from seqlab.evaluation.generated import copy_check, two_sample_auroc


def beats(n: int, seed: int, shift: float = 0.0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return (rng.standard_normal((n, 2, 24)) + shift).astype(np.float32)


def test_an_exact_copy_is_flagged_and_new_beats_are_not():
    train = beats(300, 0)
    fresh = beats(100, 1)
    clean = copy_check(fresh, train, beats(50, 2), seed=0)
    assert clean["exact_copies"] == 0
    assert 0.8 < clean["ratio_median"] < 1.3  # as far from the training beats as they are from each other
    assert clean["held_out_to_train"]["median"] > 0
    copied = np.concatenate([fresh[:99], train[17:18]])
    flagged = copy_check(copied, train, seed=0)
    assert flagged["exact_copies"] == 1 and flagged["near_copies"] >= 1
    assert flagged["gen_to_train"]["min"] == 0.0


def test_memorised_beats_sit_much_closer_than_training_beats_to_each_other():
    train = beats(300, 0)
    memorised = train[:100] + 0.01 * beats(100, 3)  # tiny noise on training beats
    m = copy_check(memorised, train, seed=0)
    assert m["exact_copies"] == 0 and m["ratio_median"] < 0.1 and m["near_copies"] == 100


def test_two_sample_auroc_separates_a_shift_and_not_the_same_distribution():
    same = two_sample_auroc(beats(300, 0), beats(300, 1), seed=0, max_per_side=150)
    shifted = two_sample_auroc(beats(300, 0), beats(300, 1, shift=1.0), seed=0, max_per_side=150)
    assert 0.3 < same["auroc"] < 0.7 and shifted["auroc"] > 0.9
    assert same["n_per_side"] == 150


def test_two_sample_auroc_is_not_reported_on_too_few_beats():
    assert two_sample_auroc(beats(20, 0), beats(400, 1), seed=0)["auroc"] is None


def test_docstring_example():
    import doctest

    import seqlab.evaluation.generated as module

    result = doctest.testmod(module)
    assert result.failed == 0 and result.attempted > 0
