"""Argument checks shared by the public API (private module).

Every check names the argument it looks at through a *where* label such as
``"tally(members=...)"``, so that a message reads ``tally(members=...): expected a sequence of
member ids, got str 'abc'``. Wrong types raise :class:`TypeError`; well-typed but bad values
raise :class:`~civicsortition.errors.InputError` (a :class:`ValueError`).
"""

from __future__ import annotations

import math
import numbers
import sys
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from ._i18n import tr
from .errors import InputError

__all__ = ["as_int", "cell_text", "describe", "did_you_mean", "id_tuple", "is_missing",
           "optional_id_tuple", "require", "require_bool", "require_str", "sequence", "type_error"]

_REPR_LIMIT = 60


def describe(x: object) -> str:
    """``"<type> <short repr>"``, e.g. ``"str 'abc'"``, for error messages."""
    try:
        text = repr(x)
    except Exception:  # a broken __repr__ must not hide the real error
        text = "<unprintable>"
    if len(text) > _REPR_LIMIT:
        text = text[: _REPR_LIMIT - 3] + "..."
    return f"{type(x).__name__} {text}"


def type_error(where: str, expected: str, got: object) -> TypeError:
    """A :class:`TypeError` reading ``"<where>: expected <expected>, got <type> <repr>"``."""
    return TypeError(f"{where}: expected {expected}, got {describe(got)}")


def require(x: object, cls: type | tuple[type, ...], where: str, expected: str) -> None:
    """Raise :func:`type_error` unless ``isinstance(x, cls)``."""
    if not isinstance(x, cls):
        raise type_error(where, expected, x)


def require_str(x: object, where: str, expected: str = "a string") -> str:
    """``x`` itself if it is a :class:`str`; a :class:`TypeError` otherwise."""
    if not isinstance(x, str):
        raise type_error(where, expected, x)
    return x


def require_bool(x: object, where: str) -> bool:
    """``x`` if it is a :class:`bool` (numpy booleans included); a TypeError otherwise."""
    np = sys.modules.get("numpy")  # a NumPy boolean exists only once NumPy is loaded
    if isinstance(x, bool) or (np is not None and isinstance(x, np.bool_)):
        return bool(x)
    raise type_error(where, "True or False", x)


def as_int(x: object, where: str, *, expected: str = "an integer", **problem: Any) -> int:
    """``x`` as an :class:`int`, refusing to truncate.

    Integers (numpy's included) are returned as they are; finite whole-valued reals
    (``2.0``, ``Fraction(4, 2)``) are converted. Booleans, text, ``None`` and other types raise
    :class:`TypeError`; fractional, infinite or NaN reals raise
    :class:`~civicsortition.errors.InputError` with code ``"not-an-integer"`` (``problem`` is
    passed on to the :class:`~civicsortition.errors.Problem`, e.g. ``column=...``).
    """
    if isinstance(x, bool) or not isinstance(x, numbers.Real):
        raise type_error(where, expected, x)
    if isinstance(x, numbers.Integral):
        return int(x)
    whole = math.floor(x) if math.isfinite(x) else None
    if whole is None or x != whole:
        raise InputError.single("not-an-integer", tr("{where}: expected a whole number (a "
                                                     "fractional value is never rounded)",
                                                     where=where), value=repr(x), **problem)
    return int(whole)


def _sequence(x: object, where: str, expected: str) -> tuple[Any, ...]:
    if isinstance(x, str | bytes | bytearray | Mapping) or not isinstance(x, Iterable):
        raise type_error(where, expected, x)
    return tuple(x)


def id_tuple(x: object, where: str, what: str = "ids") -> tuple[str, ...]:
    """A non-text iterable of string ids, as a tuple.

    A single string (which would be iterated character by character), bytes, a mapping, a
    non-iterable, or an element that is not a :class:`str` raise :class:`TypeError`.
    """
    items = _sequence(x, where, f"a sequence of {what}")
    if not all(isinstance(i, str) for i in items):
        pos, bad = next((j, i) for j, i in enumerate(items) if not isinstance(i, str))
        raise TypeError(f"{where}: expected {what} as strings, item {pos} is {describe(bad)}")
    return items


def optional_id_tuple(x: object, where: str, what: str = "ids") -> tuple[str, ...] | None:
    """:func:`id_tuple`, letting ``None`` through."""
    return None if x is None else id_tuple(x, where, what)


def sequence(x: object, where: str, expected: str) -> tuple[Any, ...]:
    """A non-text, non-mapping iterable as a tuple (elements unchecked); TypeError otherwise."""
    return _sequence(x, where, expected)


def utf8_encodable(text: str) -> bool:
    """Whether ``text`` can be written as UTF-8 (no lone surrogates): ids and seeds are hashed."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


# ----------------------------------------------------------------------------- cell text
def is_missing(x: object) -> bool:
    """Whether a cell is empty: None, NaN, blank text, or a missing-value marker (pandas.NA)."""
    if x is None:
        return True
    if isinstance(x, float) and math.isnan(x):
        return True
    if isinstance(x, str) and not x.strip():
        return True
    try:  # pandas.NA and friends, without importing pandas
        return bool(x != x)
    except (TypeError, ValueError):
        return False


def cell_text(x: object) -> str:
    """A cell as trimmed text (a float that is an integer loses its ``.0``)."""
    if isinstance(x, float) and x.is_integer():
        return str(int(x))
    return str(x).strip()


def did_you_mean(value: str, options: Sequence[str]) -> str:
    """A hint when ``value`` matches an option but for case (else empty)."""
    folded = value.strip().casefold()
    for o in options:
        if o.casefold() == folded:
            return tr(" (did you mean {option!r}? values are case-sensitive)", option=o)
    return ""
