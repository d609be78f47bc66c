"""The embedded SYNTHETIC Rustavi example and the whole demo pipeline on it.

* :mod:`civicsortition.examples.rustavi` -- the synthetic census, address frame, registrations
  and the fixed pool of 240 registrants (nothing describes a real person or address);
* :mod:`civicsortition.examples.demo` -- :func:`rustavi_demo`, the two-stage selection from
  letters to the vote, as run by ``civicsortition demo``;
* :mod:`civicsortition.examples.inputs` -- :func:`write_example_inputs`, the example's input
  files (frame, census, registrations, targets, people, votes) as ``civicsortition example
  --out DIR`` writes them.

Both are edges of the package: nothing else in ``civicsortition`` imports them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._lazy import lazy_exports

if TYPE_CHECKING:
    from .demo import DEMO_DRAW_SEED, DemoRun, rustavi_demo, simulated_votes
    from .inputs import EXAMPLE_FILES, write_demo_inputs, write_example_inputs
    from .rustavi import (
        RUSTAVI_REFERENCE_DATE,
        rustavi_address_frame,
        rustavi_example,
        rustavi_registrations,
        rustavi_synthetic_census,
        rustavi_synthetic_pool,
    )

_EXPORTS = {
    "RUSTAVI_REFERENCE_DATE": ".rustavi",
    "rustavi_address_frame": ".rustavi",
    "rustavi_example": ".rustavi",
    "rustavi_registrations": ".rustavi",
    "rustavi_synthetic_census": ".rustavi",
    "rustavi_synthetic_pool": ".rustavi",
    "DEMO_DRAW_SEED": ".demo",
    "DemoRun": ".demo",
    "rustavi_demo": ".demo",
    "simulated_votes": ".demo",
    "EXAMPLE_FILES": ".inputs",
    "write_demo_inputs": ".inputs",
    "write_example_inputs": ".inputs",
}

__all__ = [
    "DEMO_DRAW_SEED",
    "EXAMPLE_FILES",
    "RUSTAVI_REFERENCE_DATE",
    "DemoRun",
    "rustavi_address_frame",
    "rustavi_demo",
    "rustavi_example",
    "rustavi_registrations",
    "rustavi_synthetic_census",
    "rustavi_synthetic_pool",
    "simulated_votes",
    "write_demo_inputs",
    "write_example_inputs",
]

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
