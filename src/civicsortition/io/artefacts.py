"""The JSON artefacts of a selection, written and read back in one place.

Every document the package writes for publication or for a later step is written here and,
where a later step reads it, read back here:

* the ``select`` **result** (:meth:`Distribution.as_dict
  <civicsortition.distribution.Distribution.as_dict>`, the format other tools script against):
  :func:`write_result`; :func:`read_result` and :func:`result_distribution` rebuild the
  lottery it states, checking every panel against the published inputs;
* the **transparent lottery** (:meth:`TransparentLottery.canonical
  <civicsortition.lottery.TransparentLottery.canonical>`, the bytes its SHA-256 is taken of):
  :func:`write_lottery`, :func:`read_lottery`;
* the **draw record**: :func:`write_draw_record`, :func:`read_draw_record`;
* the **invitation record** of stage 1 and the **replacement** record:
  :func:`write_invitation_record`, :func:`write_replacement`;
* the **alternates** list prepared in advance and the record of filling seats from it:
  :func:`write_alternates`, :func:`read_alternates`, :func:`write_alternates_fill`;
  :func:`read_panel` reads the current panel back from a draw, replacement or fill record;
* the **audit report**, JSON and Markdown: :func:`write_report_json`,
  :func:`write_report_markdown`, and :func:`read_json_object` for the one a verifier compares;
* the **results file** of an experiment grid (JSON lines, appended as tasks finish):
  :func:`append_grid_results`, :func:`read_grid_results`.

The domain objects own their content and the canonical forms their digests are taken of; this
module owns the files: the text form (:func:`canonical_json`: UTF-8, sorted keys, no NaN, the
same bytes when read back and written again), atomic writing, and the error a bad file gives.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs
import numpy as np
import numpy.typing as npt

from .._i18n import join, tr
from ..distribution import Distribution, RunDetails
from ..draw import DrawRecord
from ..errors import InputError, Problem
from ..numerics import CHECK_TOL
from ..program import PanelProgram
from .files import PathLike, atomic_write
from .tables import Source, read_text, source_name

if TYPE_CHECKING:
    from ..audit import AuditReport
    from ..invitations import Invitations
    from ..lottery import TransparentLottery
    from ..pool import Pool
    from ..quotas import Quotas
    from ..replacements import Alternates, Replacement

__all__ = [
    "ALTERNATES_FILL_FORMAT",
    "ALTERNATES_FORMAT",
    "AlternatesRecord",
    "append_grid_results",
    "canonical_json",
    "read_alternates",
    "read_draw_record",
    "read_grid_results",
    "read_json_object",
    "read_lottery",
    "read_panel",
    "read_result",
    "read_result_document",
    "report_document",
    "result_distribution",
    "try_result_distribution",
    "write_alternates",
    "write_alternates_fill",
    "write_draw_record",
    "write_invitation_record",
    "write_json",
    "write_lottery",
    "write_markdown",
    "write_replacement",
    "write_report_json",
    "write_report_markdown",
    "write_result",
]


# ------------------------------------------------------------------------------ JSON files
def canonical_json(doc: Any, *, indent: int | None = 1) -> str:
    r"""The one text form of a JSON artefact (UTF-8, sorted keys, no NaN).

    Read back and written again, it gives the same bytes.

    Examples
    --------
    >>> canonical_json({"b": 1, "a": "ა"}, indent=None)
    '{"a": "ა", "b": 1}\n'
    """
    return json.dumps(doc, ensure_ascii=False, sort_keys=True, indent=indent,
                      allow_nan=False) + "\n"


def write_json(path: PathLike, doc: Any, *, indent: int | None = 1) -> None:
    """Write ``doc`` to ``path`` atomically in its :func:`canonical_json` form."""
    atomic_write(path, canonical_json(doc, indent=indent))


def read_json_object(path: str) -> dict[str, Any]:
    """The JSON object in the file ``path``.

    Raises
    ------
    InputError
        ``unreadable-file`` (missing or unreadable), ``not-utf8``, ``bad-json`` (not JSON, or
        not an object).
    """
    try:
        with open(path, encoding="utf-8") as f:
            doc = json.load(f)
    except OSError as e:
        raise InputError.single("unreadable-file", str(e.strerror), file=path) from None
    except UnicodeDecodeError as e:
        raise InputError.single("not-utf8", tr("the file is not valid UTF-8 (byte {start})",
                                               start=e.start),
                                file=path) from None
    except ValueError as e:
        raise InputError.single("bad-json", tr("not JSON ({e})", e=e), file=path) from None
    if not isinstance(doc, dict):
        raise InputError.single("bad-json", "expected a JSON object", file=path)
    return doc


def _named(path: str, error: InputError) -> InputError:
    """The same problems, each naming ``path`` when it named no file."""
    return InputError([p if p.file else attrs.evolve(p, file=path) for p in error.problems])


# ------------------------------------------------------------------ lottery and draw record
def write_lottery(path: PathLike, lottery: TransparentLottery) -> None:
    """Write the lottery's canonical bytes (those its SHA-256 digest is taken of) atomically."""
    atomic_write(path, lottery.canonical())


def read_lottery(path: str) -> TransparentLottery:
    """Read a published lottery file (a joint lottery, with alternates, as a ``JointLottery``).

    Raises
    ------
    InputError
        ``unreadable-file``, or the problems of
        :meth:`~civicsortition.lottery.TransparentLottery.from_canonical`, each naming ``path``.
    """
    from ..joint import JOINT_LOTTERY_FORMAT, JointLottery
    from ..lottery import TransparentLottery

    try:
        with open(path, "rb") as f:
            data = f.read()
        # a joint lottery (panel + ordered alternates per ticket) names its own format
        try:
            doc = json.loads(data)
        except ValueError:
            doc = None          # from_canonical says what is wrong with it
        if isinstance(doc, dict) and doc.get("format") == JOINT_LOTTERY_FORMAT:
            return JointLottery.from_canonical(data)
        return TransparentLottery.from_canonical(data)
    except OSError as e:
        raise InputError.single("unreadable-file", str(e.strerror), file=path) from None
    except InputError as e:
        raise _named(path, e) from None


def write_draw_record(path: PathLike, record: DrawRecord) -> None:
    """Write a draw record (:meth:`~civicsortition.draw.DrawRecord.as_dict`) as JSON."""
    write_json(path, record.as_dict())


def read_draw_record(path: str) -> DrawRecord:
    """Read a draw record written by :func:`write_draw_record`.

    Raises
    ------
    InputError
        As :func:`read_json_object`, or ``bad-draw-record`` problems naming ``path``.
    """
    from ..draw import DrawRecord

    try:
        return DrawRecord.from_dict(read_json_object(path))
    except InputError as e:
        raise _named(path, e) from None


# ------------------------------------------------------------------ stage 1, replacements
def write_invitation_record(path: PathLike, invitations: Invitations) -> None:
    """Write the JSON record of an invitation draw (design, seed, letters per stratum ...)."""
    write_json(path, invitations.as_dict())


def write_replacement(path: PathLike, replacement: Replacement) -> None:
    """Write the JSON record of a replacement draw (dropouts, residual quotas, draw)."""
    write_json(path, replacement.as_dict())


#: Format tag of the alternates file written by :func:`write_alternates`.
ALTERNATES_FORMAT = "civicsortition-alternates-list/1"
#: Format tag of the record written by :func:`write_alternates_fill`.
ALTERNATES_FILL_FORMAT = "civicsortition-alternates-fill/1"


@attrs.frozen
class AlternatesRecord:
    """An alternates file as read back by :func:`read_alternates`.

    Attributes
    ----------
    order : tuple of str
        Alternate ids, first to be asked first (checked against the public key order).
    seed : str
        The public seed of the draw and the order.
    panel : tuple of str
        The panel the alternates were prepared for.
    draw : DrawRecord
        The public draw of the set (re-check with :func:`civicsortition.draw.verify`).
    """

    order: tuple[str, ...]
    seed: str
    panel: tuple[str, ...]
    draw: DrawRecord


def write_alternates(path: PathLike, alternates: Alternates, panel: Sequence[str]) -> None:
    """Write prepared alternates: their order, the quotas, the panel and the public draw.

    Parameters
    ----------
    path : path
    alternates : Alternates
        From :func:`civicsortition.replacements.prepare_alternates`.
    panel : sequence of str
        The panel they were prepared for.
    """
    from ..seeds import ALTERNATES_PROCEDURE

    d = alternates.distribution
    write_json(path, {
        "format": ALTERNATES_FORMAT, "procedure": ALTERNATES_PROCEDURE,
        "seed": alternates.record.seed, "order": list(alternates.order),
        "panel": sorted(panel),
        "quotas": [{"category": q.category, "value": q.value, "min": q.min, "max": q.max}
                   for q in alternates.quotas],
        "algorithm": d.details.algorithm, "minimum_probability": d.minimum,
        "draw": alternates.record.as_dict()})


def read_alternates(path: str) -> AlternatesRecord:
    """Read an alternates file written by :func:`write_alternates` and check its order.

    The order must be the drawn set sorted by the public key
    :func:`~civicsortition.seeds.alternate_key` of the recorded seed, so an edited order is
    refused.

    Raises
    ------
    InputError
        As :func:`read_json_object`; ``bad-alternates`` (not an alternates file, or its
        order is not the public key order of its draw), each naming ``path``.
    """
    from ..draw import DrawRecord
    from ..seeds import alternate_key

    doc = read_json_object(path)
    if doc.get("format") != ALTERNATES_FORMAT:
        raise InputError.single("bad-alternates", tr("not a {alternates_format} file (written by "
                                                     "alternates prepare)",
                                                     alternates_format=ALTERNATES_FORMAT),
                                file=path, column="format")
    try:
        order = tuple(_strings(doc["order"]))
        panel = tuple(_strings(doc["panel"]))
        seed = doc["seed"]
        if not isinstance(seed, str):
            raise TypeError("seed must be text")
        record = DrawRecord.from_dict(doc["draw"])
    except (KeyError, TypeError, ValueError):
        raise InputError.single("bad-alternates", "malformed alternates file (order, panel, "
                                "seed and draw are required)", file=path) from None
    except InputError as e:
        raise _named(path, e) from None
    expected = tuple(sorted(record.panel, key=lambda pid: (alternate_key(seed, pid), pid)))
    if order != expected:
        raise InputError.single("bad-alternates", "the order is not the drawn alternates in "
                                "the public key order of the recorded seed", file=path,
                                column="order")
    return AlternatesRecord(order, seed, panel, record)


def _strings(x: Any) -> list[str]:
    if not isinstance(x, list) or not all(isinstance(v, str) for v in x):
        raise TypeError("expected a list of ids")
    return list(x)


def write_alternates_fill(path: PathLike, *, kept: Sequence[str], dropouts: Sequence[str],
                          replacements: Sequence[str], unavailable: Sequence[str] = (),
                          alternates: AlternatesRecord | None = None,
                          erm: Mapping[str, Any] | None = None) -> None:
    """Write the record of seats filled from the alternates list.

    Parameters
    ----------
    path : path
    kept, dropouts, replacements : sequence of str
        The members staying, leaving, and the alternates taking their seats.
    unavailable : sequence of str
        Alternates who could not be reached or declined (skipped).
    alternates : AlternatesRecord, optional
        The list used (its seed and draw digest are recorded).
    erm : mapping, optional
        For an ERM list (which has no draw): what identifies it -- ``method``, ``seed``,
        ``order`` and ``file_sha256`` (the SHA-256 of the list file), recorded as given.
    """
    doc: dict[str, Any] = {"format": ALTERNATES_FILL_FORMAT, "kept": sorted(kept),
                           "dropouts": sorted(dropouts), "replacements": list(replacements),
                           "unavailable": list(unavailable),
                           "panel": sorted([*kept, *replacements])}
    if alternates is not None:
        doc["alternates"] = {"seed": alternates.seed, "digest": alternates.draw.digest,
                             "order": list(alternates.order)}
    elif erm is not None:
        doc["alternates"] = dict(erm)
    write_json(path, doc)


def read_panel(path: str) -> tuple[str, ...]:
    """The current panel in a draw record, a replacement record or an alternates fill record.

    A draw record's panel; for a replacement (:func:`write_replacement`) or fill record
    (:func:`write_alternates_fill`), the kept members plus the replacements, sorted.

    Raises
    ------
    InputError
        As :func:`read_json_object`; ``bad-panel-record`` when the file is none of these.
    """
    doc = read_json_object(path)
    try:
        if "kept" in doc and "replacements" in doc:
            return tuple(sorted(_strings(doc["kept"]) + _strings(doc["replacements"])))
    except TypeError:
        raise InputError.single("bad-panel-record", "kept and replacements must be lists of "
                                "ids", file=path) from None
    if "panel" in doc and "seed" in doc:
        return read_draw_record(path).panel
    raise InputError.single("bad-panel-record", "not a draw record, replacement record or "
                            "alternates fill record", file=path)


# ------------------------------------------------------------------------------ audit report
def write_report_json(path: PathLike, report: AuditReport) -> None:
    """Write the audit report's data as canonical JSON."""
    write_json(path, report.data)


def write_report_markdown(path: PathLike, report: AuditReport) -> None:
    """Write the audit report in Markdown."""
    atomic_write(path, report.to_markdown())


def write_markdown(path: PathLike, text: str) -> None:
    """Write a Markdown document (a report's text as the command line prints it) atomically."""
    atomic_write(path, text)


def report_document(report: AuditReport) -> dict[str, Any]:
    """The report as its JSON file reads back (to compare with a published one)."""
    doc: dict[str, Any] = json.loads(report.to_json())
    return doc


# ------------------------------------------------------------------------------ results
_NOT_A_RESULT = "not a select result with panels (run select without --no-panels)"


def write_result(path: PathLike, distribution: Distribution, *, panels: bool = True,
                 indent: int | None = None, extra: Mapping[str, Any] | None = None) -> None:
    """Write ``select``'s result: :meth:`Distribution.as_dict` as canonical JSON.

    Parameters
    ----------
    path : path
    distribution : Distribution
    panels : bool
        List the panels (needed to verify the result or draw from it).
    indent : int or None
        ``None`` (one line, as ``select`` writes it) or the indentation (``demo`` writes 1).
    extra : mapping, optional
        Further top-level entries (``select --end-to-end``: ``response_model`` and
        ``end_to_end_spread``, aggregates only); they may not replace the result's own keys.

    Raises
    ------
    ValueError
        If ``extra`` names a key of the result itself.
    """
    doc = distribution.as_dict(panels=panels)
    if extra:
        clash = sorted(set(extra) & set(doc))
        if clash:
            raise ValueError(f"write_result(extra=...): {clash} are the result's own keys")
        doc.update(extra)
    atomic_write(path, canonical_json(doc, indent=indent))


def read_result_document(path: str) -> dict[str, Any]:
    """The JSON object of a result file, unchecked (see :func:`read_json_object`)."""
    return read_json_object(path)


def _json_float(x: Any) -> float:
    """A JSON number (``null`` is NaN) as a float; ValueError for anything else."""
    if x is None:
        return float("nan")
    if isinstance(x, bool) or not isinstance(x, (int, float)):
        raise ValueError(f"expected a number, got {type(x).__name__}")
    return float(x)  # OverflowError for an integer beyond the float range


def _json_int(x: Any) -> int:
    """A JSON whole number as an int; ValueError for anything else (never truncated)."""
    if isinstance(x, bool) or not isinstance(x, (int, float)):
        raise ValueError(f"expected a whole number, got {type(x).__name__}")
    if isinstance(x, float) and not x.is_integer():  # also NaN and infinities
        raise ValueError("expected a whole number")
    return int(x)


def read_result(source: Source, pool: Pool, quotas: Quotas, *,
                households: bool = True) -> Distribution:
    """Rebuild a :class:`~civicsortition.distribution.Distribution` from ``select``'s JSON.

    The result must list its panels (``select`` without ``--no-panels``). Every panel is
    checked against the pool and quotas as given here -- size, quotas, households -- so a
    result cannot smuggle in an invalid panel; the probabilities of identical type profiles
    are merged.

    Parameters
    ----------
    source : path or text stream
    pool, quotas : Pool, Quotas
        The published inputs the result claims to be computed from.
    households : bool
        Whether the one-per-household rule applies.

    Returns
    -------
    Distribution
        With the run details recorded in the file.

    Raises
    ------
    InputError
        ``bad-result`` (not a result, or no panels), ``pool-mismatch`` (people differ from the
        pool), ``invalid-panel`` naming every panel that breaks a rule, ``bad-probability``
        (a panel probability that is negative or not finite, or probabilities that do not
        sum to 1).
    """
    name = source_name(source)
    try:
        doc = json.loads(read_text(source))
    except ValueError:
        raise InputError.single("bad-result", "not JSON", file=name) from None
    except RecursionError:
        raise InputError.single("bad-result", "not a select result: JSON nested too deeply",
                                file=name) from None
    return result_distribution(doc, pool, quotas, households=households, name=name)


def try_result_distribution(doc: Any, pool: Pool, quotas: Quotas, *, households: bool = True,
                            name: str = "result") -> Distribution | None:
    """:func:`result_distribution`, or ``None`` if the document states no valid lottery.

    For a verifier, whose checks of the document say what is wrong with it.
    """
    try:
        return result_distribution(doc, pool, quotas, households=households, name=name)
    except InputError:
        return None


def result_distribution(doc: Any, pool: Pool, quotas: Quotas, *, households: bool = True,
                        name: str = "result") -> Distribution:
    """:func:`read_result` for an already parsed document (``select``'s JSON as a dict)."""
    try:
        if not isinstance(doc, Mapping):
            raise TypeError("not an object")
        people = [str(p["id"]) for p in doc["people"]]
        panels = [([str(m) for m in p["members"]], _json_float(p["probability"]))
                  for p in doc["panels"]]
        cert, run = doc["certificate"], doc["run"]
        if not isinstance(cert, Mapping) or not isinstance(run, Mapping):
            raise TypeError("certificate and run must be objects")
    except (ValueError, KeyError, TypeError, OverflowError, RecursionError):
        raise InputError.single("bad-result", _NOT_A_RESULT, file=name) from None
    if len(set(people)) != len(people) or set(people) != set(pool.ids):
        raise InputError.single("pool-mismatch", "the result's people are not the pool's ids "
                                "(matched by id, in any order)", file=name)
    problems: list[Problem] = [
        Problem("bad-probability", "a panel probability must be a finite number >= 0",
                file=name, column=f"panels[{j}].probability", value=repr(prob))
        for j, (_, prob) in enumerate(panels)
        if not math.isfinite(prob) or prob < -CHECK_TOL][:20]
    total = math.fsum(prob for _, prob in panels)
    if not problems and panels and abs(total - 1.0) > CHECK_TOL:
        problems.append(Problem("bad-probability", tr("the panel probabilities sum to "
                                                      "{total:.9g}, not 1", total=total),
                                file=name, column="panels", value=f"{total:.9g}"))
    if problems:
        raise InputError(problems)
    program = PanelProgram.build(pool, quotas, households=households)
    index = {pid: i for i, pid in enumerate(pool.ids)}
    profiles: dict[bytes, tuple[npt.NDArray[np.int64], float]] = {}
    for j, (members, prob) in enumerate(panels):
        unknown = [m for m in members if m not in index]
        rows = [index[m] for m in members if m in index]
        issues = ([tr("unknown ids {ids}", ids=unknown[:3])] if unknown else []) \
            + program.check_panel(rows)
        if issues:
            problems.append(Problem("invalid-panel", join("; ", issues[:3]),
                                    file=name,
                                    column=f"panels[{j}]"))
            continue
        profile = np.bincount(program.type_of[rows], minlength=program.n_types).astype(np.int64)
        key = profile.tobytes()
        old = profiles.get(key, (profile, 0.0))[1]
        profiles[key] = (profile, old + prob)
    if problems:
        raise InputError(problems)
    if not profiles:
        raise InputError.single("bad-result", "the result lists no panels", file=name)
    try:
        options = run.get("options") or {}
        uncovered = doc.get("uncovered", [])
        if not isinstance(options, Mapping) or not isinstance(uncovered, list):
            raise TypeError("run.options must be an object and uncovered a list")
        details = RunDetails(
            algorithm=str(doc.get("algorithm", "")), backend=str(doc.get("backend", "")),
            backend_version=str(doc.get("backend_version", "")),
            objective=_json_float(cert.get("objective")), bound=_json_float(cert.get("bound")),
            gap=_json_float(cert.get("gap")), converged=bool(cert.get("converged")),
            iterations=_json_int(run.get("iterations", 0)),
            stages=_json_int(run.get("stages", 0)),
            seconds=_json_float(run.get("seconds", 0.0)), n_types=program.n_types,
            options=dict(options), message=str(cert.get("message", "")),
            certificate_prices=_prices(cert.get("weights"), program, index))
    except (ValueError, TypeError, OverflowError, RecursionError) as e:
        raise InputError.single("bad-result", tr("{not_a_result}: malformed certificate or run "
                                                 "({e})", not_a_result=_NOT_A_RESULT, e=e),
                                file=name) from None
    unc = tuple(sorted({index[u] for u in uncovered if isinstance(u, str) and u in index}))
    return Distribution(program, np.array([p for p, _ in profiles.values()]),
                        np.array([x for _, x in profiles.values()]), details, unc)


def _prices(weights: Any, program: PanelProgram, index: dict[str, int]
            ) -> npt.NDArray[np.float64] | None:
    """Type prices from a result's per-person certificate weights (``None`` if absent).

    Raises ValueError for a weight that is not a finite number.
    """
    if not isinstance(weights, Mapping):
        return None
    prices = np.zeros(program.n_types)
    for pid, w in weights.items():
        x = _json_float(w)
        if not math.isfinite(x):
            raise ValueError("certificate.weights must be finite numbers")
        if pid in index:
            prices[program.type_of[index[pid]]] += x
    return prices


# ------------------------------------------------------------------------ experiment grids
def read_grid_results(path: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """The rows of a grid's results file (one JSON object per line; a torn last line is ignored).

    A missing file has no rows.
    """
    p = Path(path)
    if not p.exists():
        return []
    rows = []
    for line in p.read_text(encoding="utf-8").splitlines():
        try:
            rows.append(json.loads(line))
        except ValueError:
            continue  # a line cut short by a crash
    return rows


@contextlib.contextmanager
def append_grid_results(path: str | os.PathLike[str]
                        ) -> Iterator[Callable[[Mapping[str, Any]], None]]:
    """Open a grid's results file for appending; yields ``append(row)``.

    Each row is written as one JSON line (sorted keys; values JSON cannot hold as their
    ``str``), flushed and fsynced at once, so a crash loses at most the line being written.
    """
    with open(path, "a", encoding="utf-8") as f:
        def append(row: Mapping[str, Any]) -> None:
            f.write(json.dumps(row, sort_keys=True, default=str) + "\n")
            f.flush()
            os.fsync(f.fileno())

        yield append
