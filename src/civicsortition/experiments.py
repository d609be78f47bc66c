"""Deprecated: moved to :mod:`civicsortition.research.experiments` (removed in 0.3)."""

from ._deprecated import moved_module

moved_module(__name__, "civicsortition.research.experiments")
