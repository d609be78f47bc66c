"""Deprecated: moved to :mod:`civicsortition.examples.demo` (removed in 0.3)."""

from ._deprecated import moved_module

moved_module(__name__, "civicsortition.examples.demo")
