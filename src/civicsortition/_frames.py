"""Results as DataFrames in the caller's library, through narwhals (optional).

Every ``to_frame`` of the package builds plain columns and hands them to :func:`to_frame`, which
asks `narwhals <https://narwhals-dev.github.io/narwhals/>`_ for a native frame of the library
the caller names (``"pandas"``, ``"polars"``, ``"pyarrow"``, ...) or of the library of a frame
the caller already holds (``like=df``). No branch per library is written here, and neither
narwhals nor any DataFrame library is imported until a frame is asked for.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["FRAMES_HINT", "to_frame"]

FRAMES_HINT = "pip install 'civicsortition[frames]' pandas (or polars)"


def _columns(data: Mapping[str, Sequence[Any]] | Sequence[Mapping[str, Any]]
             ) -> dict[str, list[Any]]:
    if isinstance(data, Mapping):
        columns = {str(k): list(v) for k, v in data.items()}
        lengths = {len(v) for v in columns.values()}
        if len(lengths) > 1:
            raise ValueError(f"columns of different lengths: {sorted(lengths)}")
        return columns
    rows = list(data)
    names = list(dict.fromkeys(k for row in rows for k in row))
    return {str(n): [row.get(n) for row in rows] for n in names}


def to_frame(data: Mapping[str, Sequence[Any]] | Sequence[Mapping[str, Any]], *,
             like: Any = "pandas") -> Any:
    """A native DataFrame from columns or rows.

    Parameters
    ----------
    data : mapping of str to sequence, or sequence of mappings
        Columns by name, or rows (the columns are every key, in order of first appearance; a
        key a row lacks is a missing value).
    like : str or DataFrame
        The library: its name (``"pandas"``, ``"polars"``, ``"pyarrow"``, ``"modin"``, ...) or
        a frame of it (the result is in the same library).

    Returns
    -------
    DataFrame
        Of the chosen library.

    Raises
    ------
    ImportError
        If narwhals or the chosen library is not installed (with the command to install it).
    """
    try:
        import narwhals as nw
    except ImportError:
        raise ImportError(f"DataFrames need narwhals: {FRAMES_HINT}") from None
    columns = _columns(data)
    if isinstance(like, str):
        backend: Any = like  # narwhals checks the name
        try:
            return nw.from_dict(columns, backend=backend).to_native()
        except (ImportError, ModuleNotFoundError) as error:
            raise ImportError(f"{like!r} is not installed ({error}): pip install {like}"
                              ) from None
    namespace = nw.get_native_namespace(nw.from_native(like, eager_only=True))
    return nw.from_dict(columns, backend=namespace).to_native()
