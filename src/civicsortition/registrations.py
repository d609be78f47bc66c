"""Registrations: validate what people sent in after the letters, and build the pool.

:func:`validate_registrations` checks every record and *rejects* (rather than raises on) each one
that cannot enter the pool, with a stable reason code:

``not-invited``
    the address is not one of the invited (or reserve) addresses;
``under-age``
    younger than ``min_age`` (default 18) on the reference date, computed from the birth date;
``not-eligible``
    the eligibility field (voting rights) says no;
``duplicate``
    the same person registered before (same id, or same identity fields); the first
    registration is kept;
``missing-value``
    a required field is empty;
``unknown-value``
    a value is not one of the category's values (or an age fits no age band);
``bad-date``
    a birth date that is not a valid ``YYYY-MM-DD`` or ``DD.MM.YYYY`` date, or lies after the
    reference date.

The age category (default ``"age"``) is derived from the birth date when a birth-date field is
given: its values must read as bands (``"18-29"``, ``"30–39"``, ``"65+"``). People at the same
address get the address as household key, so the engine's one-per-household rule applies.

Rejection records name the row, field and offending value so the organisers can follow up; they
are for the organisers only. :meth:`Registrations.summary` is the publishable part: counts per
reason, no values.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import attrs
import numpy as np

from ._checks import cell_text, did_you_mean, is_missing
from ._i18n import tr
from .errors import InputError, Problem
from .invitations import Invitations
from .pool import Pool
from .quotas import Quotas
from .strata import Strata

__all__ = ["REJECTION_REASONS", "Registrations", "Rejection", "age_bands", "age_on",
           "registration_problems", "validate_registrations"]

REJECTION_REASONS = ("not-invited", "under-age", "not-eligible", "duplicate", "missing-value",
                     "unknown-value", "bad-date")
_YES = frozenset({"1", "true", "yes", "y"})
_NO = frozenset({"0", "false", "no", "n"})
_BAND = re.compile(r"^\s*(\d+)\s*[-\u2013\u2014]\s*(\d+)\s*$")
_OPEN = re.compile(r"^\s*(\d+)\s*\+\s*$")
_DATES = ("%Y-%m-%d", "%d.%m.%Y")


@attrs.frozen
class Rejection:
    """One reason why one registration was not accepted (for the organisers, not for publication).

    Attributes
    ----------
    row : int
        Position of the record (or its file line when read from a file).
    code : str
        One of :data:`REJECTION_REASONS`.
    message : str
    field : str or None
    value : str or None
    """

    row: int
    code: str
    message: str
    field: str | None = None
    value: str | None = None

    def __str__(self) -> str:
        where = f"row {self.row}" + (f", field {self.field!r}" if self.field else "")
        val = f" (got {self.value!r})" if self.value is not None else ""
        return f"{where}: [{self.code}] {self.message}{val}"


@attrs.frozen(eq=False)
class Registrations:
    """The outcome of :func:`validate_registrations`.

    Attributes
    ----------
    pool : Pool
        The accepted registrations (households = addresses).
    accepted : tuple of int
        Row of each pool member (``pool.ids[j]`` came from row ``accepted[j]``).
    rejections : tuple of Rejection
        Every reason found, possibly several per row.
    received : int
        Number of records read.
    reference_date : datetime.date
    """

    pool: Pool
    accepted: tuple[int, ...]
    rejections: tuple[Rejection, ...]
    received: int
    reference_date: dt.date

    @property
    def rejected_rows(self) -> tuple[int, ...]:
        """Rows rejected for at least one reason, sorted."""
        return tuple(sorted({r.row for r in self.rejections}))

    def counts(self) -> dict[str, int]:
        """Rejected rows per reason (a row with two reasons counts under both)."""
        per = Counter(code for _, code in {(r.row, r.code) for r in self.rejections})
        return {code: per.get(code, 0) for code in REJECTION_REASONS}

    def summary(self) -> dict[str, Any]:
        """Publishable aggregates: received, accepted, rejected, counts per reason."""
        hh = Counter(h for h in self.pool.households or () if h is not None)
        return {"received": self.received, "accepted": self.pool.n,
                "rejected": len(self.rejected_rows), "reasons": self.counts(),
                "reference_date": self.reference_date.isoformat(),
                "addresses": len(hh), "multi_person_households": sum(c > 1 for c in hh.values())}


def age_bands(values: Sequence[str]) -> list[tuple[int, int | None]]:
    """Read age-band labels (``"18-29"``, ``"65+"``) as ``(low, high)`` with high inclusive.

    Raises
    ------
    InputError
        ``bad-age-band`` naming the first label that is not a band.
    """
    out: list[tuple[int, int | None]] = []
    for v in values:
        if m := _BAND.match(v):
            out.append((int(m.group(1)), int(m.group(2))))
        elif m := _OPEN.match(v):
            out.append((int(m.group(1)), None))
        else:
            raise InputError.single("bad-age-band", "age values must read as bands like "
                                    "'18-29' or '65+' to derive them from birth dates",
                                    column="age", value=v)
    return out


def age_on(birth: dt.date, day: dt.date) -> int:
    """Completed years of age on ``day`` (a 29 February birthday counts from 1 March)."""
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def _parse_date(text: str) -> dt.date | None:
    for fmt in _DATES:
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


def _identity(values: Iterable[str]) -> tuple[str, ...]:
    """Case-, accent-form- and whitespace-insensitive identity key."""
    return tuple(" ".join(unicodedata.normalize("NFKC", v).casefold().split()) for v in values)


def validate_registrations(
    records: Iterable[Mapping[str, Any]],
    strata: Strata | Quotas,
    *,
    reference_date: dt.date,
    invited: Invitations | Iterable[str] | None = None,
    id_field: str = "id",
    address_field: str = "address",
    birth_date_field: str | None = "birth_date",
    age_category: str = "age",
    eligible_field: str | None = "eligible",
    identity_fields: Sequence[str] = (),
    min_age: int = 18,
    rows: Sequence[int] | None = None,
) -> Registrations:
    """Validate registration records into a pool, rejecting each unusable record with reasons.

    Parameters
    ----------
    records : iterable of mapping
        One mapping per registration. Not modified.
    strata : Strata or Quotas
        The categories and values the pool uses.
    reference_date : datetime.date
        The date at which age and eligibility are judged (for example the draw date).
    invited : Invitations or iterable of str, optional
        The invited addresses (an :class:`~civicsortition.invitations.Invitations` counts its
        reserves too). ``None`` skips the check.
    id_field, address_field : str
        Fields with the registration id and the invitation address (household key).
    birth_date_field : str or None
        Field with the birth date; the ``age_category`` value is derived from it. ``None``
        reads the age band directly from ``age_category``.
    age_category : str
    eligible_field : str or None
        Field saying whether the person has the right to vote (yes/no, true/false, 1/0).
        ``None`` skips the check.
    identity_fields : sequence of str
        Further fields that identify a person (for example name and birth date); a second
        registration with the same values is a ``duplicate`` even with a new id.
    min_age : int
    rows : sequence of int, optional
        Row number to report for each record (file lines); default positions from 0.

    Returns
    -------
    Registrations

    Raises
    ------
    InputError
        Only for configuration errors (age labels that are not bands, unknown categories).

    Examples
    --------
    >>> import datetime as dt
    >>> from civicsortition import Category, Strata
    >>> strata = Strata([Category("age", ["18-39", "40+"])])
    >>> regs = validate_registrations(
    ...     [{"id": "r1", "address": "A1", "birth_date": "1990-05-01", "eligible": "yes"},
    ...      {"id": "r2", "address": "A1", "birth_date": "2010-01-01", "eligible": "yes"}],
    ...     strata, reference_date=dt.date(2026, 12, 1), invited=["A1"])
    >>> regs.pool.ids, regs.counts()["under-age"]
    (('r1',), 1)
    """
    if isinstance(strata, Quotas):
        strata = strata.strata
    recs = list(records)
    row_of = list(rows) if rows is not None else list(range(len(recs)))
    if len(row_of) != len(recs):
        raise InputError.single("bad-rows", tr("rows has {n_row_of} entries for {n_recs} records",
                                               n_row_of=len(row_of),
                                               n_recs=len(recs)), value=str(len(row_of)))
    invited_set: frozenset[str] | None = None
    if isinstance(invited, Invitations):
        invited_set = invited.invited_set | frozenset(invited.reserves)
    elif invited is not None:
        invited_set = frozenset(str(a).strip() for a in invited)
    bands: list[tuple[int, int | None]] | None = None
    if birth_date_field is not None:
        if age_category not in strata.names:
            raise InputError.single("unknown-category", tr("no category {age_category!r} to "
                                                           "derive from birth dates",
                                                           age_category=age_category),
                                    value=age_category)
        bands = age_bands(strata.categories[strata.index(age_category)].values)
    derived = {age_category} if bands is not None else set()

    rejections: list[Rejection] = []
    accepted: list[int] = []
    ids: list[str] = []
    codes: list[list[int]] = []
    households: list[str | None] = []
    seen_ids: dict[str, int] = {}
    seen_people: dict[tuple[str, ...], int] = {}
    for pos, rec in enumerate(recs):
        row = row_of[pos]
        found: list[Rejection] = []

        def reject(code: str, message: str, field: str | None = None, value: str | None = None,
                   _found: list[Rejection] = found, _row: int = row) -> None:
            _found.append(Rejection(_row, code, message, field, value))

        def get(field: str, _rec: Mapping[str, Any] = rec) -> str | None:
            raw = _rec.get(field)
            return None if is_missing(raw) else cell_text(raw)

        pid = get(id_field)
        if pid is None:
            reject("missing-value", "no registration id", id_field)
        address = get(address_field)
        if address is None:
            reject("missing-value", "no address", address_field)
        elif invited_set is not None and address not in invited_set:
            reject("not-invited", "this address received no invitation", address_field, address)
        if eligible_field is not None:
            flag = get(eligible_field)
            if flag is None:
                reject("missing-value", "eligibility (voting rights) not stated", eligible_field)
            elif flag.casefold() in _NO:
                reject("not-eligible", "no right to vote in the municipality", eligible_field,
                       flag)
            elif flag.casefold() not in _YES:
                reject("unknown-value", "expected yes/no, true/false or 1/0", eligible_field,
                       flag)
        row_codes = [0] * len(strata)
        for c, cat in enumerate(strata):
            if cat.name in derived:
                continue
            value = get(cat.name)
            if value is None:
                reject("missing-value", f"no value for {cat.name!r}", cat.name)
            elif value not in cat.values:
                reject("unknown-value", f"not a value of {cat.name!r}; expected one of "
                       f"{list(cat.values)}" + did_you_mean(value, cat.values), cat.name, value)
            else:
                row_codes[c] = cat.values.index(value)
        if bands is not None:
            assert birth_date_field is not None
            text = get(birth_date_field)
            birth = None if text is None else _parse_date(text)
            if text is None:
                reject("missing-value", "no birth date", birth_date_field)
            elif birth is None or birth > reference_date:
                reject("bad-date", "expected a past date as YYYY-MM-DD or DD.MM.YYYY",
                       birth_date_field, text)
            else:
                age = age_on(birth, reference_date)
                band = next((j for j, (lo, hi) in enumerate(bands)
                             if lo <= age and (hi is None or age <= hi)), None)
                if age < min_age:
                    reject("under-age", f"{age} years old on {reference_date.isoformat()}; "
                           f"the minimum is {min_age}", birth_date_field, text)
                elif band is None:
                    reject("unknown-value", f"age {age} falls in no band of {age_category!r}",
                           birth_date_field, text)
                else:
                    row_codes[strata.index(age_category)] = band
        person = _identity(get(f) or "" for f in identity_fields) if identity_fields else None
        if pid is not None and pid in seen_ids:
            reject("duplicate", f"id already registered on row {seen_ids[pid]}", id_field, pid)
        elif person is not None and all(person) and person in seen_people:
            reject("duplicate", "same person already registered on row "
                   f"{seen_people[person]}", ",".join(identity_fields))
        if found:
            rejections.extend(found)
            continue
        assert pid is not None
        seen_ids[pid] = row
        if person is not None and all(person):
            seen_people[person] = row
        accepted.append(pos)
        ids.append(pid)
        codes.append(row_codes)
        households.append(address)
    pool = Pool(strata, ids, np.array(codes, dtype=np.int64).reshape(len(ids), len(strata)),
                households)
    return Registrations(pool, tuple(row_of[i] for i in accepted), tuple(rejections), len(recs),
                         reference_date)


def registration_problems(regs: Registrations, *, source: str | None = None) -> list[Problem]:
    """The rejections as :class:`~civicsortition.errors.Problem` records (for strict callers)."""
    return [Problem(r.code, r.message, file=source, row=r.row, column=r.field, value=r.value)
            for r in regs.rejections]
