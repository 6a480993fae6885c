"""The runnable examples in the docstrings of the packages outside data/ (data has its own)."""

import doctest
import importlib

import pytest

MODULES = ["seqlab.config_tools", "seqlab.evaluation.geometry", "seqlab.evaluation.per_record",
           "seqlab.inference.postprocess", "seqlab.inference.explain", "seqlab.models.catalog"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    result = doctest.testmod(importlib.import_module(name))
    assert result.failed == 0 and result.attempted > 0
