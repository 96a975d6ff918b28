"""The docstring examples of the grammar modules run and pass."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = ["__init__", "format", "parse", "_scan", "spaces", "tokens", "constrain"]


@pytest.mark.parametrize("name", MODULES)
def test_doctests(name):
    qualified = "simpleseg_agent.grammar" if name == "__init__" else f"simpleseg_agent.grammar.{name}"
    module = importlib.import_module(qualified)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0
