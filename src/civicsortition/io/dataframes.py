"""DataFrames in: any eager frame narwhals knows (pandas, polars, PyArrow, Modin, ...) as a table.

Optional extra ``frames``: `narwhals <https://narwhals-dev.github.io/narwhals/>`_, one
compatibility layer over the DataFrame libraries, so no branch per library is written here;
the DataFrame library itself is the caller's own. Nothing is imported until an object that is
not a path, a stream, a :class:`~civicsortition.io.tables.Table` or a list of records reaches
:func:`~civicsortition.io.tables.open_table`, and narwhals imports no DataFrame library the
object does not come from.

Every table reader accepts a frame (registered in
:data:`~civicsortition.io.tables.SOURCE_KINDS`): ``read_targets(df, 36)``,
``read_people(df, strata=quotas, id_column="id")``. The columns are the frame's columns (the
index is not a column: ``reset_index()`` first to use it), row ``i`` is located as line
``i + 2`` (as if the frame were written below a header) and the source is named
``<DataFrame>``. Cells become the text a CSV file would hold
(:func:`~civicsortition.io.tables.cell_to_text`: ``17.0`` -> ``"17"``, missing -> ``""``, dates
ISO 8601). The frame is only read, never modified.
"""

from __future__ import annotations

from typing import Any

from ..errors import InputError
from ._cells import cell_to_text, optional_module
from .tables import Table

__all__ = ["FRAME_SOURCE", "is_dataframe", "read_dataframe"]

#: The source name of every table read from a DataFrame.
FRAME_SOURCE = "<DataFrame>"
_PURPOSE = "reading a DataFrame"


def _narwhals() -> Any | None:
    try:
        return optional_module("narwhals", "frames", _PURPOSE)
    except ImportError:
        return None


def is_dataframe(obj: object) -> bool:
    """Whether ``obj`` is a DataFrame (eager or lazy) of a library narwhals supports.

    Without narwhals, anything with ``columns`` and a two-dimensional ``shape`` counts (so
    that reading it explains how to install narwhals instead of failing obscurely).
    """
    nw = _narwhals()
    if nw is None:
        shape = getattr(obj, "shape", None)
        return hasattr(obj, "columns") and isinstance(shape, tuple) and len(shape) == 2
    native = nw.from_native(obj, pass_through=True)
    return isinstance(native, (nw.DataFrame, nw.LazyFrame))


def read_dataframe(frame: Any) -> Table:
    """The :class:`~civicsortition.io.tables.Table` of an eager DataFrame.

    Parameters
    ----------
    frame : DataFrame
        pandas, polars or any eager frame narwhals supports.

    Returns
    -------
    Table
        Named ``<DataFrame>``; row ``i`` is line ``i + 2``.

    Raises
    ------
    InputError
        ``missing-dependency`` when narwhals is not installed; ``lazy-frame`` for a lazy
        frame (collect it first); and the table checks (``duplicate-column``, ``empty-file``).

    Examples
    --------
    >>> import pandas as pd
    >>> t = read_dataframe(pd.DataFrame({"id": ["p1", "p2"], "age": [41.0, None]}))
    >>> t.source, t.rows, t.lines
    ('<DataFrame>', (('p1', '41'), ('p2', '')), (2, 3))
    """
    nw = optional_module("narwhals", "frames", _PURPOSE, file=FRAME_SOURCE)
    wrapped = nw.from_native(frame, pass_through=True)
    if isinstance(wrapped, nw.LazyFrame):
        raise InputError.single("lazy-frame", "a lazy frame has no rows yet; collect it first "
                                "(for example frame.collect())", file=FRAME_SOURCE)
    if not isinstance(wrapped, nw.DataFrame):
        raise TypeError(f"expected a DataFrame, got {type(frame).__name__}")
    header = [str(c) for c in wrapped.columns]
    if not header:
        raise InputError.single("empty-file", "the DataFrame has no columns, hence no header",
                                file=FRAME_SOURCE)
    rows = [[cell_to_text(v) for v in row] for row in wrapped.rows()]
    return Table.from_rows(header, rows, source=FRAME_SOURCE)
