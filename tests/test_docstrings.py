"""Every docstring example in the package runs and prints what it claims."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import civicsortition

#: Old module paths kept for one release; importing them warns (tests/test_architecture.py).
DEPRECATED_MODULES = {f"civicsortition.{m}" for m in
                      ("corpus", "experiments", "peer", "pipeline", "synthetic")}
MODULES = sorted(m.name for m in pkgutil.walk_packages(civicsortition.__path__,
                                                       prefix="civicsortition.")
                 if m.name != "civicsortition.__main__" and m.name not in DEPRECATED_MODULES)


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0, f"{result.failed} docstring example(s) failed in {name}"


def test_there_are_examples() -> None:
    finder = doctest.DocTestFinder()
    count = sum(len(t.examples) for name in MODULES
                for t in finder.find(importlib.import_module(name)))
    assert count >= 8


def test_public_names_exist_and_are_documented() -> None:
    for name in civicsortition.__all__:
        obj = getattr(civicsortition, name)  # raises if __all__ names something missing
        if callable(obj) and not name.isupper():
            assert obj.__doc__, f"{name} has no docstring"
