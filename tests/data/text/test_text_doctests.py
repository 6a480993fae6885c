"""The runnable examples in the text modules' docstrings."""

import doctest
import importlib

import pytest

MODULES = ["seqlab.data.text.preprocess", "seqlab.data.text.korean", "seqlab.data.text.subword",
           "seqlab.data.text.prepare",
           "seqlab.data.text.similarity"]


@pytest.mark.parametrize("name", MODULES)
def test_doctests(name):
    result = doctest.testmod(importlib.import_module(name))
    assert result.failed == 0 and result.attempted > 0
