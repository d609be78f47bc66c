"""The pool: registered volunteers as ids plus one value per category.

Internally a pool is an ``n × m`` read-only integer matrix (people × categories) of value codes
relative to a :class:`~civicsortition.strata.Strata`, a tuple of string ids, and optional
household keys. It holds no other personal data.
"""

from __future__ import annotations

import numbers
from collections.abc import Hashable, Iterable, Iterator, Mapping, Sequence
from typing import Any

import attrs
import numpy as np
import numpy.typing as npt

from ._checks import (
    as_int,
    cell_text,
    describe,
    did_you_mean,
    id_tuple,
    is_missing,
    require,
    require_str,
    sequence,
    type_error,
)
from ._i18n import tr
from ._typing import IntArray
from .errors import InputError, Problem
from .strata import Category, Strata

__all__ = ["Pool", "household_count"]


def household_count(keys: Sequence[str | None], rows: Iterable[int] | None = None) -> int:
    """Distinct households among ``rows`` (default: all); a person without a key counts alone.

    The number of seats the one-per-household rule can fill from those people.

    Parameters
    ----------
    keys : sequence of (str or None)
        Household key of each person (``Pool.households``).
    rows : iterable of int, optional
        Positions to count (default: everyone).

    Returns
    -------
    int

    Examples
    --------
    >>> household_count(["a", "a", None, "b", None])
    4
    >>> household_count(["a", "a", None, "b"], rows=[0, 1])
    1
    """
    where = range(len(keys)) if rows is None else rows
    return len({keys[i] if keys[i] else f"\0{i}" for i in where})



_CODES = "Pool(codes=...)"
_CODES_EXPECTED = "a 2-D array of integer codes (people × categories)"


def _readonly_codes(a: Any) -> IntArray:
    """A read-only int64 copy of ``a``; never truncates a fractional code."""
    if a is None or isinstance(a, str | bytes | bytearray | Mapping):
        raise type_error(_CODES, _CODES_EXPECTED, a)
    try:
        arr = np.array(a, copy=True)
    except (ValueError, TypeError) as e:  # ragged nested lists, unconvertible objects
        raise InputError.single("bad-codes", tr("{codes}: expected {codes_expected} with rows of "
                                                "equal length ({e})",
                                                codes=_CODES,
                                                codes_expected=_CODES_EXPECTED,
                                                e=e), column="codes") from None
    if arr.dtype == object:
        bad = next((x for x in arr.flat
                    if isinstance(x, bool) or not isinstance(x, numbers.Real)), _NOTHING)
        if bad is not _NOTHING:
            raise type_error(_CODES, "integer codes (positions in each category's values)",
                             bad)
        try:
            arr = arr.astype(np.float64)
        except OverflowError:
            raise InputError.single("code-out-of-range", tr("{codes}: a code is far outside "
                                                            "every category's codes", codes=_CODES),
                                    column="codes") from None
    kind = arr.dtype.kind
    if kind not in "iuf":
        sample = arr.flat[0].item() if arr.size else arr
        raise type_error(_CODES, "integer codes (positions in each category's values; use "
                         "Pool.from_records for value names)", sample)
    if arr.ndim == 1 and arr.size == 0:
        arr = arr.reshape(0, 0)
    if arr.ndim != 2:
        raise InputError.single("bad-codes", tr("{codes}: codes must be a 2-D array (people × "
                                                "categories), got {ndim}-D",
                                                codes=_CODES,
                                                ndim=arr.ndim), column="codes")
    if kind == "f":
        bad_at = np.argwhere(~np.isfinite(arr) | (arr != np.floor(arr)))
        if bad_at.size:
            shown = ", ".join(f"codes[{', '.join(str(int(i)) for i in pos)}] = "
                              f"{float(arr[tuple(pos)])!r}" for pos in bad_at[:5])
            more = f" and {len(bad_at) - 5} more" if len(bad_at) > 5 else ""
            raise InputError.single(
                "not-an-integer", tr("{codes}: codes must be whole numbers (a fractional code is "
                                     "never truncated); {shown}{more}",
                                     codes=_CODES, shown=shown,
                                     more=more), column="codes",
                value=repr(float(arr[tuple(bad_at[0])])))
        huge = np.argwhere(np.abs(arr) >= 2.0**62)  # would overflow int64; no category is so big
        if huge.size:
            pos = tuple(int(i) for i in huge[0])
            raise InputError.single("code-out-of-range", tr("{codes}: codes{pos} = {value!r} is "
                                                            "far outside every category's codes",
                                                            codes=_CODES,
                                                            pos=list(pos),
                                                            value=float(arr[pos])),
                                    column="codes", value=repr(float(arr[pos])))
    if kind == "u" and arr.size and arr.max() > np.iinfo(np.int64).max:
        raise InputError.single("code-out-of-range", tr("{codes}: a code is far outside every "
                                                        "category's codes", codes=_CODES),
                                column="codes", value=str(arr.max()))
    out = arr.astype(np.int64, copy=False)
    out.setflags(write=False)
    return out


_NOTHING = object()


def _str_tuple(a: Iterable[Any]) -> tuple[str, ...]:
    return id_tuple(a, "Pool(ids=...)", "person ids")


def _opt_str_tuple(a: Iterable[Any] | None) -> tuple[str | None, ...] | None:
    if a is None:
        return None
    items = sequence(a, "Pool(households=...)", "a sequence of household keys (str or None)")
    if not all(x is None or isinstance(x, str) for x in items):
        pos, bad = next((j, x) for j, x in enumerate(items)
                        if not (x is None or isinstance(x, str)))
        raise TypeError(f"Pool(households=...): expected household keys as strings or None, "
                        f"item {pos} is {describe(bad)}")
    return items


@attrs.frozen(eq=False)
class Pool:
    """Registered people: ids, a read-only code matrix and optional household keys.

    Parameters
    ----------
    strata : Strata
        The categories and values the codes refer to.
    ids : sequence of str
        Unique person ids, one per row of ``codes``.
    codes : array_like of int, shape (n, len(strata))
        ``codes[i, c]`` is the index of person ``i``'s value in ``strata.categories[c].values``.
        Stored as a read-only copy.
    households : sequence of (str or None), optional
        Household key per person; people sharing a key live together (at most one of them may
        sit on a panel when the household rule is on). ``None`` means no household link.

    Raises
    ------
    TypeError
        If ``strata`` is not a :class:`~civicsortition.strata.Strata`, ``ids`` or
        ``households`` is a single string or holds non-strings, or ``codes`` is not numeric
        (text, booleans, ``None``).
    InputError
        ``not-an-integer`` (a fractional code is never truncated), ``bad-codes`` (ragged or
        not 2-D), ``bad-shape`` (``ids``, ``codes`` and ``households`` disagree on the number
        of people, or ``codes`` on the number of categories), ``code-out-of-range``,
        ``duplicate-id``, ``missing-id`` (an empty id).

    Examples
    --------
    >>> pool = Pool.from_records(
    ...     [{"id": "a", "sex": "female"}, {"id": "b", "sex": "male"}],
    ...     categories=["sex"], id_field="id")
    >>> pool.count("sex", "male")
    1
    """

    strata: Strata
    ids: tuple[str, ...] = attrs.field(converter=_str_tuple)
    codes: IntArray = attrs.field(converter=_readonly_codes)
    households: tuple[str | None, ...] | None = attrs.field(default=None,
                                                            converter=_opt_str_tuple)

    def __attrs_post_init__(self) -> None:
        require(self.strata, Strata, "Pool(strata=...)", "a Strata")
        if self.codes.size == 0 and (not self.ids or not len(self.strata)):
            # No people or no categories: any empty array stands for the (n, m) empty matrix.
            object.__setattr__(self, "codes", _readonly_codes(
                np.zeros((len(self.ids), len(self.strata)), dtype=np.int64)))
        n, m = self.codes.shape
        if len(self.ids) != n:
            raise InputError.single("bad-shape", tr("Pool(ids=...): ids has {n_ids} entries but "
                                                    "codes has {n} rows", n_ids=len(self.ids), n=n),
                                    column="ids")
        if m != len(self.strata):
            raise InputError.single("bad-shape", tr("Pool(codes=...): codes has {m} columns but "
                                                    "strata has {n_strata} categories",
                                                    m=m,
                                                    n_strata=len(self.strata)),
                                    column="codes")
        if self.households is not None and len(self.households) != n:
            raise InputError.single("bad-shape", tr("Pool(households=...): households has "
                                                    "{n_households} entries, expected {n} (one "
                                                    "per person, None for no household)",
                                                    n_households=len(self.households),
                                                    n=n), column="households")
        problems: list[Problem] = []
        for c, cat in enumerate(self.strata):
            col = self.codes[:, c]
            bad = np.flatnonzero((col < 0) | (col >= len(cat)))
            for i in bad[:20]:
                problems.append(Problem("code-out-of-range", tr("code must be in 0..{value}",
                                                                value=len(cat) - 1),
                                        row=int(i), column=cat.name, value=str(col[i])))
        seen: dict[str, int] = {}
        for i, pid in enumerate(self.ids):
            if pid in seen:
                problems.append(Problem("duplicate-id", tr("id already used by person #{seen}",
                                                           seen=seen[pid]),
                                        row=i, column="id", value=pid))
            else:
                seen[pid] = i
        if "" in seen:
            problems.append(Problem("missing-id", "Pool(ids=...): every person needs a "
                                    "non-empty id", row=seen[""], column="id", value=""))
        if problems:
            raise InputError(problems)

    # ----------------------------------------------------------------- constructors
    @classmethod
    def from_records(
        cls,
        records: Iterable[Mapping[str, Any]],
        *,
        categories: Sequence[str] | None = None,
        strata: Strata | None = None,
        id_field: str | None = None,
        household_field: str | None = None,
        source: str | None = None,
    ) -> Pool:
        """Build a pool from plain mappings (one per person).

        Parameters
        ----------
        records : iterable of mapping
            One mapping per person. Values are converted to stripped text.
        categories : sequence of str, optional
            The keys holding category values. Defaults to ``strata.names`` when ``strata`` is
            given; one of the two is required.
        strata : Strata, optional
            If given, every value must belong to it (otherwise ``"unknown-value"``); if omitted,
            the strata are inferred from the data with values sorted.
        id_field : str, optional
            Key holding the person id. Without it, ids are the record positions ``"0", "1", ...``.
        household_field : str, optional
            Key holding a household key (missing/empty means no household).
        source : str, optional
            Name used as ``file`` in error reports.

        Raises
        ------
        TypeError
            If an argument has the wrong type: ``records`` not an iterable of mappings (a single
            mapping or string is refused), ``categories`` a single string, ``strata`` not a
            :class:`~civicsortition.strata.Strata`, field names not strings; or neither
            ``categories`` nor ``strata`` is given.
        InputError
            Listing every missing value, unknown value and duplicate id found.
        """
        where = "Pool.from_records"
        rows = sequence(records, f"{where}(records=...)",
                        "an iterable of mappings (one per person)")
        for j, rec in enumerate(rows):
            require(rec, Mapping, f"{where}(records=...)[{j}]", "a mapping (one person)")
        if strata is not None:
            require(strata, Strata, f"{where}(strata=...)", "a Strata or None")
        for name, field in (("id_field", id_field), ("household_field", household_field),
                            ("source", source)):
            if field is not None:
                require_str(field, f"{where}({name}=...)", "a string or None")
        if categories is None:
            if strata is None:
                raise TypeError(f"{where}: give categories=... or strata=...")
            categories = strata.names
        categories = list(id_tuple(categories, f"{where}(categories=...)", "category names"))
        if not all(c.strip() for c in categories):
            raise InputError.single("empty-name", tr("{where}(categories=...): a category name "
                                                     "is empty", where=where), column="categories")
        if len({c.casefold() for c in categories}) != len(categories):
            raise InputError.single("duplicate-category", tr("{where}(categories=...): a "
                                                             "category is named twice "
                                                             "(case-insensitively)", where=where),
                                    column="categories",
                                    value=", ".join(categories))
        problems: list[Problem] = []
        ids: list[str] = []
        texts: list[list[str]] = []
        households: list[str | None] | None = [] if household_field else None
        for i, rec in enumerate(rows):
            if id_field is not None:
                raw_id = rec.get(id_field)
                if is_missing(raw_id):
                    problems.append(Problem("missing-id", "every person needs an id",
                                            file=source, row=i, column=id_field))
                    ids.append(f"<missing {i}>")
                else:
                    ids.append(cell_text(raw_id))
            else:
                ids.append(str(i))
            row_text: list[str] = []
            for name in categories:
                raw = rec.get(name)
                if is_missing(raw):
                    problems.append(Problem("missing-value", tr("no value for category {name!r}",
                                                                name=name),
                                            file=source, row=i, column=name))
                    row_text.append("")
                else:
                    row_text.append(cell_text(raw))
            texts.append(row_text)
            if households is not None:
                assert household_field is not None
                h = rec.get(household_field)
                households.append(None if is_missing(h) else cell_text(h))
        return cls.from_texts(ids, texts, categories, strata, households, problems, source,
                               row_offset=0)

    @classmethod
    def from_texts(
        cls,
        ids: list[str],
        texts: list[list[str]],
        categories: list[str],
        strata: Strata | None,
        households: list[str | None] | None,
        problems: list[Problem],
        source: str | None,
        *,
        row_offset: int,
        id_column: str = "id",
        row_numbers: Sequence[int] | None = None,
    ) -> Pool:
        """A pool from cleaned text cells, validated against strata (the readers' constructor).

        The shared tail of :meth:`from_records` and of the table readers of
        :mod:`civicsortition.io`: every unknown value and duplicate id is added to ``problems``
        with its location, and if there are any problems at all (including those the caller
        collected before) one :class:`~civicsortition.errors.InputError` carries them.

        Parameters
        ----------
        ids : list of str
            One id per row (already trimmed).
        texts : list of list of str
            Per row, the value of each of ``categories`` (``""`` for a cell already reported
            missing).
        categories : list of str
            The category of each text column.
        strata : Strata or None
            Validate against these; None infers them from the values (sorted).
        households : list of (str or None), optional
            Household keys, one per row.
        problems : list of Problem
            Problems found so far; appended to.
        source : str or None
            The file named in each problem.
        row_offset : int
            Row ``i`` is reported as line ``i + row_offset`` (unless ``row_numbers``).
        id_column : str
            Column named in ``duplicate-id`` problems.
        row_numbers : sequence of int, optional
            The line of each row, when rows are not consecutive.

        Returns
        -------
        Pool

        Raises
        ------
        InputError
            ``unknown-value``, ``duplicate-id`` and every problem passed in.
        """
        if strata is None:
            value_sets = [sorted({t[c] for t in texts if t[c]}) for c in range(len(categories))]
            strata = Strata(Category(name, vals or ["<none>"])
                            for name, vals in zip(categories, value_sets, strict=True))
        cat_index = [strata.index(name) for name in categories]
        lookup = [{v: j for j, v in enumerate(strata.categories[c].values)} for c in cat_index]
        codes = np.zeros((len(texts), len(strata)), dtype=np.int64)

        def rownum(i: int) -> int:
            return row_numbers[i] if row_numbers is not None else i + row_offset

        for i, row_text in enumerate(texts):
            for pos, (c, value) in enumerate(zip(cat_index, row_text, strict=True)):
                if not value:
                    continue  # already reported as missing
                code = lookup[pos].get(value)
                if code is None:
                    cat = strata.categories[c]
                    problems.append(Problem(
                        "unknown-value",
                        tr("not a value of category {category!r}; expected one of "
                           "{values}{hint}", category=cat.name, values=list(cat.values),
                           hint=did_you_mean(value, cat.values)),
                        file=source, row=rownum(i), column=categories[pos], value=value))
                else:
                    codes[i, c] = code
        seen: dict[str, int] = {}
        for i, pid in enumerate(ids):
            if pid in seen:
                problems.append(Problem("duplicate-id",
                                        tr("id already used on row {value}",
                                           value=rownum(seen[pid])),
                                        file=source, row=rownum(i), column=id_column, value=pid))
            else:
                seen[pid] = i
        if problems:
            raise InputError(problems)
        return cls(strata, ids, codes, households)

    @classmethod
    def from_dataframe(
        cls,
        df: Any,
        *,
        categories: Sequence[str] | None = None,
        strata: Strata | None = None,
        id_column: str | None = None,
        household_column: str | None = None,
    ) -> Pool:
        """Build a pool from a DataFrame: pandas, polars or any other narwhals supports.

        Parameters are as in :meth:`from_records`; ``id_column=None`` uses the row positions.
        The frame is read through `narwhals <https://narwhals-dev.github.io/narwhals/>`_
        (extra ``frames``; no branch per DataFrame library) and is not modified. Without
        narwhals, a frame with a pandas-style ``to_dict(orient="records")`` still works.

        Raises
        ------
        TypeError
            If ``df`` is not an eager DataFrame (a lazy frame must be collected first), or
            is not a pandas-style frame while narwhals is not installed.
        InputError
            As :meth:`from_records`.
        """
        try:
            import narwhals as nw
        except ImportError:
            if not hasattr(df, "to_dict") or not hasattr(df, "columns"):
                raise TypeError(f"expected a DataFrame, got {type(df).__name__} (DataFrames "
                                "other than pandas need narwhals: pip install "
                                "'civicsortition[frames]')") from None
            records: list[dict[str, Any]] = df.to_dict(orient="records")
        else:
            frame = nw.from_native(df, pass_through=True)
            if isinstance(frame, nw.LazyFrame):
                raise TypeError("Pool.from_dataframe needs an eager DataFrame; collect the "
                                "lazy frame first (for example frame.collect())")
            if not isinstance(frame, nw.DataFrame):
                raise TypeError(f"expected a DataFrame, got {type(df).__name__}")
            records = [{str(k): v for k, v in row.items()} for row in frame.rows(named=True)]
        _index_hint(df, records, (id_column, household_column))
        return cls.from_records(records, categories=categories, strata=strata,
                                id_field=id_column, household_field=household_column,
                                source="DataFrame")

    # ----------------------------------------------------------------- queries
    @property
    def n(self) -> int:
        """Number of people."""
        return len(self.ids)

    def __len__(self) -> int:
        return len(self.ids)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Pool):
            return NotImplemented
        return (self.strata == other.strata and self.ids == other.ids
                and self.households == other.households
                and np.array_equal(self.codes, other.codes))

    def __hash__(self) -> int:
        return hash((self.strata, self.ids, self.households, self.codes.tobytes()))

    def column(self, category: str) -> IntArray:
        """Read-only code column of ``category``.

        Raises
        ------
        TypeError
            If ``category`` is not a string.
        InputError
            ``unknown-category``.
        """
        return self.codes[:, self.strata.index(category)]

    def mask(self, category: str, value: str) -> npt.NDArray[np.bool_]:
        """Boolean mask of the people with ``value`` in ``category``."""
        c = self.strata.index(category)
        mask: npt.NDArray[np.bool_] = self.codes[:, c] == self.strata.categories[c].code(value)
        return mask

    def count(self, category: str, value: str) -> int:
        """Number of people with ``value`` in ``category``."""
        return int(self.mask(category, value).sum())

    def value_counts(self) -> dict[tuple[str, str], int]:
        """``{(category, value): count}`` for every value of the strata (zeros included)."""
        out: dict[tuple[str, str], int] = {}
        for c, cat in enumerate(self.strata):
            counts = np.bincount(self.codes[:, c], minlength=len(cat))
            for j, v in enumerate(cat.values):
                out[(cat.name, v)] = int(counts[j])
        return out

    def _position(self, person: object, where: str) -> int:
        i = as_int(person, where, expected="a position (int)", column="person")
        if not 0 <= i < self.n:
            raise InputError.single("bad-position", tr("{where}: expected a position in "
                                                       "0..{value}, got {i}",
                                                       where=where,
                                                       value=self.n - 1,
                                                       i=i), column="person", value=str(i))
        return i

    def value_of(self, person: int, category: str) -> str:
        """Value of ``category`` for the person at position ``person``.

        Raises
        ------
        TypeError
            If ``person`` is not an integer or ``category`` not a string.
        InputError
            ``bad-position`` (not in ``0..n-1``), ``unknown-category``.
        """
        i = self._position(person, "Pool.value_of(person=...)")
        c = self.strata.index(category)
        return self.strata.categories[c].values[int(self.codes[i, c])]

    def index_of(self, person_id: Hashable) -> int:
        """Position of the person with id ``person_id``."""
        try:
            return self.ids.index(str(person_id))
        except ValueError:
            raise InputError.single("unknown-id", "no person with this id in the pool",
                                    value=str(person_id)) from None

    def subset(self, indices: Iterable[int]) -> Pool:
        """A new pool with the people at ``indices`` (in that order), same strata.

        Raises
        ------
        TypeError
            If ``indices`` is not an iterable of integer positions (a string is refused).
        InputError
            ``not-an-integer`` for a fractional position, ``bad-position`` for one outside
            ``0..n-1`` (negative positions do not count from the end), ``duplicate-id`` for a
            position given twice.
        """
        where = "Pool.subset(indices=...)"
        if isinstance(indices, np.ndarray) and indices.ndim == 1 and indices.dtype.kind in "iu":
            idx = indices.astype(np.int64, copy=False)
        else:
            items = sequence(indices, where, "an iterable of positions (int)")
            idx = np.fromiter((as_int(x, where, expected="positions (int)", column="indices")
                               for x in items), dtype=np.int64, count=len(items))
        if idx.size and (idx.min() < 0 or idx.max() >= self.n):
            bad = int(idx[(idx < 0) | (idx >= self.n)][0])
            raise InputError.single("bad-position", tr("{where}: expected positions in "
                                                       "0..{value}, got {bad}",
                                                       where=where,
                                                       value=self.n - 1,
                                                       bad=bad), column="indices",
                                    value=str(bad))
        if len(np.unique(idx)) != idx.size:
            raise InputError.single("duplicate-id", tr("{where}: a position is given twice",
                                                       where=where),
                                    column="indices")
        hh = None if self.households is None else [self.households[i] for i in idx]
        return Pool(self.strata, [self.ids[i] for i in idx], self.codes[idx], hh)

    def _repr_html_(self) -> str:
        from ._html import card, table

        linked = 0
        if self.households is not None:
            sizes: dict[str, int] = {}
            for h in self.households:
                if h is not None:
                    sizes[h] = sizes.get(h, 0) + 1
            linked = sum(1 for n in sizes.values() if n > 1)
        rows = [(cat.name, value, int((self.codes[:, j] == code).sum()))
                for j, cat in enumerate(self.strata) for code, value in enumerate(cat.values)]
        return card(f"Pool of {self.n} people",
                    [("categories", len(self.strata)), ("multi-person households", linked)],
                    [("people per value", table(["category", "value", "people"], rows))])

    def records(self) -> Iterator[dict[str, str]]:
        """Yield ``{"id": ..., category: value, ...}`` per person (plus ``household``)."""
        for i, pid in enumerate(self.ids):
            rec = {"id": pid}
            for c, cat in enumerate(self.strata):
                rec[cat.name] = cat.values[int(self.codes[i, c])]
            if self.households is not None and self.households[i] is not None:
                rec["household"] = str(self.households[i])
            yield rec


def _index_hint(df: Any, records: Sequence[Mapping[str, Any]],
                wanted: Sequence[str | None]) -> None:
    """A clear error when a column asked for is the frame's index (pandas), not a column."""
    index_names = [str(n) for n in (getattr(getattr(df, "index", None), "names", None) or ())
                   if n is not None]
    columns = set(records[0]) if records else set(map(str, getattr(df, "columns", ())))
    for name in wanted:
        if name is not None and name not in columns and name in index_names:
            raise InputError.single(
                "missing-column", tr("{name!r} is the DataFrame's index, not one of its "
                                     "columns: call reset_index() first (for example "
                                     "df.reset_index())", name=name),
                file="DataFrame", column=name)
