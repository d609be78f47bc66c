"""Research tooling: synthetic instances, the torture corpus, experiment grids, the peer adapter.

* :mod:`~civicsortition.research.synthetic` -- seeded synthetic instances and the published
  instances' shapes (:data:`PRESETS`);
* :mod:`~civicsortition.research.corpus` -- pools from many generators for robustness sweeps;
* :mod:`~civicsortition.research.experiments` -- :func:`compare_algorithms` and experiment
  grids on any executor, with their results files;
* :mod:`~civicsortition.research.manipulation` -- :func:`manipulation_audit`: what a volunteer
  gains by misreporting their values, per algorithm;
* :mod:`~civicsortition.research.peer` -- the optional side-by-side adapter to the peer
  library (installed separately; never required).

An edge of the package: the organiser's API never imports it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._lazy import lazy_exports

if TYPE_CHECKING:
    from .corpus import FAMILIES, torture_instance, torture_sweep
    from .experiments import (
        Comparison,
        Task,
        compare_algorithms,
        grid,
        read_results,
        run_grid,
        run_task,
    )
    from .manipulation import ManipulationAudit, manipulation_audit
    from .peer import peer_available, peer_distribution
    from .synthetic import PRESETS, Instance, preset, synthetic_instance

_EXPORTS = {
    "FAMILIES": ".corpus",
    "torture_instance": ".corpus",
    "torture_sweep": ".corpus",
    "Comparison": ".experiments",
    "Task": ".experiments",
    "compare_algorithms": ".experiments",
    "grid": ".experiments",
    "read_results": ".experiments",
    "run_grid": ".experiments",
    "run_task": ".experiments",
    "ManipulationAudit": ".manipulation",
    "manipulation_audit": ".manipulation",
    "peer_available": ".peer",
    "peer_distribution": ".peer",
    "PRESETS": ".synthetic",
    "Instance": ".synthetic",
    "preset": ".synthetic",
    "synthetic_instance": ".synthetic",
}

__all__ = [
    "FAMILIES",
    "PRESETS",
    "Comparison",
    "Instance",
    "ManipulationAudit",
    "Task",
    "compare_algorithms",
    "grid",
    "manipulation_audit",
    "peer_available",
    "peer_distribution",
    "preset",
    "read_results",
    "run_grid",
    "run_task",
    "synthetic_instance",
    "torture_instance",
    "torture_sweep",
]

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
