"""The runnable examples in the ECG modules' docstrings."""

import doctest
import importlib

import pytest

MODULES = ["seqlab.data.balance", "seqlab.data.ecg.labels", "seqlab.data.ecg.filters",
           "seqlab.data.ecg.segment", "seqlab.data.ecg.ptbdb", "seqlab.data.ecg.quality"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    result = doctest.testmod(importlib.import_module(name))
    assert result.failed == 0 and result.attempted > 0
