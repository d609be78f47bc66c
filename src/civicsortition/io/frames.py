"""Address frames and invitation lists: stage 1's files.

An address frame has one row per address that may receive a letter: ``address`` (or
``address_id``/``id``) plus any strata columns (``district``, a flag). The invitations file
written by :func:`write_invitations` gives every frame address its status, and
:func:`read_invited` reads back the addresses that were sent a letter or are reserves. A
cluster-size table (:func:`read_cluster_sizes`) gives the measure of size of each cluster of a
clustered design (``cluster,size``), in the order the systematic draw uses.
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction

from .._i18n import tr
from ..errors import InputError, Problem
from ..invitations import AddressFrame, Invitations, cluster_size
from .tables import Source, TableSource, open_table, require_columns, require_rows, write_rows

__all__ = ["read_address_frame", "read_cluster_sizes", "read_inclusion_probabilities",
           "read_invited", "write_address_frame", "write_invitations"]


def read_address_frame(source: TableSource, *, id_column: str = "address",
                       columns: Sequence[str] | None = None,
                       delimiter: str | None = None) -> AddressFrame:
    """Read an address frame: one row per address that may receive a letter.

    Parameters
    ----------
    source : path, text stream or Table
        Anything :func:`~civicsortition.io.tables.open_table` reads.
    id_column : str
        Column holding the address id (``address_id`` and ``id`` are accepted when the
        default ``address`` is absent).
    columns : sequence of str, optional
        Other columns to keep (default: all of them).
    delimiter : str, optional

    Returns
    -------
    AddressFrame

    Raises
    ------
    InputError
        ``missing-column``, ``missing-address``, ``duplicate-address`` with file lines.
    """
    table = open_table(source, delimiter=delimiter)
    with table.locating():  # spreadsheet errors name their A1 cell
        aliases = [id_column] + (["address_id", "id"] if id_column == "address" else [])
        cols = require_columns(table, [(id_column, aliases)])
        require_rows(table)
        keep = [h for h in table.header if table.column(h) != cols[id_column]] \
            if columns is None else list(columns)
        extra = require_columns(table, [(c, [c]) for c in keep])
        return AddressFrame([cells[cols[id_column]] for cells in table.rows],
                            {c: [cells[extra[c]].strip() for cells in table.rows] for c in keep},
                            source=table.source, lines=table.lines)


def write_address_frame(dest: Source, frame: AddressFrame) -> tuple[Problem, ...]:
    """Write an address frame: ``address`` then its other columns, one row per address.

    :func:`read_address_frame` reads it back to the same ids and columns.

    Parameters
    ----------
    dest : path or text stream
        Written atomically when a path.
    frame : AddressFrame

    Returns
    -------
    tuple of Problem
        ``formula-cell`` records of cells that look like spreadsheet formulas.
    """
    names = list(frame.columns)
    rows = [[a, *(frame.columns[c][i] for c in names)] for i, a in enumerate(frame.ids)]
    return write_rows(dest, ["address", *names], rows, ",")


def write_invitations(dest: Source, invitations: Invitations) -> tuple[Problem, ...]:
    """Write ``address,status,order,inclusion_probability,inclusion_with_reserves``.

    One row per frame address: ``invited`` (with its letter number), ``reserve`` (with its
    position in the reserve list) or ``not-invited``; probabilities to 12 significant digits.

    Parameters
    ----------
    dest : path or text stream
        Written atomically when a path.
    invitations : Invitations

    Returns
    -------
    tuple of Problem
        ``formula-cell`` records of cells that look like spreadsheet formulas.
    """
    invited = {a: j for j, a in enumerate(invitations.invited)}
    reserve = {a: j for j, a in enumerate(invitations.reserves)}
    rows: list[list[str]] = []
    for i, a in enumerate(invitations.frame_ids):
        if a in invited:
            status, order = "invited", str(invited[a] + 1)
        elif a in reserve:
            status, order = "reserve", str(reserve[a] + 1)
        else:
            status, order = "not-invited", ""
        rows.append([a, status, order, f"{invitations.inclusion[i]:.12g}",
                     f"{invitations.inclusion_with_reserves[i]:.12g}"])
    return write_rows(dest, ["address", "status", "order", "inclusion_probability",
                             "inclusion_with_reserves"], rows, ",")


def read_invited(source: TableSource, *, delimiter: str | None = None) -> frozenset[str]:
    """Addresses with status ``invited`` or ``reserve`` in a :func:`write_invitations` file.

    Parameters
    ----------
    source : path, text stream or Table
    delimiter : str, optional

    Returns
    -------
    frozenset of str

    Raises
    ------
    InputError
        ``missing-column`` (no ``address`` or ``status`` column) and the table errors.
    """
    table = open_table(source, delimiter=delimiter)
    with table.locating():  # spreadsheet errors name their A1 cell
        cols = require_columns(table, [("address", ["address"]), ("status", ["status"])])
        return frozenset(cells[cols["address"]].strip() for cells in table.rows
                         if cells[cols["status"]].strip() in ("invited", "reserve"))


def read_inclusion_probabilities(source: TableSource, *, reserves: bool = False,
                                 delimiter: str | None = None) -> dict[str, float]:
    r"""Address -> inclusion probability of every letter in a :func:`write_invitations` file.

    The input of :func:`~civicsortition.estimate_propensity` (``invitations=``) when the
    letters were planned elsewhere or in an earlier session: each registrant's address must
    be one of these, and its probability weighs the registrant by :math:`1/\pi^{inv}`.

    Parameters
    ----------
    source : path, text stream or Table
        Columns ``address``, ``status`` and ``inclusion_probability`` (with ``reserves``:
        ``inclusion_with_reserves``); other columns are ignored.
    reserves : bool
        Count the reserve letters as sent: addresses with status ``reserve`` are included
        and the probabilities are read from ``inclusion_with_reserves``.
    delimiter : str, optional

    Returns
    -------
    dict of str to float
        In file order; only addresses with status ``invited`` (and ``reserve``).

    Raises
    ------
    InputError
        ``missing-column``; ``not-a-number`` or ``bad-probability`` (not in (0, 1]) naming the
        row, column and value; ``duplicate-address`` for an address listed twice; and the
        table errors.

    Examples
    --------
    >>> import io
    >>> text = ("address,status,order,inclusion_probability,inclusion_with_reserves\n"
    ...         "A1,invited,1,0.25,0.5\nA2,reserve,1,0.25,0.5\nA3,not-invited,,0.25,0.5\n")
    >>> read_inclusion_probabilities(io.StringIO(text))
    {'A1': 0.25}
    >>> read_inclusion_probabilities(io.StringIO(text), reserves=True)
    {'A1': 0.5, 'A2': 0.5}
    """
    column = "inclusion_with_reserves" if reserves else "inclusion_probability"
    statuses = ("invited", "reserve") if reserves else ("invited",)
    table = open_table(source, delimiter=delimiter)
    out: dict[str, float] = {}
    with table.locating():  # spreadsheet errors name their A1 cell
        cols = require_columns(table, [("address", ["address"]), ("status", ["status"]),
                                       (column, [column])])
        for line, cells in zip(table.lines, table.rows, strict=True):
            if cells[cols["status"]].strip() not in statuses:
                continue
            address, text = cells[cols["address"]].strip(), cells[cols[column]].strip()
            where = {"file": table.source, "row": line, "column": column, "value": text}
            try:
                value = float(text)
            except ValueError:
                raise InputError.single("not-a-number", tr("an inclusion probability must "
                                                           "be a number"), **where) from None
            if not 0.0 < value <= 1.0:   # also NaN
                raise InputError.single("bad-probability", tr("an inclusion probability "
                                                              "must be in (0, 1]"), **where)
            if address in out:
                raise InputError.single("duplicate-address", tr("address {address} is listed "
                                                                "twice", address=address),
                                        file=table.source, row=line, column="address",
                                        value=address)
            out[address] = value
    return out


def read_cluster_sizes(source: TableSource, *, id_column: str = "cluster",
                       size_column: str = "size",
                       delimiter: str | None = None) -> dict[str, Fraction]:
    r"""Read the measure of size of each cluster (``cluster,size``) for a clustered design.

    Parameters
    ----------
    source : path, text stream or Table
        Anything :func:`~civicsortition.io.tables.open_table` reads.
    id_column : str
        Column naming the cluster (``cluster`` is also accepted).
    size_column : str
        Column with the size (``size``, ``population`` and ``count`` are also accepted):
        a positive integer, decimal or ``p/q``.
    delimiter : str, optional

    Returns
    -------
    dict of str to Fraction
        Exact sizes in the order of the rows (the systematic order of
        :class:`~civicsortition.invitations.Clustered`).

    Raises
    ------
    InputError
        ``missing-column``, ``missing-value``, ``duplicate-cluster`` and ``bad-cluster-size``
        naming the file line and value.

    Examples
    --------
    >>> import io
    >>> read_cluster_sizes(io.StringIO("cluster,size\nNorth,1200\nSouth,800.5\n"))
    {'North': Fraction(1200, 1), 'South': Fraction(1601, 2)}
    """
    table = open_table(source, delimiter=delimiter)
    with table.locating():  # spreadsheet errors name their A1 cell
        cols = require_columns(table, [(id_column, [id_column, "cluster"]),
                                       (size_column, [size_column, "size", "population",
                                                      "count"])])
        require_rows(table)
        out: dict[str, Fraction] = {}
        first: dict[str, int] = {}
        problems: list[Problem] = []
        id_name, size_name = table.header[cols[id_column]], table.header[cols[size_column]]
        for line, cells in table.located():
            name = cells[cols[id_column]].strip()
            raw = cells[cols[size_column]].strip()
            size = cluster_size(raw)
            if not name:
                problems.append(Problem("missing-value", "every row needs a cluster name",
                                        file=table.source, row=line, column=id_name))
            elif name in first:
                problems.append(Problem("duplicate-cluster",
                                        tr("cluster already listed on row {value}",
                                           value=first[name]),
                                        file=table.source, row=line, column=id_name,
                                        value=name))
            if size is None or size <= 0:
                problems.append(Problem("bad-cluster-size", "a cluster size must be a positive "
                                        "number", file=table.source, row=line,
                                        column=size_name, value=raw))
            elif name and name not in first:
                first[name] = line
                out[name] = size
        if problems:
            raise InputError(problems)
        return out
