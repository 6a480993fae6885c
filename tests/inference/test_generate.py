"""Sampling helpers of ``seqlab.inference.generate`` that need no trained run."""

import doctest

import numpy as np
import pytest

import seqlab.inference.generate as module
from seqlab.errors import ConfigError


def test_docstring_example():
    result = doctest.testmod(module)
    assert result.failed == 0 and result.attempted > 0


def test_rr_rows_come_from_the_requested_class_only():
    pool = {"rr": np.array([[0.0], [1.0], [2.0]], np.float32), "y": np.array([0, 1, 0])}
    rows = module.draw_rr(pool, 0, 50, np.random.default_rng(0))
    assert rows.shape == (50, 1) and set(rows[:, 0].tolist()) <= {0.0, 2.0}
    with pytest.raises(ConfigError, match="no real beat"):
        module.draw_rr(pool, 2, 5, np.random.default_rng(0))
