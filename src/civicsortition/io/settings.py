"""Settings files of the peer library sortition-algorithms (TOML), read into our options.

The peer keeps a run's options in a TOML file (read with :mod:`tomllib`, or ``tomli`` on
Python 3.10). :func:`read_settings` reads one and maps each of its keys to the counterpart
here (the table is also in ``docs/io.md``, "Migrating from sortition-algorithms"):

========================================  ==================================================
peer key                                   here
========================================  ==================================================
``id_column``                              ``--id-column``
``check_same_address`` +                   ``--household-column`` (the columns together are
``check_same_address_columns``             the household key; ``false``: no households)
``columns_to_keep``                        ``--keep-columns`` (selected/remaining files)
``selection_algorithm``                    ``--algorithm`` (``leximin``, ``maximin``,
                                           ``nash``, ``legacy``)
``random_number_seed``                     ``select --seed`` (legacy only; 0 = unset)
``solver_backend``                         ``highspy`` is our default ``highs``; others: a
                                           warning
``max_attempts``                           no counterpart (a warning)
========================================  ==================================================

The peer always matches category values up to case, so a settings file turns on
``ignore_case`` (``--no-ignore-case`` turns it off). Every key without a counterpart, and
every key the peer does not have, gives a warning message (never an error); a key with the
wrong type, an empty address column list and an algorithm we do not have are errors.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

import attrs

from .._i18n import tr
from ..errors import InputError

__all__ = ["PEER_ALGORITHMS", "PeerSettings", "read_settings"]

#: The peer's ``selection_algorithm`` names that have a counterpart, and our registry id.
PEER_ALGORITHMS = {"leximin": "leximin", "maximin": "maximin", "nash": "nash",
                   "legacy": "legacy"}
#: The peer's ``solver_backend`` names with a counterpart.
_PEER_BACKENDS = {"highspy": "highs"}
_KNOWN = ("id_column", "check_same_address", "check_same_address_columns", "max_attempts",
          "columns_to_keep", "selection_algorithm", "solver_backend", "random_number_seed")


@attrs.frozen
class PeerSettings:
    """A peer settings file, mapped to this library's options (None: not set by the file).

    Attributes
    ----------
    source : str
        File name.
    id_column : str or None
        ``--id-column``.
    household_columns : tuple of str or None
        ``--household-column`` (the columns of the key); ``()`` when the file turns address
        checking off; None when it says nothing.
    columns_to_keep : tuple of str or None
        ``--keep-columns``.
    algorithm : str or None
        Our registry id of the peer's ``selection_algorithm``.
    backend : str or None
        Our backend name of the peer's ``solver_backend`` (None when it has no counterpart).
    seed : int or None
        ``random_number_seed`` when not 0.
    ignore_case : bool
        Always True: the peer matches values up to case.
    warnings : tuple of str
        One message per setting with no counterpart (for stderr).
    """

    source: str
    id_column: str | None = None
    household_columns: tuple[str, ...] | None = None
    columns_to_keep: tuple[str, ...] | None = None
    algorithm: str | None = None
    backend: str | None = None
    seed: int | None = None
    ignore_case: bool = True
    warnings: tuple[str, ...] = ()


def _toml(source: str) -> Any:
    """The TOML reader: :mod:`tomllib` (Python 3.11+), or ``tomli`` when installed."""
    for name in ("tomllib", "tomli"):
        try:
            return importlib.import_module(name)
        except ImportError:
            continue
    raise InputError.single("missing-dependency", "reading a settings file needs Python 3.11 "
                            "or later, or the tomli package", file=source)


def _strings(data: dict[str, Any], key: str, source: str) -> tuple[str, ...] | None:
    if key not in data:
        return None
    value = data[key]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InputError.single("bad-settings", tr("{key} must be a list of strings", key=key),
                                file=source, column=key, value=repr(value))
    return tuple(v.strip() for v in value)


def _typed(data: dict[str, Any], key: str, kind: type, source: str) -> Any:
    value = data.get(key)
    # bool is an int in Python: an integer setting must not be given as true/false
    if value is not None and (not isinstance(value, kind)
                              or (kind is int and isinstance(value, bool))):
        raise InputError.single("bad-settings", tr("{key} must be a {name}",
                                                   key=key,
                                                   name=kind.__name__),
                                file=source, column=key, value=repr(value))
    return value


def _algorithm(name: str, source: str) -> str:
    from ..algorithms import ALGORITHMS  # the registry (loads the solvers)

    key = name.strip().lower()
    if key in PEER_ALGORITHMS and PEER_ALGORITHMS[key] in ALGORITHMS:
        return PEER_ALGORITHMS[key]
    raise InputError.single(
        "unknown-algorithm", tr("selection_algorithm {name!r} has no counterpart here; use one "
                                "of {algorithms}", name=name,
                                algorithms=", ".join(sorted(ALGORITHMS))),
        file=source, column="selection_algorithm", value=name)


def read_settings(path: str | Path, *, resolve_algorithm: bool = True) -> PeerSettings:
    """Read a sortition-algorithms settings file (TOML) into :class:`PeerSettings`.

    Parameters
    ----------
    path : str or Path
        The ``settings.toml`` file (unlike the peer, a missing file is an error: no default
        file is written).
    resolve_algorithm : bool
        Check ``selection_algorithm`` against the algorithm registry (loads the solvers);
        False leaves :attr:`PeerSettings.algorithm` None and only checks the name's type.

    Returns
    -------
    PeerSettings

    Raises
    ------
    InputError
        ``file-not-found``, ``bad-settings`` (not TOML, a key of the wrong type, address
        checking on with no columns), ``unknown-algorithm`` (listing ours).
    """
    source = str(path)
    toml = _toml(source)
    try:
        with open(path, "rb") as f:
            data: dict[str, Any] = toml.load(f)
    except FileNotFoundError:
        raise InputError.single("file-not-found", "no such settings file",
                                file=source) from None
    except toml.TOMLDecodeError as e:
        raise InputError.single("bad-settings", tr("not a TOML file: {e}", e=e),
                                file=source) from None
    except OSError as e:
        raise InputError.single("unreadable-file", str(e), file=source) from None
    warnings: list[str] = []
    id_column = _typed(data, "id_column", str, source)
    check = _typed(data, "check_same_address", bool, source)
    address = _strings(data, "check_same_address_columns", source)
    households: tuple[str, ...] | None = None
    if check is False:
        households = ()
    elif check is True:
        if not address or not all(address):
            raise InputError.single("bad-settings", "check_same_address is true but "
                                    "check_same_address_columns lists no columns",
                                    file=source, column="check_same_address_columns")
        households = address
    elif address:
        warnings.append("check_same_address_columns is ignored without check_same_address "
                        "= true (no household rule)")
    keep = _strings(data, "columns_to_keep", source)
    name = _typed(data, "selection_algorithm", str, source)
    algorithm = _algorithm(name, source) if name is not None and resolve_algorithm else None
    backend_name = _typed(data, "solver_backend", str, source)
    backend = None
    if backend_name is not None:
        backend = _PEER_BACKENDS.get(backend_name.strip().lower())
        if backend is None:
            warnings.append(f"solver_backend {backend_name!r} has no counterpart (ignored; "
                            "the backend is --backend: highs, pulp or pulp:SOLVER)")
    seed = _typed(data, "random_number_seed", int, source)
    if _typed(data, "max_attempts", int, source) is not None:
        warnings.append("max_attempts has no counterpart (ignored: the algorithms here are "
                        "exact or report that the quotas cannot be met)")
    warnings.extend(f"{key} is not a sortition-algorithms setting (ignored)"
                    for key in data if key not in _KNOWN)
    return PeerSettings(source, id_column.strip() if id_column else None, households, keep,
                        algorithm, backend, seed or None, True, tuple(warnings))

