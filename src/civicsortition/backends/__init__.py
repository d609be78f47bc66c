"""Solver backends: thin adapters behind a registry.

Two backends ship: ``"highs"`` (default; HiGHS in process through :mod:`scipy.optimize`, with
native persistent models through ``highspy``) and ``"pulp"`` (any solver PuLP drives: CBC,
HiGHS, Gurobi, CPLEX, ...; ``"pulp:SOLVER_NAME"`` names one). Each maps its solver's statuses
to :class:`Status` through one explicit table and checks the status of every solve.

Every backend implements :class:`Backend` (stateless ``milp`` and ``lp`` solves, ``name``,
``version``). The persistent-model capability (:class:`PersistentModel`: add columns, change
costs and bounds, solve, read duals) is asked of the backend
(:class:`SupportsPersistentModel`); a backend without it gets an emulated one
(:func:`open_model`). Importing this package is cheap: SciPy, PuLP and highspy are imported
when a backend first solves.

A new backend is one module plus one :func:`register_backend` call::

    register_backend("mysolver", MySolverBackend, name="My solver", requires=("mysolver",))
"""

from __future__ import annotations

import importlib
from collections.abc import Callable

import attrs

from .._i18n import tr
from ..errors import InputError
from ._base import (
    Backend,
    LpResult,
    MilpResult,
    ModelResult,
    PersistentModel,
    SolverError,
    Status,
    SupportsPersistentModel,
)
from .highs import HighsBackend
from .persistent import EmulatedModel, open_model
from .pulp_backend import PulpBackend

__all__ = ["BACKENDS", "DEFAULT_BACKEND", "Backend", "BackendSpec", "EmulatedModel",
           "HighsBackend", "LpResult", "MilpResult", "ModelResult", "PersistentModel",
           "PulpBackend", "SolverError", "Status", "SupportsPersistentModel", "available",
           "backend_specs", "get_backend", "open_model", "register_backend"]

#: A backend factory: called with the text after ``":"`` in ``"id:option"`` (None without
#: one); returns None for an option it does not accept.
BackendFactory = Callable[[str | None], "Backend | None"]


@attrs.frozen
class BackendSpec:
    """A registered backend.

    Attributes
    ----------
    id : str
        What ``backend=`` accepts (``"id"`` or ``"id:option"``).
    name : str
        Display name.
    factory : callable
        ``factory(option) -> Backend | None``; ``option`` is the text after ``":"`` or
        None; None means the option is not accepted.
    requires : tuple of str
        Modules that must import for the backend to be available.
    persistent : str
        ``"native"`` when the backend has its own persistent models (possibly subject to an
        optional package), ``"emulated"`` otherwise; informative only (the capability is
        asked of the backend instance).
    """

    id: str
    name: str
    factory: BackendFactory
    requires: tuple[str, ...] = ()
    persistent: str = "emulated"


_REGISTRY: dict[str, BackendSpec] = {}

#: The default backend id (``backend=None``).
DEFAULT_BACKEND = "highs"


def register_backend(id: str, factory: BackendFactory, *, name: str | None = None,
                     requires: tuple[str, ...] = (), persistent: str = "emulated") -> BackendSpec:
    """Register (or replace) a backend under ``id``.

    Parameters
    ----------
    id : str
        Lower-case id without ``":"``.
    factory : callable
        ``factory(option) -> Backend | None``, ``option`` being the text after ``":"`` in
        ``"id:option"`` (None without one); None for an option it does not accept.
    name : str, optional
        Display name (default: the id).
    requires : tuple of str
        Modules that must import for :func:`available` to list it.
    persistent : {"native", "emulated"}
        Whether the backend offers native persistent models (informative).

    Returns
    -------
    BackendSpec
    """
    if not id or ":" in id or id != id.strip().lower():
        raise ValueError(f"backend id must be lower-case, non-empty and without ':': {id!r}")
    spec = BackendSpec(id, name or id, factory, tuple(requires), persistent)
    _REGISTRY[id] = spec
    return spec


def backend_specs() -> dict[str, BackendSpec]:
    """Every registered backend, by id (a copy)."""
    return dict(_REGISTRY)


def available() -> tuple[str, ...]:
    """Ids of the registered backends whose required modules import, in registration order."""
    out = []
    for spec in _REGISTRY.values():
        try:
            for module in spec.requires:
                importlib.import_module(module)
        except ImportError:
            continue
        out.append(spec.id)
    return tuple(out)


def get_backend(backend: str | Backend | None = None) -> Backend:
    """Resolve a backend id (``"highs"``, ``"pulp"``, ``"pulp:SOLVER_NAME"``, ...) or instance.

    ``None`` means :data:`DEFAULT_BACKEND`; an object that is not a string is returned as is.

    Raises
    ------
    InputError
        ``unknown-backend`` for an id that is not registered.
    """
    if backend is None:
        backend = DEFAULT_BACKEND
    if not isinstance(backend, str):
        return backend
    key, colon, option = backend.partition(":")
    spec = _REGISTRY.get(key)
    found = None if spec is None else spec.factory(option if colon else None)
    if found is None:
        ids = "', '".join(_REGISTRY)
        raise InputError.single("unknown-backend", tr("unknown backend; expected '{ids}' or "
                                                      "'pulp:SOLVER' (e.g. 'pulp:PULP_CBC_CMD')",
                                                      ids=ids), value=backend)
    return found


def _highs(option: str | None) -> Backend | None:
    return HighsBackend() if option is None else None


def _pulp(option: str | None) -> Backend:
    return PulpBackend(solver=option)


register_backend("highs", _highs, name="HiGHS (scipy; persistent models through highspy)",
                 requires=("scipy.optimize",), persistent="native")
register_backend("pulp", _pulp, name="PuLP (CBC, HiGHS, Gurobi, ... as PuLP finds them)",
                 requires=("pulp",))

#: The built-in backend ids (see :func:`backend_specs` for every registered one).
BACKENDS = ("highs", "pulp")
