"""Shared test configuration."""

from __future__ import annotations

import os

from hypothesis import settings

# Under CI, Hypothesis explores a fixed sequence of examples so a run is reproducible;
# locally it explores freshly each time (and remembers failures in .hypothesis/).
settings.register_profile("ci", derandomize=True, print_blob=True)
settings.register_profile("dev", print_blob=True)
# `pytest --hypothesis-profile=stress` for a long exploratory run.
settings.register_profile("stress", max_examples=3000, deadline=None, print_blob=True)
settings.load_profile("ci" if os.environ.get("CI") else "dev")

# Texts for people follow the environment's language (civicsortition._i18n); the tests that
# compare English text must not turn Georgian on a machine whose LANG is ka_GE.
os.environ["CIVICSORTITION_LANG"] = "en"
