"""Deprecated: moved to :mod:`civicsortition.research.corpus` (removed in 0.3)."""

from ._deprecated import moved_module

moved_module(__name__, "civicsortition.research.corpus")
